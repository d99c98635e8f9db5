// The schedule of the local stores: which scheduled key is due when. One binary heap per (kind, lane), so the
// sweep's filtered calls cost no more than unfiltered ones, ordered by due time, then key id (the order of a
// Redis sorted set with equal scores).
import type { TaskKind } from '../../types';
import { LANES, type Lane } from '../rules';
import type { DueFilter } from '../store';

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
