// Publishes while the sweep polls, so an event does not wait for the sweep's end: each recorded change "kicks"
// a drain of the outbox (lib/sinks/deliver.ts); kicks during a drain coalesce into one more drain. A delivery
// the drain left pending until later (a retry after its backoff, a deferral) kicks a drain when it comes due, so
// it is not held until the next change or the last drain. finish() runs a last drain. Failures are logged and
// leave the events in the outbox for the next drain or run.
// The deadline holds: at publishUntil a signal aborts the sends still in flight (a receiver that accepts and
// never answers cannot keep the function past its time); what they carried stays in the outbox.
// The clock: before the first drain that would send to a sink checking timestamps, the run waits (briefly) for its
// first answer from Tencent Cloud, whose Date says how far this machine's clock is off (RunClock).
import type { Logger } from '../log';
import { DeliveryRun, drainOutbox, type DrainResult } from '../sinks/deliver';
import type { Sink } from '../sinks/sink';
import type { OutboxPort } from '../state/store';
import { clockVerdict, type ServerClock } from '../tencent/clock';
import type { ClockVerdict } from '../types';

/** How long a run waits for its first Tencent Cloud answer before it sends to timestamp-checking sinks anyway (as suspect). */
export const CLOCK_WAIT_MS = 3_000;

/** What one run knows of its clock: readings from its own answers only (a clock may have been stepped since the last run). */
export class RunClock {
  private first: Promise<unknown> | null = null;
  /** The verdict of the run's most recent drain. */
  last: ClockVerdict | null = null;

  constructor(
    private readonly clock: ServerClock,
    /** Our clock when the run started: earlier readings are not this run's. */
    private readonly since: number,
    private readonly waitUntil: number,
  ) {}

  /** The verdict for a drain now; the first call waits for the run's first reading, until waitUntil at most. */
  async verdict(signal: AbortSignal): Promise<ClockVerdict> {
    this.first ??= this.clock.waitForReading(this.since, this.waitUntil, signal);
    await this.first;
    this.last = clockVerdict(this.clock.readingSince(this.since));
    return this.last;
  }
}

export interface PublisherOptions {
  /** Where the run learns its clock (only when some sink checks timestamps; else its drains do not wait). */
  clock?: RunClock;
}

export class BackgroundPublisher {
  private running: Promise<void> | null = null;
  private again = false;
  private total: DrainResult = { published: 0, retried: 0, deferred: 0, dead: 0, left: 0, disabled: [] };
  /** Shared by every drain of this run: a URL that answered 410 stays off, a retry is warned of once. */
  private readonly run = new DeliveryRun();
  /** Aborted at the deadline: stops new sends and cuts the ones in flight. */
  private readonly stop = new AbortController();
  private readonly deadlineTimer: NodeJS.Timeout;
  /** The drain for a delivery that comes due later, and when. */
  private dueTimer: NodeJS.Timeout | null = null;
  private dueAt = Infinity;
  /** finish() has begun: its last drain schedules nothing more. */
  private finishing = false;
  /** The run's worst clock verdict seen by a drain (off > suspect/unknown > ok), for the summary. */
  clockHeld: ClockVerdict | null = null;

  constructor(
    private readonly store: OutboxPort,
    private readonly sinks: Sink[],
    private readonly maxAttempts: number,
    private readonly deadline: number,
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly options: PublisherOptions = {},
  ) {
    this.deadlineTimer = setTimeout(() => this.stop.abort(new Error('publish deadline reached')), Math.max(0, deadline - now()));
    this.deadlineTimer.unref();
  }

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
    this.finishing = true;
    this.clearDue();
    while (this.running) await this.running;
    this.clearDue();
    await this.drainOnce();
    clearTimeout(this.deadlineTimer);
    return this.total;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.drainOnce();
    } while (this.again && this.now() < this.deadline);
  }

  private clearDue(): void {
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.dueTimer = null;
    this.dueAt = Infinity;
  }

  /** A kick when the earliest pending delivery comes due, if before the deadline (one timer, the earliest wins). */
  private kickAt(at: number): void {
    if (this.finishing || at >= this.deadline || at >= this.dueAt) return;
    this.clearDue();
    this.dueAt = at;
    this.dueTimer = setTimeout(() => {
      this.dueTimer = null;
      this.dueAt = Infinity;
      this.kick();
    }, Math.max(0, at - this.now()));
    this.dueTimer.unref();
  }

  private async drainOnce(): Promise<void> {
    if (this.stop.signal.aborted || this.now() >= this.deadline) return;
    try {
      const clock = this.options.clock ? await this.options.clock.verdict(this.stop.signal) : undefined;
      if (clock && clock.state === 'off' && this.clockHeld?.state !== 'off') {
        this.logger.error('this machine\'s clock is too far off Tencent Cloud\'s: nothing is sent to the sinks that check timestamps in this run; the events wait in the outbox', {
          offsetSeconds: Math.round((clock.offsetMs ?? 0) / 1000), fix: 'set the clock right (NTP)', sinks: this.sinks.filter((s) => s.checksTimestamps).length,
        });
      }
      if (clock && (this.clockHeld === null || rank(clock) > rank(this.clockHeld))) this.clockHeld = clock;
      if (this.stop.signal.aborted) return;
      const r = await drainOutbox(this.store, this.sinks, { maxAttempts: this.maxAttempts, deadline: this.deadline, signal: this.stop.signal, now: this.now, logger: this.logger, run: this.run, ...(clock ? { clock } : {}) });
      this.total.published += r.published;
      this.total.retried += r.retried;
      this.total.deferred += r.deferred;
      this.total.dead += r.dead;
      this.total.left = r.left;
      if (r.heldForClock !== undefined) this.total.heldForClock = r.heldForClock;
      for (const d of r.disabled) if (!this.total.disabled.includes(d)) this.total.disabled.push(d);
      if (r.nextAttemptAt !== undefined) this.kickAt(r.nextAttemptAt);
    } catch (e) {
      // Events stay in the outbox; the next drain or run takes them.
      this.logger.error('publishing failed; events stay in the outbox', { error: e instanceof Error ? e.message : String(e) });
    }
  }
}

const rank = (v: ClockVerdict): number => (v.state === 'off' ? 3 : v.state === 'ok' ? 0 : 1);
