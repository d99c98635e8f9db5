// The in-memory StateStore: the reference implementation of the ports (lib/state/store.ts) on the shared rules
// (lib/state/rules.ts). Its core, `MemoryState`, is synchronous and serialisable, so the file store (file.ts)
// reuses it and only adds the disk.
//
// Semantics every implementation shares (the contract suite checks them):
// - A key is "scheduled" when syncSchedule listed it. recordCheck/recordChange always update the record's
//   nextDue, but move a key in the schedule only if it is scheduled: a key dropped from the watch list while
//   it was being polled is not resurrected by the late result.
// - syncSchedule makes a newly listed key due at `now`; a key that had a record keeps its state and version.
// - dueKeys orders by nextDue, then by key id (the order of a Redis sorted set with equal scores). The
//   schedule is kept per (kind, lane) so the sweep's filtered calls cost no more than unfiltered ones.
// - The outbox holds one entry per event id, in order of first append. Replaying a dead letter whose event is
//   still in the outbox adds the sink to that entry's targets and clears its delivery (fresh attempts).
// - Dead letters are listed in order of addition; re-adding (event id, sink id) replaces and moves it last.
// - putWatch keeps the first addedAt of a uuid and replaces its kinds.
import type { DeadLetter, Delivery, DiscoveryCursor, KeyRecord, MachineInfo, OutboxEntry, SweepSummary, TaskKey, TaskKind, Watch } from '../types';
import type { BridgeEvent } from '../events/types';
import { TASK_KINDS } from '../types';
import {
  blankRecord, canClaimDelivery, claimedDelivery, compareWatches, deadLetterId, idleScore, isForgotten, isIdleCandidate, isSameRead, keyId, laneOf, LANES,
  mergeMachine, parseKeyId, putWatchRecord, readPendingAfter, replayedEntry, sinceAfterChange, type Lane,
} from './rules';
import type { ChangeToRecord, CheckToRecord, DueFilter, KeyClaim, PendingRead, StateStore, StoredSnapshot } from './store';

interface HeapItem {
  due: number;
  id: string;
  gen: number;
}

function before(a: HeapItem, b: HeapItem): boolean {
  return a.due < b.due || (a.due === b.due && a.id < b.id);
}

/**
 * A schedule of ids by due time: a binary min-heap with lazy deletion. Moving or removing an id only touches
 * the map (and pushes one heap item); stale heap items are dropped when they reach the top, and the heap is
 * rebuilt when stale items outnumber live ones. dueIds(now, limit) costs O(limit log n), not a sort.
 */
export class DueSchedule {
  private readonly live = new Map<string, { due: number; gen: number }>();
  private heap: HeapItem[] = [];
  private gen = 0;

  get size(): number {
    return this.live.size;
  }

  has(id: string): boolean {
    return this.live.has(id);
  }

  dueOf(id: string): number | undefined {
    return this.live.get(id)?.due;
  }

  ids(): IterableIterator<string> {
    return this.live.keys();
  }

  set(id: string, due: number): void {
    const cur = this.live.get(id);
    if (cur && cur.due === due) return;
    const gen = ++this.gen;
    // The live entry is updated in place: a sweep moves every key it checks twice (claim, check).
    if (cur) {
      cur.due = due;
      cur.gen = gen;
    } else this.live.set(id, { due, gen });
    this.push({ due, id, gen });
    if (this.heap.length > 2 * this.live.size + 1024) this.rebuild();
  }

  delete(id: string): boolean {
    return this.live.delete(id);
  }

  /** Up to `limit` ids with due <= now, earliest first (ties by id). */
  dueIds(now: number, limit: number): Array<{ id: string; due: number }> {
    const taken: HeapItem[] = [];
    while (taken.length < limit && this.heap.length > 0) {
      const top = this.heap[0]!;
      if (!this.isLive(top)) {
        this.pop();
        continue;
      }
      if (top.due > now) break;
      taken.push(this.pop());
    }
    for (const item of taken) this.push(item);
    return taken.map((t) => ({ id: t.id, due: t.due }));
  }

  /** The earliest due time, or null when empty. */
  peekDue(): number | null {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (this.isLive(top)) return top.due;
      this.pop();
    }
    return null;
  }

  /** How many ids have due <= now: walks only the part of the heap that is due. */
  countDue(now: number): number {
    let n = 0;
    const stack = this.heap.length > 0 ? [0] : [];
    while (stack.length > 0) {
      const i = stack.pop()!;
      const item = this.heap[i];
      if (!item || item.due > now) continue;
      if (this.isLive(item)) n++;
      stack.push(2 * i + 1, 2 * i + 2);
    }
    return n;
  }

  /** Rebuilds the heap from the live map (O(n) heapify). */
  rebuild(): void {
    this.heap = [...this.live].map(([id, v]) => ({ id, due: v.due, gen: v.gen }));
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private isLive(item: HeapItem): boolean {
    return this.live.get(item.id)?.gen === item.gen;
  }

  private push(item: HeapItem): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(item, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = item;
  }

  private pop(): HeapItem {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.down(0);
    }
    return top;
  }

  private down(i: number): void {
    const h = this.heap;
    const item = h[i]!;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[c]!, item)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = item;
  }
}

interface Part {
  kind: TaskKind;
  lane: Lane;
  due: DueSchedule;
}

/** The schedule of a store: one DueSchedule per (kind, lane), so the sweep can ask for one of them. */
export class LaneSchedule {
  /** kind -> lane -> part; few entries, looked up without building a name per call. */
  private readonly parts = new Map<TaskKind, Partial<Record<Lane, Part>>>();
  /** id -> the part that holds it. */
  private readonly where = new Map<string, Part>();

  get size(): number {
    return this.where.size;
  }

  has(id: string): boolean {
    return this.where.has(id);
  }

  dueOf(id: string): number | undefined {
    return this.where.get(id)?.due.dueOf(id);
  }

  ids(): IterableIterator<string> {
    return this.where.keys();
  }

  private part(kind: TaskKind, lane: Lane): Part {
    let byLane = this.parts.get(kind);
    if (!byLane) this.parts.set(kind, (byLane = {}));
    return (byLane[lane] ??= { kind, lane, due: new DueSchedule() });
  }

  set(id: string, kind: TaskKind, lane: Lane, due: number): void {
    const part = this.part(kind, lane);
    const old = this.where.get(id);
    if (old !== part) {
      old?.due.delete(id);
      this.where.set(id, part);
    }
    part.due.set(id, due);
  }

  delete(id: string): boolean {
    const part = this.where.get(id);
    if (part === undefined) return false;
    this.where.delete(id);
    part.due.delete(id);
    return true;
  }

  private matching(filter?: DueFilter): DueSchedule[] {
    const out: DueSchedule[] = [];
    for (const byLane of this.parts.values()) {
      for (const lane of LANES) {
        const part = byLane[lane];
        if (!part) continue;
        if (filter?.kind !== undefined && filter.kind !== part.kind) continue;
        if (filter?.lane !== undefined && filter.lane !== part.lane) continue;
        out.push(part.due);
      }
    }
    return out;
  }

  dueIds(now: number, limit: number, filter?: DueFilter): Array<{ id: string; due: number }> {
    const parts = this.matching(filter);
    if (parts.length === 1) return parts[0]!.dueIds(now, limit);
    const all = parts.flatMap((p) => p.dueIds(now, limit));
    all.sort((a, b) => a.due - b.due || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return all.slice(0, limit);
  }

  countDue(now: number, filter?: DueFilter): number {
    let n = 0;
    for (const p of this.matching(filter)) n += p.countDue(now);
    return n;
  }

  nextDue(kind?: TaskKind): number | null {
    let min: number | null = null;
    for (const p of this.matching(kind === undefined ? undefined : { kind })) {
      const d = p.peekDue();
      if (d !== null && (min === null || d < min)) min = d;
    }
    return min;
  }

  rebuild(): void {
    for (const p of this.matching()) p.rebuild();
  }
}

const clone = <T>(v: T): T => structuredClone(v);

/** Copies of the first `limit` values, in order (insertion order is outbox and dead-letter order). */
function firstCopies<T>(values: Iterable<T>, limit: number): T[] {
  const out: T[] = [];
  if (limit <= 0) return out;
  for (const v of values) {
    out.push(clone(v));
    if (out.length >= limit) break;
  }
  return out;
}
/** A Watch is flat but for its kinds: copied by hand, not structuredClone'd (listWatches copies 10,000 of them). */
const copyWatch = (w: Watch): Watch => ({ uuid: w.uuid, kinds: [...w.kinds], source: w.source, addedAt: w.addedAt });

/** The serialised form of a MemoryState (the file store's document, less its header). */
export interface MemoryStateDocument {
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
}

/** The synchronous core of the memory and file stores. Returned objects are copies. */
export class MemoryState {
  readonly records = new Map<string, KeyRecord>();
  readonly schedule = new LaneSchedule();
  readonly watches = new Map<string, Watch>();
  /** Insertion order is outbox order. */
  readonly outbox = new Map<string, OutboxEntry>();
  /** Insertion order is dead-letter order; keyed by deadLetterId. */
  readonly dead = new Map<string, DeadLetter>();
  lastSweep: SweepSummary | null = null;
  readonly snapshots = new Map<string, StoredSnapshot>();
  /** Completions whose results are to be read; insertion order is completion order. */
  readonly pendingReads = new Map<string, { forVersion: number; dueAt: number }>();
  /**
   * Keys taken for a spare-budget check and not checked since: when they were taken (they count as checked
   * then, rules.idleScore). Only keys in flight, so small; the order itself is found by a scan (claimIdleKeys).
   */
  readonly idleTaken = new Map<string, number>();
  readonly machines = new Map<string, MachineInfo>();
  discovery: { cursor: DiscoveryCursor | null; leaseUntil: number } = { cursor: null, leaseUntil: 0 };


  getRecord(key: TaskKey): KeyRecord | null {
    const r = this.records.get(keyId(key));
    return r ? { ...r } : null;
  }

  getRecords(keys: TaskKey[]): Array<KeyRecord | null> {
    return keys.map((k) => this.getRecord(k));
  }

  getRecordsForAgent(uuid: string): KeyRecord[] {
    const out: KeyRecord[] = [];
    for (const kind of TASK_KINDS) {
      const r = this.records.get(keyId({ uuid, kind }));
      if (r) out.push({ ...r });
    }
    return out;
  }

  syncSchedule(keys: TaskKey[], now: number): number {
    // No intermediate per-key arrays: with 20,000 keys each one is a megabyte of garbage at the sweep's start.
    const wanted = new Set<string>();
    for (const key of keys) wanted.add(keyId(key));
    // Deleting the entry being visited is safe while iterating a Map.
    for (const id of this.schedule.ids()) if (!wanted.has(id)) this.schedule.delete(id);
    let added = 0;
    for (const id of wanted) {
      if (this.schedule.has(id)) continue;
      let rec = this.records.get(id);
      // A parked key keeps its due time: the machine listing, not a status call, says when it is back.
      if (rec) {
        if (!rec.parked) rec.nextDue = now;
      } else this.records.set(id, (rec = blankRecord(parseKeyId(id), now)));
      this.schedule.set(id, rec.kind, laneOf(rec.state), rec.nextDue);
      added++;
    }
    return added;
  }

  /** Up to `limit` due keys, most overdue first (ties by key id), without claiming them. */
  dueKeys(now: number, limit: number, filter?: DueFilter): KeyRecord[] {
    if (limit <= 0) return [];
    return this.schedule.dueIds(now, limit, filter).map(({ id, due }) => {
      const r = this.records.get(id);
      return r ? { ...r } : blankRecord(parseKeyId(id), due);
    });
  }

  claimDueKeys(now: number, limit: number, filter: Required<DueFilter>, leaseMs: number): KeyRecord[] {
    const due = this.dueKeys(now, limit, filter);
    for (const r of due) this.schedule.set(keyId(r), filter.kind, filter.lane, now + leaseMs);
    return due;
  }

  releaseClaims(claims: KeyClaim[]): boolean {
    let released = false;
    for (const { record, claimedUntil } of claims) {
      const id = keyId(record);
      if (this.schedule.dueOf(id) !== claimedUntil) continue;
      this.schedule.set(id, record.kind, laneOf(this.records.get(id)?.state ?? null), record.nextDue);
      released = true;
    }
    return released;
  }

  countDue(now: number, filter?: DueFilter): number {
    return this.schedule.countDue(now, filter);
  }

  nextDueAt(kind?: TaskKind): number | null {
    return this.schedule.nextDue(kind);
  }

  /**
   * Spare budget (claimIdleKeys): least recently checked first among scheduled, unparked keys neither due nor
   * claimed. A scan of the records with a running top `limit`, not an index: the memory and file stores serve
   * fleets whose records fit one process, where an index would cost more memory (a heap entry per key) than the
   * scan costs time (about a millisecond per 20,000 keys, a few times a second).
   */
  claimIdleKeys(now: number, limit: number, kind: TaskKind, checkedBefore: number): KeyRecord[] {
    if (limit <= 0) return [];
    const best: Array<{ score: number; id: string; rec: KeyRecord }> = [];
    for (const [id, rec] of this.records) {
      if (rec.kind !== kind || !isIdleCandidate(rec)) continue;
      const due = this.schedule.dueOf(id);
      if (due === undefined || due <= now || due !== rec.nextDue) continue;
      const score = Math.max(idleScore(rec), this.idleTaken.get(id) ?? 0);
      if (score > checkedBefore) continue;
      if (best.length >= limit) {
        const last = best[best.length - 1]!;
        if (score > last.score || (score === last.score && id > last.id)) continue;
        best.pop();
      }
      let i = best.length;
      while (i > 0 && (best[i - 1]!.score > score || (best[i - 1]!.score === score && best[i - 1]!.id > id))) i--;
      best.splice(i, 0, { score, id, rec });
    }
    for (const b of best) this.idleTaken.set(b.id, now);
    return best.map((b) => ({ ...b.rec }));
  }

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
  }

  recordChange(change: ChangeToRecord): boolean {
    const id = keyId(change.key);
    const rec = this.records.get(id);
    if ((rec?.version ?? 0) !== change.expectedVersion) return false;
    const next: KeyRecord = {
      uuid: change.key.uuid,
      kind: change.key.kind,
      state: change.state,
      version: change.expectedVersion + 1,
      since: sinceAfterChange(rec ?? null, change.state, change.observedAt),
      lastChecked: change.observedAt,
      nextDue: change.nextDue,
      requestId: change.requestId,
    };
    if (change.parked) next.parked = true;
    this.records.set(id, next);
    if (this.schedule.has(id)) this.schedule.set(id, change.key.kind, laneOf(change.state), change.nextDue);
    this.idleTaken.delete(id);
    this.appendToOutbox(change.event, change.observedAt);
    if (readPendingAfter(change.state)) {
      this.pendingReads.delete(id); // re-inserted last: a newer completion waits behind older ones
      this.pendingReads.set(id, { forVersion: change.expectedVersion + 1, dueAt: change.observedAt });
    }
    return true;
  }

  private appendToOutbox(event: BridgeEvent, at: number): void {
    if (!this.outbox.has(event.id)) this.outbox.set(event.id, { event: clone(event), createdAt: at, targets: null, deliveries: {} });
  }

  claimPendingReads(now: number, limit: number, leaseMs: number, kind?: TaskKind): PendingRead[] {
    const out: PendingRead[] = [];
    for (const [id, read] of this.pendingReads) {
      if (out.length >= limit) break;
      if (read.dueAt > now || (kind !== undefined && parseKeyId(id).kind !== kind)) continue;
      read.dueAt = now + leaseMs;
      out.push({ key: parseKeyId(id), forVersion: read.forVersion });
    }
    return out;
  }

  releasePendingRead(read: PendingRead, retryAt: number): boolean {
    const stored = this.pendingReads.get(keyId(read.key));
    if (!isSameRead(stored, read.forVersion)) return false;
    stored!.dueAt = retryAt;
    return true;
  }

  getSnapshot(key: TaskKey): StoredSnapshot | null {
    const s = this.snapshots.get(keyId(key));
    return s ? { ...s } : null;
  }

  recordSnapshot(key: TaskKey, expectedTakenAt: number | null, snapshot: StoredSnapshot, forVersion: number, event: BridgeEvent | null): boolean {
    const id = keyId(key);
    if ((this.snapshots.get(id)?.takenAt ?? null) !== expectedTakenAt) return false;
    this.snapshots.set(id, { ...snapshot });
    if (event) this.appendToOutbox(event, snapshot.takenAt);
    if (isSameRead(this.pendingReads.get(id), forVersion)) this.pendingReads.delete(id);
    return true;
  }

  listWatches(): Watch[] {
    const out: Watch[] = [];
    for (const w of this.watches.values()) out.push(copyWatch(w));
    return out.sort(compareWatches);
  }

  getWatch(uuid: string): Watch | null {
    const w = this.watches.get(uuid);
    return w ? copyWatch(w) : null;
  }

  countWatches(): number {
    return this.watches.size;
  }

  putWatch(uuid: string, kinds: TaskKind[], now: number): Watch {
    const w = putWatchRecord(this.watches.get(uuid) ?? null, uuid, kinds, now);
    this.watches.set(uuid, w);
    return copyWatch(w);
  }

  deleteWatch(uuid: string): boolean {
    return this.watches.delete(uuid);
  }

  listOutbox(limit: number): OutboxEntry[] {
    return firstCopies(this.outbox.values(), limit);
  }

  countOutbox(): number {
    return this.outbox.size;
  }

  updateDelivery(eventId: string, sinkId: string, delivery: Delivery): void {
    const e = this.outbox.get(eventId);
    if (e) e.deliveries[sinkId] = { ...delivery };
  }

  claimDelivery(eventId: string, sinkId: string, now: number, leaseMs: number): boolean {
    const e = this.outbox.get(eventId);
    if (!e) return false;
    const d = e.deliveries[sinkId];
    if (!canClaimDelivery(d, now)) return false;
    e.deliveries[sinkId] = claimedDelivery(d, now, leaseMs);
    return true;
  }

  removeFromOutbox(eventId: string): void {
    this.outbox.delete(eventId);
  }

  addDeadLetter(letter: DeadLetter): void {
    const id = deadLetterId(letter.event.id, letter.sinkId);
    this.dead.delete(id);
    this.dead.set(id, clone(letter));
  }

  listDeadLetters(limit: number): DeadLetter[] {
    return firstCopies(this.dead.values(), limit);
  }

  countDeadLetters(): number {
    return this.dead.size;
  }

  replayDeadLetters(eventIds: string[] | null, now: number): number {
    const only = eventIds ? new Set(eventIds) : null;
    let moved = 0;
    for (const [id, letter] of [...this.dead]) {
      if (only && !only.has(letter.event.id)) continue;
      this.dead.delete(id);
      // Map.set on an existing key keeps its place: a merged entry stays where it was in the outbox.
      this.outbox.set(letter.event.id, replayedEntry(this.outbox.get(letter.event.id), letter, now));
      moved++;
    }
    return moved;
  }

  claimDiscovery(now: number, leaseMs: number): { cursor: DiscoveryCursor | null } | 'busy' {
    if (this.discovery.leaseUntil > now) return 'busy';
    this.discovery.leaseUntil = now + leaseMs;
    return { cursor: this.discovery.cursor ? { ...this.discovery.cursor } : null };
  }

  saveDiscovery(cursor: DiscoveryCursor, leaseUntil: number | null): void {
    this.discovery = { cursor: { ...cursor }, leaseUntil: leaseUntil ?? 0 };
  }

  getDiscovery(): DiscoveryCursor | null {
    return this.discovery.cursor ? { ...this.discovery.cursor } : null;
  }

  putMachines(machines: MachineInfo[]): void {
    for (const m of machines) this.machines.set(m.uuid, mergeMachine(this.machines.get(m.uuid) ?? null, { ...m, tags: [...m.tags] }));
  }

  listMachines(): MachineInfo[] {
    return [...this.machines.values()].map((m) => ({ ...m, tags: [...m.tags] })).sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
  }

  getMachine(uuid: string): MachineInfo | null {
    const m = this.machines.get(uuid);
    return m ? { ...m, tags: [...m.tags] } : null;
  }

  forgetMachine(uuid: string, lastListing: number, event: BridgeEvent | null): boolean {
    const m = this.machines.get(uuid);
    if (!m || !isForgotten(m, lastListing)) return false;
    this.machines.delete(uuid);
    if (event) this.appendToOutbox(event, Date.parse(event.time));
    return true;
  }

  putLastSweep(summary: SweepSummary): void {
    this.lastSweep = clone(summary);
  }

  getLastSweep(): SweepSummary | null {
    return this.lastSweep ? clone(this.lastSweep) : null;
  }

  toDocument(): MemoryStateDocument {
    const records: MemoryStateDocument['records'] = {};
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
    };
  }

  /** Rebuilds a state from a document (objects are taken over, not copied). */
  static fromDocument(doc: MemoryStateDocument): MemoryState {
    const s = new MemoryState();
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
    return s;
  }
}

/** StateStore on plain Maps: for tests and one-off runs. Nothing survives the process. */
export class MemoryStateStore implements StateStore {
  readonly description = 'memory:';
  readonly durableAcrossInstances = false;
  private readonly state = new MemoryState();

  /** close() is a no-op: the data stays readable (tests inspect a store after a handler closed it). */
  private live(): MemoryState {
    return this.state;
  }

  async getRecord(key: TaskKey) { return this.live().getRecord(key); }
  async getRecordsForAgent(uuid: string) { return this.live().getRecordsForAgent(uuid); }
  async syncSchedule(keys: TaskKey[], now: number) { return this.live().syncSchedule(keys, now); }
  /** Inspection for tests and tools, not part of any port: due keys without claiming them. */
  async dueKeys(now: number, limit: number, filter?: DueFilter) { return this.live().dueKeys(now, limit, filter); }
  async claimDueKeys(now: number, limit: number, filter: Required<DueFilter>, leaseMs: number) { return this.live().claimDueKeys(now, limit, filter, leaseMs); }
  async releaseClaims(claims: KeyClaim[]) { this.live().releaseClaims(claims); }
  async countDue(now: number, filter?: DueFilter) { return this.live().countDue(now, filter); }
  async nextDueAt(kind?: TaskKind) { return this.live().nextDueAt(kind); }
  async recordCheck(check: CheckToRecord) { this.live().recordCheck(check); }
  async getRecords(keys: TaskKey[]) { return this.live().getRecords(keys); }
  async claimIdleKeys(now: number, limit: number, kind: TaskKind, checkedBefore: number) { return this.live().claimIdleKeys(now, limit, kind, checkedBefore); }
  async claimDiscovery(now: number, leaseMs: number) { return this.live().claimDiscovery(now, leaseMs); }
  async saveDiscovery(cursor: DiscoveryCursor, leaseUntil: number | null) { this.live().saveDiscovery(cursor, leaseUntil); }
  async getDiscovery() { return this.live().getDiscovery(); }
  async putMachines(machines: MachineInfo[]) { this.live().putMachines(machines); }
  async listMachines() { return this.live().listMachines(); }
  async getMachine(uuid: string) { return this.live().getMachine(uuid); }
  async forgetMachine(uuid: string, lastListing: number, event: BridgeEvent | null) { return this.live().forgetMachine(uuid, lastListing, event); }
  async recordChange(change: ChangeToRecord) { return this.live().recordChange(change); }
  async listWatches() { return this.live().listWatches(); }
  async getWatch(uuid: string) { return this.live().getWatch(uuid); }
  async countWatches() { return this.live().countWatches(); }
  async putWatch(uuid: string, kinds: TaskKind[], now: number) { return this.live().putWatch(uuid, kinds, now); }
  async deleteWatch(uuid: string) { return this.live().deleteWatch(uuid); }
  async listOutbox(limit: number) { return this.live().listOutbox(limit); }
  async countOutbox() { return this.live().countOutbox(); }
  async updateDelivery(eventId: string, sinkId: string, delivery: Delivery) { this.live().updateDelivery(eventId, sinkId, delivery); }
  async claimDelivery(eventId: string, sinkId: string, now: number, leaseMs: number) { return this.live().claimDelivery(eventId, sinkId, now, leaseMs); }
  async removeFromOutbox(eventId: string) { this.live().removeFromOutbox(eventId); }
  async addDeadLetter(letter: DeadLetter) { this.live().addDeadLetter(letter); }
  async listDeadLetters(limit: number) { return this.live().listDeadLetters(limit); }
  async countDeadLetters() { return this.live().countDeadLetters(); }
  async replayDeadLetters(eventIds: string[] | null, now: number) { return this.live().replayDeadLetters(eventIds, now); }
  async putLastSweep(summary: SweepSummary) { this.live().putLastSweep(summary); }
  async getLastSweep() { return this.live().getLastSweep(); }
  async claimPendingReads(now: number, limit: number, leaseMs: number, kind?: TaskKind) { return this.live().claimPendingReads(now, limit, leaseMs, kind); }
  async releasePendingRead(read: PendingRead, retryAt: number) { this.live().releasePendingRead(read, retryAt); }
  async getSnapshot(key: TaskKey) { return this.live().getSnapshot(key); }
  async recordSnapshot(key: TaskKey, expectedTakenAt: number | null, snapshot: StoredSnapshot, forVersion: number, event: BridgeEvent | null) { return this.live().recordSnapshot(key, expectedTakenAt, snapshot, forVersion, event); }
  async ping() { this.live(); }
  async close() { /* nothing to release */ }
}
