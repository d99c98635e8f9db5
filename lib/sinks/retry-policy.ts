// The retry policy of delivery, as one pure function: what one send's result does to the (event, sink)
// delivery. deliver.ts claims, sends and writes; this decides. Kept apart (the way alertmanager's RetryStage
// owns retries and a Notifier only tries once) so the rules read in one place and are tested as a table.
import type { Delivery } from '../types';
import type { SendResult } from './sink';

export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_CAP_MS = 15 * 60_000;
/** The jitter keeps each wait within [JITTER_FLOOR, 1] of the exponential ceiling. */
export const JITTER_FLOOR = 0.75;
/**
 * The ceiling of the wait after the `attempts`-th failed attempt: base · 2^(attempts−1), capped.
 * 10 s, 20 s, 40 s, 80 s, 160 s, 320 s, 640 s, then 900 s (the 15-minute cap) from the 8th on.
 */
export function backoffCeilingMs(attempts: number): number {
  const n = Math.max(1, Math.floor(attempts));
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(n - 1, 30));
}

/**
 * The wait after the `attempts`-th failed attempt: a random point in [75 %, 100 %] of the ceiling.
 *
 * Why not full jitter (uniform in [0, ceiling]): with the default 12 attempts there are 11 waits, whose
 * ceilings sum to 10+20+40+80+160+320+640+4·900 = 4870 s (81 min). Full jitter's expected total is half of
 * that, 40.6 min, and it has no floor at all, so a sink down for an hour would usually lose its events. With
 * the floor at 75 % the 11 waits total at least 0.75 · 4870 = 3652 s (60.9 min) and at most 81 min: a sink
 * down for an hour still gets every event when it returns. Real gaps are longer still, since an attempt
 * happens at the first drain after nextAttemptAt. The 25 % band still spreads retries of many events.
 */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const ceiling = backoffCeilingMs(attempts);
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(ceiling * (JITTER_FLOOR + (1 - JITTER_FLOOR) * r));
}

/** When to try again after the `attempts`-th failure: the later of Retry-After and the backoff. */
export function retryDelayMs(attempts: number, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  return Math.max(retryAfterMs ?? 0, backoffMs(attempts, random));
}

export interface SendOutcome {
  /** The delivery before this attempt (undefined: never tried). */
  previous: Delivery | undefined;
  result: SendResult;
  /** When the send ended (epoch ms). */
  now: number;
  /** DELIVERY_MAX_ATTEMPTS. */
  maxAttempts: number;
  /** The send was cut short by our own deadline or stop, not by the sink. */
  abortedByUs: boolean;
  /**
   * The sink checks timestamps (Sink.checksTimestamps) and this machine's clock is suspect (over a minute off
   * Tencent Cloud's, or not known yet): a refusal may be the clock's fault, so it is retried, not dead.
   */
  clockSuspect?: boolean;
  random?: () => number;
}

export type DeliveryDecision =
  /** Accepted: the delivery is final. */
  | { kind: 'delivered'; delivery: Delivery }
  /** Failed, will be tried again at delivery.nextAttemptAt (backoff, or Retry-After when later). */
  | { kind: 'retry'; delivery: Delivery }
  /** Our deadline cut the send short: not the sink's fault, so not counted; due again at once. */
  | { kind: 'released'; delivery: Delivery }
  /** Not tried (the sink had no room: its rate limit): not an attempt; due again at delivery.nextAttemptAt. */
  | { kind: 'deferred'; delivery: Delivery }
  /** Never again on this sink: a dead letter with `reason`; `disable` stops the sink for the run (HTTP 410). */
  | { kind: 'dead'; delivery: Delivery; reason: string; disable: boolean };

export function nextDelivery(o: SendOutcome): DeliveryDecision {
  const { previous: prev, result: r, now: t } = o;
  const attempts = (prev?.attempts ?? 0) + 1;
  if (isDeferred(r)) return { kind: 'deferred', delivery: deferredDelivery(prev, t + Math.max(0, r.retryAfterMs)) };
  if (r.ok) return { kind: 'delivered', delivery: { status: 'delivered', attempts, nextAttemptAt: t, lastError: null, finishedAt: t } };
  if (r.retry && o.abortedByUs) return { kind: 'released', delivery: releasedDelivery(prev, t) };
  if (!r.retry && o.clockSuspect && !('disable' in r && r.disable === true)) {
    // Not counted: a clock put right gets the full attempts; the next try is after the backoff of the attempts so far.
    const tried = prev?.attempts ?? 0;
    const lastError = `${r.reason} (retried, not counted: this machine's clock may be off, and the receiver checks timestamps)`;
    return { kind: 'retry', delivery: { status: 'pending', attempts: tried, nextAttemptAt: t + backoffMs(tried + 1, o.random), lastError, finishedAt: null } };
  }
  if (r.retry && attempts < o.maxAttempts) {
    const nextAttemptAt = t + retryDelayMs(attempts, r.retryAfterMs, o.random);
    return { kind: 'retry', delivery: { status: 'pending', attempts, nextAttemptAt, lastError: r.reason, finishedAt: null } };
  }
  const reason = r.retry ? `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}; last: ${r.reason}` : r.reason;
  const disable = !r.retry && 'disable' in r && r.disable === true;
  return { kind: 'dead', delivery: deadDelivery(attempts, reason, t), reason, disable };
}

/** A deferred send result: the sink did not try the event (no room in its rate limit). */
export function isDeferred(r: SendResult): r is Extract<SendResult, { deferred: true }> {
  return !r.ok && 'deferred' in r && r.deferred === true;
}

/** The delivery as it was (its claim cleared by the write), or a fresh pending one due at `now`. */
export function releasedDelivery(prev: Delivery | undefined, now: number): Delivery {
  return prev
    ? { status: prev.status, attempts: prev.attempts, nextAttemptAt: prev.nextAttemptAt, lastError: prev.lastError, finishedAt: prev.finishedAt }
    : { status: 'pending', attempts: 0, nextAttemptAt: now, lastError: null, finishedAt: null };
}

/** Attempts and last error unchanged; only when it is due again moves. */
function deferredDelivery(prev: Delivery | undefined, dueAt: number): Delivery {
  return { status: 'pending', attempts: prev?.attempts ?? 0, nextAttemptAt: dueAt, lastError: prev?.lastError ?? null, finishedAt: null };
}

/** A dead delivery: final, with its reason. */
export function deadDelivery(attempts: number, reason: string, now: number): Delivery {
  return { status: 'dead', attempts, nextAttemptAt: now, lastError: reason, finishedAt: now };
}
