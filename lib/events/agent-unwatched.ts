// The event of a discovered agent leaving the watch list: its machine was missing from two whole machine
// listings in a row (WATCH_DISCOVER). One per agent, subject the uuid; the id is stable for that removal.
import { eventId } from './ids';
import { machineFields, type MachineLabel } from './status-changed';
import type { TaskKind } from '../types';
import type { AgentUnwatchedEvent } from './types';

export const AGENT_UNWATCHED = 'com.tencentcloud.cwp.agent.unwatched';

export interface UnwatchInput {
  /** The store's id (StorePort.identity). */
  storeId: string;
  source: string;
  uuid: string;
  kinds: TaskKind[];
  machine?: MachineLabel;
  lastSeenAt: number;
  unwatchedAt: number;
  /** The listing whose end unwatched it: with the uuid, the event's identity. */
  listing: number;
}

export function buildAgentUnwatchedEvent(u: UnwatchInput): AgentUnwatchedEvent {
  const time = new Date(u.unwatchedAt).toISOString();
  return {
    specversion: '1.0',
    type: AGENT_UNWATCHED,
    source: u.source,
    id: eventId(u.storeId, ['unwatched', u.uuid, u.listing]),
    subject: u.uuid,
    time,
    datacontenttype: 'application/json',
    data: {
      uuid: u.uuid,
      reason: 'not-listed',
      kinds: [...u.kinds],
      severity: 'warning',
      ...machineFields(u.machine),
      lastSeenAt: new Date(u.lastSeenAt).toISOString(),
      unwatchedAt: time,
    },
  };
}
