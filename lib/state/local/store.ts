// LocalStateStore: every port of lib/state/store.ts on a LocalState (state.ts), for the stores that keep their
// state in the process: memory.ts (nothing else) and file.ts (a JSON document on disk). Each port method is
// written once, on the shared rules (lib/state/rules.ts), and says whether it only reads the state or changes it;
// a Persistence (persistence.ts) decides what that costs (the memory store: nothing; the file store: a reload when
// another process saved, and a locked, atomic save of every change). Port groups sit in a chain of classes, one
// file each, so no file grows past a screenful of ports: delivery.ts (outbox, deliveries, dead letters) is the base,
// lifecycle.ts (the store's identity and retention) the next, incidents.ts (incidents) the next, history.ts (the
// event history and the counters) the next, this file the rest. A new port
// method is one method in its group's file; a new port group, one class in the chain.
//
// Semantics every backend shares (the contract suite checks them; the differential test holds this store and
// Redis to the same answers):
// - A key is "scheduled" when syncSchedule listed it. recordCheck/recordChange always update the record's
//   nextDue, but move a key in the schedule only if it is scheduled: a key dropped from the watch list while
//   it was being polled is not resurrected by the late result.
// - syncSchedule makes a newly listed key due at `now`; a key that had a record keeps its state and version.
// - The outbox holds one entry per event id, in order of first append. Replaying a dead letter whose event is
//   still in the outbox adds the sink to that entry's targets and clears its delivery (fresh attempts).
// - Dead letters are listed in order of addition; re-adding (event id, sink id) replaces and moves it last.
// - putWatch keeps the first addedAt of a uuid and replaces its kinds.
// Returned objects are copies: changing them changes nothing stored.
import { TASK_KINDS, type DiscoveryCursor, type KeyRecord, type MachineInfo, type SweepSummary, type TaskKey, type TaskKind, type Watch } from '../../types';
import type { BridgeEvent, CloudEvent } from '../../events/types';
import type { IncidentWrite } from '../../alerts/types';
import {
  blankRecord, compareWatches, idleScore, isForgotten, isIdleCandidate, isSameRead, keyId, laneOf, mergeMachine, parseKeyId, putWatchRecord,
  readPendingAfter, sinceAfterChange,
} from '../rules';
import type { ChangeToRecord, CheckToRecord, DueFilter, KeyClaim, PendingRead, Register, StateStore, StoredSnapshot } from '../store';
import { clone } from './delivery';
import { LocalQuietStore } from './quiet';
export type { Persistence } from './persistence';


/** A Watch is flat but for its kinds: copied by hand, not structuredClone'd (listWatches copies 10,000 of them). */
const copyWatch = (w: Watch): Watch => ({ uuid: w.uuid, kinds: [...w.kinds], source: w.source, addedAt: w.addedAt });
const copyMachine = (m: MachineInfo): MachineInfo => ({ ...m, tags: [...m.tags] });

export class LocalStateStore extends LocalQuietStore implements StateStore {
  readonly durableAcrossInstances = false;

  get description(): string {
    return this.persistence.description;
  }

  // --- records and the schedule ---

  getRecord(key: TaskKey): Promise<KeyRecord | null> {
    return this.persistence.read((s) => {
      const r = s.records.get(keyId(key));
      return r ? { ...r } : null;
    });
  }

  getRecords(keys: TaskKey[]): Promise<Array<KeyRecord | null>> {
    return this.persistence.read((s) => keys.map((k) => {
      const r = s.records.get(keyId(k));
      return r ? { ...r } : null;
    }));
  }

  getRecordsForAgent(uuid: string): Promise<KeyRecord[]> {
    return this.persistence.read((s) => {
      const out: KeyRecord[] = [];
      for (const kind of TASK_KINDS) {
        const r = s.records.get(keyId({ uuid, kind }));
        if (r) out.push({ ...r });
      }
      return out;
    });
  }

  syncSchedule(keys: TaskKey[], now: number): Promise<number> {
    return this.persistence.write((s) => {
      // No intermediate per-key arrays: with 20,000 keys each one is a megabyte of garbage at the sweep's start.
      const wanted = new Set<string>();
      for (const key of keys) wanted.add(keyId(key));
      // Deleting the entry being visited is safe while iterating a Map.
      for (const id of s.schedule.ids()) {
        if (wanted.has(id)) continue;
        s.schedule.delete(id);
        s.left.set(id, now);
      }
      let added = 0;
      for (const id of wanted) {
        if (s.schedule.has(id)) continue;
        s.left.delete(id);
        let rec = s.records.get(id);
        // A parked key keeps its due time: the machine listing, not a status call, says when it is back.
        if (rec) {
          if (!rec.parked) rec.nextDue = now;
        } else s.records.set(id, (rec = blankRecord(parseKeyId(id), now)));
        s.schedule.set(id, rec.kind, laneOf(rec.state), rec.nextDue);
        added++;
      }
      return added;
    });
  }

  /** Inspection for tests and tools, not part of any port: the keys off the watch list and when they left, by key id. */
  leftKeys(): Promise<Array<[string, number]>> {
    return this.persistence.read((s) => [...s.left].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  }

  /** Inspection for tests and tools, not part of any port: due keys without claiming them. */
  dueKeys(now: number, limit: number, filter?: DueFilter): Promise<KeyRecord[]> {
    return this.persistence.read((s) => s.dueKeys(now, limit, filter));
  }

  claimDueKeys(now: number, limit: number, filter: Required<DueFilter>, leaseMs: number): Promise<KeyRecord[]> {
    return this.persistence.write((s) => {
      const due = s.dueKeys(now, limit, filter);
      for (const r of due) s.schedule.set(keyId(r), filter.kind, filter.lane, now + leaseMs);
      return due;
    }, (due) => due.length > 0);
  }

  releaseClaims(claims: KeyClaim[]): Promise<void> {
    return this.persistence.write((s) => {
      let released = false;
      for (const { record, claimedUntil } of claims) {
        const id = keyId(record);
        if (s.schedule.dueOf(id) !== claimedUntil) continue;
        s.schedule.set(id, record.kind, laneOf(s.records.get(id)?.state ?? null), record.nextDue);
        released = true;
      }
      return released;
    }, (released) => released).then(() => undefined);
  }

  countDue(now: number, filter?: DueFilter): Promise<number> {
    return this.persistence.read((s) => s.schedule.countDue(now, filter));
  }

  nextDueAt(kind?: TaskKind): Promise<number | null> {
    return this.persistence.read((s) => s.schedule.nextDue(kind));
  }

  /**
   * Spare budget (rules.idleScore): least recently checked first among scheduled, unparked keys neither due nor
   * claimed. A scan of the records with a running top `limit`, not an index: the local stores serve fleets
   * whose records fit one process, where an index would cost more memory (a heap entry per key) than the scan
   * costs time (about a millisecond per 20,000 keys, a few times a second). Taking a key changes only
   * idleTaken, which is not saved: no write.
   */
  claimIdleKeys(now: number, limit: number, kind: TaskKind, checkedBefore: number): Promise<KeyRecord[]> {
    return this.persistence.read((s) => {
      if (limit <= 0) return [];
      const best: Array<{ score: number; id: string; rec: KeyRecord }> = [];
      for (const [id, rec] of s.records) {
        if (rec.kind !== kind || !isIdleCandidate(rec)) continue;
        const due = s.schedule.dueOf(id);
        if (due === undefined || due <= now || due !== rec.nextDue) continue;
        const score = Math.max(idleScore(rec), s.idleTaken.get(id) ?? 0);
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
      for (const b of best) s.idleTaken.set(b.id, now);
      return best.map((b) => ({ ...b.rec }));
    });
  }

  recordCheck(check: CheckToRecord): Promise<void> {
    return this.persistence.check(check);
  }

  recordChange(change: ChangeToRecord): Promise<boolean> {
    return this.persistence.write((s) => {
      const id = keyId(change.key);
      const rec = s.records.get(id);
      if ((rec?.version ?? 0) !== change.expectedVersion || !s.incidentWritesApply(change.incidents)) return false;
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
      s.records.set(id, next);
      if (s.schedule.has(id)) s.schedule.set(id, change.key.kind, laneOf(change.state), change.nextDue);
      s.idleTaken.delete(id);
      s.markIfUnscheduled(id, change.observedAt);
      s.appendToOutbox(change.event, change.observedAt);
      if (readPendingAfter(change.state)) s.pendingReads.set(id, { forVersion: change.expectedVersion + 1, dueAt: change.observedAt });
      s.applyIncidentWrites(change.incidents);
      return true;
    }, (applied) => applied);
  }

  // --- result reads and snapshots ---

  claimPendingReads(now: number, limit: number, leaseMs: number, kind?: TaskKind): Promise<PendingRead[]> {
    return this.persistence.write((s) => {
      const out: PendingRead[] = [];
      for (const k of kind === undefined ? TASK_KINDS : [kind]) {
        const due: Array<{ id: string; read: { forVersion: number; dueAt: number } }> = [];
        for (const [id, read] of s.pendingReads) if (read.dueAt <= now && parseKeyId(id).kind === k) due.push({ id, read });
        due.sort((a, b) => a.read.dueAt - b.read.dueAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        for (const { id, read } of due.slice(0, limit - out.length)) {
          read.dueAt = now + leaseMs;
          out.push({ key: parseKeyId(id), forVersion: read.forVersion });
        }
      }
      return out;
    }, (reads) => reads.length > 0);
  }

  releasePendingRead(read: PendingRead, retryAt: number): Promise<void> {
    return this.persistence.write((s) => {
      const stored = s.pendingReads.get(keyId(read.key));
      if (!isSameRead(stored, read.forVersion)) return false;
      stored!.dueAt = retryAt;
      return true;
    }, (released) => released).then(() => undefined);
  }

  getSnapshot(key: TaskKey): Promise<StoredSnapshot | null> {
    return this.persistence.read((s) => {
      const snap = s.snapshots.get(keyId(key));
      return snap ? { ...snap } : null;
    });
  }

  recordSnapshot(key: TaskKey, expectedTakenAt: number | null, snapshot: StoredSnapshot, forVersion: number, event: CloudEvent | null, incidents?: IncidentWrite[]): Promise<boolean> {
    return this.persistence.write((s) => {
      const id = keyId(key);
      if ((s.snapshots.get(id)?.takenAt ?? null) !== expectedTakenAt || !s.incidentWritesApply(incidents)) return false;
      s.snapshots.set(id, { ...snapshot });
      s.markIfUnscheduled(id, snapshot.takenAt);
      if (event) s.appendToOutbox(event, snapshot.takenAt);
      if (isSameRead(s.pendingReads.get(id), forVersion)) s.pendingReads.delete(id);
      s.applyIncidentWrites(incidents);
      return true;
    }, (applied) => applied);
  }

  // --- watches ---

  listWatches(): Promise<Watch[]> {
    return this.persistence.read((s) => {
      const out: Watch[] = [];
      for (const w of s.watches.values()) out.push(copyWatch(w));
      return out.sort(compareWatches);
    });
  }

  getWatch(uuid: string): Promise<Watch | null> {
    return this.persistence.read((s) => {
      const w = s.watches.get(uuid);
      return w ? copyWatch(w) : null;
    });
  }

  countWatches(): Promise<number> {
    return this.persistence.read((s) => s.watches.size);
  }

  putWatch(uuid: string, kinds: TaskKind[], now: number): Promise<Watch> {
    return this.persistence.write((s) => {
      const w = putWatchRecord(s.watches.get(uuid) ?? null, uuid, kinds, now);
      s.watches.set(uuid, w);
      return copyWatch(w);
    });
  }

  deleteWatch(uuid: string): Promise<boolean> {
    return this.persistence.write((s) => s.watches.delete(uuid), (deleted) => deleted);
  }

  // --- the fleet (discovery) ---

  claimDiscovery(now: number, leaseMs: number): Promise<{ cursor: DiscoveryCursor | null } | 'busy'> {
    return this.persistence.write((s): { cursor: DiscoveryCursor | null } | 'busy' => {
      if (s.discovery.leaseUntil > now) return 'busy';
      s.discovery.leaseUntil = now + leaseMs;
      return { cursor: s.discovery.cursor ? { ...s.discovery.cursor } : null };
    }, (claimed) => claimed !== 'busy');
  }

  saveDiscovery(cursor: DiscoveryCursor, leaseUntil: number | null): Promise<void> {
    return this.persistence.write((s) => {
      s.discovery = { cursor: { ...cursor }, leaseUntil: leaseUntil ?? 0 };
    });
  }

  getDiscovery(): Promise<DiscoveryCursor | null> {
    return this.persistence.read((s) => (s.discovery.cursor ? { ...s.discovery.cursor } : null));
  }

  putMachines(machines: MachineInfo[]): Promise<void> {
    return this.persistence.write((s) => {
      for (const m of machines) s.machines.set(m.uuid, mergeMachine(s.machines.get(m.uuid) ?? null, copyMachine(m)));
    }, () => machines.length > 0);
  }

  listMachines(): Promise<MachineInfo[]> {
    return this.persistence.read((s) => [...s.machines.values()].map(copyMachine).sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0)));
  }

  getMachine(uuid: string): Promise<MachineInfo | null> {
    return this.persistence.read((s) => {
      const m = s.machines.get(uuid);
      return m ? copyMachine(m) : null;
    });
  }

  forgetMachine(uuid: string, lastListing: number, event: CloudEvent | null): Promise<boolean> {
    return this.persistence.write((s) => {
      const m = s.machines.get(uuid);
      if (!m || !isForgotten(m, lastListing)) return false;
      s.machines.delete(uuid);
      if (event) s.appendToOutbox(event, Date.parse(event.time));
      return true;
    }, (forgotten) => forgotten);
  }

  // --- registers ---

  getRegister(name: string): Promise<Register | null> {
    return this.persistence.read((s) => {
      const r = s.registers.get(name);
      return r ? { ...r } : null;
    });
  }

  putRegister(name: string, expectedVersion: number, value: string, event: BridgeEvent): Promise<boolean> {
    return this.persistence.write((s) => {
      if ((s.registers.get(name)?.version ?? 0) !== expectedVersion) return false;
      s.registers.set(name, { value, version: expectedVersion + 1 });
      s.appendToOutbox(event, Date.now());
      return true;
    }, (applied) => applied);
  }

  // --- health ---

  putLastSweep(summary: SweepSummary): Promise<void> {
    return this.persistence.write((s) => {
      s.lastSweep = clone(summary);
    });
  }

  getLastSweep(): Promise<SweepSummary | null> {
    return this.persistence.read((s) => (s.lastSweep ? clone(s.lastSweep) : null));
  }

  async ping(): Promise<void> {
    await this.persistence.read(() => undefined);
  }

  close(): Promise<void> {
    return this.persistence.close();
  }
}
