// Request budgets: how many requests a caller (an API token) may make, rejecting rather than waiting. GCRA with
// a burst: one request per 1000/rate ms on average, up to `burst` at once after a quiet spell. A refusal says
// how long until the next request would be admitted (the Retry-After). In process here; redis-budget.ts keeps
// the same arithmetic in Redis so every instance of the api function shares one budget per token.

export type BudgetAnswer = { ok: true } | { ok: false; retryAfterMs: number };

export interface RequestBudget {
  /** Takes one request from `key`'s budget, or says when to come back. */
  take(key: string): Promise<BudgetAnswer>;
  /**
   * Refuses every take of `key` for the next `ms` (a receiver's own block, e.g. a chat robot's throttling
   * answer), shared as widely as the budget is: another instance does not knock on a blocked door either.
   * After the hold, takes resume one per interval (GCRA cannot refuse until a moment and then admit a burst).
   */
  holdOff(key: string, ms: number): Promise<void>;
}

/** The tat that refuses every take until `now + ms` (gcraStep admits while tat - now <= tolerance), or the current one if later. */
export function heldTat(tat: number, now: number, ms: number, intervalMs: number, burst: number): number {
  return Math.max(tat, now + Math.max(0, ms) + intervalMs * (burst - 1));
}

/**
 * The GCRA step shared by both implementations: given the stored theoretical arrival time, admit or refuse.
 * `tat` is when the budget is next full-to-one; a request is admitted while tat - now <= tolerance.
 */
export function gcraStep(tat: number, now: number, intervalMs: number, burst: number): { admitted: boolean; tat: number; retryAfterMs: number } {
  const tolerance = intervalMs * (burst - 1);
  const start = Math.max(tat, now);
  if (start - now > tolerance) return { admitted: false, tat, retryAfterMs: Math.ceil(start - now - tolerance) };
  return { admitted: true, tat: start + intervalMs, retryAfterMs: 0 };
}

export class LocalRequestBudget implements RequestBudget {
  private readonly intervalMs: number;
  private readonly tats = new Map<string, number>();

  constructor(ratePerSecond: number, private readonly burst: number, private readonly now: () => number = Date.now) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError(`request budget: rate and burst must be positive, got ${ratePerSecond} and ${burst}`);
    this.intervalMs = 1000 / ratePerSecond;
  }

  async take(key: string): Promise<BudgetAnswer> {
    const now = this.now();
    const step = gcraStep(this.tats.get(key) ?? 0, now, this.intervalMs, this.burst);
    if (!step.admitted) return { ok: false, retryAfterMs: step.retryAfterMs };
    this.tats.set(key, step.tat);
    // A key whose budget is full again needs no entry: keeps the map to the callers active right now.
    if (this.tats.size > 10_000) for (const [k, t] of this.tats) if (t <= now) this.tats.delete(k);
    return { ok: true };
  }

  async holdOff(key: string, ms: number): Promise<void> {
    this.tats.set(key, heldTat(this.tats.get(key) ?? 0, this.now(), ms, this.intervalMs, this.burst));
  }
}
