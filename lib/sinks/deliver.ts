// The outbox drain: delivers each outbox event to each sink at least once, keeps the delivery state per event
// per sink, and turns what cannot be delivered into dead letters. Sinks only try once (sink.ts); what a send's
// result does to a delivery (next attempt, dead letter, disable) is decided by retry-policy.ts; this file
// claims, sends, and writes those decisions. A drain (OutboxDrain) reads the outbox page by page, and each page in
// four named steps: plan (which deliveries are due, as per-subject chains per sink), single send (sendChains) or
// batch send (sendBatches), record (what each result does to its delivery), then settle (which entries leave the
// outbox). Each step's choices are written beside it; these hold throughout:
// - Delivery state is per (event, sink). A sink that is down never makes another sink see an event twice: the
//   up sink's delivery is `delivered` and is skipped on every later drain; only the down sink is retried.
// - Concurrent drains (two SCF instances on one Redis store, or a sweep and an API replay) do not send one
//   (event, sink) twice: each send is preceded by store.claimDelivery, a lease that the delivery's next write
//   clears; a drain that crashes mid-send leaves a claim that simply expires (how long: leaseFor).
// - "A run" is what shares one DeliveryRun: one sweep (every drain of a lib/sweep run); a drain without one is a
//   run of its own. A run remembers the sinks it disabled and the retries it already warned of.
import { isNotice } from '../events/silence-ended';
import { setMaxListeners } from 'node:events';
import { CounterBatch, DELIVERIES } from '../state/counters';
import type { CounterPort } from '../state/store';
import type { Logger } from '../log';
import { canClaimDelivery } from '../state/rules';
import type { OutboxPort } from '../state/store';
import type { ClockVerdict, Delivery, OutboxEntry } from '../types';
import { anySignal } from '../util/abort';
import { redactSinkSecrets, sinkLabel } from '../util/redact';
import { deadDelivery, nextDelivery, releasedDelivery } from './retry-policy';
import { isBatchSink, type BatchSink, type SendResult, type Sink } from './sink';

/** How a sink id is shown (logs, reasons, the API): one definition, in lib/util/redact.ts, which the api bundle imports without the sinks. */
export { sinkLabel } from '../util/redact';
export { BACKOFF_BASE_MS, BACKOFF_CAP_MS, JITTER_FLOOR, backoffCeilingMs, backoffMs, retryDelayMs, nextDelivery, type DeliveryDecision, type SendOutcome } from './retry-policy';

const DEFAULT_BATCH_SIZE = 200;
/** The claim on a delivery to a sink that does not bound its sends (no Sink.maxSendMs). */
export const DEFAULT_LEASE_MS = 5 * 60_000;
/** Added to a sink's maxSendMs: the outcome's write after the send, event-loop lag, clock skew between instances. */
export const LEASE_MARGIN_MS = 5_000;

/**
 * How long a drain's claim on one delivery to `sink` holds off other drains: the sink's own bound on one send
 * (Sink.maxSendMs: a webhook's timeout, WEBHOOK_TIMEOUT_MS, 5 s by default) plus LEASE_MARGIN_MS for writing the
 * outcome after the send, event-loop lag and clock skew between instances. It must outlast any send of a live
 * drain, or a second drain would send the event again while the first is still waiting for its answer; beyond
 * that, a longer lease only delays what a killed drain (SCF timeout, OOM, SIGKILL) had claimed: with a fixed
 * 5-minute lease the next run skipped those events, and their subjects' successors, for five minutes. So with the
 * defaults a webhook delivery a killed drain had in flight goes out again 10 s after its claim. A sink that does
 * not bound its sends (no maxSendMs) keeps DEFAULT_LEASE_MS. DrainOptions.leaseMs overrides both (tests).
 */
export function leaseFor(sink: Pick<Sink, 'maxSendMs'>, override?: number): number {
  if (override !== undefined) return override;
  const max = sink.maxSendMs;
  return max !== undefined && Number.isFinite(max) && max >= 0 ? Math.min(DEFAULT_LEASE_MS, max + LEASE_MARGIN_MS) : DEFAULT_LEASE_MS;
}

export interface DrainOptions {
  /** Attempts per event per sink before it becomes a dead letter (DELIVERY_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Stops new sends when aborted, and is passed to the sinks so sends in flight can stop too. */
  signal?: AbortSignal;
  /** Epoch ms (on `now`'s clock) after which no new send starts. */
  deadline?: number;
  now?: () => number;
  random?: () => number;
  logger: Logger;
  /** Outbox entries read per page. Default 200. */
  batchSize?: number;
  /**
   * The run this drain belongs to: pass one DeliveryRun to every drain of a sweep. Sinks it disabled are
   * skipped (a 410'd URL stays off for the whole run instead of losing one more event per drain), and a retried
   * failure is a warn once per (event, sink) per run (OutboxDrain.record). Default: a run of its own.
   */
  run?: DeliveryRun;
  /**
   * How long a claim on one (event, sink) holds off other drains, for every sink. Default: per sink, its
   * maxSendMs plus LEASE_MARGIN_MS, or DEFAULT_LEASE_MS (5 minutes) for a sink without a bound (leaseFor).
   */
  leaseMs?: number;
  /**
   * How this machine's clock stands against Tencent Cloud's (lib/tencent/clock.ts), for the sinks that check
   * timestamps (Sink.checksTimestamps): `off`, they get nothing in this drain; `suspect` or `unknown`, their
   * refusals are retried, not dead (retry-policy.ts). Default: ok (the caller knows no better).
   */
  clock?: ClockVerdict;
}

export interface DrainResult {
  /** Successful deliveries (event × sink). */
  published: number;
  /** Failed attempts left for a later drain. */
  retried: number;
  /** Sends a sink deferred (no room in its rate limit): not attempts, due again shortly. */
  deferred: number;
  /** Deliveries that became dead letters in this drain. */
  dead: number;
  /** Outbox entries still pending after the drain. */
  left: number;
  /** Sinks disabled during this drain (webhook 410). */
  disabled: string[];
  /** Deliveries not tried because their sink checks timestamps and this machine's clock is too far off (unset: none). */
  heldForClock?: number;
  /** The earliest time a delivery this drain left pending comes due (a retry, a deferral, a claim ending); unset: none. */
  nextAttemptAt?: number;
}

const isFinal = (d: Delivery | undefined): boolean => d !== undefined && d.status !== 'pending';

/**
 * Whether `sink` takes the entry's event: routing, an incident notification a silence holds back only if the
 * sink ignores silences (<P>_IGNORE_SILENCES), and a notice (no published type) only if it takes notices (the
 * chat robots). A throwing accepts() means yes: rather a send than a silent drop.
 */
function accepts(sink: Sink, entry: Pick<OutboxEntry, 'event' | 'silenced'>): boolean {
  if (entry.silenced === true && sink.ignoresSilences !== true) return false;
  if (isNotice(entry.event) && sink.takesNotices !== true) return false;
  if (!sink.accepts) return true;
  try {
    return sink.accepts(entry.event) !== false;
  } catch {
    return true;
  }
}

/** The sinks an entry is pending on until final: its targets (a replay), else every configured sink that accepts it. */
function destinationsOf(entry: OutboxEntry, sinks: readonly Sink[]): string[] {
  return entry.targets ?? sinks.filter((s) => accepts(s, entry)).map((s) => s.id);
}

/** What the drains of one run (one sweep) share: the sinks it disabled, and the retries it already warned of. */
export class DeliveryRun {
  /** Sink ids disabled in this run (webhook 410). */
  readonly disabled = new Set<string>();
  /** (event id, sink id) pairs whose retried failure was logged at warn. */
  readonly warnedRetries = new Set<string>();
}

/** One (event, sink) delivery of a page, with the drain's copy of its entry's deliveries (kept up to date as it writes). */
interface Job {
  entry: OutboxEntry;
  sink: Sink;
  deliveries: Record<string, Delivery>;
}

/** A sink's share of a page: its due deliveries as subject chains, each in outbox order. */
interface SinkPlan {
  sink: Sink;
  chains: Job[][];
}

/** Drains the outbox once: every due (event, sink) delivery is tried at most once. */
export async function drainOutbox(store: OutboxPort & Partial<Pick<CounterPort, 'incrementCounters'>>, sinks: Sink[], options: DrainOptions): Promise<DrainResult> {
  return new OutboxDrain(store, sinks, options).drain();
}

/** One drain of the outbox; drainOutbox makes one per call. */
class OutboxDrain {
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #run: DeliveryRun;
  readonly #byId: Map<string, Sink>;
  readonly #result: DrainResult = { published: 0, retried: 0, deferred: 0, dead: 0, left: 0, disabled: [] };
  /** cwp_bridge_deliveries_total{sink,result}, added up here and written once at the drain's end (GET /metrics). */
  readonly #counted = new CounterBatch();
  /** Per sink, the subjects with an earlier event still pending there: later events of them wait. */
  readonly #blocked: Map<string, Set<string>>;
  /**
   * One listener on the caller's signal for the whole drain; every send in flight listens on this drain-local
   * signal instead, which may legitimately have as many listeners as all sinks' concurrency together (Node
   * warns past 10 listeners on one AbortSignal otherwise). Disposed when the drain ends.
   */
  readonly #local: ReturnType<typeof anySignal>;
  /** The signal every send gets: the caller's, through this drain's own. */
  readonly #sendSignal: AbortSignal;

  constructor(
    private readonly store: OutboxPort & Partial<Pick<CounterPort, 'incrementCounters'>>,
    private readonly sinks: Sink[],
    private readonly options: DrainOptions,
  ) {
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#log = options.logger;
    this.#run = options.run ?? new DeliveryRun();
    this.#byId = new Map(sinks.map((s) => [s.id, s] as const));
    this.#blocked = new Map([...this.#byId.keys()].map((id) => [id, new Set<string>()] as const));
    this.#local = anySignal([options.signal]);
    this.#sendSignal = this.#local.signal;
    setMaxListeners(sinks.reduce((n, s) => n + Math.max(1, s.concurrency), 0) + 10, this.#sendSignal);
  }

  /** The deadline and the signal stop new sends; sends already started finish (each has its own timeout). */
  #stopped(): boolean {
    return this.#sendSignal.aborted || (this.options.deadline !== undefined && this.#now() >= this.options.deadline);
  }

  #block(sinkId: string, subject: string): void {
    this.#blocked.get(sinkId)?.add(subject);
  }

  /** A delivery left pending until `at`: the drain's answer says when the next one comes due. */
  #pendingUntil(at: number): void {
    if (this.#result.nextAttemptAt === undefined || at < this.#result.nextAttemptAt) this.#result.nextAttemptAt = at;
  }

  /** Whether the clock's verdict holds this sink's sends back (it checks timestamps, and the clock is too far off). */
  #heldForClock(sink: Sink): boolean {
    return sink.checksTimestamps === true && this.options.clock?.state === 'off';
  }

  async drain(): Promise<DrainResult> {
    const { store } = this;
    if (this.sinks.length === 0) {
      // Nothing could take the events: keep them all rather than calling them delivered.
      this.#local.dispose();
      this.#result.left = await store.countOutbox();
      return this.#result;
    }
    // Pages: the first `batchSize` entries, then the entries still present plus the next `batchSize`, and so on
    // (entries still pending stay at the front of the outbox, so each page re-reads and skips them).
    const batchSize = Math.max(1, this.options.batchSize ?? DEFAULT_BATCH_SIZE);
    const seen = new Set<string>();
    let present = 0;
    try {
      while (!this.#stopped()) {
        const limit = present + batchSize;
        const entries = await store.listOutbox(limit);
        const fresh = entries.filter((e) => !seen.has(e.event.id));
        if (fresh.length === 0) break;
        for (const e of fresh) seen.add(e.event.id);
        const removed = await this.#page(fresh);
        present = entries.length - removed;
        if (entries.length < limit) break;
      }
    } finally {
      this.#local.dispose();
    }
    if (this.#counted.size > 0 && this.store.incrementCounters) {
      // Counting is not delivering: a failure to write the counts is logged, the drain's outcome stands.
      await this.store.incrementCounters(this.#counted.take()).catch((e: unknown) => this.#log.warn('could not count the deliveries', { error: e instanceof Error ? e.message : String(e) }));
    }
    this.#result.left = await store.countOutbox();
    this.#log.debug('outbox drained', { ...this.#result, disabled: this.#result.disabled.map(sinkLabel) });
    return this.#result;
  }

  /** One page: plan, send (one by one or in batches, every sink at once), settle. Returns how many entries left the outbox. */
  async #page(entries: OutboxEntry[]): Promise<number> {
    // Our own copy of each entry's deliveries (a store may hand out its live objects).
    const deliveriesOf = new Map(entries.map((e) => [e.event.id, { ...e.deliveries }] as const));
    await Promise.all(this.#plan(entries, deliveriesOf).map(({ sink, chains }) => (isBatchSink(sink) ? this.#sendBatches(sink, chains) : this.#sendChains(sink, chains))));
    return this.#settle(entries, deliveriesOf);
  }

  /**
   * Plan: per sink, the page's due deliveries as subject chains in outbox order.
   * - Per-subject order, per sink: events of one subject (`<uuid>/<kind>`) go to a sink in outbox order, and
   *   event N+1 is not sent to a sink while event N of that subject is still pending there (failed this drain,
   *   or waiting for its next attempt). A receiver therefore never sees COMPLETE before the COLLECTING that
   *   preceded it, except around a dead letter: a dead event no longer holds its successors back, and a replayed
   *   dead letter is appended to the outbox, so it arrives after newer events of its subject. Ordering across
   *   subjects is not kept: subjects run in parallel up to the sink's concurrency.
   * - Routing (Sink.accepts): an event a sink does not accept is not pending there at all: never claimed, sent,
   *   retried or dead-lettered on it, and it keeps no outbox entry alive (settle). A replayed dead letter
   *   (targets) goes to its target sink whatever that sink accepts now: someone asked for it by id.
   * - A sink disabled in this run gets nothing.
   * - A sink that checks timestamps gets nothing while the clock is off (DrainOptions.clock): its deliveries stay
   *   as they are, not tried, not counted, for a run whose clock is right (counted in heldForClock).
   */
  #plan(entries: OutboxEntry[], deliveriesOf: Map<string, Record<string, Delivery>>): SinkPlan[] {
    const t0 = this.#now();
    const plans: SinkPlan[] = [];
    for (const sink of this.sinks) {
      if (this.#run.disabled.has(sink.id)) continue;
      if (this.#heldForClock(sink)) {
        for (const entry of entries) {
          if ((entry.targets ? entry.targets.includes(sink.id) : accepts(sink, entry)) && !isFinal(entry.deliveries[sink.id])) this.#result.heldForClock = (this.#result.heldForClock ?? 0) + 1;
        }
        continue;
      }
      const blockedHere = this.#blocked.get(sink.id)!;
      const chains = new Map<string, Job[]>();
      for (const entry of entries) {
        if (entry.targets ? !entry.targets.includes(sink.id) : !accepts(sink, entry)) continue;
        const d = entry.deliveries[sink.id];
        if (isFinal(d)) continue;
        const subject = entry.event.subject;
        if (blockedHere.has(subject)) continue;
        if (!canClaimDelivery(d, t0)) {
          blockedHere.add(subject);
          if (d) this.#pendingUntil(Math.max(d.nextAttemptAt, d.claimedUntil ?? 0));
          continue;
        }
        let chain = chains.get(subject);
        if (!chain) chains.set(subject, (chain = []));
        chain.push({ entry, sink, deliveries: deliveriesOf.get(entry.event.id)! });
      }
      if (chains.size > 0) plans.push({ sink, chains: [...chains.values()] });
    }
    return plans;
  }

  /**
   * Single send: up to `concurrency` workers, each taking subject chains in order and sending their events one
   * at a time; a chain stops at the first event that does not go through (its subject is then blocked).
   * - A sink that answers "disable" (webhook 410) gets no more sends in this drain (or in this run, when the
   *   caller passes one DeliveryRun to all its drains); its other pending deliveries stay in the outbox.
   */
  async #sendChains(sink: Sink, chains: Job[][]): Promise<void> {
    let next = 0;
    const worker = async () => {
      for (;;) {
        const chain = chains[next++];
        if (!chain) return;
        for (const job of chain) {
          if (this.#run.disabled.has(sink.id) || this.#stopped()) {
            this.#block(sink.id, job.entry.event.subject);
            break;
          }
          if (!(await this.#attempt(job))) {
            this.#block(sink.id, job.entry.event.subject);
            break;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(sink.concurrency, chains.length) }, worker));
  }

  /** One attempt of one (event, sink): claim, send once, record. Returns whether the chain of its subject may go on. */
  async #attempt(job: Job): Promise<boolean> {
    // Another drain is sending it, or has just finished it: leave it (and its subject's successors) to them.
    if (!(await this.#claim(job))) return false;
    let r: SendResult;
    try {
      r = await job.sink.send(job.entry.event, this.#sendSignal);
    } catch (e) {
      r = thrown(job.sink, e);
    }
    return this.#record(job, r);
  }

  #claim(job: Job): Promise<boolean> {
    return this.store.claimDelivery(job.entry.event.id, job.sink.id, this.#now(), leaseFor(job.sink, this.options.leaseMs));
  }

  /**
   * Batch send (BatchSink): one sendBatch of up to maxBatch due events instead of one send each. Up to
   * `concurrency` workers each fill batches with subject chains in outbox order of their heads; a batch may hold
   * consecutive events of one subject (in order), and the rest of a chain that did not fit opens the same
   * worker's next batch, so one subject is never in two batches at once.
   */
  async #sendBatches(sink: BatchSink, chains: Job[][]): Promise<void> {
    const maxBatch = Math.max(1, Math.floor(sink.maxBatch));
    let next = 0;
    const worker = async () => {
      let carry: Job[] = [];
      for (;;) {
        if (this.#run.disabled.has(sink.id) || this.#stopped()) {
          for (const job of carry) this.#block(sink.id, job.entry.event.subject);
          while (next < chains.length) this.#block(sink.id, chains[next++]![0]!.entry.event.subject);
          return;
        }
        const batch = carry.splice(0, maxBatch);
        while (batch.length < maxBatch && carry.length === 0 && next < chains.length) {
          const chain = chains[next++]!;
          const room = maxBatch - batch.length;
          batch.push(...chain.slice(0, room));
          carry = chain.slice(room);
        }
        if (batch.length === 0) return;
        const goOn = await this.#sendBatch(sink, batch);
        for (const job of batch) if (!goOn.has(job.entry.event.subject)) this.#block(sink.id, job.entry.event.subject);
        // The rest of a chain goes on only if every event of its subject in this batch went on.
        if (carry.length > 0 && !goOn.has(carry[0]!.entry.event.subject)) {
          this.#block(sink.id, carry[0]!.entry.event.subject);
          carry = [];
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(Math.max(1, sink.concurrency), chains.length) }, worker));
  }

  /**
   * One sendBatch: claims each job, calls the sink once, records each result in order. Returns the subjects that
   * may go on.
   * - Each event is claimed before the call; an unclaimable one (another drain's), and its successors, are left
   *   out and block the subject.
   * - Each result goes through record as for send(). Order within a batch: once an event of a subject ends the
   *   batch still pending (retry, released, deferred), an `ok` answered for a later event of that subject is not
   *   recorded as delivered: its claim is released (not an attempt), so it is sent again after its predecessor. A
   *   duplicate rather than a reordering: the receiver's last word on the subject is still its newest event. A
   *   dead event does not hold successors back, as everywhere. Well-behaved batch sinks never answer so: one
   *   PutEvents call or one chat message is accepted or refused as a whole.
   */
  async #sendBatch(sink: BatchSink, jobs: Job[]): Promise<Set<string>> {
    const claimed: Job[] = [];
    const refused = new Set<string>();
    for (const job of jobs) {
      const subject = job.entry.event.subject;
      if (refused.has(subject)) continue;
      if (await this.#claim(job)) claimed.push(job);
      else refused.add(subject);
    }
    const goOn = new Set<string>();
    if (claimed.length === 0) return goOn;
    let results: SendResult[];
    try {
      results = await sink.sendBatch(claimed.map((j) => j.entry.event), this.#sendSignal);
      if (!Array.isArray(results) || results.length !== claimed.length) {
        const n = Array.isArray(results) ? results.length : 0;
        results = claimed.map(() => ({ ok: false, retry: true, reason: `${sinkLabel(sink.id)} answered ${n} results for ${claimed.length} events` }));
      }
    } catch (e) {
      const r = thrown(sink, e);
      results = claimed.map(() => r);
    }
    const pendingSubjects = new Set<string>();
    for (const [i, job] of claimed.entries()) {
      const subject = job.entry.event.subject;
      const wentOn = await this.#record(job, results[i]!, pendingSubjects.has(subject));
      if (wentOn && !pendingSubjects.has(subject)) goOn.add(subject);
      else {
        goOn.delete(subject);
        pendingSubjects.add(subject);
      }
    }
    for (const subject of refused) goOn.delete(subject);
    return goOn;
  }

  /**
   * Record: writes what one send's result does to its (event, sink) delivery, as nextDelivery decides. Returns
   * whether the chain of its subject may go on. `afterPending`: an earlier event of the subject in the same batch
   * is still pending, so an `ok` is released instead of recorded (#sendBatch).
   * - An attempt cut short by the caller's signal is not counted: the deadline is ours, not the sink's fault.
   * - Deferred (SendResult `deferred`: the sink had no room in its own rate limit): not an attempt. The attempts
   *   and last error stay, the delivery is due again after retryAfterMs, the claim is cleared, and it blocks later
   *   events of its subject on that sink for this drain like any pending delivery. Logged at debug, counted in
   *   DrainResult.deferred (not in retried).
   * - A failed attempt that will be retried is logged at warn the first time in a run for its (event, sink), and
   *   at debug on later retries in that run: someone watching a run sees each event a sink missed once, at the
   *   default level, without a line per backoff step.
   * - A disabling answer (webhook 410) stops the sink for the rest of the run (DeliveryRun.disabled).
   */
  async #record(job: Job, r: SendResult, afterPending = false): Promise<boolean> {
    const { entry, sink, deliveries } = job;
    const { store } = this;
    const now = this.#now;
    if (afterPending && r.ok) {
      await store.updateDelivery(entry.event.id, sink.id, releasedDelivery(deliveries[sink.id], now()));
      this.#log.warn('batch sink accepted an event after an earlier event of its subject failed; it will be sent again after it', { eventId: entry.event.id, subject: entry.event.subject, sink: sinkLabel(sink.id) });
      return false;
    }
    const clockSuspect = sink.checksTimestamps === true && this.options.clock !== undefined && this.options.clock.state !== 'ok';
    const decision = nextDelivery({ previous: deliveries[sink.id], result: r, now: now(), maxAttempts: this.options.maxAttempts, abortedByUs: this.#sendSignal.aborted, clockSuspect, random: this.#random });
    this.#counted.add(DELIVERIES, { sink: sinkLabel(sink.id), result: decision.kind });
    switch (decision.kind) {
      case 'delivered':
        await store.updateDelivery(entry.event.id, sink.id, decision.delivery);
        deliveries[sink.id] = decision.delivery;
        this.#result.published++;
        return true;
      case 'released':
        // The claim released; the delivery stays as it was.
        await store.updateDelivery(entry.event.id, sink.id, decision.delivery);
        this.#result.retried++;
        return false;
      case 'deferred': {
        const d = decision.delivery;
        await store.updateDelivery(entry.event.id, sink.id, d);
        deliveries[sink.id] = d;
        this.#result.deferred++;
        this.#pendingUntil(d.nextAttemptAt);
        this.#log.debug('delivery deferred by the sink', { eventId: entry.event.id, subject: entry.event.subject, sink: sinkLabel(sink.id), reason: r.ok ? null : r.reason, nextAttemptAt: new Date(d.nextAttemptAt).toISOString() });
        return false;
      }
      case 'retry': {
        const d = decision.delivery;
        await store.updateDelivery(entry.event.id, sink.id, d);
        deliveries[sink.id] = d;
        this.#result.retried++;
        this.#pendingUntil(d.nextAttemptAt);
        const pair = `${entry.event.id}\n${sink.id}`;
        const firstInRun = !this.#run.warnedRetries.has(pair);
        if (firstInRun) this.#run.warnedRetries.add(pair);
        const fields = { eventId: entry.event.id, subject: entry.event.subject, sink: sinkLabel(sink.id), attempts: d.attempts, reason: d.lastError, nextAttemptAt: new Date(d.nextAttemptAt).toISOString() };
        if (firstInRun) this.#log.warn('delivery failed; will retry', fields);
        else this.#log.debug('delivery failed; will retry', fields);
        return false;
      }
      case 'dead':
        await this.#deadLetter(entry, sink.id, decision.delivery, decision.reason, deliveries);
        if (decision.disable && !this.#run.disabled.has(sink.id)) {
          this.#run.disabled.add(sink.id);
          this.#result.disabled.push(sink.id);
          this.#log.warn('sink disabled for the rest of this run', { sink: sinkLabel(sink.id), reason: decision.reason });
        }
        return true;
    }
  }

  async #deadLetter(entry: OutboxEntry, sinkId: string, delivery: Delivery, reason: string, deliveries: Record<string, Delivery>): Promise<void> {
    // The dead letter first: if we crash between the two writes, the event is tried again (at least once),
    // rather than being dropped from the outbox with no record of why.
    await this.store.addDeadLetter({ event: entry.event, sinkId, reason, attempts: delivery.attempts, deadAt: delivery.finishedAt ?? this.#now() });
    await this.store.updateDelivery(entry.event.id, sinkId, delivery);
    deliveries[sinkId] = delivery;
    this.#result.dead++;
    this.#log.warn('event is a dead letter for this sink', { eventId: entry.event.id, subject: entry.event.subject, sink: sinkLabel(sinkId), attempts: delivery.attempts, reason });
  }

  /**
   * Settle: an entry leaves the outbox when every sink it is pending on is final there: its targets (a replay),
   * else every configured sink that accepts it (an entry no sink accepts leaves at once). Returns how many left.
   */
  async #settle(entries: OutboxEntry[], deliveriesOf: Map<string, Record<string, Delivery>>): Promise<number> {
    let removed = 0;
    for (const entry of entries) {
      const deliveries = deliveriesOf.get(entry.event.id)!;
      let pending = false;
      for (const target of destinationsOf(entry, this.sinks)) {
        if (this.#byId.has(target)) {
          if (!isFinal(deliveries[target])) pending = true;
        } else if (!isFinal(deliveries[target])) {
          // A replayed letter for a sink that is no longer configured: back to the dead letters, where it
          // stays visible and can be replayed again once the sink is back.
          const reason = `sink ${sinkLabel(target)} is not configured in this run`;
          await this.#deadLetter(entry, target, deadDelivery(deliveries[target]?.attempts ?? 0, reason, this.#now()), reason, deliveries);
        }
      }
      if (!pending) {
        await this.store.removeFromOutbox(entry.event.id);
        removed++;
      }
    }
    return removed;
  }
}

/** A sink's exception as a retryable result. Its message may quote the sink's URL (a fetch error, a bug): shown only scrubbed. */
function thrown(sink: Sink, e: unknown): SendResult {
  return { ok: false, retry: true, reason: `${sinkLabel(sink.id)} failed: ${redactSinkSecrets(e instanceof Error ? e.message : String(e), sink.id)}` };
}
