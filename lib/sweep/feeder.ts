// Hands due keys to the sweep's workers, one kind at a time, in the order the budget should go:
// the hot lane (never observed, or COLLECTING: where a change comes next) before the cold lane (every other
// state), most overdue first within a lane. So that no key starves when the hot lane alone could use the
// whole budget, every COLD_SHARE-th pick goes to the cold lane while it has due keys.
import type { Lane, StateStore } from '../state/store';
import type { KeyRecord, TaskKind } from '../types';
import { keyId } from '../state/store';

/** Keys fetched from the store per refill of one (kind, lane) queue. */
const BATCH = 100;
/** One pick in this many goes to the cold lane when both lanes have due keys. */
export const COLD_SHARE = 4;
/** After a refill that found nothing new, wait this long before asking the store again. */
const EMPTY_REFILL_PAUSE_MS = 200;

interface LaneQueue {
  queue: KeyRecord[];
  refilling: Promise<void> | null;
  emptyUntil: number;
}

export class DueKeyFeeder {
  /** Keys queued or being checked, so a refill does not hand them out twice. */
  private readonly taken = new Set<string>();
  private readonly lanes = new Map<string, LaneQueue>();
  private readonly picks = new Map<TaskKind, number>();

  constructor(private readonly store: StateStore, private readonly now: () => number) {}

  /** The next key of `kind` to check, or null if none is due now. */
  async next(kind: TaskKind): Promise<KeyRecord | null> {
    const pick = (this.picks.get(kind) ?? 0) + 1;
    this.picks.set(kind, pick);
    const order: Lane[] = pick % COLD_SHARE === 0 ? ['cold', 'hot'] : ['hot', 'cold'];
    for (const lane of order) {
      const rec = await this.take(kind, lane);
      if (rec) return rec;
    }
    return null;
  }

  /** The worker finished with a key (its schedule moved, or it stays due for the next run). */
  done(rec: KeyRecord): void {
    this.taken.delete(keyId(rec));
  }

  private laneQueue(kind: TaskKind, lane: Lane): LaneQueue {
    const id = `${kind}/${lane}`;
    let q = this.lanes.get(id);
    if (!q) {
      q = { queue: [], refilling: null, emptyUntil: 0 };
      this.lanes.set(id, q);
    }
    return q;
  }

  private async take(kind: TaskKind, lane: Lane): Promise<KeyRecord | null> {
    const q = this.laneQueue(kind, lane);
    if (q.queue.length === 0) {
      if (!q.refilling && this.now() >= q.emptyUntil) {
        q.refilling = this.refill(kind, lane, q).finally(() => {
          q.refilling = null;
        });
      }
      if (q.refilling) await q.refilling;
    }
    return q.queue.shift() ?? null;
  }

  private async refill(kind: TaskKind, lane: Lane, q: LaneQueue): Promise<void> {
    // Keys already handed out are still due in the store until checked: ask for enough to get past them.
    const due = await this.store.dueKeys(this.now(), this.taken.size + BATCH, { kind, lane });
    let added = 0;
    for (const rec of due) {
      const id = keyId(rec);
      if (this.taken.has(id)) continue;
      this.taken.add(id);
      q.queue.push(rec);
      if (++added >= BATCH) break;
    }
    if (added === 0) q.emptyUntil = this.now() + EMPTY_REFILL_PAUSE_MS;
  }
}
