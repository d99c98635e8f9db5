// The in-process rate limiter: strict-spacing GCRA per action. Grants of one action are at least
// 1000/rate ms apart and nothing is saved up while idle (no burst), so any 1000 ms window holds at most
// `rate` grants, which is what a sliding-window server limit (the emulator's, and CWP's 20/s) admits.
// Waiters of an action are served first come, first served by one pump per action (queue.ts); pause() moves the
// next grant later for everyone waiting. Clock and sleep are injectable for deterministic tests.
import { abortableSleep } from '../util/abort';
import type { RateLimiter } from './limiter';
import { GrantQueues } from './queue';

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface LocalRateLimiterOptions {
  /** A monotonic clock in ms (default performance.now). */
  now?: () => number;
  /** Resolves after ms; rejects (or resolves) at once when the signal aborts, clearing its timer. */
  sleep?: Sleep;
}

/** setTimeout as a promise that stops (rejecting with the reason) and clears its timer when the signal aborts. */
export const realSleep: Sleep = abortableSleep;

export class LocalRateLimiter implements RateLimiter {
  /** The emission interval: ms between two grants of one action. */
  readonly intervalMs: number;
  private readonly now: () => number;
  /** Theoretical arrival time per action: the earliest the next grant may happen. */
  private readonly tat = new Map<string, number>();
  private readonly queues: GrantQueues;

  constructor(readonly ratePerSecond: number, options: LocalRateLimiterOptions = {}) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`rate limiter: rate must be a positive number of requests per second, got ${ratePerSecond}`);
    this.intervalMs = 1000 / ratePerSecond;
    this.now = options.now ?? (() => performance.now());
    this.queues = new GrantQueues((action) => this.take(action), options.sleep ?? realSleep);
  }

  /** GCRA: a grant now moves the action's next one interval later; else the time until it may be. */
  private take(action: string): number {
    const t = this.now();
    const tat = this.tat.get(action) ?? -Infinity;
    if (t < tat) return tat - t;
    this.tat.set(action, t + this.intervalMs);
    return 0;
  }

  acquire(action: string, signal?: AbortSignal): Promise<void> {
    return this.queues.acquire(action, signal);
  }

  async pause(action: string, ms: number): Promise<void> {
    this.tat.set(action, Math.max(this.tat.get(action) ?? -Infinity, this.now() + Math.max(0, ms)));
  }

  async close(): Promise<void> {
    this.queues.close(new Error('rate limiter: closed'));
  }
}
