// How far this machine's clock is from Tencent Cloud's, learnt from the HTTP `Date` of the API's answers (every
// answer has one, errors included). A receiver that checks timestamps (a Standard Webhooks receiver, a chat robot
// that signs with one, Tencent's own APIs) refuses what a clock minutes off sends: the sweep learns the offset
// before it sends to them (lib/sweep/publisher.ts) and holds back when it is too far off.
import type { ClockVerdict } from '../types';

/** Over this far off, a refusal by a timestamp-checking receiver may be the clock's fault: retried, not dead. */
export const CLOCK_SUSPECT_MS = 60_000;
/** Over this far off, such receivers would refuse everything (Standard Webhooks and TC3 allow 5 minutes): not sent. */
export const CLOCK_OFF_MS = 240_000;

/** One reading: Tencent Cloud's time minus ours, and when (our clock) the answer came. */
export interface ClockReading {
  offsetMs: number;
  at: number;
}

/** What one clock reading says. Unknown (no reading) is suspect too. */
export function clockVerdict(reading: ClockReading | null): ClockVerdict {
  if (!reading) return { state: 'unknown', offsetMs: null };
  const off = Math.abs(reading.offsetMs);
  return { state: off > CLOCK_OFF_MS ? 'off' : off > CLOCK_SUSPECT_MS ? 'suspect' : 'ok', offsetMs: reading.offsetMs };
}

/**
 * Tencent Cloud's time minus ours, from an answer's `Date` (whole seconds, so the server's time was in
 * [Date, Date + 1 s)) and our clock when the request went out and when the answer came (the server wrote the
 * Date in between): the middle of both intervals, rounded to the second. Null for a missing or unreadable Date.
 */
export function offsetFromDate(dateHeader: string | null, sentAt: number, receivedAt: number): number | null {
  if (!dateHeader) return null;
  const server = Date.parse(dateHeader);
  if (!Number.isFinite(server)) return null;
  return Math.round((server + 500 - (sentAt + receivedAt) / 2) / 1000) * 1000;
}

/** The readings of every Tencent client of a runtime (one per instance), and a way to wait for the next one. */
export class ServerClock {
  private last: ClockReading | null = null;
  private readonly waiting = new Set<() => void>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A client got an answer: `Date` header, and our clock before the request and at the answer. */
  observe(dateHeader: string | null, sentAt: number, receivedAt: number): void {
    const offsetMs = offsetFromDate(dateHeader, sentAt, receivedAt);
    if (offsetMs === null) return;
    this.last = { offsetMs, at: receivedAt };
    for (const wake of this.waiting) wake();
  }

  /** The latest reading, if taken at or after `since` (our clock). */
  readingSince(since: number): ClockReading | null {
    return this.last && this.last.at >= since ? { ...this.last } : null;
  }

  /**
   * Waits for a reading taken at or after `since`, at most until `until` (our clock) or the signal; null when none
   * came.
   */
  async waitForReading(since: number, until: number, signal?: AbortSignal): Promise<ClockReading | null> {
    const ready = this.readingSince(since);
    if (ready || this.now() >= until || signal?.aborted) return ready;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(check);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const check = () => {
        if (this.readingSince(since)) done();
      };
      const timer = setTimeout(done, Math.max(0, until - this.now()));
      this.waiting.add(check);
      signal?.addEventListener('abort', done, { once: true });
    });
    return this.readingSince(since);
  }
}
