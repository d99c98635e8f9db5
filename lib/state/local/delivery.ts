// The local stores' delivery ports (OutboxPort, DeadLetterPort): the outbox, each (event, sink) delivery, and
// the dead letters. The base of LocalStateStore (store.ts), which adds the other ports; a port group of its own
// file keeps each file short, and a new port group is one more class in this chain.
import type { DeadLetter, Delivery, OutboxEntry } from '../../types';
import { canClaimDelivery, claimedDelivery, deadLetterId, isDiscarded, replayedEntry, type DeadLetterFilter } from '../rules';
import type { DeadLetterPort, OutboxPort } from '../store';
import type { Persistence } from './persistence';

export const clone = <T>(v: T): T => structuredClone(v);

/** Copies of the first `limit` values, in order (insertion order is outbox and dead-letter order). */
export function firstCopies<T>(values: Iterable<T>, limit: number): T[] {
  const out: T[] = [];
  if (limit <= 0) return out;
  for (const v of values) {
    out.push(clone(v));
    if (out.length >= limit) break;
  }
  return out;
}

export abstract class LocalDeliveryStore implements OutboxPort, DeadLetterPort {
  constructor(protected readonly persistence: Persistence) {}

  // --- the outbox, deliveries and dead letters ---

  listOutbox(limit: number): Promise<OutboxEntry[]> {
    return this.persistence.read((s) => firstCopies(s.outbox.values(), limit));
  }

  countOutbox(): Promise<number> {
    return this.persistence.read((s) => s.outbox.size);
  }

  claimDelivery(eventId: string, sinkId: string, now: number, leaseMs: number): Promise<boolean> {
    return this.persistence.write((s) => {
      const e = s.outbox.get(eventId);
      if (!e) return false;
      const d = e.deliveries[sinkId];
      if (!canClaimDelivery(d, now)) return false;
      e.deliveries[sinkId] = claimedDelivery(d, now, leaseMs);
      return true;
    }, (claimed) => claimed);
  }

  updateDelivery(eventId: string, sinkId: string, delivery: Delivery): Promise<void> {
    return this.persistence.write((s) => {
      const e = s.outbox.get(eventId);
      if (e) e.deliveries[sinkId] = { ...delivery };
    });
  }

  removeFromOutbox(eventId: string): Promise<void> {
    return this.persistence.write((s) => {
      s.outbox.delete(eventId);
    });
  }

  addDeadLetter(letter: DeadLetter): Promise<void> {
    return this.persistence.write((s) => {
      const id = deadLetterId(letter.event.id, letter.sinkId);
      s.dead.delete(id);
      s.dead.set(id, clone(letter));
    });
  }

  listDeadLetters(limit: number): Promise<DeadLetter[]> {
    return this.persistence.read((s) => firstCopies(s.dead.values(), limit));
  }

  countDeadLetters(): Promise<number> {
    return this.persistence.read((s) => s.dead.size);
  }

  replayDeadLetters(eventIds: string[] | null, now: number): Promise<number> {
    return this.persistence.write((s) => {
      const only = eventIds ? new Set(eventIds) : null;
      let moved = 0;
      for (const [id, letter] of [...s.dead]) {
        if (only && !only.has(letter.event.id)) continue;
        s.dead.delete(id);
        // Map.set on an existing key keeps its place: a merged entry stays where it was in the outbox.
        s.outbox.set(letter.event.id, replayedEntry(s.outbox.get(letter.event.id), letter, now));
        moved++;
      }
      return moved;
    }, (moved) => moved > 0);
  }

  discardDeadLetters(filter: DeadLetterFilter): Promise<number> {
    return this.persistence.write((s) => {
      let discarded = 0;
      for (const [id, letter] of [...s.dead]) {
        if (!isDiscarded(letter, filter)) continue;
        s.dead.delete(id);
        discarded++;
      }
      return discarded;
    }, (discarded) => discarded > 0);
  }

  deadLetterSinks(): Promise<string[]> {
    return this.persistence.read((s) => [...new Set([...s.dead.values()].map((l) => l.sinkId))].sort());
  }
}
