// The StateStore interface: everything the bridge persists. Implementations: memory.ts (tests), file.ts (the
// embedded default), redis.ts (production). One contract test suite (test/contract/state-store.test.ts)
// runs against all three.
import type { DeadLetter, Delivery, KeyRecord, OutboxEntry, SweepSummary, TaskKey, TaskKind, TaskState, Watch, CloudEvent } from '../types';

/**
 * The sweep's two priority lanes of a kind's schedule: `hot` holds keys never observed (state null) or
 * COLLECTING, where the next change is expected; `cold` holds every other state. A key moves between lanes
 * when recordChange changes its state.
 */
export type Lane = 'hot' | 'cold';
export const LANES: readonly Lane[] = ['hot', 'cold'];

export function laneOf(state: TaskState | null): Lane {
  return state === null || state === 'COLLECTING' ? 'hot' : 'cold';
}

/** Restricts dueKeys/countDue to one kind and/or one lane. */
export interface DueFilter {
  kind?: TaskKind;
  lane?: Lane;
}

/** A change to record: the new state of a key, guarded by the version it was computed from. */
export interface ChangeToRecord {
  key: TaskKey;
  /** The version the caller read; the write applies only if the stored version is still this. */
  expectedVersion: number;
  state: TaskState;
  requestId: string;
  observedAt: number;
  nextDue: number;
  /** The event of the transition; stored in the outbox in the same atomic step. */
  event: CloudEvent;
}

/** An observation that did not change the state: only the schedule moves. */
export interface CheckToRecord {
  key: TaskKey;
  observedAt: number;
  nextDue: number;
}

export interface StateStore {
  /** A short description for logs and /healthz, e.g. `redis://127.0.0.1:6379/0` (never a password). */
  readonly description: string;
  /** Whether the store survives across SCF instances (false for memory and file). */
  readonly durableAcrossInstances: boolean;

  // --- Per-key state and schedule ---
  /** The record of a key, or null if the key is unknown. */
  getRecord(key: TaskKey): Promise<KeyRecord | null>;
  /** Records of all known keys of one agent. */
  getRecordsForAgent(uuid: string): Promise<KeyRecord[]>;
  /**
   * Makes the schedule hold exactly these keys: adds missing ones (due at `now`, version 0, state null) and
   * removes from the schedule keys not listed (their records stay readable). Returns how many were added.
   * A listed key that still has a record from earlier keeps its state and version and is due at `now`.
   * recordCheck and recordChange update a key's record either way, but move it in the schedule only while
   * it is scheduled: a late result for an unwatched key does not put it back.
   */
  syncSchedule(keys: TaskKey[], now: number): Promise<number>;
  /**
   * Up to `limit` keys with nextDue <= now, most overdue first (ties by key id). With a filter, only keys of
   * that kind and/or lane (see `Lane`).
   */
  dueKeys(now: number, limit: number, filter?: DueFilter): Promise<KeyRecord[]>;
  /**
   * Like dueKeys for one kind and lane, but atomically takes the keys: their schedule moves to now + leaseMs,
   * so an overlapping sweep does not check them too. The returned records keep their real nextDue; the check
   * (recordCheck/recordChange) sets the next one, and releaseClaims gives back keys that were not checked.
   */
  claimDueKeys(now: number, limit: number, filter: Required<DueFilter>, leaseMs: number): Promise<KeyRecord[]>;
  /** Puts claimed, unchecked keys back at their nextDue, unless something has moved them since the claim. */
  releaseClaims(claims: Array<{ record: KeyRecord; claimedUntil: number }>): Promise<void>;
  /** How many scheduled keys are due at `now` (of that kind and/or lane with a filter). */
  countDue(now: number, filter?: DueFilter): Promise<number>;
  /** The earliest nextDue among scheduled keys (of `kind` if given), or null when none is scheduled. */
  nextDueAt(kind?: TaskKind): Promise<number | null>;
  /** Updates lastChecked and nextDue of a key whose state did not change. */
  recordCheck(check: CheckToRecord): Promise<void>;
  /**
   * Atomically: if the stored version equals expectedVersion, set state/since/requestId/lastChecked/nextDue,
   * bump the version, and append the event to the outbox. Returns false (and writes nothing) on a conflict.
   */
  recordChange(change: ChangeToRecord): Promise<boolean>;

  // --- Watch list (the API-managed part; WATCH_UUIDS is merged in by the caller) ---
  listWatches(): Promise<Watch[]>;
  putWatch(uuid: string, kinds: TaskKind[], now: number): Promise<Watch>;
  /** Returns false if there was no such watch. */
  deleteWatch(uuid: string): Promise<boolean>;

  // --- Outbox and deliveries ---
  /** Outbox entries, oldest first. */
  listOutbox(limit: number): Promise<OutboxEntry[]>;
  countOutbox(): Promise<number>;
  /** Sets the delivery state of one event for one sink. */
  updateDelivery(eventId: string, sinkId: string, delivery: Delivery): Promise<void>;
  /**
   * Atomically claims one (event, sink) delivery for sending: succeeds only if the event is in the outbox,
   * the delivery is still pending (or not tried yet), due (nextAttemptAt <= now) and not claimed by another
   * drain until after `now`. The claim lasts `leaseMs`; the next updateDelivery replaces it.
   */
  claimDelivery(eventId: string, sinkId: string, now: number, leaseMs: number): Promise<boolean>;
  /** Removes an event from the outbox (every target sink is delivered or dead). */
  removeFromOutbox(eventId: string): Promise<void>;
  /** Adds a dead letter (keyed by event id and sink id; a second add replaces the first). */
  addDeadLetter(letter: DeadLetter): Promise<void>;
  listDeadLetters(limit: number): Promise<DeadLetter[]>;
  countDeadLetters(): Promise<number>;
  /**
   * Moves dead letters back to the outbox, each targeted at the sink that failed it, with fresh attempts.
   * `eventIds` null = all. Returns the number of letters moved.
   */
  replayDeadLetters(eventIds: string[] | null, now: number): Promise<number>;

  // --- Health ---
  putLastSweep(summary: SweepSummary): Promise<void>;
  getLastSweep(): Promise<SweepSummary | null>;
  /** Round-trip check for /healthz. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

/** The store key of a (uuid, kind): `<uuid>/<kind>`, also the CloudEvent subject. */
export function keyId(key: TaskKey): string {
  return `${key.uuid}/${key.kind}`;
}

export function parseKeyId(id: string): TaskKey {
  const slash = id.lastIndexOf('/');
  return { uuid: id.slice(0, slash), kind: id.slice(slash + 1) as TaskKind };
}
