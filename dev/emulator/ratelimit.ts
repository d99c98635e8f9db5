// The per-action limit of the real APIs (20 requests per second each) as a sliding window, and the record of
// every request so tests can prove a client never went over it.

export const WINDOW_MS = 1000;

export type RequestOutcome = 'accepted' | 'throttled' | 'rejected' | 'fault';

export interface RequestRecord {
  /** Epoch ms (the emulator's clock). */
  at: number;
  action: string;
  /** accepted: passed auth and the limit (it may still answer a business error); rejected: routing/auth error; fault: injected. */
  outcome: RequestOutcome;
  /** The error code answered, if any. */
  code: string | null;
  /** The agent the request named (its `Uuid` parameter), for the per-agent actions. */
  uuid?: string;
}

export interface ActionStats {
  accepted: number;
  throttled: number;
  /** Other answers before the limit: routing and auth errors, injected faults. */
  rejected: number;
  /** The most accepted requests of this action in any window shorter than 1000 ms. */
  maxInAnyWindow: number;
}

/** The largest number of times that fit in one window: max j-i+1 with times[j] - times[i] < windowMs. */
export function maxInWindow(times: readonly number[], windowMs = WINDOW_MS): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while (sorted[j]! - sorted[i]! >= windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

export class RateLimiter {
  private readonly recent = new Map<string, number[]>();
  private log: RequestRecord[] = [];

  constructor(private readonly limitPerSecond: number) {}

  /** Admits the request if fewer than the limit were accepted for this action in the last 1000 ms. */
  admit(action: string, at: number): { ok: true } | { ok: false; count: number } {
    const times = (this.recent.get(action) ?? []).filter((t) => at - t < WINDOW_MS);
    this.recent.set(action, times);
    if (times.length >= this.limitPerSecond) return { ok: false, count: times.length + 1 };
    times.push(at);
    return { ok: true };
  }

  record(entry: RequestRecord): void {
    this.log.push(entry);
  }

  requests(): RequestRecord[] {
    return [...this.log];
  }

  reset(): void {
    this.log = [];
    this.recent.clear();
  }

  stats(): Record<string, ActionStats> {
    const out: Record<string, ActionStats> = {};
    const acceptedTimes = new Map<string, number[]>();
    for (const r of this.log) {
      const s = (out[r.action] ??= { accepted: 0, throttled: 0, rejected: 0, maxInAnyWindow: 0 });
      if (r.outcome === 'accepted') {
        s.accepted++;
        const list = acceptedTimes.get(r.action) ?? [];
        list.push(r.at);
        acceptedTimes.set(r.action, list);
      } else if (r.outcome === 'throttled') s.throttled++;
      else s.rejected++;
    }
    for (const [action, times] of acceptedTimes) out[action]!.maxInAnyWindow = maxInWindow(times);
    return out;
  }
}
