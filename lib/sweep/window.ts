// How long may this sweep run? The function's remaining time less a safety margin, capped by SWEEP_BUDGET_MS;
// the last part of it is kept for publishing.
import type { Config } from '../config';
import type { ScfContext } from '../scf/types';
import type { SweepWindow } from './sweep';

/** Without an SCF context (local runs) and without SWEEP_BUDGET_MS, a sweep may take this long. */
export const DEFAULT_LOCAL_BUDGET_MS = 62_000;

export function sweepWindow(config: Config['sweep'], context: ScfContext | undefined, requestId: string, now: number): SweepWindow {
  const remaining = context?.getRemainingTimeInMillis?.() ?? context?.time_limit_in_ms ?? null;
  let budget = remaining !== null ? remaining - config.marginMs : DEFAULT_LOCAL_BUDGET_MS;
  if (config.budgetMs !== null) budget = Math.min(budget, config.budgetMs);
  budget = Math.max(0, budget);
  // Publishing mostly happens during the sweep; keep a tenth (at most 2 s) for the final drain.
  const publishReserve = Math.min(2_000, Math.floor(budget / 10));
  return { requestId, pollUntil: now + budget - publishReserve, publishUntil: now + budget, keepPolling: true };
}
