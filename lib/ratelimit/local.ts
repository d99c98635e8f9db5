// The in-process rate limiter: strict-spacing GCRA per action. Grants of one action are at least
// 1000/rate ms apart and nothing is saved up while idle (no burst), so any 1000 ms window holds at most
// `rate` grants, which is what a sliding-window server limit (the emulator's, and CWP's 20/s) admits.
// Waiters of an action are served first come, first served by one pump per action; pause() moves the next
// grant later for everyone waiting. Clock and sleep are injectable for deterministic tests.
import { abortableSleep } from '../util/abort';
import type { RateLimiter } from './limiter';

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface LocalRateLimiterOptions {
  /** A monotonic clock in ms (default performance.now). */
  now?: () => number;
  /** Resolves after ms; rejects (or resolves) at once when the signal aborts, clearing its timer. */
  sleep?: Sleep;
}

/** setTimeout as a promise that stops (rejecting with the reason) and clears its timer when the signal aborts. */
export const realSleep: Sleep = abortableSleep;

interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
  /** Detaches the abort listener. */
  detach(): void;
}

interface ActionState {
  /** Theoretical arrival time: the earliest the next grant may happen. */
  tat: number;
  queue: Waiter[];
  pumping: boolean;
  /** Aborts the pump's current sleep. */
  wake: AbortController | null;
}

export class LocalRateLimiter implements RateLimiter {
  /** The emission interval: ms between two grants of one action. */
  readonly intervalMs: number;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly actions = new Map<string, ActionState>();
  private closed = false;

  constructor(readonly ratePerSecond: number, options: LocalRateLimiterOptions = {}) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`rate limiter: rate must be a positive number of requests per second, got ${ratePerSecond}`);
    this.intervalMs = 1000 / ratePerSecond;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? realSleep;
  }

  private state(action: string): ActionState {
    let st = this.actions.get(action);
    if (!st) this.actions.set(action, (st = { tat: -Infinity, queue: [], pumping: false, wake: null }));
    return st;
  }

  acquire(action: string, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new Error('rate limiter: closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const st = this.state(action);
    const t = this.now();
    if (st.queue.length === 0 && t >= st.tat) {
      st.tat = t + this.intervalMs;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = st.queue.indexOf(waiter);
        if (i >= 0) st.queue.splice(i, 1);
        if (st.queue.length === 0) st.wake?.abort();
        reject(signal!.reason);
      };
      const waiter: Waiter = { resolve, reject, detach: () => signal?.removeEventListener('abort', onAbort) };
      signal?.addEventListener('abort', onAbort, { once: true });
      st.queue.push(waiter);
      void this.pump(st);
    });
  }

  /** Grants queued waiters one interval apart, sleeping in between; stops when the queue is empty. */
  private async pump(st: ActionState): Promise<void> {
    if (st.pumping) return;
    st.pumping = true;
    try {
      while (st.queue.length > 0 && !this.closed) {
        const t = this.now();
        if (t >= st.tat) {
          const w = st.queue.shift()!;
          w.detach();
          st.tat = t + this.intervalMs;
          w.resolve();
          continue;
        }
        const wake = new AbortController();
        st.wake = wake;
        try {
          await this.sleep(st.tat - t, wake.signal);
        } catch {
          // woken early: the queue emptied, or the limiter closed
        } finally {
          st.wake = null;
        }
      }
    } finally {
      st.pumping = false;
    }
  }

  async pause(action: string, ms: number): Promise<void> {
    const st = this.state(action);
    st.tat = Math.max(st.tat, this.now() + Math.max(0, ms));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const st of this.actions.values()) {
      const waiters = st.queue.splice(0);
      st.wake?.abort();
      for (const w of waiters) {
        w.detach();
        w.reject(new Error('rate limiter: closed'));
      }
    }
  }
}
