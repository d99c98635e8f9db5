// The IncidentPort contract (lib/state/store.ts), run against memory, file and Redis like the rest of the
// StateStore contract: incidents written by compare-and-set on their revision, alone or in the atomic step of a
// status change or a snapshot (a conflict on any part writes nothing), one open incident per subject, the clock's
// due index, listings newest first by cursor, retention. The incidents come from the real rules (lib/alerts).
import { acknowledgeIncident, incidentForClock, incidentsForStatusChange, resolveIncident, type AlertContext } from '../../lib/alerts/rules';
import { INCIDENT_TYPES, type Incident, type IncidentWrite } from '../../lib/alerts/types';
import { BadCursorError, INCIDENT_SCAN_MAX } from '../../lib/state/rules';
import type { TaskKind, TaskState } from '../../lib/types';
import { changeOf, FIXTURES, keyOf, uuidOf, type InspectableStore, type StoreFixture } from '../helpers/store-fixtures';
import { TEST_STORE_ID } from '../helpers/events';

const T = 1_700_000_000_000;
const ctx: AlertContext = { storeId: TEST_STORE_ID, source: '/s', settings: { offlineForMs: 60_000, repeatEveryMs: 3_600_000, processNames: [], types: [...INCIDENT_TYPES], retentionMs: 86_400_000 } };

/** The writes a status change of agent `n` makes, given its open incidents. */
const writesOf = (n: number, state: TaskState, open: Incident[] = [], at = T, kind: TaskKind = 'process'): IncidentWrite[] =>
  incidentsForStatusChange(ctx, { uuid: uuidOf(n), kind, state, eventId: `ev-${n}-${kind}-${state}-${at}`, at, open });

/** The one write a status change makes. */
const one = (n: number, state: TaskState, open: Incident[] = [], at = T, kind: TaskKind = 'process'): IncidentWrite => {
  const writes = writesOf(n, state, open, at, kind);
  expect(writes).toHaveLength(1);
  return writes[0]!;
};

describe.each(FIXTURES)('IncidentPort contract: %s', (_name, makeFixture) => {
  let fixture: StoreFixture;
  let store: InspectableStore;

  beforeEach(async () => {
    fixture = makeFixture();
    store = await fixture.open();
  });
  afterEach(async () => {
    await fixture.cleanup();
  });

  /** Applies writes that must apply; returns their incidents. */
  const apply = async (...writes: IncidentWrite[]): Promise<Incident[]> => {
    expect(await store.applyIncidents(writes)).toBe(true);
    return writes.map((w) => w.incident);
  };

  test('an unknown incident is null, and an agent without incidents has none open', async () => {
    expect(await store.getIncident('agent.offline.nope.1')).toBeNull();
    expect(await store.openIncidentsOf(uuidOf(1))).toEqual([]);
    expect(await store.agentsWithOpenIncidents(10)).toEqual([]);
    expect(await store.nextIncidentDueAt()).toBeNull();
  });

  test('a new incident is stored with its event in the outbox, open for its agent', async () => {
    const w = one(1, 'FAILED');
    await apply(w);
    expect(await store.getIncident(w.incident.key)).toEqual(w.incident);
    expect(await store.openIncidentsOf(uuidOf(1))).toEqual([w.incident]);
    expect(await store.agentsWithOpenIncidents(10)).toEqual([uuidOf(1)]);
    expect((await store.listOutbox(10)).map((e) => e.event)).toEqual([w.event]);
  });

  test('the agents with open incidents are listed by uuid, a page at a time', async () => {
    for (const n of [3, 1, 2, 5]) await apply(one(n, 'FAILED'));
    expect(await store.agentsWithOpenIncidents(2)).toEqual([uuidOf(1), uuidOf(2)]);
    expect(await store.agentsWithOpenIncidents(2, uuidOf(2))).toEqual([uuidOf(3), uuidOf(5)]);
    expect(await store.agentsWithOpenIncidents(2, uuidOf(5))).toEqual([]);
  });

  test('a second incident of a subject already open is refused, and nothing of its step is written', async () => {
    await apply(one(1, 'FAILED'));
    const again = one(1, 'FAILED', [], T + 5);
    const other = one(2, 'FAILED');
    expect(await store.applyIncidents([other, again])).toBe(false);
    expect(await store.getIncident(other.incident.key)).toBeNull();
    expect(await store.countOutbox()).toBe(1);
  });

  test('a write computed from an older revision is refused; from the stored one it applies', async () => {
    const [opened] = await apply(one(1, 'AGENT_OFFLINE'));
    const fired = incidentForClock(ctx, opened!, T + 60_000);
    const acked = acknowledgeIncident(ctx, fired.incident, 'alice', undefined, T + 61_000) as IncidentWrite;
    expect(await store.applyIncidents([acked])).toBe(false);
    await apply(fired);
    expect(await store.applyIncidents([incidentForClock(ctx, opened!, T + 60_000)])).toBe(false);
    await apply(acked);
    expect(await store.getIncident(opened!.key)).toMatchObject({ state: 'firing', acknowledged: true, revision: 3 });
    expect((await store.listOutbox(10)).map((e) => e.event.id)).toEqual([fired.event!.id, acked.event!.id]);
  });

  test('a resolved incident frees its subject: the next episode is a new incident with a new key', async () => {
    const [first] = await apply(one(1, 'FAILED'));
    await apply(resolveIncident(ctx, first!, 'recovered', T + 1_000, null));
    expect(await store.openIncidentsOf(uuidOf(1))).toEqual([]);
    expect(await store.agentsWithOpenIncidents(10)).toEqual([]);
    const [second] = await apply(one(1, 'FAILED', [], T + 2_000));
    expect(second!.key).not.toBe(first!.key);
    expect((await store.openIncidentsOf(uuidOf(1))).map((i) => i.key)).toEqual([second!.key]);
    expect(await store.getIncident(first!.key)).toMatchObject({ state: 'resolved', resolvedReason: 'recovered' });
  });

  test('recordChange makes its incident writes in the same step', async () => {
    await store.syncSchedule([keyOf(1)], T);
    const change = { ...changeOf(keyOf(1), 0, 'FAILED', { at: T }), incidents: writesOf(1, 'FAILED') };
    expect(await store.recordChange(change)).toBe(true);
    expect(await store.getRecord(keyOf(1))).toMatchObject({ state: 'FAILED', version: 1 });
    expect((await store.openIncidentsOf(uuidOf(1))).map((i) => i.type)).toEqual(['collection.failed']);
    expect((await store.listOutbox(10)).map((e) => e.event.type)).toEqual(['com.tencentcloud.cwp.task.status.changed', 'com.tencentcloud.cwp.incident.changed']);
  });

  test('recordChange whose incident write conflicts writes nothing, not even the record', async () => {
    await store.syncSchedule([keyOf(1, 'port')], T);
    await apply(one(1, 'AGENT_OFFLINE', [], T, 'process'));
    // Computed without the open incident (as a racing sweep would): it opens a second agent.offline.
    const change = { ...changeOf(keyOf(1, 'port'), 0, 'AGENT_OFFLINE', { at: T + 1 }), incidents: writesOf(1, 'AGENT_OFFLINE', [], T + 1, 'port') };
    expect(await store.recordChange(change)).toBe(false);
    expect(await store.getRecord(keyOf(1, 'port'))).toMatchObject({ state: null, version: 0 });
    expect(await store.countOutbox()).toBe(0);
    // Read again, the change notes its event on the open incident instead.
    const open = await store.openIncidentsOf(uuidOf(1));
    expect(await store.recordChange({ ...change, incidents: writesOf(1, 'AGENT_OFFLINE', open, T + 1, 'port') })).toBe(true);
    expect((await store.openIncidentsOf(uuidOf(1)))[0]!.eventIds).toHaveLength(2);
  });

  test('recordSnapshot makes its incident writes in the same step, and a conflict on them writes nothing', async () => {
    const stale = one(1, 'FAILED');
    await apply(stale);
    const snapshot = { encoded: 'enc', takenAt: T + 10 };
    expect(await store.recordSnapshot(keyOf(1, 'port'), null, snapshot, 1, null, [stale])).toBe(false);
    expect(await store.getSnapshot(keyOf(1, 'port'))).toBeNull();
    const resolve = resolveIncident(ctx, stale.incident, 'recovered', T + 10, null);
    expect(await store.recordSnapshot(keyOf(1, 'port'), null, snapshot, 1, null, [resolve])).toBe(true);
    expect(await store.getSnapshot(keyOf(1, 'port'))).toEqual(snapshot);
    expect(await store.getIncident(stale.incident.key)).toMatchObject({ state: 'resolved' });
  });

  test('the clock takes a due incident once, most overdue first (ties by key), and finds it again after its lease', async () => {
    const [a] = await apply(one(1, 'AGENT_OFFLINE', [], T + 5));
    const [b] = await apply(one(2, 'AGENT_OFFLINE', [], T));
    await apply(one(3, 'AGENT_OFFLINE', [], T + 500_000));
    expect(await store.nextIncidentDueAt()).toBe(T + 60_000);
    expect(await store.claimDueIncidents(T + 59_999, 10, 1_000)).toEqual([]);
    expect((await store.claimDueIncidents(T + 70_000, 10, 1_000)).map((i) => i.key)).toEqual([b!.key, a!.key]);
    expect(await store.claimDueIncidents(T + 70_500, 10, 1_000)).toEqual([]);
    expect(await store.nextIncidentDueAt()).toBe(T + 71_000);
    // Both claims end at once: ties go by key.
    expect((await store.claimDueIncidents(T + 71_000, 1, 1_000)).map((i) => i.key)).toEqual([a!.key]);
  });

  test('a write sets the clock\'s due time from the incident: fired with a repeat, then acknowledged (none)', async () => {
    const [opened] = await apply(one(1, 'AGENT_OFFLINE'));
    const [fired] = await apply(incidentForClock(ctx, opened!, T + 60_000));
    expect(await store.nextIncidentDueAt()).toBe(T + 60_000 + 3_600_000);
    await apply(acknowledgeIncident(ctx, fired!, 'bob', 'on it', T + 61_000) as IncidentWrite);
    expect(await store.nextIncidentDueAt()).toBeNull();
  });

  test('listings are newest first, filtered by state, type and agent, and page by cursor', async () => {
    const made: Incident[] = [];
    for (let n = 1; n <= 7; n++) made.push(...(await apply(one(n, n % 2 ? 'FAILED' : 'AGENT_OFFLINE', [], T + n * 1_000))));
    const newest = [...made].reverse().map((i) => i.key);
    const first = await store.listIncidents({ limit: 3 });
    expect(first.incidents.map((i) => i.key)).toEqual(newest.slice(0, 3));
    const second = await store.listIncidents({ limit: 3, cursor: first.nextCursor! });
    const third = await store.listIncidents({ limit: 3, cursor: second.nextCursor! });
    expect([...second.incidents, ...third.incidents].map((i) => i.key)).toEqual(newest.slice(3));
    expect(third.nextCursor).toBeNull();
    expect((await store.listIncidents({ limit: 10, state: 'pending' })).incidents.map((i) => i.agent.uuid)).toEqual([uuidOf(6), uuidOf(4), uuidOf(2)]);
    expect((await store.listIncidents({ limit: 10, state: 'firing', type: 'collection.failed' })).incidents).toHaveLength(4);
    expect((await store.listIncidents({ limit: 10, uuid: uuidOf(3) })).incidents.map((i) => i.key)).toEqual([made[2]!.key]);
    expect((await store.listIncidents({ limit: 10, uuid: uuidOf(3), state: 'pending' })).incidents).toEqual([]);
    await expect(store.listIncidents({ limit: 3, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(BadCursorError);
  });

  test('a listing whose filter matches few ends its page after INCIDENT_SCAN_MAX looked at, with a cursor to go on', async () => {
    const writes: IncidentWrite[] = [];
    for (let n = 1; n <= INCIDENT_SCAN_MAX + 5; n++) writes.push(one(n, 'UNKNOWN_AGENT', [], T + n));
    await apply(...writes);
    await apply(one(INCIDENT_SCAN_MAX + 50, 'FAILED', [], T - 1));
    const page = await store.listIncidents({ limit: 10, type: 'collection.failed' });
    expect(page.incidents).toEqual([]);
    expect(page.nextCursor).not.toBeNull();
    const next = await store.listIncidents({ limit: 10, type: 'collection.failed', cursor: page.nextCursor! });
    expect(next.incidents.map((i) => i.agent.uuid)).toEqual([uuidOf(INCIDENT_SCAN_MAX + 50)]);
    expect(next.nextCursor).toBeNull();
  }, 60_000);

  test('purging takes resolved incidents at or before the time given, earliest first, at most the limit', async () => {
    const resolvedAt = [T + 300, T + 100, T + 200];
    const gone: Incident[] = [];
    for (const [i, at] of resolvedAt.entries()) {
      const [opened] = await apply(one(i + 1, 'FAILED'));
      gone.push(...(await apply(resolveIncident(ctx, opened!, 'recovered', at, null))));
    }
    const [open] = await apply(one(9, 'FAILED'));
    expect(await store.purgeResolvedIncidents(T + 250, 1)).toBe(1);
    expect(await store.getIncident(gone[1]!.key)).toBeNull();
    expect(await store.purgeResolvedIncidents(T + 250, 10)).toBe(1);
    expect(await store.getIncident(gone[0]!.key)).not.toBeNull();
    expect((await store.listIncidents({ limit: 10 })).incidents.map((i) => i.key).sort()).toEqual([gone[0]!.key, open!.key].sort());
    expect((await store.listIncidents({ limit: 10, uuid: uuidOf(3) })).incidents).toEqual([]);
  });

  test('incidents survive reopening a persistent store', async () => {
    if (!fixture.persistent) return;
    const [opened] = await apply(one(1, 'AGENT_OFFLINE'));
    await store.claimDueIncidents(T + 60_000, 10, 5_000);
    const reopened = await fixture.open();
    expect(await reopened.getIncident(opened!.key)).toEqual(opened);
    expect(await reopened.openIncidentsOf(uuidOf(1))).toEqual([opened]);
    expect(await reopened.nextIncidentDueAt()).toBe(T + 65_000);
  });
});

describe.each(FIXTURES.filter(([name]) => name !== 'memory'))('two stores on one %s state race on one incident', (_name, makeFixture) => {
  let fixture: StoreFixture;
  afterEach(async () => {
    await fixture.cleanup();
  });

  test('of two writes computed from the same revision, exactly one applies', async () => {
    fixture = makeFixture();
    const [a, b] = [await fixture.open(), await fixture.open()];
    const opened = one(1, 'AGENT_OFFLINE');
    expect(await a.applyIncidents([opened])).toBe(true);
    const stored = (await b.getIncident(opened.incident.key))!;
    const results = await Promise.all([a.applyIncidents([incidentForClock(ctx, stored, T + 60_000)]), b.applyIncidents([resolveIncident(ctx, stored, 'recovered', T + 60_000, null)])]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await a.getIncident(opened.incident.key))!.revision).toBe(2);
  });
});
