// The state of a local store (memory or file): plain Maps and the schedule, synchronous, and serialisable as
// one document (the file store's state.json). The port methods that read and change it are in store.ts; here
// are only the steps more than one of them takes, and recordCheck, which the file store also replays onto a
// state it reloaded (file.ts).
import type { DeadLetter, DiscoveryCursor, KeyRecord, MachineInfo, OutboxEntry, StoreIdentity, StoreReset, SweepSummary, Watch } from '../../types';
import type { BridgeEvent, CloudEvent } from '../../events/types';
import type { Expectation, Incident, IncidentWrite, MaintenanceWindow, QuietHits, QuietKind, QuietRule, Silence } from '../../alerts/types';
import { blankRecord, deadLetterId, incidentDueAt, incidentWriteApplies, keyId, laneOf, leftAtAfterWrite, parseKeyId } from '../rules';
import type { CheckToRecord, DueFilter, Register, StoredSnapshot } from '../store';
import { LaneSchedule } from './schedule';
import { HistoryLog } from './history-log';
import { publishedKey } from '../counters';
import { isNotice } from '../../events/silence-ended';

/** The serialised form of a LocalState (the file store's document, less its header). */
export interface LocalStateDocument {
  /** keyId -> [state, version, since, lastChecked, nextDue, requestId, scheduled 0|1, parked 0|1 (absent before discovery)] */
  records: Record<string, [KeyRecord['state'], number, number | null, number | null, number, string | null, 0 | 1, (0 | 1)?]>;
  watches: Watch[];
  outbox: OutboxEntry[];
  deadLetters: DeadLetter[];
  lastSweep: SweepSummary | null;
  /** keyId -> snapshot (absent in documents written before the full loop). */
  snapshots?: Record<string, StoredSnapshot>;
  /** keyId -> [forVersion, dueAt] */
  pendingReads?: Record<string, [number, number]>;
  /** Discovery's machines and cursor (absent before discovery). */
  machines?: MachineInfo[];
  discovery?: { cursor: DiscoveryCursor | null; leaseUntil: number };
  /** keyId -> when it left the watch list (absent before retention: every unscheduled record is then marked at load). */
  left?: Record<string, number>;
  /** The store's identity and an unacknowledged reset (absent before they existed: created on first use). */
  identity?: StoreIdentity | null;
  reset?: StoreReset | null;
  /** Incidents, and when each is due to the clock where that differs from rules.incidentDueAt (absent before alerts). */
  incidents?: Incident[];
  incidentDue?: Record<string, number>;
  /** name -> [value, version] (absent before registers existed). */
  registers?: Record<string, [string, number]>;
  /** counters.ts key -> value (absent before counters existed). */
  counters?: Record<string, number>;
  /**
   * Where the event history is (the file store: history-file.ts): the arrival counter, the place of the newest
   * event trimmed, and its segment files with their committed lengths. Absent before history existed.
   */
  history?: HistoryDocument;
  /** The quiet rules with their hits (absent before they existed). */
  quiet?: { silence: Array<Silence & QuietHits & { endNoticed: boolean }>; window: Array<MaintenanceWindow & QuietHits>; expectation: Array<Expectation & QuietHits> };
}

export interface HistoryDocument {
  seq: number;
  watermark: string;
  /** [file name, bytes committed, events written] */
  segments: Array<[string, number, number]>;
}

/** A quiet rule as a local store keeps it: the rule, its hits, and (a silence) whether its end was noticed. */
export type StoredQuietRule = QuietRule & QuietHits & { endNoticed?: boolean };

/**
 * What a local store holds. A key is "scheduled" while it is in `schedule` (syncSchedule listed it); its record
 * stays in `records` either way. Map insertion order is meaningful where noted.
 */
export class LocalState {
  readonly records = new Map<string, KeyRecord>();
  readonly schedule = new LaneSchedule();
  readonly watches = new Map<string, Watch>();
  /** Insertion order is outbox order. */
  readonly outbox = new Map<string, OutboxEntry>();
  /** Insertion order is dead-letter order; keyed by deadLetterId. */
  readonly dead = new Map<string, DeadLetter>();
  lastSweep: SweepSummary | null = null;
  readonly snapshots = new Map<string, StoredSnapshot>();
  /** Completions whose results are to be read, by key id: the version to read, and when it is due. */
  readonly pendingReads = new Map<string, { forVersion: number; dueAt: number }>();
  /**
   * Keys taken for a spare-budget check and not checked since: when they were taken (they count as checked
   * then, rules.idleScore). Only keys in flight, so small; the order itself is found by a scan (claimIdleKeys).
   * Not saved: a reloaded state starts without it.
   */
  readonly idleTaken = new Map<string, number>();
  readonly machines = new Map<string, MachineInfo>();
  discovery: { cursor: DiscoveryCursor | null; leaseUntil: number } = { cursor: null, leaseUntil: 0 };
  /** Keys off the watch list, by key id: when they left (rules.leftAtAfterWrite); retention forgets them later. */
  readonly left = new Map<string, number>();
  identity: StoreIdentity | null = null;
  reset: StoreReset | null = null;
  /** Every incident by key (open and resolved, until purged); nothing per key or agent without one. */
  readonly incidents = new Map<string, Incident>();
  /** The open (pending, firing) incident of each subject: subject -> key. */
  readonly openIncidents = new Map<string, string>();
  /** The clock's index: key -> when it is due (rules.incidentDueAt, or the end of a claim). */
  readonly incidentDue = new Map<string, number>();

  /** Whether every incident write applies to what is stored (rules.incidentWriteApplies). */
  incidentWritesApply(writes: readonly IncidentWrite[] | undefined): boolean {
    return (writes ?? []).every((w) => incidentWriteApplies(this.incidents.get(w.incident.key), this.openIncidents.get(w.incident.subject), w));
  }

  /** Makes incident writes that apply: each incident, its indexes, and its event in the outbox. */
  applyIncidentWrites(writes: readonly IncidentWrite[] | undefined): void {
    for (const w of writes ?? []) {
      const i = structuredClone(w.incident);
      this.incidents.set(i.key, i);
      this.indexIncident(i);
      if (w.event) this.appendToOutbox(w.event, Date.parse(w.event.time), w.silenced === true);
    }
  }

  private indexIncident(i: Incident): void {
    if (i.state === 'resolved') {
      if (this.openIncidents.get(i.subject) === i.key) this.openIncidents.delete(i.subject);
    } else this.openIncidents.set(i.subject, i.key);
    const due = incidentDueAt(i);
    if (due === null) this.incidentDue.delete(i.key);
    else this.incidentDue.set(i.key, due);
  }
  /** RegisterPort's values, by name. */
  readonly registers = new Map<string, Register>();
  /** Every event appended to the outbox, searchable (HistoryPort); written by appendToOutbox. */
  history = new HistoryLog();
  /** CounterPort's values by counters.ts key. */
  readonly counters = new Map<string, number>();
  /** The file store's segments of the history, as loaded or last saved (history-file.ts); empty for memory. */
  historySegments: Array<[string, number, number]> = [];
  /** QuietPort's rules, per kind by id (insertion order: oldest first). */
  readonly quiet: Record<QuietKind, Map<string, StoredQuietRule>> = { silence: new Map(), window: new Map(), expectation: new Map() };

  /** recordCheck: lastChecked and nextDue of a key (a blank record if unknown); moves it only while scheduled. */
  recordCheck(check: CheckToRecord): void {
    const id = keyId(check.key);
    let rec = this.records.get(id);
    if (rec) {
      rec.lastChecked = check.observedAt;
      rec.nextDue = check.nextDue;
    } else this.records.set(id, (rec = blankRecord(check.key, check.nextDue, check.observedAt)));
    if (check.parked) rec.parked = true;
    else delete rec.parked;
    if (this.schedule.has(id)) this.schedule.set(id, check.key.kind, laneOf(rec.state), check.nextDue);
    this.idleTaken.delete(id);
    this.markIfUnscheduled(id, check.observedAt);
  }

  /** A write to a key off the watch list marks it as left, unless it is marked already (rules.leftAtAfterWrite). */
  markIfUnscheduled(id: string, at: number): void {
    const mark = leftAtAfterWrite(this.schedule.has(id), this.left.get(id), at);
    if (mark !== undefined) this.left.set(id, mark);
  }

  /** Everything kept of a key: record, schedule, spare-budget take, snapshot, pending read, mark. */
  forgetKey(id: string): boolean {
    const had = this.records.delete(id) || this.snapshots.has(id);
    this.schedule.delete(id);
    this.idleTaken.delete(id);
    this.snapshots.delete(id);
    this.pendingReads.delete(id);
    this.left.delete(id);
    return had;
  }

  /**
   * Appends an event to the outbox unless it is there already (a retried step appends it once). A notice (a
   * silence that ended, for the chat robots) is not a published event: not in the history nor the counter.
   */
  appendToOutbox(event: BridgeEvent, at: number, silenced = false): void {
    if (this.outbox.has(event.id)) return;
    this.outbox.set(event.id, { event: structuredClone(event), createdAt: at, targets: null, deliveries: {}, ...(silenced ? { silenced: true } : {}) });
    if (isNotice(event)) return;
    // The history and the published counter in the same step (a replayed event is in the history already).
    this.history.append(event);
    const key = publishedKey(event.type);
    this.counters.set(key, (this.counters.get(key) ?? 0) + 1);
  }

  /** Up to `limit` due keys, most overdue first (ties by key id), without claiming them. */
  dueKeys(now: number, limit: number, filter?: DueFilter): KeyRecord[] {
    if (limit <= 0) return [];
    return this.schedule.dueIds(now, limit, filter).map(({ id, due }) => {
      const r = this.records.get(id);
      return r ? { ...r } : blankRecord(parseKeyId(id), due);
    });
  }

  toDocument(): LocalStateDocument {
    const records: LocalStateDocument['records'] = {};
    for (const [id, r] of this.records) {
      records[id] = [r.state, r.version, r.since, r.lastChecked, r.nextDue, r.requestId, this.schedule.has(id) ? 1 : 0];
      if (r.parked) records[id].push(1);
    }
    return {
      records,
      watches: [...this.watches.values()],
      outbox: [...this.outbox.values()],
      deadLetters: [...this.dead.values()],
      lastSweep: this.lastSweep,
      snapshots: Object.fromEntries(this.snapshots),
      pendingReads: Object.fromEntries([...this.pendingReads].map(([id, r]) => [id, [r.forVersion, r.dueAt]])),
      machines: [...this.machines.values()],
      discovery: this.discovery,
      left: Object.fromEntries(this.left),
      identity: this.identity,
      reset: this.reset,
      incidents: [...this.incidents.values()],
      incidentDue: Object.fromEntries(this.incidentDue),
      registers: Object.fromEntries([...this.registers].map(([name, r]) => [name, [r.value, r.version]])),
      counters: Object.fromEntries(this.counters),
      quiet: {
        silence: [...this.quiet.silence.values()] as NonNullable<LocalStateDocument['quiet']>['silence'],
        window: [...this.quiet.window.values()] as NonNullable<LocalStateDocument['quiet']>['window'],
        expectation: [...this.quiet.expectation.values()] as NonNullable<LocalStateDocument['quiet']>['expectation'],
      },
    };
  }

  /** Rebuilds a state from a document (objects are taken over, not copied). */
  static fromDocument(doc: LocalStateDocument): LocalState {
    const s = new LocalState();
    for (const [id, t] of Object.entries(doc.records ?? {})) {
      const { uuid, kind } = parseKeyId(id);
      const [state, version, since, lastChecked, nextDue, requestId, scheduled, parked] = t;
      const rec: KeyRecord = { uuid, kind, state, version, since, lastChecked, nextDue, requestId };
      if (parked === 1) rec.parked = true;
      s.records.set(id, rec);
      if (scheduled) s.schedule.set(id, kind, laneOf(state), nextDue);
    }
    s.schedule.rebuild();
    for (const m of doc.machines ?? []) s.machines.set(m.uuid, m);
    if (doc.discovery) s.discovery = doc.discovery;
    for (const w of doc.watches ?? []) s.watches.set(w.uuid, w);
    for (const e of doc.outbox ?? []) s.outbox.set(e.event.id, e);
    for (const d of doc.deadLetters ?? []) s.dead.set(deadLetterId(d.event.id, d.sinkId), d);
    s.lastSweep = doc.lastSweep ?? null;
    for (const [id, snap] of Object.entries(doc.snapshots ?? {})) s.snapshots.set(id, snap);
    for (const [id, [forVersion, dueAt]] of Object.entries(doc.pendingReads ?? {})) s.pendingReads.set(id, { forVersion, dueAt });
    if (doc.left) for (const [id, at] of Object.entries(doc.left)) s.left.set(id, at);
    else {
      // A document from before retention: its records of unwatched agents were kept for ever; their time starts now.
      const now = Date.now();
      for (const id of s.records.keys()) if (!s.schedule.has(id)) s.left.set(id, now);
    }
    s.identity = doc.identity ?? null;
    s.reset = doc.reset ?? null;
    for (const i of doc.incidents ?? []) {
      s.incidents.set(i.key, i);
      s.indexIncident(i);
    }
    // A claim's due time is kept as saved (a document without them has the due times the incidents give).
    for (const [key, due] of Object.entries(doc.incidentDue ?? {})) if (s.incidentDue.has(key)) s.incidentDue.set(key, due);
    for (const [name, [value, version]] of Object.entries(doc.registers ?? {})) s.registers.set(name, { value, version });
    for (const [key, value] of Object.entries(doc.counters ?? {})) s.counters.set(key, value);
    for (const kind of ['silence', 'window', 'expectation'] as const) for (const r of doc.quiet?.[kind] ?? []) s.quiet[kind].set(r.id, r);
    return s;
  }
}
