// The one event the bridge publishes: a CloudEvents 1.0 structured-mode JSON object (the README's Events section; schemas/ holds its JSON Schema).
import { eventId } from './ids';
import { RESULT_ACTION } from '../cwp/yunjing';
import type { TaskKind, TaskState } from '../types';
import type { Severity, StatusChangedEvent } from './types';

export const EVENT_TYPE = 'com.tencentcloud.cwp.task.status.changed';

const WARNING_STATES: ReadonlySet<TaskState> = new Set<TaskState>(['FAILED', 'AGENT_OFFLINE', 'UNKNOWN_AGENT']);

export function severityOf(state: TaskState): Severity {
  return WARNING_STATES.has(state) ? 'warning' : 'info';
}

export interface TransitionInput {
  /** The store's id (StorePort.identity): the same transition in another store, or after a reset, is another event. */
  storeId: string;
  source: string;
  uuid: string;
  kind: TaskKind;
  previous: TaskState | null;
  state: TaskState;
  /** The key's version after this change: makes the id unique when a key returns to an earlier state. */
  version: number;
  observedAt: number;
  requestId: string;
  /** The machine listing's name and IP of the agent (WATCH_DISCOVER), when known. */
  machine?: MachineLabel;
}

/** What an event says of the agent's machine: the listing's name and private IP. */
export interface MachineLabel {
  name: string | null;
  ip: string | null;
}

/** The optional machineName / machineIp fields of event data, from what the listing knows. */
export function machineFields(machine: MachineLabel | undefined): { machineName?: string; machineIp?: string } {
  const out: { machineName?: string; machineIp?: string } = {};
  if (machine?.name) out.machineName = machine.name;
  if (machine?.ip) out.machineIp = machine.ip;
  return out;
}

/**
 * Stable for one transition in one store, so a retried publish and a racing invocation produce the same id, and
 * receivers can dedupe on it (it is also the Standard Webhooks `webhook-id`).
 */
export function transitionId(t: Pick<TransitionInput, 'storeId' | 'uuid' | 'kind' | 'previous' | 'state' | 'version'>): string {
  return eventId(t.storeId, ['status', t.uuid, t.kind, t.previous, t.state, t.version]);
}

export function buildStatusChangedEvent(t: TransitionInput): StatusChangedEvent {
  const time = new Date(t.observedAt).toISOString();
  return {
    specversion: '1.0',
    type: EVENT_TYPE,
    source: t.source,
    id: transitionId(t),
    subject: `${t.uuid}/${t.kind}`,
    time,
    datacontenttype: 'application/json',
    data: {
      uuid: t.uuid,
      kind: t.kind,
      previous: t.previous,
      state: t.state,
      severity: severityOf(t.state),
      observedAt: time,
      requestId: t.requestId,
      next: t.state === 'COMPLETE' ? RESULT_ACTION[t.kind] : null,
      ...machineFields(t.machine),
    },
  };
}
