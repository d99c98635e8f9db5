// The file StateStore (`file:<dir>`), the embedded local default: all state in one JSON document,
// <dir>/state.json, kept in memory (a MemoryState) and rewritten whole on every durable change.
//
// - Every write is atomic: a temp file in <dir> is written and fsynced, renamed over state.json, and the
//   directory is fsynced. A failed write leaves the previous document intact, rejects with an Error naming
//   the path, and drops the in-memory change (the next call reloads from disk).
// - Two processes on one machine are safe: writes hold <dir>/state.lock (written whole to a temp file, then
//   hard-linked as state.lock, which fails while it is held; a lock whose pid is gone, or older than
//   staleLockMs, or that is not a lock at all, is broken), and every call first compares the document's `nonce`
//   (a random id written with each save, read from the first bytes of the file) with the one it loaded,
//   reloading when another process saved since. recordChange is its compare-and-set and outbox append
//   in that one locked, atomic write. Changes that arrive while a save is in flight are committed together by
//   the next save (group commit), so concurrent callers share the cost of a write and its fsync.
// - recordCheck (only lastChecked/nextDue move) is buffered: written with the next durable change, or within
//   checkFlushMs (default 1 s), or on close(). Losing it only means a key is polled again. Everything else
//   is on disk when its promise resolves.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { DeadLetter, Delivery, DiscoveryCursor, MachineInfo, SweepSummary, TaskKey, TaskKind } from '../types';
import type { BridgeEvent } from '../events/types';
import { StoreError } from './errors';
import { MemoryState, type MemoryStateDocument } from './memory';
import { keyId } from './rules';
import type { ChangeToRecord, CheckToRecord, DueFilter, KeyClaim, PendingRead, StateStore, StoredSnapshot } from './store';

export const STATE_FILE = 'state.json';
export const LOCK_FILE = 'state.lock';
const FORMAT = 'cwp-task-bridge/state@1';
const HEADER_BYTES = 256;
/**
 * How long a state.lock whose content is not a lock is left alone before it is broken (see breakStaleLock).
 * This version never shows a partial lock (except for a moment on a filesystem without hard links, where it
 * creates and then writes); an older version (create with 'wx', then write) did, for about a millisecond.
 */
const UNREADABLE_LOCK_GRACE_MS = 1_000;
/** What link() answers on a filesystem without hard links. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

export interface FileStateStoreOptions {
  /** How long a write waits for another process's lock before failing (default 5000 ms). */
  lockTimeoutMs?: number;
  /** A lock older than this is broken even if its pid still runs (default 30 000 ms). */
  staleLockMs?: number;
  /** How long a recordCheck may stay only in memory (default 1000 ms). */
  checkFlushMs?: number;
}

interface StoredDocument extends MemoryStateDocument {
  format: string;
  nonce: string;
  savedAt: number;
}

interface QueuedWrite {
  fn(s: MemoryState): unknown;
  changed(result: unknown): boolean;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

interface LockInfo {
  pid: number;
  host: string;
  token: string;
  at: number;
}

const errnoCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The holder a lock file names, or null when its content is not a lock (empty, garbage, another shape). */
function parseLock(text: string): LockInfo | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const l = v as Partial<Record<keyof LockInfo, unknown>>;
  return Number.isInteger(l.pid) && typeof l.host === 'string' && typeof l.token === 'string' && Number.isFinite(l.at)
    ? { pid: l.pid as number, host: l.host, token: l.token, at: l.at as number }
    : null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

export class FileStateStore implements StateStore {
  readonly description: string;
  readonly durableAcrossInstances = false;
  /** <dir>/state.json */
  readonly path: string;
  readonly lockPath: string;

  private state: MemoryState | null = null;
  /** The nonce of the document `state` was loaded from or saved as; null = no document on disk. */
  private loadedNonce: string | null = null;
  /** recordCheck results not yet on disk, by key id. */
  private readonly pendingChecks = new Map<string, CheckToRecord>();
  private flushTimer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  /** Durable changes waiting for the next commit. */
  private queued: QueuedWrite[] = [];
  private commitScheduled = false;
  private readonly lockTimeoutMs: number;
  private readonly staleLockMs: number;
  private readonly checkFlushMs: number;

  private constructor(readonly dir: string, options: FileStateStoreOptions) {
    this.description = `file:${dir}`;
    this.path = path.join(dir, STATE_FILE);
    this.lockPath = path.join(dir, LOCK_FILE);
    this.lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
    this.staleLockMs = options.staleLockMs ?? 30_000;
    this.checkFlushMs = options.checkFlushMs ?? 1_000;
  }

  /** Creates <dir> if needed and loads state.json if it exists (a corrupt file is an error, never overwritten). */
  static async open(dir: string, options: FileStateStoreOptions = {}): Promise<FileStateStore> {
    const store = new FileStateStore(dir, options);
    try {
      await fsp.mkdir(dir, { recursive: true });
    } catch (e) {
      throw new StoreError(store.description, 'open', `file state store: cannot create the directory ${dir} (${errnoCode(e) ?? messageOf(e)}); set STATE_STORE=file:<a writable directory>`, { cause: e });
    }
    await store.removeLeftovers();
    await store.exclusive(() => store.fresh());
    return store;
  }

  /** Deletes temp files of saves that a crashed process (its pid gone) never renamed. */
  private async removeLeftovers(): Promise<void> {
    let names: string[] = [];
    try {
      names = await fsp.readdir(this.dir);
    } catch {
      return; // fresh() reports an unusable directory
    }
    for (const name of names) {
      const m = /^(?:state\.json|state\.lock)\.(\d+)\.[0-9a-f]+\.(?:tmp|stale)$/.exec(name);
      if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) await fsp.unlink(path.join(this.dir, name)).catch(() => undefined);
    }
  }

  // --- reads ---
  getRecord(key: TaskKey) { return this.read((s) => s.getRecord(key)); }
  getRecordsForAgent(uuid: string) { return this.read((s) => s.getRecordsForAgent(uuid)); }
  /** Inspection for tests and tools, not part of any port: due keys without claiming them. */
  dueKeys(now: number, limit: number, filter?: DueFilter) { return this.read((s) => s.dueKeys(now, limit, filter)); }
  claimDueKeys(now: number, limit: number, filter: Required<DueFilter>, leaseMs: number) { return this.write((s) => s.claimDueKeys(now, limit, filter, leaseMs), (due) => due.length > 0); }
  releaseClaims(claims: KeyClaim[]) { return this.write((s) => s.releaseClaims(claims), (released) => released).then(() => undefined); }
  countDue(now: number, filter?: DueFilter) { return this.read((s) => s.countDue(now, filter)); }
  nextDueAt(kind?: TaskKind) { return this.read((s) => s.nextDueAt(kind)); }
  listWatches() { return this.read((s) => s.listWatches()); }
  getWatch(uuid: string) { return this.read((s) => s.getWatch(uuid)); }
  countWatches() { return this.read((s) => s.countWatches()); }
  listOutbox(limit: number) { return this.read((s) => s.listOutbox(limit)); }
  countOutbox() { return this.read((s) => s.countOutbox()); }
  listDeadLetters(limit: number) { return this.read((s) => s.listDeadLetters(limit)); }
  countDeadLetters() { return this.read((s) => s.countDeadLetters()); }
  getLastSweep() { return this.read((s) => s.getLastSweep()); }
  getSnapshot(key: TaskKey) { return this.read((s) => s.getSnapshot(key)); }
  getRecords(keys: TaskKey[]) { return this.read((s) => s.getRecords(keys)); }
  getDiscovery() { return this.read((s) => s.getDiscovery()); }
  listMachines() { return this.read((s) => s.listMachines()); }
  getMachine(uuid: string) { return this.read((s) => s.getMachine(uuid)); }
  // The spare-budget order is not persisted (it is rebuilt from the records on load): taking keys needs no save.
  claimIdleKeys(now: number, limit: number, kind: TaskKind, checkedBefore: number) { return this.read((s) => s.claimIdleKeys(now, limit, kind, checkedBefore)); }

  async ping(): Promise<void> {
    await this.read(() => undefined);
  }

  // --- durable writes ---
  syncSchedule(keys: TaskKey[], now: number) { return this.write((s) => s.syncSchedule(keys, now)); }
  recordChange(change: ChangeToRecord) { return this.write((s) => s.recordChange(change), (applied) => applied); }
  putWatch(uuid: string, kinds: TaskKind[], now: number) { return this.write((s) => s.putWatch(uuid, kinds, now)); }
  claimDiscovery(now: number, leaseMs: number) { return this.write((s) => s.claimDiscovery(now, leaseMs), (r) => r !== 'busy'); }
  saveDiscovery(cursor: DiscoveryCursor, leaseUntil: number | null) { return this.write((s) => s.saveDiscovery(cursor, leaseUntil)); }
  putMachines(machines: MachineInfo[]) { return this.write((s) => s.putMachines(machines), () => machines.length > 0); }
  forgetMachine(uuid: string, lastListing: number, event: BridgeEvent | null) { return this.write((s) => s.forgetMachine(uuid, lastListing, event), (forgotten) => forgotten); }
  deleteWatch(uuid: string) { return this.write((s) => s.deleteWatch(uuid), (deleted) => deleted); }
  updateDelivery(eventId: string, sinkId: string, delivery: Delivery) { return this.write((s) => s.updateDelivery(eventId, sinkId, delivery)); }
  claimDelivery(eventId: string, sinkId: string, now: number, leaseMs: number) { return this.write((s) => s.claimDelivery(eventId, sinkId, now, leaseMs), (claimed) => claimed); }
  removeFromOutbox(eventId: string) { return this.write((s) => s.removeFromOutbox(eventId)); }
  addDeadLetter(letter: DeadLetter) { return this.write((s) => s.addDeadLetter(letter)); }
  replayDeadLetters(eventIds: string[] | null, now: number) { return this.write((s) => s.replayDeadLetters(eventIds, now), (n) => n > 0); }
  putLastSweep(summary: SweepSummary) { return this.write((s) => s.putLastSweep(summary)); }
  claimPendingReads(now: number, limit: number, leaseMs: number, kind?: TaskKind) { return this.write((s) => s.claimPendingReads(now, limit, leaseMs, kind), (reads) => reads.length > 0); }
  releasePendingRead(read: PendingRead, retryAt: number) { return this.write((s) => s.releasePendingRead(read, retryAt), (released) => released).then(() => undefined); }
  recordSnapshot(key: TaskKey, expectedTakenAt: number | null, snapshot: StoredSnapshot, forVersion: number, event: BridgeEvent | null) {
    return this.write((s) => s.recordSnapshot(key, expectedTakenAt, snapshot, forVersion, event), (applied) => applied);
  }

  // --- buffered ---
  recordCheck(check: CheckToRecord): Promise<void> {
    return this.exclusive(async () => {
      this.pendingChecks.set(keyId(check.key), check);
      this.state?.recordCheck(check);
      if (!this.flushTimer) {
        this.flushTimer = setTimeout(() => {
          this.flushTimer = null;
          // A failed flush keeps the checks pending: the next write (or close) tries again.
          this.flush().catch(() => undefined);
        }, this.checkFlushMs);
        this.flushTimer.unref();
      }
    });
  }

  /** Writes buffered recordCheck results now. */
  flush(): Promise<void> {
    return this.exclusive(async () => this.pendingChecks.size > 0).then((pending) => (pending ? this.write(() => undefined, () => false) : undefined));
  }

  async close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.flush();
  }

  // --- machinery ---

  /** Runs fn after every earlier call of this instance has finished (in-process mutual exclusion). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private read<T>(fn: (s: MemoryState) => T): Promise<T> {
    return this.exclusive(async () => fn(await this.fresh()));
  }

  /**
   * Queues a durable change. Changes queued while a save is in flight (or while waiting for another process's
   * lock) are committed together (group commit): under the lock the state is brought up to date, each change
   * is applied in order, and one save makes them all durable before any of their promises resolves. A change
   * whose `changed` says it changed nothing (e.g. a refused compare-and-set) needs no save of its own. A failed
   * save rejects every change of its batch and forgets the in-memory state, so the next call reloads from disk.
   */
  private write<T>(fn: (s: MemoryState) => T, changed: (result: T) => boolean = () => true): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ fn, changed, resolve, reject } as QueuedWrite);
      if (!this.commitScheduled) {
        this.commitScheduled = true;
        void this.exclusive(() => this.commit());
      }
    });
  }

  private takeQueued(): QueuedWrite[] {
    this.commitScheduled = false;
    return this.queued.splice(0);
  }

  private async commit(): Promise<void> {
    let unlock: () => Promise<void>;
    try {
      unlock = await this.lock();
    } catch (e) {
      for (const op of this.takeQueued()) op.reject(e);
      return;
    }
    const ops = this.takeQueued();
    try {
      const state = await this.fresh();
      const results = ops.map((op) => {
        try {
          const value = op.fn(state);
          return { ok: true as const, value, changed: op.changed(value) };
        } catch (error) {
          return { ok: false as const, error };
        }
      });
      if (results.some((r) => r.ok && r.changed) || this.pendingChecks.size > 0) {
        try {
          await this.save(state);
        } catch (e) {
          this.state = null;
          this.loadedNonce = null;
          throw e;
        }
        this.pendingChecks.clear();
      }
      results.forEach((r, i) => (r.ok ? ops[i]!.resolve(r.value) : ops[i]!.reject(r.error)));
    } catch (e) {
      for (const op of ops) op.reject(e);
    } finally {
      await unlock();
    }
  }

  /** The current state: reloaded when state.json is not the document we last loaded or saved. */
  private async fresh(): Promise<MemoryState> {
    const nonce = await this.diskNonce();
    if (this.state && nonce === this.loadedNonce) return this.state;
    let state: MemoryState;
    if (nonce === null) {
      state = new MemoryState();
      this.loadedNonce = null;
    } else state = await this.load();
    // Buffered checks survive a reload, unless the key has a newer observation on disk.
    for (const check of this.pendingChecks.values()) {
      const rec = state.records.get(keyId(check.key));
      if (rec && rec.lastChecked !== null && rec.lastChecked > check.observedAt) continue;
      state.recordCheck(check);
    }
    this.state = state;
    return state;
  }

  /** The nonce in state.json's header; null if there is no state.json (but the directory is there). */
  private async diskNonce(): Promise<string | null> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.path, 'r');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') {
        await this.assertDirectory();
        return null;
      }
      throw this.ioError('read', this.path, e);
    }
    try {
      const buf = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await fh.read(buf, 0, HEADER_BYTES, 0);
      const m = /"nonce":"([0-9a-f]+)"/.exec(buf.toString('utf8', 0, bytesRead));
      if (!m) throw new StoreError(this.description, 'read', `file state store: ${this.path} is not a state document (no nonce in its header); move it away to start empty`);
      return m[1]!;
    } catch (e) {
      throw e instanceof StoreError ? e : this.ioError('read', this.path, e);
    } finally {
      await fh.close();
    }
  }

  private async assertDirectory(): Promise<void> {
    let ok = false;
    try {
      ok = (await fsp.stat(this.dir)).isDirectory();
    } catch (e) {
      throw this.ioError('use the directory', this.dir, e);
    }
    if (!ok) throw new StoreError(this.description, 'use the directory', `file state store: ${this.dir} is not a directory`);
  }

  private async load(): Promise<MemoryState> {
    let text: string;
    try {
      text = await fsp.readFile(this.path, 'utf8');
    } catch (e) {
      throw this.ioError('read', this.path, e);
    }
    let doc: StoredDocument;
    try {
      doc = JSON.parse(text) as StoredDocument;
    } catch (e) {
      throw new StoreError(this.description, 'read', `file state store: ${this.path} is not valid JSON (${messageOf(e)}); move it away to start empty, or restore it`, { cause: e });
    }
    if (doc.format !== FORMAT) {
      throw new StoreError(this.description, 'read', `file state store: ${this.path} has format ${JSON.stringify(doc.format)}, expected ${FORMAT}`);
    }
    this.loadedNonce = doc.nonce;
    return MemoryState.fromDocument(doc);
  }

  private async save(state: MemoryState): Promise<void> {
    const nonce = randomBytes(8).toString('hex');
    const doc: StoredDocument = { format: FORMAT, nonce, savedAt: Date.now(), ...state.toDocument() };
    const text = JSON.stringify(doc);
    const tmp = `${this.path}.${process.pid}.${nonce}.tmp`;
    let fh: fsp.FileHandle | null = null;
    try {
      fh = await fsp.open(tmp, 'wx', 0o600);
      await fh.writeFile(text, 'utf8');
      await fh.sync();
      await fh.close();
      fh = null;
      await fsp.rename(tmp, this.path);
    } catch (e) {
      if (fh) await fh.close().catch(() => undefined);
      await fsp.unlink(tmp).catch(() => undefined);
      throw this.ioError('write', this.path, e);
    }
    this.loadedNonce = nonce;
    // Make the rename itself durable. Some filesystems cannot fsync a directory; the data is written anyway.
    try {
      const d = await fsp.open(this.dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    } catch {
      // best effort
    }
  }

  private ioError(what: string, p: string, e: unknown): StoreError {
    const code = errnoCode(e);
    const hint =
      code === 'ENOENT' ? ' (the directory is gone)' :
      code === 'ENOTDIR' ? ' (a path component is not a directory)' :
      code === 'EISDIR' ? ' (it is a directory)' :
      code === 'ENOSPC' || code === 'EDQUOT' ? ' (the disk is full)' :
      code === 'EFBIG' ? ' (the file size limit is reached)' :
      code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? ' (no permission to write there)' : '';
    return new StoreError(this.description, what, `file state store: could not ${what} ${p}${hint}: ${messageOf(e)}`, { cause: e });
  }

  // --- the lock file ---

  /**
   * Takes state.lock. Its content is written to a temp file first (`state.lock.<pid>.<token>.tmp`, which
   * removeLeftovers cleans after a crash) and then hard-linked as state.lock: link() is atomic and fails with
   * EEXIST while another process holds the lock, so a state.lock always has its whole content. A write that
   * fails (a full disk) is a StoreError and leaves no lock behind, where an empty one created with 'wx' and
   * never written blocked every write until it was staleLockMs old.
   */
  private async lock(): Promise<() => Promise<void>> {
    const info: LockInfo = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex'), at: Date.now() };
    const content = JSON.stringify(info);
    const tmp = `${this.lockPath}.${process.pid}.${info.token}.tmp`;
    try {
      await fsp.writeFile(tmp, content, { encoding: 'utf8', flag: 'wx', mode: 0o600 });
    } catch (e) {
      await fsp.unlink(tmp).catch(() => undefined);
      throw this.ioError('create the lock', this.lockPath, e);
    }
    try {
      const deadline = Date.now() + this.lockTimeoutMs;
      for (let attempt = 0; ; attempt++) {
        try {
          await this.publishLock(tmp, content);
          return () => this.unlock(info.token);
        } catch (e) {
          if (errnoCode(e) !== 'EEXIST') throw this.ioError('create the lock', this.lockPath, e);
        }
        const holder = await this.breakStaleLock();
        if (holder === 'broken') continue;
        if (Date.now() >= deadline) {
          const who = holder ? `pid ${holder.pid} on ${holder.host} since ${new Date(holder.at).toISOString()}` : 'another process';
          throw new StoreError(this.description, 'lock', `file state store: timed out after ${this.lockTimeoutMs} ms waiting for the lock ${this.lockPath}, held by ${who}`);
        }
        await sleep(Math.min(1 + attempt, 20) + Math.random() * 3);
      }
    } finally {
      // state.lock (if we took it) is another name of the same file: this only drops the temp name.
      await fsp.unlink(tmp).catch(() => undefined);
    }
  }

  /**
   * Makes the written temp file state.lock: link(), atomic, EEXIST while held. Where the filesystem has no
   * hard links (vfat, some network mounts: EPERM, ENOTSUP), an exclusive create and a write, the create undone
   * if the write fails, so that a full disk leaves no lock there either.
   */
  private async publishLock(tmp: string, content: string): Promise<void> {
    try {
      await fsp.link(tmp, this.lockPath);
      return;
    } catch (e) {
      if (!NO_HARD_LINKS.has(errnoCode(e) ?? '')) throw e;
    }
    const fh = await fsp.open(this.lockPath, 'wx', 0o600);
    try {
      await fh.writeFile(content, 'utf8');
    } catch (e) {
      await fh.close().catch(() => undefined);
      await fsp.unlink(this.lockPath).catch(() => undefined);
      throw e;
    }
    await fh.close();
  }

  private async unlock(token: string): Promise<void> {
    try {
      const info = JSON.parse(await fsp.readFile(this.lockPath, 'utf8')) as LockInfo;
      if (info.token !== token) return; // broken as stale meanwhile: not ours to remove
      await fsp.unlink(this.lockPath);
    } catch {
      // gone already, or unreadable: nothing of ours to remove
    }
  }

  /**
   * Looks at the current lock: breaks it when stale (its pid is gone on this host, or it is older than
   * staleLockMs) and says 'broken'; else returns its holder. A lock whose content is not a lock (empty or
   * garbage: left by an older version that created it with 'wx' and then failed to write it, on a full disk)
   * is broken once it is UNREADABLE_LOCK_GRACE_MS old, not staleLockMs: this version's locks appear whole
   * (link), and the grace only covers an older version's process still between its create and its write.
   */
  private async breakStaleLock(): Promise<LockInfo | null | 'broken'> {
    let text: string;
    let mtime: number;
    try {
      [text, mtime] = await Promise.all([fsp.readFile(this.lockPath, 'utf8'), fsp.stat(this.lockPath).then((s) => s.mtimeMs)]);
    } catch (e) {
      return errnoCode(e) === 'ENOENT' ? 'broken' : null; // released meanwhile: just try again
    }
    const info = parseLock(text);
    const age = Date.now() - (info?.at ?? mtime);
    const dead = info !== null && info.host === hostname() && info.pid !== process.pid && !pidAlive(info.pid);
    const staleAfter = info === null ? Math.min(UNREADABLE_LOCK_GRACE_MS, this.staleLockMs) : this.staleLockMs;
    if (!dead && age < staleAfter) return info;
    // Move it aside, then check that what we moved is the lock we judged (not a fresh one taken meanwhile).
    const aside = `${this.lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
    try {
      await fsp.rename(this.lockPath, aside);
    } catch {
      return 'broken'; // someone else moved or released it: try again
    }
    try {
      const moved = await fsp.readFile(aside, 'utf8');
      if (moved !== text) await fsp.link(aside, this.lockPath).catch(() => undefined); // put a fresh lock back
    } finally {
      await fsp.unlink(aside).catch(() => undefined);
    }
    return 'broken';
  }
}
