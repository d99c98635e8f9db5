// Values over time without timers: a sorted list of points, read at any instant. The task states, the
// online flags and the hosts of the emulated agents are all kept this way, so the emulator's clock (a test's
// hand-moved `now`) decides everything and a fleet of 10,000 agents schedules nothing.

export interface Point<T> {
  at: number;
  value: T;
  /** The order points were written in, across timelines: what happened first when two share a ms. */
  seq?: number;
}

/** The value at `t`: the last point at or before it (the latest written wins a tie). */
export function valueAt<T>(points: readonly Point<T>[], t: number): T | undefined {
  for (let i = points.length - 1; i >= 0; i--) if (points[i]!.at <= t) return points[i]!.value;
  return undefined;
}

/** Drops the scheduled future (points after `t`) so a new schedule replaces it. */
export function cutFuture<T>(points: Point<T>[], t: number): void {
  while (points.length > 0 && points[points.length - 1]!.at > t) points.pop();
}

/** mulberry32: a small seeded PRNG, enough for reproducible fleets and hosts. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a (32 bit): a seed from a string, e.g. an agent's uuid. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
