// One sweep: make sure of the store (the sweep lease of a file store; its identity, to notice a reset), sync the
// schedule with the watch list, run the workers (each checks due keys, lib/sweep/check.ts, until the deadline,
// within the rate budget), release what they claimed but did not check, forget what retention says is due, and
// summarise. Changes are published while the sweep runs (publisher.ts); what is left stays in the outbox.
import { setMaxListeners } from 'node:events';
import type { Config } from '../config';
import { scansAccount, type AccountScanPort, type CwpPort } from '../cwp/port';
import type { Logger } from '../log';
import type { Sink } from '../sinks/sink';
import { StoreIdentityWatch } from '../state/identity-watch';
import type { Quiet } from '../alerts/quiet';
import { isStoreError, type CounterPort, type DeadLetterPort, type HistoryPort, type FleetPort, type HealthPort, type IncidentPort, type OutboxPort, type RegisterPort, type ResultsPort, type RetentionPort, type SchedulePort, type StorePort, type SweepLease, type WatchPort } from '../state/store';
import type { ServerClock } from '../tencent/clock';
import type { RequestTally } from '../metrics/requests';
import type { CallStats } from '../tencent/types';
import type { MachineInfo, StoreReset, SweepSummary, TaskKey, TaskKind } from '../types';
import { sinkLabel } from '../util/redact';
import { checkKey, type SweepContext, type SweepCounts } from './check';
import { DueKeyFeeder } from './feeder';
import { BackgroundPublisher, CLOCK_WAIT_MS, RunClock } from './publisher';
import { applyRetention, type RetentionCounts } from './retention';
import { readPendingResults, type ResultCounts } from './results';
import { runDiscovery, type DiscoveryCounts } from './discovery';
import { forgetOldSilences, loadQuietRules, noticeEndedSilences, releaseHeldIncidents, saveQuietHits, type QuietSweepStore, type StillFiring } from './quiet';
import { purgeOldIncidents, resolveUnwatchedIncidents, runIncidentClock, type IncidentCounts, type IncidentSweepContext } from './incidents';
import { runAccountScan, type ScanCounts } from './scan';
import { listAllWatches, watchedKeys } from './watchlist';
import { sleepUnlessAborted } from '../util/abort';

/** The ports a sweep uses. */
export type SweepStore = SchedulePort & Pick<WatchPort, 'listWatches'> & OutboxPort & ResultsPort & FleetPort & Pick<DeadLetterPort, 'countDeadLetters'> & Pick<HealthPort, 'putLastSweep'>
  & Pick<StorePort, 'identity' | 'recordReset' | 'acquireSweepLease'> & Pick<RetentionPort, 'purgeUnwatched' | 'expireDeadLetters'> & RegisterPort
  & Pick<IncidentPort, 'openIncidentsOf' | 'applyIncidents' | 'claimDueIncidents' | 'nextIncidentDueAt' | 'agentsWithOpenIncidents' | 'purgeResolvedIncidents'> & QuietSweepStore
  & Partial<Pick<CounterPort, 'incrementCounters'> & Pick<HistoryPort, 'trimHistory'>>;

export interface SweepDeps {
  config: Config;
  store: SweepStore;
  /**
   * The machine listing (readMachines, machineRegions) is needed only with WATCH_DISCOVER; a backend that scans the
   * account (AccountScanPort: cwp) also has its scan followed, COLLECT_EVERY started as one scan, and the look.
   */
  cwp: Pick<CwpPort, 'getTaskStatus' | 'createTask' | 'readResults' | 'stopFor'> & Partial<Pick<CwpPort, 'readMachines' | 'machineRegions'>> & Partial<AccountScanPort>;
  sinks: Sink[];
  logger: Logger;
  /**
   * The store id this function's instance saw last (lib/runtime keeps one per instance): a change is a reset. Default:
   * one for this sweep alone, which notices nothing.
   */
  identityWatch?: StoreIdentityWatch;
  /**
   * The Date readings of the runtime's Tencent clients: the sweep sends to sinks that check timestamps only once it
   * knows the clock is not too far off. Default: none; such sinks are sent to without waiting, as if the clock were right.
   */
  clock?: ServerClock;
  /** The runtime's count of CWP requests (cwp_bridge_cwp_requests_total), written to the store once at the sweep's end. */
  requests?: RequestTally;
  now?: () => number;
  random?: () => number;
}

export interface SweepWindow {
  requestId: string;
  /** Epoch ms: no new check starts after this. */
  pollUntil: number;
  /** Epoch ms: publishing stops here; the rest stays in the outbox for the next run. */
  publishUntil: number;
  /**
   * Keep polling keys that come due before pollUntil (an active COLLECTING task is due every few seconds).
   * A sweep with nothing due before its deadline ends at once either way.
   */
  keepPolling: boolean;
}

/** Checks in flight per task kind: 20 requests/s at up to ~400 ms a call needs about 8 in flight. */
export const WORKERS_PER_KIND = 10;

type Outcome = SweepSummary['outcome'];

/** How a sweep stops early: the first reason wins, and every worker's call listens on one signal. */
class SweepStop {
  readonly controller = new AbortController();
  outcome: Outcome = 'ok';
  error: string | null = null;
  /** The outcome was reported by report(), not a stop: a stop that comes later wins over it. */
  private reported = false;

  constructor() {
    // Every worker's in-flight call, rate-limit wait and sleep listens on this one signal: many listeners by design.
    setMaxListeners(0, this.controller.signal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  fail(outcome: Exclude<Outcome, 'ok'>, message: string): void {
    if (this.outcome === 'ok' || this.reported) {
      this.outcome = outcome;
      this.error = message;
      this.reported = false;
    }
    this.controller.abort(new Error(message));
  }

  /** An outcome that does not stop the sweep (store_reset, clock): the run goes on, and says so at its end. */
  report(outcome: 'store_reset' | 'clock', message: string): void {
    if (this.outcome !== 'ok') return;
    this.outcome = outcome;
    this.error = message;
    this.reported = true;
  }

  /** A failure thrown by a worker or a step: a store failure stops with `store`, anything else with `error`. */
  failWith(e: unknown): void {
    if (isStoreError(e)) this.fail('store', `state store failed during ${e.operation}: ${e.message}`);
    else this.fail('error', e instanceof Error ? e.message : String(e));
  }

  end(): void {
    if (!this.signal.aborted) this.controller.abort(new Error('sweep finished'));
  }
}

export async function runSweep(deps: SweepDeps, window: SweepWindow): Promise<SweepSummary> {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ requestId: window.requestId });
  const startedAt = now();
  // One process at a time on a file store; a failure to take the lease is the store failing, reported as such.
  let lease: SweepLease = { kind: 'shared' };
  let leaseError: unknown = null;
  try {
    lease = await deps.store.acquireSweepLease();
  } catch (e) {
    leaseError = e;
  }
  if (lease.kind === 'busy') return busySummary(lease.holder, window.requestId, startedAt, now, log);
  try {
    return await sweep(deps, window, log, startedAt, leaseError);
  } finally {
    if (lease.kind === 'held') await lease.release().catch((e: unknown) => log.warn('could not give up the sweep lease; it lapses on its own', { error: e instanceof Error ? e.message : String(e) }));
  }
}

/**
 * Another process sweeps this file store: this run does nothing and says who holds it, at warn (not error: two
 * overlapping timer runs are normal), without replacing the holder's last-sweep record that /healthz shows.
 */
function busySummary(holder: string, requestId: string, startedAt: number, now: () => number, log: Logger): SweepSummary {
  const summary: SweepSummary = {
    requestId, startedAt: new Date(startedAt).toISOString(), outcome: 'busy',
    error: `another process holds this file store's sweep lease (${holder}); this run ends at once. Expected when two poll processes share a file: store (one sweeps at a time); use STATE_STORE=redis://... to run several`,
    checked: 0, changed: 0, published: 0, retried: 0, throttled: 0, failed: 0, dueLeft: 0, outboxLeft: 0, deadLetters: 0, tookMs: now() - startedAt,
  };
  log.warn('sweep summary', { ...summary, holder });
  return summary;
}

async function sweep(deps: SweepDeps, window: SweepWindow, log: Logger, startedAt: number, leaseError: unknown): Promise<SweepSummary> {
  const now = deps.now ?? Date.now;
  const { config, store } = deps;
  const stop = new SweepStop();
  const stopTimer = setTimeout(() => stop.controller.abort(new Error('sweep deadline reached')), Math.max(0, window.pollUntil - now()));
  const identityWatch = deps.identityWatch ?? new StoreIdentityWatch('poll');

  // With a sink that checks timestamps, the first drain waits for the run's first Tencent Cloud answer (its Date).
  const clock = deps.clock && deps.sinks.some((s) => s.checksTimestamps) ? new RunClock(deps.clock, startedAt, Math.min(startedAt + CLOCK_WAIT_MS, window.publishUntil)) : undefined;
  const publisher = new BackgroundPublisher(store, deps.sinks, config.delivery.maxAttempts, window.publishUntil, log, now, clock ? { clock } : {});
  // What earlier runs left in the outbox (a run killed mid-publish, a delivery due for its retry) goes out now,
  // not at this run's end: only a recorded change kicks a drain, so a quiet run would hold it for its whole budget.
  publisher.kick();

  const stats: CallStats = { retried: 0, throttled: 0 };
  const counts: SweepCounts = { checked: 0, changed: 0, failed: 0, conflicts: 0, collectionsStarted: 0 };
  const results: ResultCounts = { read: 0, diffs: 0, failed: 0 };
  /** The machine listing's machines by uuid (WATCH_DISCOVER), for the watch list and the events' names. */
  const machines = new Map<string, MachineInfo>();
  const machineOf = (uuid: string) => machines.get(uuid);
  const incidentCounts: IncidentCounts = { fired: 0, resolved: 0 };
  const cwp = deps.cwp;
  const accountScan = scansAccount(cwp) ? cwp : null;

  // Spare budget only in a sweep that keeps polling until its deadline (the timer's sweep).
  const feeder = new DueKeyFeeder(store, now, window.keepPolling ? { ratePerSecond: config.cwp.idleRate } : null);
  let discovery: DiscoveryCounts | null = null;
  let scanned: ScanCounts | null = null;
  let discovering = false;
  let quiet: Quiet | null = null;
  try {
    if (leaseError) throw leaseError;
    // The store's id goes into every event id; a store that is not the one this instance saw is reported (the run goes on).
    const { identity, reset } = await identityWatch.check(store, now(), log);
    if (reset) stop.report('store_reset', resetMessage(reset));
    const storeId = identity.storeId;
    // Silences, maintenance windows and expectations: read once, matched in memory by every incident write of the sweep.
    const loaded = await loadQuietRules(store, config, machines);
    quiet = loaded.quiet;
    const alerts = { storeId, source: config.eventSource, settings: config.alerts, quiet };
    const incidents: IncidentSweepContext = {
      store, alerts, log, now, signal: stop.signal, pollUntil: window.pollUntil, keepPolling: window.keepPolling, counts: incidentCounts, onChange: () => publisher.kick(),
    };
    const ctx: SweepContext = {
      // On an account-scanning backend COLLECT_EVERY starts one scan per period (scan.ts), not one per key.
      storeId, eventSource: config.eventSource, intervals: config.sweep.intervals, collectEveryMs: accountScan ? null : config.sweep.collectEveryMs, store, cwp, log, now, random: deps.random ?? Math.random,
      signal: stop.signal, pollUntil: window.pollUntil, stats, counts, alerts, incidentCounts,
      onChange: () => publisher.kick(),
      fail: (outcome, message) => stop.fail(outcome, message),
      machineOf,
    };
    const { kinds, watchedKinds, apiWatches, keys } = await syncWatchedSchedule(config, store, now(), machines, incidents, accountScan !== null);
    identityWatch.saw({ apiWatches });
    await purgeOldIncidents(incidents);
    const stillFiring: StillFiring = { bySilence: new Map(), complete: false };
    await releaseHeldIncidents({ ...incidents, store }, loaded.rules, stillFiring);
    await noticeEndedSilences(store, loaded.rules, now(), log, { storeId, source: config.eventSource, stillFiring });
    await forgetOldSilences(store, loaded.rules, now() - config.alerts.retentionMs, log);
    const resultsCtx = {
      storeId, store, cwp, eventSource: config.eventSource, log, now, signal: stop.signal, pollUntil: window.pollUntil,
      keepPolling: window.keepPolling, counts: results, onChange: () => publisher.kick(), machineOf, incidents,
    };
    const readers = readPendingResults(resultsCtx).catch((e: unknown) => {
      stop.failWith(e);
      throw e;
    });
    const scanning = accountScan
      ? (async () => {
          accountScan.rememberMachines([...machines.values()]);
          scanned = await runAccountScan({ cwp: accountScan, store, watched: keys, collectEveryMs: config.sweep.collectEveryMs, ctx, results: resultsCtx, keepPolling: window.keepPolling });
        })().catch((e: unknown) => {
          stop.failWith(e);
          throw e;
        })
      : null;
    const discover = config.watch.discover;
    const readMachines = cwp.readMachines?.bind(cwp);
    const machineRegions = cwp.machineRegions?.bind(cwp);
    const listing = discover && readMachines && machineRegions
      ? (async () => {
          discovering = true;
          try {
            discovery = await runDiscovery({
              discover, watchKinds: config.watch.kinds, eventSource: config.eventSource, store, cwp: { readMachines, machineRegions, stopFor: (e) => cwp.stopFor(e) },
              watchedKinds, machines, ctx, incidents, log, now, signal: stop.signal, pollUntil: window.pollUntil, stats,
            });
            // New machines are watched, forgotten ones unwatched (and their incidents resolved), in this very sweep.
            if (discovery.added > 0 || discovery.forgotten > 0) await syncWatchedSchedule(config, store, now(), machines, incidents);
          } finally {
            discovering = false;
          }
        })().catch((e: unknown) => {
          stop.failWith(e);
          throw e;
        })
      : null;
    const clock = runIncidentClock(incidents).catch((e: unknown) => {
      stop.failWith(e);
      throw e;
    });
    await Promise.all([runWorkers(ctx, feeder, kinds, window.keepPolling, store, stop, () => discovering), readers, listing, scanning, clock]);
  } catch (e) {
    log.error(isStoreError(e) ? 'the state store failed; stopping the sweep (recorded changes are kept)' : 'the sweep failed', { error: e instanceof Error ? e.message : String(e) });
    stop.failWith(e);
  } finally {
    clearTimeout(stopTimer);
    stop.end();
  }
  await releaseClaims(feeder, window.publishUntil, now, log);
  const quietCounts = quiet === null || stop.outcome === 'store' ? null : await saveQuietHits(store, quiet).catch((e: unknown) => {
    log.warn('the hits of silences, windows and expectations were not saved', { error: e instanceof Error ? e.message : String(e) });
    return null;
  });
  const retention = stop.outcome === 'store' ? { forgotten: 0, deadLettersExpired: 0 } : await applyRetention(store, config.retention, now, window.publishUntil, log).catch((e: unknown): RetentionCounts => {
    stop.fail('store', `state store failed while forgetting what retention says is due: ${e instanceof Error ? e.message : String(e)}`);
    return { forgotten: 0, deadLettersExpired: 0 };
  });

  const drained = await publisher.finish();
  if (deps.requests && store.incrementCounters && stop.outcome !== 'store') {
    const counters = store as Required<Pick<SweepStore, 'incrementCounters'>>;
    await deps.requests.flush(counters).catch((e: unknown) => log.warn('could not count the CWP requests (they are counted with the next sweep)', { error: e instanceof Error ? e.message : String(e) }));
  }
  const clockHeld = publisher.clockHeld;
  if (clockHeld?.state === 'off') stop.report('clock', clockMessage(clockHeld.offsetMs ?? 0, drained.heldForClock ?? 0));
  const summary = await summarise(store, drained, { requestId: window.requestId, startedAt, now, stats, counts, stop, retention });
  identityWatch.saw({ outbox: summary.summary.outboxLeft, deadLetters: summary.summary.deadLetters });
  const listed = discovery as DiscoveryCounts | null;
  const scan = scanned as ScanCounts | null;
  const line = {
    ...summary.summary, conflicts: counts.conflicts, collectionsStarted: counts.collectionsStarted, spareChecks: feeder.idleChecks,
    resultsRead: results.read, resultsChanged: results.diffs, resultReadsFailed: results.failed,
    incidentsFired: incidentCounts.fired, incidentsResolved: incidentCounts.resolved, ...(quietCounts ? { incidentsHeldBack: quietCounts.heldBack, incidentsExpected: quietCounts.expected } : {}), ...summary.delivery,
    ...(listed ? { discovery: listed } : {}), ...(scan ? { scan } : {}),
    ...(clockHeld ? { clock: { state: clockHeld.state, offsetSeconds: clockHeld.offsetMs === null ? null : Math.round(clockHeld.offsetMs / 1000) } } : {}),
  };
  if (summary.summary.outcome === 'ok') log.info('sweep summary', line);
  else log.error('sweep summary', line);
  return summary.summary;
}

/**
 * Makes the store's schedule hold exactly the watched keys (with WATCH_DISCOVER, the machines found too, loaded
 * into `machines`), and resolves the incidents of agents no longer watched; returns the kinds to work on and the
 * kinds of each env and API watch. A function of its own so that the watch list and its keys (tens of thousands of
 * objects with a large watch list) are garbage once the schedule is synced, instead of staying reachable from
 * runSweep's frame for the whole sweep.
 */
async function syncWatchedSchedule(config: Config, store: SweepStore, now: number, machines: Map<string, MachineInfo>, incidents: IncidentSweepContext, keepKeys = false): Promise<{ kinds: TaskKind[]; watchedKinds: Map<string, TaskKind[]>; apiWatches: number; keys: TaskKey[] }> {
  const stored = await store.listWatches();
  if (config.watch.discover) {
    machines.clear();
    for (const m of await store.listMachines()) machines.set(m.uuid, m);
  }
  const watches = listAllWatches(config.watch, stored, [...machines.values()]);
  const kinds = new Set<TaskKind>(config.watch.discover ? config.watch.kinds : []);
  const watchedKinds = new Map<string, TaskKind[]>();
  for (const w of watches) {
    for (const kind of w.kinds) kinds.add(kind);
    if (w.source !== 'discovered') watchedKinds.set(w.uuid, w.kinds);
  }
  const keys = watchedKeys(watches);
  await store.syncSchedule(keys, now);
  await resolveUnwatchedIncidents(incidents, watches);
  // Only the account's scan needs the keys past this point (COLLECT_EVERY's batch, the look).
  return { kinds: [...kinds], watchedKinds, apiWatches: stored.length, keys: keepKeys ? keys : [] };
}

/** The summary's error for a reset store: what is gone, and what to do. */
function resetMessage(reset: StoreReset): string {
  const lost = reset.lost;
  const known = [
    lost.apiWatches !== null ? `${lost.apiWatches} API watch${lost.apiWatches === 1 ? '' : 'es'}` : null,
    lost.outbox !== null ? `${lost.outbox} event${lost.outbox === 1 ? '' : 's'} waiting in the outbox` : null,
    lost.deadLetters !== null ? `${lost.deadLetters} dead letter${lost.deadLetters === 1 ? '' : 's'}` : null,
  ].filter((x): x is string => x !== null);
  return `the state store was reset (store id ${reset.previousStoreId} is gone, now ${reset.storeId}): what it held is lost${known.length > 0 ? ` (${known.join(', ')} when this instance last looked)` : ''}; `
    + 'restore the API watches with POST /v1/watches/import, then POST /v1/store/reset-acknowledged';
}

/** The summary's error for a clock too far off to send to the sinks that check timestamps. */
function clockMessage(offsetMs: number, held: number): string {
  const s = Math.round(Math.abs(offsetMs) / 1000);
  return `this machine's clock is ${s} s ${offsetMs < 0 ? 'ahead of' : 'behind'} Tencent Cloud's (the Date of its API answers): nothing was sent to the sinks that check timestamps `
    + `(${held} deliver${held === 1 ? 'y' : 'ies'} held in the outbox, none dead-lettered); set the clock right (NTP)`;
}

/**
 * WORKERS_PER_KIND workers per watched kind, each taking the next due key from the feeder and checking it,
 * until the deadline (or, with keepPolling off, until nothing is due). A worker that fails stops the others at
 * once, not when they too hit the failure or the deadline; the first failure is rethrown.
 */
async function runWorkers(ctx: SweepContext, feeder: DueKeyFeeder, kinds: TaskKind[], keepPolling: boolean, store: Pick<SchedulePort, 'nextDueAt'>, stop: SweepStop, discovering: () => boolean): Promise<void> {
  const worker = async (kind: TaskKind) => {
    try {
      while (!ctx.signal.aborted) {
        const rec = await feeder.next(kind);
        if (rec) {
          // A key whose check recorded nothing (cut by the deadline, or a store failure) stays with the feeder,
          // so release() gives it back at once instead of leaving it claimed for the whole lease.
          if (await checkKey(ctx, rec)) feeder.done(rec);
          // A check may answer without I/O (cwp infers a state from what it has read): let timers and sockets run.
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        // Nothing due for this kind now, and no spare-budget check either. Wait for the next due key (or spare
        // check) if it comes before the deadline; while discovery runs, new keys may come: wait for them too.
        const nextDue = keepPolling ? await store.nextDueAt(kind) : null;
        // Nothing of this kind is scheduled (or the sweep does not wait): no due key and no spare check can come.
        if (nextDue === null && !discovering()) return;
        const nextSpare = feeder.idleReadyAt(kind);
        const nextAt = Math.min(nextDue ?? Infinity, nextSpare ?? Infinity);
        if (nextAt >= ctx.pollUntil && !discovering()) return;
        await sleepUnlessAborted(Math.max(10, Math.min(nextAt - ctx.now(), 1000)), ctx.signal);
      }
    } catch (e) {
      stop.failWith(e);
      throw e;
    }
  };
  const workers: Promise<void>[] = [];
  for (const kind of kinds) for (let i = 0; i < WORKERS_PER_KIND; i++) workers.push(worker(kind));
  const settled = await Promise.allSettled(workers);
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
}

/**
 * Gives back the keys claimed but not checked. After a store failure this is tried again until the publish
 * deadline, so keys go back as soon as the store answers again rather than after their lease.
 */
async function releaseClaims(feeder: DueKeyFeeder, until: number, now: () => number, log: Logger): Promise<void> {
  for (;;) {
    try {
      await feeder.release();
      return;
    } catch (e) {
      if (now() + RELEASE_RETRY_MS >= until) {
        log.warn('could not give back the claimed keys; they are due again when their lease ends', { error: e instanceof Error ? e.message : String(e) });
        return;
      }
      await new Promise((r) => setTimeout(r, RELEASE_RETRY_MS));
    }
  }
}

/** How often a failed release of claims is tried again. */
const RELEASE_RETRY_MS = 200;

interface SummaryInput {
  requestId: string;
  startedAt: number;
  now: () => number;
  stats: CallStats;
  counts: SweepCounts;
  stop: SweepStop;
  retention: RetentionCounts;
}

/** The summary line of the run, also kept in the store for /healthz; the delivery figures go only to the log. */
async function summarise(store: SweepStore, drained: Awaited<ReturnType<BackgroundPublisher['finish']>>, input: SummaryInput) {
  const { now, stats, counts, stop } = input;
  let dueLeft = 0;
  let outboxLeft = drained.left;
  let deadLetters = 0;
  try {
    dueLeft = await store.countDue(now());
    outboxLeft = await store.countOutbox();
    deadLetters = await store.countDeadLetters();
  } catch (e) {
    stop.fail('store', `state store failed while summarising: ${e instanceof Error ? e.message : String(e)}`);
  }
  // A sweep that checked nothing successfully while some checks failed is not ok, whatever the reason.
  if (stop.outcome === 'ok' && counts.checked === 0 && counts.failed > 0) {
    stop.outcome = 'failing';
    stop.error = `every check of this sweep failed (${counts.failed}); see the log's 'check failed' lines`;
  }
  const summary: SweepSummary = {
    requestId: input.requestId,
    startedAt: new Date(input.startedAt).toISOString(),
    outcome: stop.outcome,
    error: stop.error,
    checked: counts.checked,
    changed: counts.changed,
    published: drained.published,
    retried: stats.retried,
    throttled: stats.throttled,
    failed: counts.failed,
    dueLeft,
    outboxLeft,
    deadLetters,
    forgotten: input.retention.forgotten,
    deadLettersExpired: input.retention.deadLettersExpired,
    tookMs: now() - input.startedAt,
  };
  try {
    await store.putLastSweep(summary);
  } catch {
    // Already reported as a store failure above or below; the summary log line still goes out.
  }
  const delivery = { deliveryRetries: drained.retried, newDeadLetters: drained.dead, disabledSinks: drained.disabled.map((id) => sinkLabel(id)), ...(drained.heldForClock ? { heldForClock: drained.heldForClock } : {}) };
  return { summary, delivery };
}
