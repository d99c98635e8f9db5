// What the bridge persists, cut into ports by concern: each piece of code takes only the port it needs (the
// sweep a schedule, delivery an outbox, the API watches, dead letters and health). Every backend implements
// all of them as one StateStore: local/memory.ts (tests), local/file.ts (the embedded default), redis/store.ts
// (production); the rules they share are in rules.ts, their one error type in errors.ts, and one contract
// suite (test/contract/state-store.test.ts) runs against all three. New state (collections, snapshots,
// machines) gets a port of its own here; docs/architecture.md ("Adding a store operation") has the steps.
import type { DeadLetter, Delivery, DiscoveryCursor, KeyRecord, MachineInfo, OutboxEntry, StoreIdentity, StoreReset, SweepSummary, TaskKey, TaskKind, TaskState, Watch } from '../types';
import type { BridgeEvent, CloudEvent, SilenceEndedNotice } from '../events/types';
import type { Incident, IncidentPage, IncidentQuery, IncidentWrite, QuietHit, QuietKind, QuietRule, QuietRules } from '../alerts/types';
import type { DeadLetterFilter, Lane } from './rules';
import type { HistoryFilter, HistoryPage, HistoryQuery } from './history';
import type { CounterIncrement, CounterValue } from './counters';

export { keyId, parseKeyId, laneOf, LANES, type DeadLetterFilter, type Lane } from './rules';
export { StoreError, isStoreError } from './errors';

/** Restricts countDue to one kind and/or one lane. */
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
  event: BridgeEvent;
  /** True: the machine listing said OFFLINE (KeyRecord.parked). Unset or false: the key is not parked. */
  parked?: boolean;
  /** The incident writes the change makes (lib/alerts/rules.ts), in the same atomic step; a conflict on any fails it. */
  incidents?: IncidentWrite[];
}

/** An observation that did not change the state: only the schedule moves. */
export interface CheckToRecord {
  key: TaskKey;
  observedAt: number;
  nextDue: number;
  /** True: the machine listing said OFFLINE (KeyRecord.parked). Unset or false: the key is not parked. */
  parked?: boolean;
}

/** A key a sweep took from the schedule, and the score its claim gave it. */
export interface KeyClaim {
  record: KeyRecord;
  claimedUntil: number;
}

/** The sweep's port: which keys are due, and what a check found. */
export interface SchedulePort {
  /**
   * Makes the schedule hold exactly these keys: adds missing ones (due at `now`, a blank record) and removes
   * from the schedule keys not listed (their records stay readable, marked as left at `now` for RetentionPort;
   * a key scheduled again is unmarked). Returns how many were added. A listed key
   * that still has a record from earlier keeps its state and version and is due at `now`. recordCheck and
   * recordChange update a key's record either way, but move it in the schedule only while it is scheduled: a
   * late result for an unwatched key does not put it back.
   */
  syncSchedule(keys: TaskKey[], now: number): Promise<number>;
  /**
   * Atomically takes up to `limit` due keys of one kind and lane (nextDue <= now, most overdue first, ties by
   * key id): their schedule moves to now + leaseMs, so an overlapping sweep does not check them too. The
   * returned records keep their real nextDue; the check (recordCheck/recordChange) sets the next one, and
   * releaseClaims gives back keys that were not checked.
   */
  claimDueKeys(now: number, limit: number, filter: Required<DueFilter>, leaseMs: number): Promise<KeyRecord[]>;
  /** Puts claimed, unchecked keys back at their nextDue, unless something has moved them since the claim. */
  releaseClaims(claims: KeyClaim[]): Promise<void>;
  /** How many scheduled keys are due at `now` (of that kind and/or lane with a filter). */
  countDue(now: number, filter?: DueFilter): Promise<number>;
  /** The earliest nextDue among scheduled keys (of `kind` if given), or null when none is scheduled. */
  nextDueAt(kind?: TaskKind): Promise<number | null>;
  /**
   * Spare budget: takes up to `limit` keys of `kind` that are scheduled, not parked, not due (nextDue > now: due
   * keys belong to claimDueKeys), not claimed, and last checked at or before `checkedBefore`, least recently
   * checked first (never checked before all). Taking one moves it to the back of that order (as if checked at
   * `now`), so overlapping sweeps take different keys; its record and schedule are unchanged, so nothing needs
   * giving back. (rules.idleOrder)
   */
  claimIdleKeys(now: number, limit: number, kind: TaskKind, checkedBefore: number): Promise<KeyRecord[]>;
  /** The record of a key, or null if the key is unknown (re-read after a compare-and-set conflict). */
  getRecord(key: TaskKey): Promise<KeyRecord | null>;
  /** The records of many keys at once (null where unknown), in order: the machine listing reads 200 a page. */
  getRecords(keys: TaskKey[]): Promise<Array<KeyRecord | null>>;
  /** Updates lastChecked and nextDue of a key whose state did not change. */
  recordCheck(check: CheckToRecord): Promise<void>;
  /**
   * Atomically: if the stored version equals expectedVersion and every incident write applies
   * (rules.incidentWriteApplies), set state/since/requestId/lastChecked/nextDue, bump the version, append the event
   * to the outbox, and make the incident writes with their events. Returns false (and writes nothing) on a conflict.
   */
  recordChange(change: ChangeToRecord): Promise<boolean>;
}

/** The API's read of what the sweep recorded. */
export interface AgentRecordsPort {
  /** Records of all known keys of one agent. */
  getRecordsForAgent(uuid: string): Promise<KeyRecord[]>;
}

/** The API-managed part of the watch list (WATCH_UUIDS is merged in by rules.mergeWatchLists). */
export interface WatchPort {
  /** By uuid. */
  listWatches(): Promise<Watch[]>;
  /** One watch, or null: O(1), so a PUT does not read the whole list. */
  getWatch(uuid: string): Promise<Watch | null>;
  /** How many API watches there are: O(1), for the MAX_WATCHES cap. */
  countWatches(): Promise<number>;
  putWatch(uuid: string, kinds: TaskKind[], now: number): Promise<Watch>;
  /** Returns false if there was no such watch. */
  deleteWatch(uuid: string): Promise<boolean>;
}

/** Delivery's port: the outbox, each (event, sink) delivery, and the dead letters it makes. */
export interface OutboxPort {
  /** Outbox entries, oldest first. */
  listOutbox(limit: number): Promise<OutboxEntry[]>;
  countOutbox(): Promise<number>;
  /**
   * Atomically claims one (event, sink) delivery for sending: succeeds only if the event is in the outbox and
   * rules.canClaimDelivery holds. The claim lasts `leaseMs`; the next updateDelivery replaces it.
   */
  claimDelivery(eventId: string, sinkId: string, now: number, leaseMs: number): Promise<boolean>;
  /** Sets the delivery state of one event for one sink (only while the event is in the outbox). */
  updateDelivery(eventId: string, sinkId: string, delivery: Delivery): Promise<void>;
  /** Removes an event from the outbox (every target sink is delivered or dead). */
  removeFromOutbox(eventId: string): Promise<void>;
  /** Adds a dead letter (keyed by rules.deadLetterId; a second add replaces the first and moves it last). */
  addDeadLetter(letter: DeadLetter): Promise<void>;
}

/** The API's view of dead letters. */
export interface DeadLetterPort {
  /** In order of addition. */
  listDeadLetters(limit: number): Promise<DeadLetter[]>;
  countDeadLetters(): Promise<number>;
  /**
   * Moves dead letters back to the outbox (rules.replayedEntry), each targeted at the sink that failed it,
   * with fresh attempts. `eventIds` null = all. Returns the number of letters moved.
   */
  replayDeadLetters(eventIds: string[] | null, now: number): Promise<number>;
  /** Deletes dead letters for good (rules.isDiscarded: all, of these events, or of these sinks); returns how many. */
  discardDeadLetters(filter: DeadLetterFilter): Promise<number>;
  /** The sinks that have dead letters, by sink id. */
  deadLetterSinks(): Promise<string[]>;
}

/** What /healthz reads and each sweep's summary writes. */
export interface HealthPort {
  /** A short description for logs and /healthz, e.g. `redis://127.0.0.1:6379/0` (never a password). */
  readonly description: string;
  /** Whether the store survives across SCF instances (false for memory and file). */
  readonly durableAcrossInstances: boolean;
  /** Round-trip check. */
  ping(): Promise<void>;
  putLastSweep(summary: SweepSummary): Promise<void>;
  getLastSweep(): Promise<SweepSummary | null>;
}

/** A completion whose results are still to be read: the key, and the version whose COMPLETE to read. */
export interface PendingRead {
  key: TaskKey;
  forVersion: number;
}

/** A snapshot as stored: its compact form (lib/results/snapshot.ts) and when it was taken (the CAS token). */
export interface StoredSnapshot {
  encoded: string;
  takenAt: number;
}

/**
 * The full loop's port: completions waiting for their results to be read, and each host's latest snapshot.
 * recordChange marks a read pending whenever a key becomes COMPLETE (rules.readPendingAfter), in its atomic step.
 */
export interface ResultsPort {
  /**
   * Takes up to `limit` pending reads due at `now` (of `kind` only, if given) for `leaseMs` (a crashed reader's
   * come back): earliest due first (ties by key id), kind by kind in TASK_KINDS order. Per kind, so the quick
   * port reads need not queue behind the long process reads.
   */
  claimPendingReads(now: number, limit: number, leaseMs: number, kind?: TaskKind): Promise<PendingRead[]>;
  /** A claimed read failed: it is due again at `retryAt` (unless a newer completion replaced it). */
  releasePendingRead(read: PendingRead, retryAt: number): Promise<void>;
  getSnapshot(key: TaskKey): Promise<StoredSnapshot | null>;
  /**
   * Atomically, if the stored snapshot is still the one taken at `expectedTakenAt` (null: none yet) and every
   * incident write applies: store `snapshot`, append `event` (when not null) to the outbox, clear the pending read
   * of `forVersion` (a newer completion's read stays), and make the incident writes. Returns false, writing
   * nothing, on a conflict.
   */
  recordSnapshot(key: TaskKey, expectedTakenAt: number | null, snapshot: StoredSnapshot, forVersion: number, event: BridgeEvent | null, incidents?: IncidentWrite[]): Promise<boolean>;
}

/**
 * Incidents (lib/alerts): what a person on call reads. Written with the change that causes them (recordChange,
 * recordSnapshot) or on their own (applyIncidents: the clock, an acknowledgement, the listing's ONLINE, an agent
 * no longer watched), always by compare-and-set on their revision.
 */
export interface IncidentPort {
  getIncident(key: string): Promise<Incident | null>;
  /** The pending and firing incidents of one agent. */
  openIncidentsOf(uuid: string): Promise<Incident[]>;
  /** The agents that have pending or firing incidents, by uuid, at most `limit`, after `after` (a page at a time). */
  agentsWithOpenIncidents(limit: number, after?: string): Promise<string[]>;
  /**
   * A page of incidents, newest first (openedAt, then key, descending), filtered; a page looks at most
   * rules.INCIDENT_SCAN_MAX incidents, so it may hold fewer than `limit` with a nextCursor still to follow.
   * A cursor the store cannot read throws rules.BadCursorError.
   */
  listIncidents(query: IncidentQuery): Promise<IncidentPage>;
  /**
   * Atomically takes up to `limit` incidents due at `now` (rules.incidentDueAt: pending past fireAt, firing with a
   * repeat due), most overdue first (ties by key), moving them to now + leaseMs so an overlapping sweep does not
   * take them too; the write that follows sets their next due time.
   */
  claimDueIncidents(now: number, limit: number, leaseMs: number): Promise<Incident[]>;
  /** The earliest due time of any incident (claimed ones at their claim's end), or null. */
  nextIncidentDueAt(): Promise<number | null>;
  /** Atomically makes every write with its event if each applies (rules.incidentWriteApplies); else false, nothing written. */
  applyIncidents(writes: IncidentWrite[]): Promise<boolean>;
  /** Deletes up to `limit` incidents resolved at or before `before`, earliest first; returns how many. */
  purgeResolvedIncidents(before: number, limit: number): Promise<number>;
}

/**
 * Discovery's port (WATCH_DISCOVER): the machines the listing found, and where the listing is. One sweep at a
 * time lists (a lease), resuming where the last stopped.
 */
export interface FleetPort {
  /**
   * Takes the discovery lease until now + leaseMs if no other sweep holds it: returns the stored cursor (null
   * when discovery never ran), or 'busy'.
   */
  claimDiscovery(now: number, leaseMs: number): Promise<{ cursor: DiscoveryCursor | null } | 'busy'>;
  /** Stores the cursor; `leaseUntil` keeps the lease (a page at a time) or, null, gives it up. */
  saveDiscovery(cursor: DiscoveryCursor, leaseUntil: number | null): Promise<void>;
  /** The stored cursor, for /healthz and the API. */
  getDiscovery(): Promise<DiscoveryCursor | null>;
  /** Adds or updates machines by uuid (rules.mergeMachine: the first firstSeenAt is kept). */
  putMachines(machines: MachineInfo[]): Promise<void>;
  /** Every machine, by uuid. */
  listMachines(): Promise<MachineInfo[]>;
  getMachine(uuid: string): Promise<MachineInfo | null>;
  /**
   * Atomically, if the machine's last listing is still at or before `lastListing` (rules.isForgotten): deletes
   * it and appends `event` (when not null) to the outbox. Returns false, writing nothing, otherwise.
   */
  forgetMachine(uuid: string, lastListing: number, event: BridgeEvent | null): Promise<boolean>;
}

/**
 * What a sweep may do on a store: `shared` (overlapping sweeps are safe: Redis, or one process's memory), `held`
 * (this process has the store's one sweep lease until release(): a file store), or `busy` (another process holds
 * it; `holder` says who, e.g. `pid 4242 on host-a since 2026-...`).
 */
export type SweepLease = { kind: 'shared' } | { kind: 'held'; release(): Promise<void> } | { kind: 'busy'; holder: string };

/** The store itself: who it is, whether it was found reset, and who may sweep it. */
export interface StorePort {
  /**
   * The store's identity, created on first use in one atomic step (so racing first uses agree). A store that
   * is wiped (Redis FLUSHALL, a restart without persistence, a new directory) answers a new one.
   */
  identity(now: number): Promise<StoreIdentity>;
  /** Records a reset noticed by an instance (rules.mergedReset: a second notice of it fills in what the first lacked). */
  recordReset(reset: StoreReset): Promise<void>;
  /** The reset not yet acknowledged, or null. */
  getReset(): Promise<StoreReset | null>;
  /** Clears the recorded reset (an operator has seen it); returns it, or null if there was none. */
  acknowledgeReset(): Promise<StoreReset | null>;
  /** Whether this process may sweep now (SweepLease); a file store has one writer at a time. */
  acquireSweepLease(): Promise<SweepLease>;
}

/** What keeps the store from growing for ever: forgetting unwatched agents, expiring dead letters. */
export interface RetentionPort {
  /**
   * Forgets up to `limit` keys that left the watch list at or before `leftBefore` (rules.keysToForget): their
   * records, snapshots, pending reads and marks. Returns how many keys it forgot.
   */
  purgeUnwatched(leftBefore: number, limit: number): Promise<number>;
  /**
   * Forgets every key of an agent at once (DELETE /v1/watches/{uuid}?forget=true): out of the schedule, and its
   * records, snapshots, pending reads and marks deleted. Returns how many keys had a record or a snapshot.
   */
  forgetAgent(uuid: string): Promise<number>;
  /** Drops up to `limit` dead letters (rules.deadLettersToExpire); returns how many. */
  expireDeadLetters(deadBefore: number, maxPerSink: number, limit: number): Promise<number>;
}

/** A whole backend: every port, and the connection or file it holds. */
/** A register: a named value with a version, as getRegister reads it. */
export interface Register {
  value: string;
  /** Bumped by every put; the compare-and-set token (0 = never put). */
  version: number;
}

/**
 * Small named values that change with an event of their own, exactly once across overlapping sweeps: the account's
 * asset scan on cwp (lib/sweep/scan.ts) keeps its last published state here. Retention never forgets a register.
 */
export interface RegisterPort {
  getRegister(name: string): Promise<Register | null>;
  /**
   * Atomically, if the register's version is still `expectedVersion` (0: never put): set `value`, bump the version,
   * and append `event` to the outbox. Returns false, writing nothing, on a conflict.
   */
  putRegister(name: string, expectedVersion: number, value: string, event: BridgeEvent): Promise<boolean>;
}

/**
 * The event history (GET /v1/events): every event appended to the outbox (by recordChange, recordSnapshot,
 * applyIncidents, putRegister, forgetMachine, a replay) is kept here too, written in the same atomic step, once per
 * event id. Kept HISTORY_RETENTION and at most HISTORY_MAX events (history.ts HistoryLimits), trimmed from the old
 * end as it grows (each append trims what it pushes out, at most 1,000 a step), never by a scan of the whole history.
 */
export interface HistoryPort {
  /**
   * A page of events, newest first (time, then arrival, descending: history.ts historyPlace), filtered by type,
   * agent and time. nextCursor continues below the page's last event, so events arriving meanwhile do not shift
   * it. A cursor the store did not give throws rules.BadCursorError.
   */
  searchHistory(query: HistoryQuery): Promise<HistoryPage>;
  /** How many events the history holds (that match the filters, if any): from the indexes, not by reading them. */
  countHistory(filter?: HistoryFilter): Promise<number>;
  /**
   * Drops up to `limit` events older than `now` less HISTORY_RETENTION (the sweep's end: the history also ages
   * while nothing is appended); returns how many.
   */
  trimHistory(now: number, limit: number): Promise<number>;
}

/**
 * Counters kept in the store across instances (GET /metrics). Callers add up in memory and increment in batches
 * (a sweep's or a drain's worth at once), one round trip each; events published are counted by the outbox
 * append itself (counters.ts EVENTS_PUBLISHED).
 */
export interface CounterPort {
  /** Adds each increment to its counter (made at 0 on first use), in one step. */
  incrementCounters(increments: CounterIncrement[]): Promise<void>;
  /** Every counter, by name then labels. */
  readCounters(): Promise<CounterValue[]>;
}

/**
 * The quiet rules (lib/alerts): silences, maintenance windows and expectations the API made, each with its hits. A
 * sweep reads them all once (listQuietRules) and matches in memory; it adds the hits it counted at its end.
 */
export interface QuietPort {
  /** Every rule of every kind, each with its hits (and a silence with whether its end was noticed), oldest first. */
  listQuietRules(): Promise<QuietRules>;
  /** Stores a rule of `kind` under its id, as given (replacing one with that id: a silence's early end and noticed end go); its hits stay. */
  putQuietRule(kind: QuietKind, rule: QuietRule): Promise<void>;
  /** Removes a rule and its hits; false when there was none. */
  deleteQuietRule(kind: QuietKind, id: string): Promise<boolean>;
  /**
   * Ends a silence at `at` (endsAt becomes `at` if that is earlier; `by` is kept as endedBy): the silence as it now
   * is, or null when there is none.
   */
  endSilence(id: string, at: number, by: string): Promise<QuietRules['silences'][number] | null>;
  /** Adds each hit to its rule's count, and lastHitAt to the latest (a rule gone meanwhile is skipped). */
  addQuietHits(hits: QuietHit[]): Promise<void>;
  /**
   * Marks a silence's end as noticed: true for the one call that marked it (its end is said once), else false. The
   * call that marks it appends `notice` (when given) to the outbox in the same step, as a notice: not in the event
   * history nor the published counter, and sent only to the sinks that take notices (deliver.ts).
   */
  noticeSilenceEnded(id: string, notice?: SilenceEndedNotice | null): Promise<boolean>;
}

export interface StateStore extends SchedulePort, AgentRecordsPort, WatchPort, OutboxPort, DeadLetterPort, HealthPort, ResultsPort, FleetPort, StorePort, RetentionPort, IncidentPort, RegisterPort, HistoryPort, CounterPort, QuietPort {
  close(): Promise<void>;
}
