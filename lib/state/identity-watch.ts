// Noticing that the state store was reset (Redis FLUSHALL, a Redis restarted without persistence, a file store's
// directory replaced): each function's runtime keeps one StoreIdentityWatch, which remembers the store id it last
// saw and what it last saw in the store. The sweep checks at its start and the api function on every request
// (one round trip). When the id is gone or changed, what the store held is gone: this says so once, at error,
// with what this instance knew, and records the reset in the new store, so /healthz of every instance is degraded
// until an operator acknowledges it.
import type { Logger } from '../log';
import type { StoreIdentity, StoreReset } from '../types';
import type { StorePort } from './store';

type Seen = StoreReset['lost'];

export class StoreIdentityWatch {
  private last: StoreIdentity | null = null;
  private seen: Seen = { apiWatches: null, outbox: null, deadLetters: null };

  constructor(private readonly role: StoreReset['noticedBy']) {}

  /** What this instance saw in the store (the sweep: its API watches, outbox and dead letters): what a reset would lose. */
  saw(seen: Partial<Seen>): void {
    this.seen = { ...this.seen, ...seen };
  }

  /**
   * The store's identity, and the reset it shows if its id is not the one this instance saw last (null: none, or
   * this is the instance's first look). A reset is logged and recorded before this resolves.
   */
  async check(store: Pick<StorePort, 'identity' | 'recordReset'>, now: number, log: Logger): Promise<{ identity: StoreIdentity; reset: StoreReset | null }> {
    const identity = await store.identity(now);
    const before = this.last;
    // Compared and replaced at once: of two checks in flight, only the first to come back reports the reset.
    this.last = identity;
    if (!before || before.storeId === identity.storeId) return { identity, reset: null };
    const reset: StoreReset = { at: now, storeId: identity.storeId, previousStoreId: before.storeId, noticedBy: this.role, lost: this.seen };
    this.seen = { apiWatches: null, outbox: null, deadLetters: null };
    log.error('state store was reset', {
      storeIdBefore: before.storeId, storeIdNow: identity.storeId, storeCreatedAt: new Date(identity.createdAt).toISOString(),
      lostApiWatches: reset.lost.apiWatches, lostOutbox: reset.lost.outbox, lostDeadLetters: reset.lost.deadLetters,
      fix: 'restore the API watches (POST /v1/watches/import with the last GET /v1/watches/export), then POST /v1/store/reset-acknowledged; give Redis persistence (AOF) so a restart keeps the state',
    });
    try {
      await store.recordReset(reset);
    } catch (e) {
      // Not recorded: the next check notices it again, rather than /healthz never showing it.
      this.last = before;
      this.seen = reset.lost;
      throw e;
    }
    return { identity, reset };
  }
}
