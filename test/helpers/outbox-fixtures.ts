// Puts status changes into a store's outbox the way the sweep does (compare-and-set + event), for sink tests.
import { buildStatusChangedEvent } from '../../lib/events';
import type { StateStore } from '../../lib/state/store';
import type { TaskKind, TaskState } from '../../lib/types';
import type { CloudEvent } from '../../lib/events/types';
import { TEST_STORE_ID } from './events';

export const T0 = Date.parse('2026-11-24T10:00:00Z');

/** Records the transitions of one key into the store's outbox, oldest first; returns their events. */
export async function enqueue(store: StateStore, uuid: string, kind: TaskKind, states: TaskState[]): Promise<CloudEvent[]> {
  const events: CloudEvent[] = [];
  let previous: TaskState | null = (await store.getRecord({ uuid, kind }))?.state ?? null;
  for (const state of states) {
    const expectedVersion = (await store.getRecord({ uuid, kind }))?.version ?? 0;
    const observedAt = T0 + events.length;
    const event = buildStatusChangedEvent({ storeId: TEST_STORE_ID, source: '/test', uuid, kind, previous, state, version: expectedVersion + 1, observedAt, requestId: `req-${state}` });
    const ok = await store.recordChange({ key: { uuid, kind }, expectedVersion, state, requestId: event.data.requestId, observedAt, nextDue: observedAt, event });
    if (!ok) throw new Error('enqueue conflict');
    events.push(event);
    previous = state;
  }
  return events;
}
