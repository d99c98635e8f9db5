// Waiting for a grant, shared by both rate limiters: callers of one action wait in a queue in this process, first
// come, first served, and one pump per action asks the bucket for the next grant (`take`: 0 = granted now, else
// the ms until one may be), sleeps for the wait it names, and hands each grant to the head of the queue. So a
// process asks its bucket about once per grant however many callers wait: with the Redis bucket, ten workers
// asking each in turn and being told to wait cost about seven round trips per request (P9); queued, about one
// or two.
import type { Sleep } from './local';

/** The bucket of a limiter: takes a grant of `action` now and answers 0, or answers the ms to wait first. */
export type TakeGrant = (action: string) => number | Promise<number>;

interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
  /** Detaches the abort listener. */
  detach(): void;
}

interface ActionQueue {
  waiters: Waiter[];
  pumping: boolean;
  /** Aborts the pump's current sleep (the queue emptied, or the limiter closed). */
  wake: AbortController | null;
}

export class GrantQueues {
  private readonly queues = new Map<string, ActionQueue>();
  private closedWith: Error | null = null;

  constructor(private readonly take: TakeGrant, private readonly sleep: Sleep) {}

  private queue(action: string): ActionQueue {
    let q = this.queues.get(action);
    if (!q) this.queues.set(action, (q = { waiters: [], pumping: false, wake: null }));
    return q;
  }

  /** Resolves when `action` may be sent; rejects with the signal's reason if it aborts first, or once closed. */
  acquire(action: string, signal?: AbortSignal): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const q = this.queue(action);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = q.waiters.indexOf(waiter);
        if (i >= 0) q.waiters.splice(i, 1);
        if (q.waiters.length === 0) q.wake?.abort();
        reject(signal!.reason);
      };
      const waiter: Waiter = { resolve, reject, detach: () => signal?.removeEventListener('abort', onAbort) };
      signal?.addEventListener('abort', onAbort, { once: true });
      q.waiters.push(waiter);
      void this.pump(action, q);
    });
  }

  /** Asks for grants while anyone waits, sleeping for the waits the bucket names; one pump per action. */
  private async pump(action: string, q: ActionQueue): Promise<void> {
    if (q.pumping) return;
    q.pumping = true;
    try {
      while (q.waiters.length > 0 && !this.closedWith) {
        let wait: number;
        try {
          wait = await this.take(action);
        } catch (e) {
          // The bucket failed (Redis gone): the caller at the head hears why; the next one asks again.
          const w = q.waiters.shift();
          w?.detach();
          w?.reject(e);
          continue;
        }
        // Everyone gave up, or the limiter closed, while we asked: nothing to hand out or wait for.
        if (q.waiters.length === 0 || this.closedWith) break;
        if (wait <= 0) {
          // A caller that gave up while we asked has left the queue: the grant goes to the next one.
          const w = q.waiters.shift();
          w?.detach();
          w?.resolve();
          continue;
        }
        const wake = new AbortController();
        q.wake = wake;
        try {
          await this.sleep(wait, wake.signal);
        } catch {
          // woken early: the queue emptied, or the limiter closed
        } finally {
          q.wake = null;
        }
      }
    } finally {
      q.pumping = false;
    }
  }

  /** Rejects every caller still waiting, and every later one, with `reason`. */
  close(reason: Error): void {
    this.closedWith = reason;
    for (const q of this.queues.values()) {
      const waiters = q.waiters.splice(0);
      q.wake?.abort();
      for (const w of waiters) {
        w.detach();
        w.reject(reason);
      }
    }
  }
}
