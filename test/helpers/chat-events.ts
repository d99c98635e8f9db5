// Events for the chat sink tests: status changes and ports/processes changes of numbered agents, with the
// machine name and IP the discovery of #12 adds to status events.
import { buildResultsChangedEvent, buildStatusChangedEvent } from '../../lib/events';
import type { TaskState } from '../../lib/types';
import type { CloudEvent } from '../../lib/events/types';
import { TEST_STORE_ID } from './events';

export const T0 = Date.parse('2026-11-24T10:00:00Z');

/** The Uuid of demo agent `i` (distinct, valid 8-4-4-4-12). */
export function agentUuid(i: number): string {
  const hex = i.toString(16).padStart(12, '0');
  return `6b6cd843-6bc1-4011-a74c-${hex}`;
}

export function statusEvent(i: number, previous: TaskState | null, state: TaskState, options: { machine?: boolean; version?: number; at?: number } = {}): CloudEvent {
  const e = buildStatusChangedEvent({ storeId: TEST_STORE_ID, source: '/cwp-task-bridge/ap-guangzhou', uuid: agentUuid(i), kind: 'process', previous, state, version: options.version ?? 1, observedAt: options.at ?? T0 + i, requestId: `req-${i}` });
  if (options.machine !== false) Object.assign(e.data, { machineName: `web-${String(i).padStart(2, '0')}`, machineIp: `10.0.${Math.floor(i / 256)}.${i % 256}` });
  return e;
}

/** `n` agents that went offline in one sweep. */
export function offlineEvents(n: number, from = 0): CloudEvent[] {
  return Array.from({ length: n }, (_, k) => statusEvent(from + k, 'COLLECTING', 'AGENT_OFFLINE'));
}

export function portsEvent(i: number, added: number, removed = 0): CloudEvent {
  return buildResultsChangedEvent({ storeId: TEST_STORE_ID,
    source: '/cwp-task-bridge/ap-guangzhou', uuid: agentUuid(i), kind: 'port',
    added: Array.from({ length: Math.min(added, 50) }, (_, k) => ({ port: 20000 + k, pid: 100 + k, processName: 'nginx' })),
    removed: Array.from({ length: Math.min(removed, 50) }, (_, k) => ({ port: 80 + k, pid: 900 + k, processName: 'httpd' })),
    addedCount: added, removedCount: removed, total: 10 + added, truncated: added > 50 || removed > 50,
    takenAt: T0 + i, previousTakenAt: T0 - 600_000, requestId: `req-p-${i}`, forVersion: 2,
  });
}
