// Retention inside the sweep: forget the keys of agents that left the watch list FORGET_AFTER ago, and drop dead
// letters older than DEAD_LETTER_RETENTION or past DEAD_LETTER_MAX of their sink. Bounded per run, in batches, and
// within the run's publish deadline: a backlog (a large fleet unwatched at once, a store adopted from before
// retention) is worked off over several runs instead of holding one up.
import type { Config } from '../config';
import type { Logger } from '../log';
import type { RetentionPort, HistoryPort } from '../state/store';

/** Keys forgotten, or dead letters dropped, per store call. */
export const RETENTION_BATCH = 500;
/** Store calls of each kind per run at most (5,000 keys and 5,000 dead letters a run). */
export const RETENTION_ROUNDS = 10;

export interface RetentionCounts {
  forgotten: number;
  deadLettersExpired: number;
}

export async function applyRetention(store: Pick<RetentionPort, 'purgeUnwatched' | 'expireDeadLetters'> & Partial<Pick<HistoryPort, 'trimHistory'>>, retention: Config['retention'], now: () => number, until: number, log: Logger): Promise<RetentionCounts> {
  const counts: RetentionCounts = { forgotten: 0, deadLettersExpired: 0 };
  const t = now();
  for (let round = 0; round < RETENTION_ROUNDS && now() < until; round++) {
    const n = await store.purgeUnwatched(t - retention.forgetAfterMs, RETENTION_BATCH);
    counts.forgotten += n;
    if (n < RETENTION_BATCH) break;
  }
  for (let round = 0; round < RETENTION_ROUNDS && now() < until; round++) {
    const n = await store.expireDeadLetters(t - retention.deadLetterRetentionMs, retention.deadLetterMax, RETENTION_BATCH);
    counts.deadLettersExpired += n;
    if (n < RETENTION_BATCH) break;
  }
  // The history trims as it is appended to; this drops what aged past HISTORY_RETENTION while nothing came.
  let historyTrimmed = 0;
  for (let round = 0; store.trimHistory && round < RETENTION_ROUNDS && now() < until; round++) {
    const n = await store.trimHistory(t, RETENTION_BATCH);
    historyTrimmed += n;
    if (n < RETENTION_BATCH) break;
  }
  if (historyTrimmed > 0) log.debug('retention: history trimmed', { historyTrimmed });
  if (counts.forgotten > 0 || counts.deadLettersExpired > 0) log.info('retention: forgot what was due', { ...counts });
  return counts;
}
