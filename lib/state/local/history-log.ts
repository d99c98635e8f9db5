// The event history of a local store (memory, file): one list of entries in the history's order (history.ts
// historyPlace) and the same entries in a list per type, per agent and per (agent, type), so that any search walks
// only the events it may answer, from the new end down. Events come mostly in time order, so an append is a push
// (an older one is placed by binary search); trimming takes from the old end of every list (the oldest event is
// first in each list it is in), so neither ever walks the whole history.
import type { BridgeEvent } from '../../events/types';
import { DEFAULT_HISTORY_LIMITS, historyBounds, historyIndexOf, historyPlace, historyTime, historyUuid, encodeHistoryCursor, type HistoryFilter, type HistoryLimits, type HistoryPage, type HistoryQuery } from '../history';

export interface HistoryEntry {
  place: string;
  time: number;
  seq: number;
  id: string;
  type: string;
  uuid: string | null;
  /** The event as JSON: parsed only when a search returns it. */
  json: string;
  /** The file store's segment that holds it (history-file.ts), once written. */
  segment?: string;
  /** Set when trimmed (an entry not yet written need not be). */
  trimmed?: boolean;
}

/** Entries in place order, the oldest at `head`: removing the oldest is O(1) (amortised, by compaction). */
class PlaceList {
  private items: HistoryEntry[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  oldest(): HistoryEntry | undefined {
    return this.items[this.head];
  }

  insert(e: HistoryEntry): void {
    const last = this.items[this.items.length - 1];
    if (this.size === 0 || last!.place < e.place) {
      this.items.push(e);
      return;
    }
    this.items.splice(this.indexAbove(e.place, false), 0, e);
  }

  /** Removes `e`, which is normally the oldest (trimming); else found by binary search. */
  remove(e: HistoryEntry): void {
    if (this.items[this.head] === e) {
      this.items[this.head++] = undefined as unknown as HistoryEntry;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return;
    }
    const i = this.indexAbove(e.place, false);
    if (this.items[i] === e) this.items.splice(i, 1);
  }

  /** The index of the first entry whose place is > place (or >= with `inclusive`), at or after head. */
  private indexAbove(place: string, inclusive: boolean): number {
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.items[mid]!.place;
      if (inclusive ? p < place : p <= place) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Up to `limit` entries with lowest <= place < below, newest first; `more`: another one follows. */
  newestFirst(below: string, lowest: string, limit: number): { entries: HistoryEntry[]; more: boolean } {
    const entries: HistoryEntry[] = [];
    for (let i = this.indexAbove(below, true) - 1; i >= this.head; i--) {
      const e = this.items[i]!;
      if (e.place < lowest) break;
      if (entries.length === limit) return { entries, more: true };
      entries.push(e);
    }
    return { entries, more: false };
  }

  /** How many entries have lowest <= place < below. */
  count(below: string, lowest: string): number {
    return Math.max(0, this.indexAbove(below, true) - this.indexAbove(lowest, true));
  }

  all(): HistoryEntry[] {
    return this.items.slice(this.head);
  }
}

/** What one append may trim at most (the Redis append's script has the same bound). */
export const TRIM_PER_APPEND = 1_000;

export class HistoryLog {
  limits: HistoryLimits = DEFAULT_HISTORY_LIMITS;
  /** The arrival counter (the second half of a place). */
  seq = 0;
  /** The place of the newest entry trimmed so far: an entry at or below it is gone (the file store's reload). */
  watermark = '';
  /** The file store keeps what was appended since it last saved (history-file.ts writes it); memory does not. */
  keepUnsaved = false;
  unsaved: HistoryEntry[] = [];
  /** The file store's segments: how many live entries each still holds (one with none can go). */
  readonly liveBySegment = new Map<string, number>();
  private readonly all = new PlaceList();
  private readonly byId = new Map<string, HistoryEntry>();
  private readonly indexes = new Map<string, PlaceList>();
  private newestTime = 0;

  get size(): number {
    return this.all.size;
  }

  /** Records an event (once per id) and trims what it pushes out. */
  append(event: BridgeEvent): void {
    if (this.byId.has(event.id)) return;
    const time = historyTime(event);
    const seq = ++this.seq;
    const entry: HistoryEntry = { place: historyPlace(time, seq), time, seq, id: event.id, type: event.type, uuid: historyUuid(event), json: JSON.stringify(event) };
    this.add(entry);
    if (this.keepUnsaved) this.unsaved.push(entry);
    if (time > this.newestTime) this.newestTime = time;
    this.trim(this.newestTime, TRIM_PER_APPEND);
  }

  /** Puts a stored entry back (the file store's load), without trimming. */
  restore(entry: HistoryEntry): void {
    if (entry.place <= this.watermark || this.byId.has(entry.id)) return;
    this.add(entry);
    if (entry.segment !== undefined) this.liveBySegment.set(entry.segment, (this.liveBySegment.get(entry.segment) ?? 0) + 1);
    if (entry.time > this.newestTime) this.newestTime = entry.time;
  }

  /** An entry was written to a segment (the file store's save). */
  written(e: HistoryEntry, segment: string): void {
    e.segment = segment;
    this.liveBySegment.set(segment, (this.liveBySegment.get(segment) ?? 0) + 1);
  }

  private add(e: HistoryEntry): void {
    this.byId.set(e.id, e);
    this.all.insert(e);
    for (const name of indexNames(e)) {
      let list = this.indexes.get(name);
      if (!list) this.indexes.set(name, (list = new PlaceList()));
      list.insert(e);
    }
  }

  /**
   * Drops the oldest entries past HISTORY_MAX, then those older than `now` less the retention: at most `limit` in
   * all (a HISTORY_MAX lowered a lot is reached over the next appends and sweeps, as on Redis).
   */
  trim(now: number, limit: number): number {
    let dropped = 0;
    while (this.all.size > this.limits.max && dropped < limit) {
      this.drop(this.all.oldest()!);
      dropped++;
    }
    const before = now - this.limits.retentionMs;
    for (let e = this.all.oldest(); e && e.time < before && dropped < limit; e = this.all.oldest()) {
      this.drop(e);
      dropped++;
    }
    return dropped;
  }

  /** Drops every entry at or below `watermark` (another process trimmed them: the file store's reload). */
  trimTo(watermark: string): void {
    for (let e = this.all.oldest(); e && e.place <= watermark; e = this.all.oldest()) this.drop(e);
    if (watermark > this.watermark) this.watermark = watermark;
  }

  private drop(e: HistoryEntry): void {
    this.all.remove(e);
    this.byId.delete(e.id);
    for (const name of indexNames(e)) {
      const list = this.indexes.get(name);
      if (!list) continue;
      list.remove(e);
      if (list.size === 0) this.indexes.delete(name);
    }
    if (e.place > this.watermark) this.watermark = e.place;
    e.trimmed = true;
    if (e.segment !== undefined) this.liveBySegment.set(e.segment, (this.liveBySegment.get(e.segment) ?? 1) - 1);
  }

  private listOf(filter: HistoryFilter): PlaceList | undefined {
    const index = historyIndexOf(filter);
    return index.length === 0 ? this.all : this.indexes.get(index.join(':'));
  }

  count(filter: HistoryFilter): number {
    const { below, lowest } = historyBounds({ ...filter, limit: 0 });
    return this.listOf(filter)?.count(below, lowest) ?? 0;
  }

  search(query: HistoryQuery): HistoryPage {
    const { below, lowest } = historyBounds(query);
    const list = this.listOf(query);
    if (!list) return { events: [], nextCursor: null };
    const { entries, more } = list.newestFirst(below, lowest, query.limit);
    return { events: entries.map((e) => JSON.parse(e.json) as BridgeEvent), nextCursor: more && entries.length > 0 ? encodeHistoryCursor(entries[entries.length - 1]!.place) : null };
  }

  /** Every entry, oldest first (tests; the file store's first save). */
  entries(): HistoryEntry[] {
    return this.all.all();
  }
}

/** The lists an entry is in besides the whole history: its type's, its agent's, its agent's of its type. */
function indexNames(e: HistoryEntry): string[] {
  return e.uuid === null ? [`t:${e.type}`] : [`t:${e.type}`, `u:${e.uuid}`, `ut:${e.uuid}:${e.type}`];
}
