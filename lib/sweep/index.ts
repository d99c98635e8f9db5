export { runSweep, WORKERS_PER_KIND, type SweepDeps, type SweepStore, type SweepWindow } from './sweep';
export { sweepWindow, DEFAULT_LOCAL_BUDGET_MS } from './window';
export { intervalSeconds, nextDueAt, retryDueAt } from './schedule';
export { listAllWatches, watchedKeys } from './watchlist';
