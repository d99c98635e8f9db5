// Event ids (lib/events/ids.ts): RFC 9562 UUIDs of version 8, stable for one event in one store, different in
// another store (another stage, a demo run, the store after a reset). Checked bit by bit against RFC 9562 and by
// zod's own UUID check, not only by the pattern the code exports.
import * as z from 'zod/mini';
import fc from 'fast-check';
import { buildAgentUnwatchedEvent, buildResultsChangedEvent, buildStatusChangedEvent, eventId, EVENT_ID_PATTERN, resultsChangeId, transitionId } from '../../lib/events';
import { TASK_STATES } from '../../lib/types';

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';

/** RFC 9562 section 4: 8-4-4-4-12 hex; the version is the top 4 bits of octet 6, the variant the top 2 bits of octet 8. */
function rfc9562(id: string): { version: number; variant: number } | null {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return null;
  const bytes = Buffer.from(id.replace(/-/g, ''), 'hex');
  return { version: bytes[6]! >> 4, variant: bytes[8]! >> 6 };
}

describe('event ids', () => {
  test('are RFC 9562 UUIDs of version 8 with the variant bits 10, for any store and parts', () => {
    fc.assert(fc.property(fc.string(), fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 6 }), (storeId, parts) => {
      const id = eventId(storeId, parts);
      expect(rfc9562(id)).toEqual({ version: 8, variant: 0b10 });
      expect(id).toMatch(EVENT_ID_PATTERN);
      expect(z.safeParse(z.uuid(), id).success).toBe(true);
    }), { numRuns: 500 });
  });

  test('every event type builds its id that way', () => {
    const status = buildStatusChangedEvent({ storeId: 's1', source: '/s', uuid: UUID, kind: 'process', previous: null, state: 'COMPLETE', version: 1, observedAt: 0, requestId: 'r' });
    const results = buildResultsChangedEvent({
      storeId: 's1', source: '/s', uuid: UUID, kind: 'port', added: [], removed: [], addedCount: 0, removedCount: 0, total: 0, truncated: false, takenAt: 0, previousTakenAt: 0, requestId: 'r', forVersion: 2,
    });
    const unwatched = buildAgentUnwatchedEvent({ storeId: 's1', source: '/s', uuid: UUID, kinds: ['port'], lastSeenAt: 0, unwatchedAt: 1, listing: 3 });
    for (const e of [status, results, unwatched]) expect(rfc9562(e.id)).toEqual({ version: 8, variant: 0b10 });
  });

  test('one transition in one store has one id, whatever the observation time or request (a retried or racing publish)', () => {
    const t = { storeId: 'store-a', source: '/s', uuid: UUID, kind: 'process' as const, previous: 'COLLECTING' as const, state: 'COMPLETE' as const, version: 2, observedAt: 1, requestId: 'a' };
    expect(buildStatusChangedEvent(t).id).toBe(buildStatusChangedEvent({ ...t, observedAt: 99_000, requestId: 'b' }).id);
  });

  test('the same transition in another store (a reset, another stage, another demo run) has another id', () => {
    const t = { uuid: UUID, kind: 'process' as const, previous: null, state: 'COLLECTING' as const, version: 1 };
    expect(transitionId({ ...t, storeId: 'store-before-flushall' })).not.toBe(transitionId({ ...t, storeId: 'store-after-flushall' }));
    expect(resultsChangeId('a', UUID, 'port', 3)).not.toBe(resultsChangeId('b', UUID, 'port', 3));
  });

  test('the transitions of one key in one store have distinct ids (every state pair, versions 1 to 5)', () => {
    const ids = new Set<string>();
    let n = 0;
    for (const previous of [null, ...TASK_STATES]) {
      for (const state of TASK_STATES) {
        for (let version = 1; version <= 5; version++) {
          ids.add(transitionId({ storeId: 'one-store', uuid: UUID, kind: 'port', previous, state, version }));
          n++;
        }
      }
    }
    expect(ids.size).toBe(n);
  });

  test('event types do not share ids: a status change and a results change of the same key and version differ', () => {
    expect(transitionId({ storeId: 's', uuid: UUID, kind: 'port', previous: null, state: 'COMPLETE', version: 3 })).not.toBe(resultsChangeId('s', UUID, 'port', 3));
  });
});
