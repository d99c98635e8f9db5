// The local stores' lifecycle ports (StorePort, RetentionPort): who the store is and whether it was found reset,
// who may sweep it, and what it forgets so that nothing grows for ever. A link in the chain delivery.ts ->
// lifecycle.ts -> store.ts (LocalStateStore).
import { randomUUID } from 'node:crypto';
import { TASK_KINDS, type StoreIdentity, type StoreReset } from '../../types';
import { deadLettersToExpire, keyId, keysToForget, mergedReset } from '../rules';
import type { RetentionPort, StorePort, SweepLease } from '../store';
import { clone, LocalDeliveryStore } from './delivery';

export abstract class LocalLifecycleStore extends LocalDeliveryStore implements StorePort, RetentionPort {
  // --- the store itself ---

  identity(now: number): Promise<StoreIdentity> {
    // A read once it exists (the api function asks on every request); a write only the first time.
    return this.persistence.read((s) => (s.identity ? { ...s.identity } : null)).then((known) => known ?? this.makeIdentity(now));
  }

  private makeIdentity(now: number): Promise<StoreIdentity> {
    return this.persistence.write((s) => {
      const created = s.identity === null;
      if (created) s.identity = { storeId: randomUUID(), createdAt: now };
      return { identity: { ...s.identity! }, created };
    }, (r) => r.created).then((r) => r.identity);
  }

  recordReset(reset: StoreReset): Promise<void> {
    return this.persistence.write((s) => {
      s.reset = mergedReset(s.reset, clone(reset));
    });
  }

  getReset(): Promise<StoreReset | null> {
    return this.persistence.read((s) => (s.reset ? clone(s.reset) : null));
  }

  acknowledgeReset(): Promise<StoreReset | null> {
    return this.persistence.write((s) => {
      const reset = s.reset;
      s.reset = null;
      return reset;
    }, (reset) => reset !== null);
  }

  acquireSweepLease(): Promise<SweepLease> {
    return this.persistence.acquireSweepLease?.() ?? Promise.resolve({ kind: 'shared' });
  }

  // --- retention ---

  purgeUnwatched(leftBefore: number, limit: number): Promise<number> {
    return this.persistence.write((s) => {
      let forgotten = 0;
      for (const id of keysToForget(s.left, leftBefore, limit)) {
        // Scheduled again meanwhile (syncSchedule unmarks, so only a mark a racing write left): keep it.
        if (s.schedule.has(id)) s.left.delete(id);
        else if (s.forgetKey(id)) forgotten++;
      }
      return forgotten;
    }, (forgotten) => forgotten > 0);
  }

  forgetAgent(uuid: string): Promise<number> {
    return this.persistence.write((s) => {
      let forgotten = 0;
      for (const kind of TASK_KINDS) if (s.forgetKey(keyId({ uuid, kind }))) forgotten++;
      return forgotten;
    });
  }

  expireDeadLetters(deadBefore: number, maxPerSink: number, limit: number): Promise<number> {
    return this.persistence.write((s) => {
      const letters = [...s.dead].map(([id, l]) => ({ id, sinkId: l.sinkId, deadAt: l.deadAt }));
      const expired = deadLettersToExpire(letters, deadBefore, maxPerSink, limit);
      for (const id of expired) s.dead.delete(id);
      return expired.length;
    }, (expired) => expired > 0);
  }
}
