// The sweep's incident passes (lib/sweep/incidents.ts) on a memory store: the clock fires what is due and nothing
// else, and the unwatched pass resolves the incidents of agents the watch list no longer has, bounded per sweep and
// picking up the rest at the next.
import { incidentsForStatusChange, type AlertContext } from '../../lib/alerts/rules';
import { INCIDENT_TYPES } from '../../lib/alerts/types';
import { silentLogger } from '../../lib/log';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { resolveUnwatchedIncidents, runIncidentClock, UNWATCHED_PER_SWEEP, type IncidentCounts, type IncidentSweepContext } from '../../lib/sweep/incidents';
import type { TaskState, Watch } from '../../lib/types';
import { TEST_STORE_ID } from '../helpers/events';

const T = 1_700_000_000_000;
const alerts: AlertContext = { storeId: TEST_STORE_ID, source: '/s', settings: { offlineForMs: 60_000, repeatEveryMs: null, processNames: [], types: [...INCIDENT_TYPES], retentionMs: 86_400_000 } };
const uuidOf = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

function context(store: MemoryStateStore, now: number): IncidentSweepContext & { counts: IncidentCounts; changes: number } {
  const ctx = {
    store, alerts, log: silentLogger, now: () => now, signal: new AbortController().signal, pollUntil: now + 1_000, keepPolling: false,
    counts: { fired: 0, resolved: 0 }, changes: 0, onChange: () => void ctx.changes++,
  };
  return ctx;
}

async function open(store: MemoryStateStore, n: number, state: TaskState): Promise<void> {
  expect(await store.applyIncidents(incidentsForStatusChange(alerts, { uuid: uuidOf(n), kind: 'port', state, eventId: `ev-${n}`, at: T, open: [] }))).toBe(true);
}

const watch = (n: number, kinds: Watch['kinds'] = ['process', 'port']): Watch => ({ uuid: uuidOf(n), kinds, source: 'api', addedAt: T });

test('the clock fires the pending incidents that are due, tells of each once, and leaves the others pending', async () => {
  const store = new MemoryStateStore();
  await open(store, 1, 'AGENT_OFFLINE');
  const ctx = context(store, T + 30_000);
  await runIncidentClock(ctx);
  expect(ctx.counts.fired).toBe(0);
  const later = context(store, T + 60_000);
  await runIncidentClock(later);
  expect(later.counts).toEqual({ fired: 1, resolved: 0 });
  expect(later.changes).toBe(1);
  expect((await store.listIncidents({ limit: 10, state: 'firing' })).incidents).toHaveLength(1);
  await runIncidentClock(context(store, T + 90_000));
  expect((await store.listOutbox(10)).map((e) => e.event.type)).toEqual(['com.tencentcloud.cwp.incident.changed']);
});

test('agents no longer watched have their incidents resolved; a watched one keeps its; one watched for another kind loses that kind\'s', async () => {
  const store = new MemoryStateStore();
  for (const n of [1, 2, 3]) await open(store, n, 'FAILED');
  const ctx = context(store, T + 1_000);
  expect(await resolveUnwatchedIncidents(ctx, [watch(1), watch(3, ['process'])])).toBe(2);
  expect(await store.agentsWithOpenIncidents(10)).toEqual([uuidOf(1)]);
  const resolved = (await store.listIncidents({ limit: 10, state: 'resolved' })).incidents;
  expect(resolved.map((i) => [i.agent.uuid, i.resolvedReason]).sort()).toEqual([[uuidOf(2), 'unwatched'], [uuidOf(3), 'unwatched']]);
});

test('at most UNWATCHED_PER_SWEEP agents a sweep; the next sweep resolves the rest', async () => {
  const store = new MemoryStateStore();
  const total = UNWATCHED_PER_SWEEP + 5;
  for (let n = 1; n <= total; n++) await open(store, n, 'UNKNOWN_AGENT');
  expect(await resolveUnwatchedIncidents(context(store, T + 1_000), [])).toBe(UNWATCHED_PER_SWEEP);
  expect(await store.agentsWithOpenIncidents(1_000)).toHaveLength(5);
  expect(await resolveUnwatchedIncidents(context(store, T + 2_000), [])).toBe(5);
  expect(await store.agentsWithOpenIncidents(1_000)).toEqual([]);
});
