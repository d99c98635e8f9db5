// When is a key due again? Set by its state, so the rate budget goes where a change can come next.
import type { Intervals } from '../config';
import type { TaskState } from '../types';

export type { Intervals } from '../config';

/** Seconds until a key in `state` is checked again. */
export function intervalSeconds(state: TaskState | null, intervals: Intervals): number {
  switch (state) {
    case null:
      return intervals.unobserved;
    case 'COLLECTING':
      return intervals.collecting;
    case 'AGENT_OFFLINE':
      return intervals.offline;
    case 'UNKNOWN_AGENT':
      return intervals.unknownAgent;
    case 'COMPLETE':
    case 'FAILED':
    case 'NO_TASK':
      return intervals.terminal;
  }
}

/**
 * The next due time. Long intervals get up to 10% random spread so that a fleet observed in one sweep does
 * not come due again in one burst; the short COLLECTING interval stays exact (latency is its point).
 */
export function nextDueAt(state: TaskState | null, observedAt: number, intervals: Intervals, random: () => number = Math.random): number {
  const ms = intervalSeconds(state, intervals) * 1000;
  const spread = ms >= 60_000 ? Math.floor(random() * ms * 0.1) : 0;
  return observedAt + ms + spread;
}

/** A check that failed transiently is retried after the COLLECTING interval: soon, but not in a tight loop. */
export function retryDueAt(now: number, intervals: Intervals): number {
  return now + intervals.collecting * 1000;
}
