// One sweep: check the due (uuid, kind) keys until the deadline within the rate budget, record each change
// exactly once (compare-and-set + outbox in one atomic step), publish the outbox, and summarise.
import { setMaxListeners } from 'node:events';
import type { Config } from '../config';
import { InvalidUuidError, type CwpClient } from '../cwp/client';
import { isTencentError } from '../errors';
import { buildStatusChangedEvent } from '../events';
import type { Logger } from '../log';
import { drainOutbox, type DrainResult } from '../sinks/deliver';
import type { Sink } from '../sinks/sink';
import { keyId, type StateStore } from '../state/store';
import type { CallStats } from '../tencent/types';
import type { KeyRecord, SweepSummary, TaskKind, TaskObservation } from '../types';
import { DueKeyFeeder } from './feeder';
import { nextDueAt, retryDueAt } from './schedule';
import { listAllWatches, watchedKeys } from './watchlist';

export interface SweepDeps {
  config: Config;
  store: StateStore;
  cwp: Pick<CwpClient, 'getTaskStatus'>;
  sinks: Sink[];
  logger: Logger;
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

/** A store call failed: the sweep stops, since it can no longer record what it sees. */
class StoreFailure extends Error {
  override readonly name = 'StoreFailure';
}

async function inStore<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new StoreFailure(`state store failed during ${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

export async function runSweep(deps: SweepDeps, window: SweepWindow): Promise<SweepSummary> {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const { config, store, cwp, sinks } = deps;
  const log = deps.logger.child({ requestId: window.requestId });
  const startedAt = now();
  const stats: CallStats = { retried: 0, throttled: 0 };
  const counts = { checked: 0, changed: 0, failed: 0, conflicts: 0 };
  let outcome: SweepSummary['outcome'] = 'ok';
  let error: string | null = null;

  const stop = new AbortController();
  // Every worker's in-flight call, rate-limit wait and sleep listens on this one signal: many listeners by design.
  setMaxListeners(0, stop.signal);
  const stopTimer = setTimeout(() => stop.abort(new Error('sweep deadline reached')), Math.max(0, window.pollUntil - now()));
  const fail = (kind: 'auth' | 'store' | 'error', message: string) => {
    if (outcome === 'ok') {
      outcome = kind;
      error = message;
    }
    stop.abort(new Error(message));
  };

  const publisher = new BackgroundPublisher(store, sinks, config.deliveryMaxAttempts, window.publishUntil, log, now);
  // What earlier runs left in the outbox (a run killed mid-publish, a delivery due for its retry) goes out now,
  // not at this run's end: only a recorded change kicks a drain, so a quiet run would hold it for its whole budget.
  publisher.kick();

  const recordTransition = async (rec: KeyRecord, obs: TaskObservation) => {
    const key = { uuid: rec.uuid, kind: rec.kind };
    let current = rec;
    // A conflict means another invocation wrote this key meanwhile; re-read and decide again, a few times at most.
    for (let attempt = 0; attempt < 3; attempt++) {
      const version = current.version + 1;
      const event = buildStatusChangedEvent({
        source: config.eventSource, uuid: rec.uuid, kind: rec.kind, previous: current.state, state: obs.state,
        version, observedAt: obs.observedAt, requestId: obs.requestId,
      });
      const nextDue = nextDueAt(obs.state, obs.observedAt, config.intervals, random);
      const recorded = await inStore('recordChange', () =>
        store.recordChange({ key, expectedVersion: current.version, state: obs.state, requestId: obs.requestId, observedAt: obs.observedAt, nextDue, event }),
      );
      if (recorded) {
        counts.changed++;
        log.info('state changed', { subject: event.subject, previous: current.state, state: obs.state, eventId: event.id });
        publisher.kick();
        return;
      }
      counts.conflicts++;
      const fresh = await inStore('getRecord', () => store.getRecord(key));
      // Someone else recorded this very state, or holds a newer observation: nothing for us to add.
      if (!fresh || fresh.state === obs.state || (fresh.lastChecked !== null && fresh.lastChecked > obs.observedAt)) return;
      current = fresh;
    }
  };

  const checkKey = async (rec: KeyRecord) => {
    const key = { uuid: rec.uuid, kind: rec.kind };
    let obs: TaskObservation;
    try {
      obs = await cwp.getTaskStatus(rec.kind, rec.uuid, { signal: stop.signal, deadline: window.pollUntil, stats });
    } catch (e) {
      if (stop.signal.aborted) return; // the deadline: the key stays due for the next run
      if (isTencentError(e) && e.row.kind === 'auth') {
        log.error('CWP rejected our credentials; stopping the sweep: every further call would fail the same way', { ...e.toLog(), fix: 'check TENCENTCLOUD_SECRET_ID/KEY or the execution role and its yunjing permissions' });
        fail('auth', `${e.code}: ${e.message}`);
        return;
      }
      counts.failed++;
      const detail = isTencentError(e) ? e.toLog() : { message: e instanceof Error ? e.message : String(e) };
      log.warn('check failed; the last known state stays', { subject: keyId(rec), ...detail });
      // A bad stored uuid will never succeed: push it far out. Anything else is retried soon.
      const due = e instanceof InvalidUuidError ? now() + config.intervals.unknownAgent * 1000 : retryDueAt(now(), config.intervals);
      await inStore('recordCheck', () => store.recordCheck({ key, observedAt: now(), nextDue: due }));
      return;
    }
    counts.checked++;
    if (obs.state === rec.state) {
      await inStore('recordCheck', () => store.recordCheck({ key, observedAt: obs.observedAt, nextDue: nextDueAt(obs.state, obs.observedAt, config.intervals, random) }));
    } else {
      await recordTransition(rec, obs);
    }
  };

  let dueLeft = 0;
  try {
    const kinds = await syncWatchedSchedule(config, store, now());
    const feeder = new DueKeyFeeder(store, now);
    const worker = async (kind: TaskKind) => {
      try {
        while (!stop.signal.aborted) {
          const rec = await inStore('dueKeys', () => feeder.next(kind));
          if (rec) {
            try {
              await checkKey(rec);
            } finally {
              feeder.done(rec);
            }
            continue;
          }
          // Nothing due for this kind now. Wait for the next due key if it comes before the deadline.
          const nextAt = window.keepPolling ? await inStore('nextDueAt', () => store.nextDueAt(kind)) : null;
          if (nextAt === null || nextAt >= window.pollUntil) return;
          await sleep(Math.max(10, Math.min(nextAt - now(), 1000)), stop.signal);
        }
      } catch (e) {
        // Stop the other workers now, not when they too hit the failure or the deadline (the catch below reports it).
        fail(e instanceof StoreFailure ? 'store' : 'error', e instanceof Error ? e.message : String(e));
        throw e;
      }
    };
    const workers: Promise<void>[] = [];
    for (const kind of kinds) for (let i = 0; i < WORKERS_PER_KIND; i++) workers.push(worker(kind));
    const settled = await Promise.allSettled(workers);
    const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (rejected) throw rejected.reason;
    await inStore('releaseClaims', () => feeder.release());
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    log.error(e instanceof StoreFailure ? 'the state store failed; stopping the sweep (recorded changes are kept)' : 'the sweep failed', { error: message });
    fail(e instanceof StoreFailure ? 'store' : 'error', message);
  } finally {
    clearTimeout(stopTimer);
    if (!stop.signal.aborted) stop.abort(new Error('sweep finished'));
  }

  const drained = await publisher.finish();
  let outboxLeft = drained.left;
  let deadLetters = 0;
  try {
    dueLeft = await store.countDue(now());
    outboxLeft = await store.countOutbox();
    deadLetters = await store.countDeadLetters();
  } catch (e) {
    fail('store', `state store failed while summarising: ${e instanceof Error ? e.message : String(e)}`);
  }

  const summary: SweepSummary = {
    requestId: window.requestId,
    startedAt: new Date(startedAt).toISOString(),
    outcome,
    error,
    checked: counts.checked,
    changed: counts.changed,
    published: drained.published,
    retried: stats.retried,
    throttled: stats.throttled,
    failed: counts.failed,
    dueLeft,
    outboxLeft,
    deadLetters,
    tookMs: now() - startedAt,
  };
  try {
    await store.putLastSweep(summary);
  } catch {
    // Already reported as a store failure above or below; the summary log line still goes out.
  }
  const line = { ...summary, conflicts: counts.conflicts, deliveryRetries: drained.retried, newDeadLetters: drained.dead, disabledSinks: drained.disabled };
  if (outcome === 'ok') log.info('sweep summary', line);
  else log.error('sweep summary', line);
  return summary;
}

/**
 * Makes the store's schedule hold exactly the watched keys; returns the kinds watched. A function of its own so
 * that the watch list and its keys (tens of thousands of objects with a large watch list) are garbage once the
 * schedule is synced, instead of staying reachable from runSweep's frame for the whole sweep.
 */
async function syncWatchedSchedule(config: Config, store: StateStore, now: number): Promise<TaskKind[]> {
  const watches = await inStore('listWatches', () => listAllWatches(config, store));
  const kinds = new Set<TaskKind>();
  for (const w of watches) for (const kind of w.kinds) kinds.add(kind);
  await inStore('syncSchedule', () => store.syncSchedule(watchedKeys(watches), now));
  return [...kinds];
}

/**
 * Publishes while the sweep polls, so an event does not wait for the sweep's end: each recorded change
 * "kicks" a drain; kicks during a drain coalesce into one more drain. finish() runs a last drain.
 */
class BackgroundPublisher {
  private running: Promise<void> | null = null;
  private again = false;
  private total: DrainResult = { published: 0, retried: 0, dead: 0, left: 0, disabled: [] };
  /** Shared by every drain of this run, so a URL that answered 410 stays off for the whole run. */
  private readonly disabled = new Set<string>();

  constructor(
    private readonly store: StateStore,
    private readonly sinks: Sink[],
    private readonly maxAttempts: number,
    private readonly deadline: number,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  async finish(): Promise<DrainResult> {
    while (this.running) await this.running;
    await this.drainOnce();
    return this.total;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.drainOnce();
    } while (this.again && this.now() < this.deadline);
  }

  private async drainOnce(): Promise<void> {
    if (this.now() >= this.deadline) return;
    try {
      const r = await drainOutbox(this.store, this.sinks, { maxAttempts: this.maxAttempts, deadline: this.deadline, now: this.now, logger: this.logger, disabled: this.disabled });
      this.total.published += r.published;
      this.total.retried += r.retried;
      this.total.dead += r.dead;
      this.total.left = r.left;
      for (const d of r.disabled) if (!this.total.disabled.includes(d)) this.total.disabled.push(d);
    } catch (e) {
      // Events stay in the outbox; the next drain or run takes them.
      this.logger.error('publishing failed; events stay in the outbox', { error: e instanceof Error ? e.message : String(e) });
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
