// The local store (memory) and the Redis store, run side by side on random sequences of port operations: after
// every step both must have given the same answer, and a read of everything through the ports must show the
// same state. The contract suite (state-store.test.ts) checks the examples someone wrote down; this looks for
// the sequences nobody did. Time is an explicit `now` that each step moves forward by a generated amount; every
// sequence starts as a sweep does, with every key scheduled (step 0). Arguments that name something stored (an
// event id, a version, a claim) are picked from what the stores held after the previous step, so most steps act
// on real data. A failure prints fast-check's seed and the shrunk sequence of steps. STORE_DIFF_SEED,
// STORE_DIFF_RUNS and STORE_DIFF_TIME_LIMIT_MS run other or more sequences.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { RedisStateStore } from '../../lib/state/redis/store';
import type { Lane } from '../../lib/state/rules';
import type { KeyClaim, PendingRead } from '../../lib/state/store';
import { acknowledgeIncident, incidentForClock, incidentsForStatusChange, resolveIncident, type AlertContext } from '../../lib/alerts/rules';
import { INCIDENT_STATES, INCIDENT_TYPES, type Incident, type IncidentState, type IncidentType, type QuietKind, type QuietRule } from '../../lib/alerts/types';
import type { CloudEvent } from '../../lib/events/types';
import { TASK_STATES, type DeadLetter, type Delivery, type KeyRecord, type MachineInfo, type OutboxEntry, type TaskKind, type TaskState } from '../../lib/types';
import { REDIS_URL, deleteRedisPrefix, eventFor, keyOf, uniquePrefix, uuidOf, type InspectableStore } from '../helpers/store-fixtures';
import { TEST_STORE_ID } from '../helpers/events';

const SEED = Number(process.env.STORE_DIFF_SEED ?? 0x5eed_d1ff);
const RUNS = Number(process.env.STORE_DIFF_RUNS ?? 100);
const MAX_STEPS = 50;
/** A bound on the whole property, so a loaded machine shortens the test instead of failing it. */
const TIME_LIMIT_MS = Number(process.env.STORE_DIFF_TIME_LIMIT_MS ?? 10_000);

const AGENTS = [1, 2, 3];
const KEYS = AGENTS.flatMap((n) => [keyOf(n), keyOf(n, 'port')]);
const SINKS = ['webhook:https://a/', 'console'];
const T0 = 1_700_000_000_000;
const FAR = T0 + 10 ** 9;

// ------------------------------------------------------------------------------------------------ the steps

/** One port operation with its arguments, as generated (`pick` = an index into what is stored, modulo its size). */
type Step = { dt: number } & (
  | { op: 'syncSchedule'; keys: number[] }
  | { op: 'claimDueKeys'; limit: number; kind: TaskKind; lane: Lane; leaseMs: number }
  | { op: 'releaseClaims'; take: number }
  | { op: 'countDue'; kind?: TaskKind; lane?: Lane }
  | { op: 'nextDueAt'; kind?: TaskKind }
  | { op: 'claimIdleKeys'; limit: number; kind: TaskKind; pick: number; plusMs: number }
  | { op: 'recordCheck'; key: number; nextInMs: number; parked: boolean }
  | { op: 'recordChange'; key: number; state: TaskState; stale: boolean; nextInMs: number; parked: boolean }
  | { op: 'getRecordsForAgent'; agent: number }
  | { op: 'putWatch'; agent: number; kinds: TaskKind[] }
  | { op: 'deleteWatch'; agent: number }
  | { op: 'getWatch'; agent: number }
  | { op: 'listOutbox'; limit: number }
  | { op: 'claimDelivery'; pick: number; sink: number; leaseMs: number }
  | { op: 'updateDelivery'; pick: number; sink: number; status: Delivery['status']; attempts: number; nextInMs: number }
  | { op: 'removeFromOutbox'; pick: number }
  | { op: 'addDeadLetter'; pick: number; sink: number }
  | { op: 'listDeadLetters'; limit: number }
  | { op: 'replayDeadLetters'; picks: number[] | null }
  | { op: 'putLastSweep'; checked: number }
  | { op: 'claimPendingReads'; limit: number; leaseMs: number; kind?: TaskKind }
  | { op: 'releasePendingRead'; pick: number; retryInMs: number }
  | { op: 'recordSnapshot'; key: number; stale: boolean; pick: number; withEvent: boolean }
  | { op: 'claimDiscovery'; leaseMs: number }
  | { op: 'saveDiscovery'; listing: number; keepLeaseMs: number | null }
  | { op: 'putMachines'; agents: number[]; offline: boolean; listing: number }
  | { op: 'getMachine'; agent: number }
  | { op: 'forgetMachine'; agent: number; lastListing: number; withEvent: boolean }
  | { op: 'purgeUnwatched'; agoMs: number; limit: number }
  | { op: 'forgetAgent'; agent: number }
  | { op: 'expireDeadLetters'; agoMs: number; maxPerSink: number; limit: number }
  | { op: 'discardDeadLetters'; by: 'all' | 'events' | 'sink'; picks: number[]; sink: number }
  | { op: 'recordReset'; storeId: number; apiWatches: number | null }
  | { op: 'acknowledgeReset' }
  | { op: 'recordChangeWithIncidents'; key: number; state: TaskState; stale: boolean; staleIncidents: boolean }
  | { op: 'applyIncidents'; agent: number; kind: TaskKind; state: TaskState; staleIncidents: boolean; silenced: boolean }
  | { op: 'claimDueIncidents'; limit: number; leaseMs: number }
  | { op: 'clockIncident'; pick: number }
  | { op: 'acknowledgeIncident'; pick: number }
  | { op: 'resolveIncident'; pick: number; stale: boolean }
  | { op: 'listIncidents'; limit: number; state?: IncidentState; type?: IncidentType; agent?: number; fromCursor: boolean }
  | { op: 'openIncidentsOf'; agent: number }
  | { op: 'purgeResolvedIncidents'; agoMs: number; limit: number }
  | { op: 'putQuietRule'; kind: QuietKind; id: number }
  | { op: 'deleteQuietRule'; kind: QuietKind; id: number }
  | { op: 'endSilence'; id: number }
  | { op: 'addQuietHits'; hits: Array<{ kind: QuietKind; id: number; count: number; agoMs: number }> }
  | { op: 'noticeSilenceEnded'; id: number }
);

const dt = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_500 }));
const keyIndex = fc.nat(KEYS.length - 1);
const agent = fc.constantFrom(...AGENTS);
const kind = fc.constantFrom<TaskKind>('process', 'port');
const lane = fc.constantFrom<Lane>('hot', 'cold');
/** A filter's kind or lane, unset as often as each value. */
const maybeKind = fc.constantFrom<TaskKind | undefined>(undefined, 'process', 'port');
const maybeLane = fc.constantFrom<Lane | undefined>(undefined, 'hot', 'cold');
const sink = fc.nat(SINKS.length - 1);
const pick = fc.nat(20);
const leaseMs = fc.constantFrom(1_000, 5_000, 30_000);
const rarely = fc.nat(3).map((n) => n === 0); // one in four
/** Mostly the states that do something (COMPLETE makes a read pending; COLLECTING keeps a key hot). */
const taskState = fc.oneof({ arbitrary: fc.constant<TaskState>('COMPLETE'), weight: 3 }, { arbitrary: fc.constant<TaskState>('COLLECTING'), weight: 2 }, fc.constantFrom(...TASK_STATES));
const step = <T>(arbitrary: fc.Arbitrary<T>, weight = 1) => ({ arbitrary, weight });
/** The states that open, note and resolve incidents, as often as the rest. */
const incidentState = fc.oneof(fc.constantFrom<TaskState>('AGENT_OFFLINE', 'FAILED', 'UNKNOWN_AGENT'), fc.constantFrom(...TASK_STATES));

const quietKind = fc.constantFrom<QuietKind>('silence', 'window', 'expectation');
const quietId = fc.nat(2);

/** A quiet rule of `kind` with the id of index `id`, as put at `now`. */
function quietRule(kind: QuietKind, id: number, now: number): QuietRule {
  const base = { id: `rule-${id}`, matchers: [{ name: 'uuid' as const, value: uuidOf(AGENTS[id % AGENTS.length]!), op: '=' as const }], createdBy: `who-${now % 7}`, comment: `why-${now}`, createdAt: now };
  if (kind === 'silence') return { ...base, startsAt: now, endsAt: now + 3_000 };
  if (kind === 'window') return { ...base, days: ['Sun', 'Mon'], start: '22:00', end: '02:00', timezone: 'Europe/Berlin', origin: 'api' };
  return { ...base, ports: [{ port: 6379 }], processes: [] };
}

/** Any step; the weights favour the ones that change what the others read. */
const STEP: fc.Arbitrary<Step> = fc.oneof(
  step(fc.record({ dt, op: fc.constant('syncSchedule' as const), keys: fc.subarray([...KEYS.keys()]) }), 2),
  step(fc.record({ dt, op: fc.constant('claimDueKeys' as const), limit: fc.integer({ min: 1, max: 4 }), kind, lane, leaseMs }), 3),
  step(fc.record({ dt, op: fc.constant('releaseClaims' as const), take: fc.integer({ min: 0, max: 4 }) })),
  step(fc.record({ dt, op: fc.constant('countDue' as const), kind: maybeKind, lane: maybeLane })),
  step(fc.record({ dt, op: fc.constant('nextDueAt' as const), kind: maybeKind })),
  step(fc.record({ dt, op: fc.constant('claimIdleKeys' as const), limit: fc.integer({ min: 1, max: 3 }), kind, pick, plusMs: fc.integer({ min: -1, max: 1 }) }), 3),
  step(fc.record({ dt, op: fc.constant('recordCheck' as const), key: keyIndex, nextInMs: fc.integer({ min: 0, max: 20_000 }), parked: rarely }), 4),
  step(fc.record({ dt, op: fc.constant('recordChange' as const), key: keyIndex, state: taskState, stale: rarely, nextInMs: fc.integer({ min: 0, max: 20_000 }), parked: rarely }), 6),
  step(fc.record({ dt, op: fc.constant('getRecordsForAgent' as const), agent })),
  step(fc.record({ dt, op: fc.constant('putWatch' as const), agent, kinds: fc.array(kind, { minLength: 1, maxLength: 3 }) })),
  step(fc.record({ dt, op: fc.constant('deleteWatch' as const), agent })),
  step(fc.record({ dt, op: fc.constant('getWatch' as const), agent })),
  step(fc.record({ dt, op: fc.constant('listOutbox' as const), limit: fc.integer({ min: 0, max: 4 }) })),
  step(fc.record({ dt, op: fc.constant('claimDelivery' as const), pick, sink, leaseMs }), 3),
  step(fc.record({ dt, op: fc.constant('updateDelivery' as const), pick, sink, status: fc.constantFrom<Delivery['status']>('pending', 'delivered', 'dead'), attempts: fc.nat(3), nextInMs: fc.nat(6_000) }), 2),
  step(fc.record({ dt, op: fc.constant('removeFromOutbox' as const), pick })),
  step(fc.record({ dt, op: fc.constant('addDeadLetter' as const), pick, sink }), 2),
  step(fc.record({ dt, op: fc.constant('listDeadLetters' as const), limit: fc.integer({ min: 0, max: 4 }) })),
  step(fc.record({ dt, op: fc.constant('replayDeadLetters' as const), picks: fc.option(fc.array(pick, { maxLength: 3 }), { nil: null }) })),
  step(fc.record({ dt, op: fc.constant('putLastSweep' as const), checked: fc.nat(100) })),
  step(fc.record({ dt, op: fc.constant('claimPendingReads' as const), limit: fc.integer({ min: 1, max: 3 }), leaseMs, kind: maybeKind }), 3),
  step(fc.record({ dt, op: fc.constant('releasePendingRead' as const), pick, retryInMs: fc.nat(9_000) })),
  step(fc.record({ dt, op: fc.constant('recordSnapshot' as const), key: keyIndex, stale: rarely, pick, withEvent: fc.boolean() }), 2),
  step(fc.record({ dt, op: fc.constant('claimDiscovery' as const), leaseMs })),
  step(fc.record({ dt, op: fc.constant('saveDiscovery' as const), listing: fc.integer({ min: 1, max: 4 }), keepLeaseMs: fc.option(leaseMs, { nil: null }) })),
  step(fc.record({ dt, op: fc.constant('putMachines' as const), agents: fc.array(agent, { maxLength: 3 }), offline: fc.boolean(), listing: fc.integer({ min: 1, max: 4 }) })),
  step(fc.record({ dt, op: fc.constant('getMachine' as const), agent })),
  step(fc.record({ dt, op: fc.constant('forgetMachine' as const), agent, lastListing: fc.integer({ min: 0, max: 4 }), withEvent: fc.boolean() })),
  step(fc.record({ dt, op: fc.constant('purgeUnwatched' as const), agoMs: fc.constantFrom(0, 500, 2_000), limit: fc.integer({ min: 1, max: 3 }) }), 2),
  step(fc.record({ dt, op: fc.constant('forgetAgent' as const), agent })),
  step(fc.record({ dt, op: fc.constant('expireDeadLetters' as const), agoMs: fc.constantFrom(0, 500, 2_000), maxPerSink: fc.integer({ min: 0, max: 3 }), limit: fc.integer({ min: 1, max: 3 }) }), 2),
  step(fc.record({ dt, op: fc.constant('discardDeadLetters' as const), by: fc.constantFrom<'all' | 'events' | 'sink'>('all', 'events', 'sink'), picks: fc.array(pick, { minLength: 1, maxLength: 2 }), sink })),
  step(fc.record({ dt, op: fc.constant('recordReset' as const), storeId: fc.nat(1), apiWatches: fc.option(fc.nat(9), { nil: null }) })),
  step(fc.record({ dt, op: fc.constant('acknowledgeReset' as const) })),
  step(fc.record({ dt, op: fc.constant('recordChangeWithIncidents' as const), key: keyIndex, state: incidentState, stale: rarely, staleIncidents: rarely }), 4),
  step(fc.record({ dt, op: fc.constant('applyIncidents' as const), agent, kind, state: incidentState, staleIncidents: rarely, silenced: rarely }), 2),
  step(fc.record({ dt: fc.oneof(dt, fc.integer({ min: 50_000, max: 200_000 })), op: fc.constant('claimDueIncidents' as const), limit: fc.integer({ min: 1, max: 3 }), leaseMs }), 2),
  step(fc.record({ dt, op: fc.constant('clockIncident' as const), pick }), 2),
  step(fc.record({ dt, op: fc.constant('acknowledgeIncident' as const), pick })),
  step(fc.record({ dt, op: fc.constant('resolveIncident' as const), pick, stale: rarely })),
  step(fc.record({
    dt, op: fc.constant('listIncidents' as const), limit: fc.integer({ min: 1, max: 3 }), state: fc.option(fc.constantFrom(...INCIDENT_STATES), { nil: undefined }),
    type: fc.option(fc.constantFrom(...INCIDENT_TYPES), { nil: undefined }), agent: fc.option(agent, { nil: undefined }), fromCursor: fc.boolean(),
  })),
  step(fc.record({ dt, op: fc.constant('openIncidentsOf' as const), agent })),
  step(fc.record({ dt, op: fc.constant('purgeResolvedIncidents' as const), agoMs: fc.nat(5_000), limit: fc.integer({ min: 1, max: 3 }) })),
  step(fc.record({ dt, op: fc.constant('putQuietRule' as const), kind: quietKind, id: quietId }), 2),
  step(fc.record({ dt, op: fc.constant('deleteQuietRule' as const), kind: quietKind, id: quietId })),
  step(fc.record({ dt, op: fc.constant('endSilence' as const), id: quietId })),
  step(fc.record({ dt, op: fc.constant('addQuietHits' as const), hits: fc.array(fc.record({ kind: quietKind, id: quietId, count: fc.integer({ min: 1, max: 3 }), agoMs: fc.nat(2_000) }), { maxLength: 3 }) })),
  step(fc.record({ dt, op: fc.constant('noticeSilenceEnded' as const), id: quietId })),
);

/** The incident rules' settings: an offline agent's incident fires after a minute, repeats every two. */
const ALERTS: AlertContext = { storeId: TEST_STORE_ID, source: '/s', settings: { offlineForMs: 60_000, repeatEveryMs: 120_000, processNames: [], types: [...INCIDENT_TYPES], retentionMs: 86_400_000 } };

// ------------------------------------------------------------------------------------------- what is stored

/** Everything a store holds that the ports can read without changing it, plus the dueKeys inspection. */
async function readAll(store: InspectableStore, now: number) {
  const [records, due, dueNow, nextDue, watches, outbox, deadLetters, lastSweep, snapshots, machines, discovery, counts, left, deadSinks, reset, incidents, incidentsDue, openIncidents, history, counters, quiet] = await Promise.all([
    store.getRecords(KEYS),
    store.dueKeys(FAR, 100),
    store.countDue(now),
    store.nextDueAt(),
    store.listWatches(),
    store.listOutbox(1_000),
    store.listDeadLetters(1_000),
    store.getLastSweep(),
    Promise.all(KEYS.map((k) => store.getSnapshot(k))),
    store.listMachines(),
    store.getDiscovery(),
    Promise.all([store.countWatches(), store.countOutbox(), store.countDeadLetters()]),
    store.leftKeys(),
    store.deadLetterSinks(),
    store.getReset(),
    store.listIncidents({ limit: 1_000 }),
    Promise.all([store.nextIncidentDueAt(), store.agentsWithOpenIncidents(10), store.agentsWithOpenIncidents(10, uuidOf(1))]),
    Promise.all(AGENTS.map((n) => store.openIncidentsOf(uuidOf(n)))),
    // The event history and the counters the outbox appends keep (the history's order, its agents' indexes).
    Promise.all([store.searchHistory({ limit: 500 }), store.countHistory(), ...AGENTS.map((n) => store.searchHistory({ uuid: uuidOf(n), limit: 500 }))]),
    store.readCounters(),
    store.listQuietRules(),
  ]);
  return { records, due, dueNow, nextDue, watches, outbox, deadLetters, lastSweep, snapshots, machines, discovery, counts, left, deadSinks, reset, incidents: incidents.incidents, incidentsDue, openIncidents, history, counters, quiet };
}
type Stored = Awaited<ReturnType<typeof readAll>>;

/** What the steps of one sequence remember between them: the last state read, and the claims answered. */
interface Context {
  stored: Stored;
  claims: KeyClaim[];
  reads: PendingRead[];
  /** The incidents the last claimDueIncidents took, and the cursor the last listing gave. */
  dueIncidents: Incident[];
  cursor: string | null;
}

const nth = <T>(list: readonly T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);
const eventIdAt = (ctx: Context, i: number): string => nth(ctx.stored.outbox, i)?.event.id ?? 'ev-never-stored';
const extraEvent = (id: string, at: number): CloudEvent => ({ ...eventFor(keyOf(1), null, 'COMPLETE', 1, at), id });
const machine = (n: number, now: number, listing: number, offline: boolean): MachineInfo => ({
  uuid: uuidOf(n), name: `vm-${n}`, ip: `10.0.0.${n}`, tags: offline ? [] : ['prod'], type: 'CVM', region: 'ap-guangzhou',
  status: offline ? 'OFFLINE' : 'ONLINE', firstSeenAt: now, lastSeenAt: now, seenInListing: listing,
});

/** The open incidents of agent `n` as stored, or none (a sweep that read them before another wrote). */
const openOf = (ctx: Context, n: number, stale: boolean): Incident[] => (stale ? [] : ctx.stored.openIncidents[AGENTS.indexOf(n)] ?? []);
const agentOfKey = (i: number): number => AGENTS[Math.floor(i / 2)]!;

/** The call a step makes, the same for both stores: its arguments resolved against what is stored. */
function callOf(s: Step, now: number, ctx: Context): (store: InspectableStore) => Promise<unknown> {
  switch (s.op) {
    case 'syncSchedule':
      return (store) => store.syncSchedule(s.keys.map((i) => KEYS[i]!), now);
    case 'claimDueKeys':
      return (store) => store.claimDueKeys(now, s.limit, { kind: s.kind, lane: s.lane }, s.leaseMs);
    case 'releaseClaims':
      return (store) => store.releaseClaims(ctx.claims.slice(0, s.take));
    case 'countDue':
      return (store) => store.countDue(now, { ...(s.kind ? { kind: s.kind } : {}), ...(s.lane ? { lane: s.lane } : {}) });
    case 'nextDueAt':
      return (store) => store.nextDueAt(s.kind);
    case 'claimIdleKeys': {
      // checkedBefore at, just before or just after a time something was checked: where the idle order decides.
      const checked = [now, ...ctx.stored.records.flatMap((r) => (r?.lastChecked ? [r.lastChecked] : []))];
      return (store) => store.claimIdleKeys(now, s.limit, s.kind, nth(checked, s.pick)! + s.plusMs);
    }
    case 'recordCheck':
      return (store) => store.recordCheck({ key: KEYS[s.key]!, observedAt: now, nextDue: now + s.nextInMs, ...(s.parked ? { parked: true } : {}) });
    case 'recordChange': {
      const key = KEYS[s.key]!;
      const rec: KeyRecord | null = ctx.stored.records[s.key] ?? null;
      const version = (rec?.version ?? 0) + (s.stale ? (rec?.version ? -1 : 1) : 0);
      const change = {
        key, expectedVersion: version, state: s.state, requestId: `req-${now}`, observedAt: now, nextDue: now + s.nextInMs,
        event: eventFor(key, rec?.state ?? null, s.state, version + 1, now), ...(s.parked ? { parked: true } : {}),
      };
      return (store) => store.recordChange(change);
    }
    case 'getRecordsForAgent':
      return (store) => store.getRecordsForAgent(uuidOf(s.agent));
    case 'putWatch':
      return (store) => store.putWatch(uuidOf(s.agent), s.kinds, now);
    case 'deleteWatch':
      return (store) => store.deleteWatch(uuidOf(s.agent));
    case 'getWatch':
      return (store) => store.getWatch(uuidOf(s.agent));
    case 'listOutbox':
      return (store) => store.listOutbox(s.limit);
    case 'claimDelivery':
      return (store) => store.claimDelivery(eventIdAt(ctx, s.pick), SINKS[s.sink]!, now, s.leaseMs);
    case 'updateDelivery': {
      const delivery: Delivery = s.status === 'pending'
        ? { status: 'pending', attempts: s.attempts, nextAttemptAt: now + s.nextInMs, lastError: s.attempts > 0 ? 'HTTP 503' : null, finishedAt: null }
        : { status: s.status, attempts: s.attempts, nextAttemptAt: 0, lastError: s.status === 'dead' ? 'HTTP 400' : null, finishedAt: now };
      return (store) => store.updateDelivery(eventIdAt(ctx, s.pick), SINKS[s.sink]!, delivery);
    }
    case 'removeFromOutbox':
      return (store) => store.removeFromOutbox(eventIdAt(ctx, s.pick));
    case 'addDeadLetter': {
      const entry: OutboxEntry | undefined = nth(ctx.stored.outbox, s.pick);
      const letter: DeadLetter = { event: entry?.event ?? extraEvent(`ev-dead-${now}`, now), sinkId: SINKS[s.sink]!, reason: `HTTP 4${s.pick % 10}0`, attempts: 3, deadAt: now };
      return (store) => store.addDeadLetter(letter);
    }
    case 'listDeadLetters':
      return (store) => store.listDeadLetters(s.limit);
    case 'replayDeadLetters': {
      const ids = s.picks === null ? null : s.picks.map((i) => nth(ctx.stored.deadLetters, i)?.event.id ?? 'ev-no-letter');
      return (store) => store.replayDeadLetters(ids, now);
    }
    case 'putLastSweep':
      return (store) => store.putLastSweep({
        requestId: `sweep-${now}`, startedAt: new Date(now).toISOString(), outcome: 'ok', error: null, checked: s.checked, changed: 0, published: 0,
        retried: 0, throttled: 0, failed: 0, dueLeft: 0, outboxLeft: 0, deadLetters: 0, tookMs: 10,
      });
    case 'claimPendingReads':
      return (store) => store.claimPendingReads(now, s.limit, s.leaseMs, s.kind);
    case 'releasePendingRead': {
      const read = nth(ctx.reads, s.pick) ?? { key: KEYS[0]!, forVersion: 1 };
      return (store) => store.releasePendingRead(read, now + s.retryInMs);
    }
    case 'recordSnapshot': {
      const key = KEYS[s.key]!;
      const stored = ctx.stored.snapshots[s.key] ?? null;
      const expectedTakenAt = s.stale ? (stored ? stored.takenAt - 1 : T0) : (stored?.takenAt ?? null);
      const read = ctx.reads.find((r) => r.key.uuid === key.uuid && r.key.kind === key.kind);
      const forVersion = read?.forVersion ?? ctx.stored.records[s.key]?.version ?? s.pick;
      const event = s.withEvent ? extraEvent(`ev-snap-${key.uuid}-${key.kind}-${now}`, now) : null;
      return (store) => store.recordSnapshot(key, expectedTakenAt, { encoded: `enc-${now}`, takenAt: now }, forVersion, event);
    }
    case 'claimDiscovery':
      return (store) => store.claimDiscovery(now, s.leaseMs);
    case 'saveDiscovery': {
      const cursor = { listing: s.listing, target: 0, offset: 100 * s.listing, targetsKey: 'k', startedAt: now, lastCompletedAt: null, skippedNoUuid: 0, lastSkippedNoUuid: 0 };
      return (store) => store.saveDiscovery(cursor, s.keepLeaseMs === null ? null : now + s.keepLeaseMs);
    }
    case 'putMachines':
      return (store) => store.putMachines(s.agents.map((n) => machine(n, now, s.listing, s.offline)));
    case 'getMachine':
      return (store) => store.getMachine(uuidOf(s.agent));
    case 'forgetMachine': {
      const event = s.withEvent ? extraEvent(`ev-gone-${uuidOf(s.agent)}-${now}`, now) : null;
      return (store) => store.forgetMachine(uuidOf(s.agent), s.lastListing, event);
    }
    case 'purgeUnwatched':
      return (store) => store.purgeUnwatched(now - s.agoMs, s.limit);
    case 'forgetAgent':
      return (store) => store.forgetAgent(uuidOf(s.agent));
    case 'expireDeadLetters':
      return (store) => store.expireDeadLetters(now - s.agoMs, s.maxPerSink, s.limit);
    case 'discardDeadLetters': {
      const filter = s.by === 'all' ? null : s.by === 'sink' ? { sinkIds: [SINKS[s.sink]!] } : { eventIds: s.picks.map((i) => nth(ctx.stored.deadLetters, i)?.event.id ?? 'ev-no-letter') };
      return (store) => store.discardDeadLetters(filter);
    }
    case 'recordReset':
      return (store) => store.recordReset({ at: now, storeId: `store-${s.storeId}`, previousStoreId: 'store-before', noticedBy: 'poll', lost: { apiWatches: s.apiWatches, outbox: null, deadLetters: 3 } });
    case 'acknowledgeReset':
      return (store) => store.acknowledgeReset();
    case 'recordChangeWithIncidents': {
      const key = KEYS[s.key]!;
      const rec: KeyRecord | null = ctx.stored.records[s.key] ?? null;
      const version = (rec?.version ?? 0) + (s.stale ? (rec?.version ? -1 : 1) : 0);
      const event = eventFor(key, rec?.state ?? null, s.state, version + 1, now);
      const incidents = incidentsForStatusChange(ALERTS, { uuid: key.uuid, kind: key.kind, state: s.state, eventId: event.id, at: now, open: openOf(ctx, agentOfKey(s.key), s.staleIncidents) });
      const change = { key, expectedVersion: version, state: s.state, requestId: `req-${now}`, observedAt: now, nextDue: now + 5_000, event, incidents };
      return (store) => store.recordChange(change);
    }
    case 'applyIncidents': {
      const writes = incidentsForStatusChange(ALERTS, { uuid: uuidOf(s.agent), kind: s.kind, state: s.state, eventId: `ev-inc-${now}`, at: now, open: openOf(ctx, s.agent, s.staleIncidents) });
      // Held back by a silence: the outbox entry is marked silenced.
      if (s.silenced) for (const w of writes) if (w.event) w.silenced = true;
      return (store) => store.applyIncidents(writes);
    }
    case 'claimDueIncidents':
      return (store) => store.claimDueIncidents(now, s.limit, s.leaseMs);
    case 'clockIncident': {
      const incident = nth(ctx.dueIncidents, s.pick);
      const writes = incident ? [incidentForClock(ALERTS, incident, now)] : [];
      return (store) => store.applyIncidents(writes);
    }
    case 'acknowledgeIncident': {
      const incident = nth(ctx.stored.incidents, s.pick);
      const w = incident ? acknowledgeIncident(ALERTS, incident, `user-${s.pick}`, s.pick % 2 ? 'on it' : undefined, now) : 'not_firing';
      return (store) => (typeof w === 'string' ? Promise.resolve(w) : store.applyIncidents([w]));
    }
    case 'resolveIncident': {
      const incident = nth(ctx.stored.incidents.filter((i) => i.state !== 'resolved'), s.pick);
      const writes = incident ? [resolveIncident(ALERTS, s.stale ? { ...incident, revision: incident.revision + 1 } : incident, 'recovered', now, null)] : [];
      return (store) => store.applyIncidents(writes);
    }
    case 'listIncidents': {
      const query = {
        limit: s.limit, ...(s.state ? { state: s.state } : {}), ...(s.type ? { type: s.type } : {}), ...(s.agent ? { uuid: uuidOf(s.agent) } : {}),
        ...(s.fromCursor && ctx.cursor ? { cursor: ctx.cursor } : {}),
      };
      return (store) => store.listIncidents(query);
    }
    case 'openIncidentsOf':
      return (store) => store.openIncidentsOf(uuidOf(s.agent));
    case 'purgeResolvedIncidents':
      return (store) => store.purgeResolvedIncidents(now - s.agoMs, s.limit);
    case 'putQuietRule': {
      const rule = quietRule(s.kind, s.id, now);
      return (store) => store.putQuietRule(s.kind, rule);
    }
    case 'deleteQuietRule':
      return (store) => store.deleteQuietRule(s.kind, `rule-${s.id}`);
    case 'endSilence':
      return (store) => store.endSilence(`rule-${s.id}`, now, `who-${now % 5}`);
    case 'addQuietHits':
      return (store) => store.addQuietHits(s.hits.map((h) => ({ kind: h.kind, id: `rule-${h.id}`, count: h.count, at: now - h.agoMs })));
    case 'noticeSilenceEnded':
      return (store) => store.noticeSilenceEnded(`rule-${s.id}`);
  }
}

/** What a step's answer leaves for later steps: claims to release, reads to release or answer. */
function remember(s: Step, answer: unknown, now: number, ctx: Context): void {
  if (s.op === 'claimDueKeys') ctx.claims = (answer as KeyRecord[]).map((record) => ({ record, claimedUntil: now + s.leaseMs }));
  if (s.op === 'claimPendingReads') ctx.reads = answer as PendingRead[];
  if (s.op === 'claimDueIncidents') ctx.dueIncidents = answer as Incident[];
  if (s.op === 'listIncidents') ctx.cursor = (answer as { nextCursor: string | null }).nextCursor;
}

/** An answer or a state as both stores must show it: as JSON (no undefined fields), or that it threw. */
const plain = (v: unknown): unknown => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
const settled = (p: Promise<unknown>): Promise<unknown> => p.then(plain, () => ({ threw: true }));

/**
 * Fails with the steps that led to a difference. fast-check shrinks a sequence from its front, so its
 * counterexample may keep steps after the one that failed; this list ends at that step.
 */
function same(what: string, redis: unknown, local: unknown, ran: Step[]): void {
  if (isDeepStrictEqual(redis, local)) return;
  let diff = '';
  try {
    expect(redis).toEqual(local);
  } catch (e) {
    diff = (e as Error).message;
  }
  throw new Error(`${what}, after these steps (step 0 is the start):\n${ran.map((s, i) => `  ${i}: ${JSON.stringify(s)}`).join('\n')}\n${diff}`);
}

// ------------------------------------------------------------------------------------------------ the test

/** Step 0 of every sequence: every key scheduled, as at the start of a sweep. */
const SWEEP_START: Step = { dt: 0, op: 'syncSchedule', keys: [...KEYS.keys()] };
const base = uniquePrefix();
let sequences = 0;

afterAll(() => deleteRedisPrefix(base));

test(`memory and Redis give the same answers and hold the same state after every step (${RUNS} random sequences of up to ${MAX_STEPS} port operations)`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(STEP, { minLength: 1, maxLength: MAX_STEPS, size: 'max' }), async (steps) => {
      const local = new MemoryStateStore();
      const redis = await RedisStateStore.open(REDIS_URL, { prefix: `${base}:${++sequences}` });
      try {
        let now = T0;
        const ctx: Context = { stored: await readAll(local, now), claims: [], reads: [], dueIncidents: [], cursor: null };
        const run = [SWEEP_START, ...steps];
        for (const [i, s] of run.entries()) {
          now += s.dt;
          const call = callOf(s, now, ctx);
          const answer = await settled(call(local));
          same(`step ${i} (${s.op}): Redis answered otherwise`, await settled(call(redis)), answer, run.slice(0, i + 1));
          remember(s, answer, now, ctx);
          ctx.stored = await readAll(local, now);
          same(`after step ${i} (${s.op}): Redis holds otherwise`, await settled(readAll(redis, now)), plain(ctx.stored), run.slice(0, i + 1));
        }
      } finally {
        await redis.close();
      }
    }),
    { seed: SEED, numRuns: RUNS, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)] },
  );
}, 60_000);
