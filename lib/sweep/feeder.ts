// Hands due keys to the sweep's workers, one kind at a time, in the order the budget should go:
// the hot lane (never observed, or COLLECTING: where a change comes next) before the cold lane (every other
// state), most overdue first within a lane. So that no key starves when the hot lane alone could use the
// whole budget, every COLD_SHARE-th pick goes to the cold lane while it has due keys.
// Keys are claimed in the store as they are fetched (their schedule moves a lease ahead), so sweeps that
// overlap (one minute's run still polling when the next starts) do not check the same keys twice.
// Spare budget: when neither lane has a due key, the feeder hands out the keys checked longest ago
// (store.claimIdleKeys), paced to CWP_IDLE_RATE per kind and with a few in flight at most, so a key that comes
// due waits behind at most those few; due keys always come first. A small fleet is so watched near real time
// (no key more often than once per IDLE_MIN_GAP_MS) and a large one at the rate limit.
import { keyId, type KeyClaim, type Lane, type SchedulePort } from '../state/store';
import type { KeyRecord, TaskKind } from '../types';

/** Keys claimed per refill of one (kind, lane) queue: about one second of one action's budget. */
const BATCH = 20;
/** A claimed key that its sweep never checks (it crashed) is due again after this. */
export const CLAIM_LEASE_MS = 10_000;
/** One pick in this many goes to the cold lane when both lanes have due keys. */
export const COLD_SHARE = 4;
/** After a refill that found nothing, wait this long before asking the store again. */
const EMPTY_REFILL_PAUSE_MS = 200;
/** Spare-budget keys claimed per refill: few, so they are fresh when checked. */
const IDLE_BATCH = 5;
/** Spare-budget checks of one kind in flight at most: what a due key may find ahead of it in the rate limiter. */
export const IDLE_MAX_IN_FLIGHT = 5;
/** No key is checked from spare budget more often than this. */
export const IDLE_MIN_GAP_MS = 1_000;

/** Spare-budget checks: how many per second per kind (CWP_IDLE_RATE; 0 = none). */
export interface IdleOptions {
  ratePerSecond: number;
}

interface IdleQueue {
  queue: KeyRecord[];
  /** When the next spare-budget pick may happen (pacing to the rate). */
  nextAt: number;
  emptyUntil: number;
  inFlight: Set<string>;
}

interface LaneQueue {
  queue: KeyRecord[];
  refilling: Promise<void> | null;
  emptyUntil: number;
}

export class DueKeyFeeder {
  /** Claimed keys not yet done, with the score their claim gave them. */
  private readonly claimed = new Map<string, KeyClaim>();
  private readonly lanes = new Map<string, LaneQueue>();
  private readonly picks = new Map<TaskKind, number>();

  private readonly idle = new Map<TaskKind, IdleQueue>();
  /** Checks handed out from spare budget. */
  idleChecks = 0;

  constructor(
    private readonly store: Pick<SchedulePort, 'claimDueKeys' | 'releaseClaims' | 'claimIdleKeys'>,
    private readonly now: () => number,
    private readonly idleOptions: IdleOptions | null = null,
  ) {}

  /** The next key of `kind` to check: a due one, else (with spare budget on) one checked long ago, else null. */
  async next(kind: TaskKind): Promise<KeyRecord | null> {
    const pick = (this.picks.get(kind) ?? 0) + 1;
    this.picks.set(kind, pick);
    const order: Lane[] = pick % COLD_SHARE === 0 ? ['cold', 'hot'] : ['hot', 'cold'];
    for (const lane of order) {
      const rec = await this.take(kind, lane);
      if (rec) return rec;
    }
    return this.takeIdle(kind);
  }

  /** The worker recorded a check of this key: the check moved its schedule, so there is nothing to give back. */
  done(rec: KeyRecord): void {
    const id = keyId(rec);
    this.claimed.delete(id);
    this.idle.get(rec.kind)?.inFlight.delete(id);
  }

  /** When a spare-budget check of `kind` may next be handed out (null: spare budget is off). */
  idleReadyAt(kind: TaskKind): number | null {
    if (!this.idleOptions || this.idleOptions.ratePerSecond <= 0) return null;
    const q = this.idleQueue(kind);
    return Math.max(q.nextAt, q.emptyUntil);
  }

  private idleQueue(kind: TaskKind): IdleQueue {
    let q = this.idle.get(kind);
    if (!q) this.idle.set(kind, (q = { queue: [], nextAt: 0, emptyUntil: 0, inFlight: new Set() }));
    return q;
  }

  private async takeIdle(kind: TaskKind): Promise<KeyRecord | null> {
    const rate = this.idleOptions?.ratePerSecond ?? 0;
    if (rate <= 0) return null;
    const q = this.idleQueue(kind);
    const now = this.now();
    if (now < q.nextAt || q.inFlight.size >= IDLE_MAX_IN_FLIGHT) return null;
    if (q.queue.length === 0) {
      if (now < q.emptyUntil) return null;
      const got = await this.store.claimIdleKeys(now, IDLE_BATCH, kind, now - IDLE_MIN_GAP_MS);
      q.queue.push(...got);
      if (got.length === 0) {
        q.emptyUntil = now + EMPTY_REFILL_PAUSE_MS;
        return null;
      }
    }
    const rec = q.queue.shift() ?? null;
    if (!rec) return null;
    q.nextAt = Math.max(q.nextAt, now) + 1000 / rate;
    q.inFlight.add(keyId(rec));
    this.idleChecks++;
    return rec;
  }

  /**
   * Gives back the keys claimed but not checked (the deadline came first, or the store failed), so they are due
   * at once again. If the store fails, the claims are kept for another try.
   */
  async release(): Promise<void> {
    for (const q of this.lanes.values()) q.queue.length = 0;
    // Spare-budget keys were never claimed in the schedule: nothing of theirs to give back.
    for (const q of this.idle.values()) q.queue.length = 0;
    const claims = [...this.claimed.values()];
    await this.store.releaseClaims(claims);
    for (const c of claims) this.claimed.delete(keyId(c.record));
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
    const now = this.now();
    const due = await this.store.claimDueKeys(now, BATCH, { kind, lane }, CLAIM_LEASE_MS);
    for (const record of due) {
      this.claimed.set(keyId(record), { record, claimedUntil: now + CLAIM_LEASE_MS });
      q.queue.push(record);
    }
    if (due.length === 0) q.emptyUntil = now + EMPTY_REFILL_PAUSE_MS;
  }
}
