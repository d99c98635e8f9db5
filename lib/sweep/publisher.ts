// Publishes while the sweep polls, so an event does not wait for the sweep's end: each recorded change "kicks"
// a drain of the outbox (lib/sinks/deliver.ts); kicks during a drain coalesce into one more drain. finish()
// runs a last drain. Failures are logged and leave the events in the outbox for the next drain or run.
// The deadline holds: at publishUntil a signal aborts the sends still in flight (a receiver that accepts and
// never answers cannot keep the function past its time); what they carried stays in the outbox.
import type { Logger } from '../log';
import { DeliveryRun, drainOutbox, type DrainResult } from '../sinks/deliver';
import type { Sink } from '../sinks/sink';
import type { OutboxPort } from '../state/store';

export class BackgroundPublisher {
  private running: Promise<void> | null = null;
  private again = false;
  private total: DrainResult = { published: 0, retried: 0, deferred: 0, dead: 0, left: 0, disabled: [] };
  /** Shared by every drain of this run: a URL that answered 410 stays off, a retry is warned of once. */
  private readonly run = new DeliveryRun();
  /** Aborted at the deadline: stops new sends and cuts the ones in flight. */
  private readonly stop = new AbortController();
  private readonly deadlineTimer: NodeJS.Timeout;

  constructor(
    private readonly store: OutboxPort,
    private readonly sinks: Sink[],
    private readonly maxAttempts: number,
    private readonly deadline: number,
    private readonly logger: Logger,
    private readonly now: () => number,
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
    while (this.running) await this.running;
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

  private async drainOnce(): Promise<void> {
    if (this.stop.signal.aborted || this.now() >= this.deadline) return;
    try {
      const r = await drainOutbox(this.store, this.sinks, { maxAttempts: this.maxAttempts, deadline: this.deadline, signal: this.stop.signal, now: this.now, logger: this.logger, run: this.run });
      this.total.published += r.published;
      this.total.retried += r.retried;
      this.total.deferred += r.deferred;
      this.total.dead += r.dead;
      this.total.left = r.left;
      for (const d of r.disabled) if (!this.total.disabled.includes(d)) this.total.disabled.push(d);
    } catch (e) {
      // Events stay in the outbox; the next drain or run takes them.
      this.logger.error('publishing failed; events stay in the outbox', { error: e instanceof Error ? e.message : String(e) });
    }
  }
}
