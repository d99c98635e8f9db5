// What changed between two snapshots of one host, by identity (items.ts): an identity present now but not
// before is added, one present before but not now is removed. Lists are capped for the events (MAX_LISTED
// each, `truncated` set) while the counts stay true.
import type { TaskKind } from '../types';
import { identityOf, type ResultItem } from './items';

/** How many added and how many removed items an event lists at most (the counts are always complete). */
export const MAX_LISTED = 50;

export interface SnapshotDiff<T extends ResultItem = ResultItem> {
  added: T[];
  removed: T[];
  addedCount: number;
  removedCount: number;
  /** Some added or removed items are not listed (more than MAX_LISTED). */
  truncated: boolean;
}

export function diffSnapshots<T extends ResultItem>(kind: TaskKind, previous: readonly T[], current: readonly T[], maxListed = MAX_LISTED): SnapshotDiff<T> {
  const before = new Map<string, T>();
  for (const item of previous) if (!before.has(identityOf(kind, item))) before.set(identityOf(kind, item), item);
  const now = new Map<string, T>();
  for (const item of current) if (!now.has(identityOf(kind, item))) now.set(identityOf(kind, item), item);
  const added: T[] = [];
  for (const [id, item] of now) if (!before.has(id)) added.push(item);
  const removed: T[] = [];
  for (const [id, item] of before) if (!now.has(id)) removed.push(item);
  return {
    added: added.slice(0, maxListed),
    removed: removed.slice(0, maxListed),
    addedCount: added.length,
    removedCount: removed.length,
    truncated: added.length > maxListed || removed.length > maxListed,
  };
}

export function isEmptyDiff(d: SnapshotDiff): boolean {
  return d.addedCount === 0 && d.removedCount === 0;
}
