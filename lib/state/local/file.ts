// The file StateStore (`file:<dir>`), the embedded local default: a LocalStateStore whose state is also one
// JSON document, <dir>/state.json, rewritten whole on every durable change. This file is only what the disk
// needs (the port methods are local/store.ts):
//
// - Every write is atomic: a temp file in <dir> is written and fsynced, renamed over state.json, and the
//   directory is fsynced. A failed write leaves the previous document intact, rejects with an Error naming
//   the path, and drops the in-memory change (the next call reloads from disk).
// - Two processes on one machine are safe: writes hold <dir>/state.lock (file-lock.ts), and every call first
//   compares the document's `nonce` (a random id written with each save, read from the first bytes of the
//   file) with the one it loaded, reloading when another process saved since. recordChange is its
//   compare-and-set and outbox append in that one locked, atomic write. Changes that arrive while a save is in
//   flight are committed together by the next save (group commit), so concurrent callers share the cost of a
//   write and its fsync.
// - One process sweeps a directory at a time: <dir>/sweep.lease (sweep-lease.ts); the api function's writes
//   need no lease, only the lock.
// - recordCheck (only lastChecked/nextDue move) is buffered: written with the next durable change, or within
//   checkFlushMs (default 1 s), or on close(). Losing it only means a key is polled again. Everything else
//   is on disk when its promise resolves.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { StoreError } from '../errors';
import { keyId } from '../rules';
import type { CheckToRecord, SweepLease } from '../store';
import { errnoCode, FileLock, ioError, messageOf, pidAlive } from './file-lock';
import { LocalState, type LocalStateDocument } from './state';
import { SweepLeaseFile } from './sweep-lease';
import { LocalStateStore, type Persistence } from './store';
import { continueHistory, historySaved, loadHistory, writeHistory } from './history-file';
import { DEFAULT_HISTORY_LIMITS, type HistoryLimits } from '../history';

export const STATE_FILE = 'state.json';
export const LOCK_FILE = 'state.lock';
const FORMAT = 'cwp-task-bridge/state@1';
const HEADER_BYTES = 256;

export interface FileStateStoreOptions {
  /** How long a write waits for another process's lock before failing (default 5000 ms). */
  lockTimeoutMs?: number;
  /** A lock older than this is broken even if its pid still runs (default 30 000 ms). */
  staleLockMs?: number;
  /** How long a recordCheck may stay only in memory (default 1000 ms). */
  checkFlushMs?: number;
  /** HISTORY_RETENTION and HISTORY_MAX (default 7 days, 200,000 events). */
  history?: HistoryLimits;
}

interface StoredDocument extends LocalStateDocument {
  format: string;
  nonce: string;
  savedAt: number;
}

interface QueuedWrite {
  fn(s: LocalState): unknown;
  changed(result: unknown): boolean;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

/** The state of a FileStateStore, kept in memory and on disk: the Persistence of local/store.ts. */
class StateFile implements Persistence {
  readonly description: string;
  /** <dir>/state.json */
  readonly path: string;
  readonly lock: FileLock;

  private state: LocalState | null = null;
  /** The nonce of the document `state` was loaded from or saved as; null = no document on disk. */
  private loadedNonce: string | null = null;
  /** recordCheck results not yet on disk, by key id. */
  private readonly pendingChecks = new Map<string, CheckToRecord>();
  private flushTimer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  /** Durable changes waiting for the next commit. */
  private queued: QueuedWrite[] = [];
  private commitScheduled = false;
  private readonly checkFlushMs: number;
  private readonly historyLimits: HistoryLimits;

  constructor(readonly dir: string, options: FileStateStoreOptions) {
    this.historyLimits = options.history ?? DEFAULT_HISTORY_LIMITS;
    this.description = `file:${dir}`;
    this.path = path.join(dir, STATE_FILE);
    this.lock = new FileLock(path.join(dir, LOCK_FILE), this.description, options.lockTimeoutMs ?? 5_000, options.staleLockMs ?? 30_000);
    this.checkFlushMs = options.checkFlushMs ?? 1_000;
  }

  /** Creates <dir> if needed and loads state.json if it exists (a corrupt file is an error, never overwritten). */
  async open(): Promise<void> {
    try {
      await fsp.mkdir(this.dir, { recursive: true });
    } catch (e) {
      throw new StoreError(this.description, 'open', `file state store: cannot create the directory ${this.dir} (${errnoCode(e) ?? messageOf(e)}); set STATE_STORE=file:<a writable directory>`, { cause: e });
    }
    await this.removeLeftovers();
    await this.exclusive(() => this.fresh());
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
      const m = /^(?:state\.json|state\.lock|sweep\.lease)\.(\d+)\.[0-9a-f]+(?:\.renew)?\.(?:tmp|stale)$/.exec(name);
      if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) await fsp.unlink(path.join(this.dir, name)).catch(() => undefined);
    }
  }

  read<T>(fn: (s: LocalState) => T): Promise<T> {
    return this.exclusive(async () => fn(await this.fresh()));
  }

  /** Buffered: see the top of this file. */
  check(check: CheckToRecord): Promise<void> {
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

  acquireSweepLease(): Promise<SweepLease> {
    return SweepLeaseFile.forDirectory(this.dir, this.description).acquire();
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

  /**
   * Queues a durable change. Changes queued while a save is in flight (or while waiting for another process's
   * lock) are committed together (group commit): under the lock the state is brought up to date, each change
   * is applied in order, and one save makes them all durable before any of their promises resolves. A change
   * whose `changed` says it changed nothing (e.g. a refused compare-and-set) needs no save of its own. A failed
   * save rejects every change of its batch and forgets the in-memory state, so the next call reloads from disk.
   */
  write<T>(fn: (s: LocalState) => T, changed: (result: T) => boolean = () => true): Promise<T> {
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
      unlock = await this.lock.take();
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
  private async fresh(): Promise<LocalState> {
    const nonce = await this.diskNonce();
    if (this.state && nonce === this.loadedNonce) return this.state;
    let state: LocalState;
    if (nonce === null) {
      state = new LocalState();
      this.loadedNonce = null;
    } else state = await this.load();
    state.history.limits = this.historyLimits;
    state.history.keepUnsaved = true;
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
      throw ioError(this.description, 'read', this.path, e);
    }
    try {
      const buf = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await fh.read(buf, 0, HEADER_BYTES, 0);
      const m = /"nonce":"([0-9a-f]+)"/.exec(buf.toString('utf8', 0, bytesRead));
      if (!m) throw new StoreError(this.description, 'read', `file state store: ${this.path} is not a state document (no nonce in its header); move it away to start empty`);
      return m[1]!;
    } catch (e) {
      throw e instanceof StoreError ? e : ioError(this.description, 'read', this.path, e);
    } finally {
      await fh.close();
    }
  }

  private async assertDirectory(): Promise<void> {
    let ok = false;
    try {
      ok = (await fsp.stat(this.dir)).isDirectory();
    } catch (e) {
      throw ioError(this.description, 'use the directory', this.dir, e);
    }
    if (!ok) throw new StoreError(this.description, 'use the directory', `file state store: ${this.dir} is not a directory`);
  }

  private async load(): Promise<LocalState> {
    let text: string;
    try {
      text = await fsp.readFile(this.path, 'utf8');
    } catch (e) {
      throw ioError(this.description, 'read', this.path, e);
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
    const state = LocalState.fromDocument(doc);
    try {
      // The history this process holds is carried over when the document continues it: only what another process
      // appended is read (a reload happens whenever another process saved; the history may be 200,000 events).
      const previous = this.state;
      if (!(previous && (await continueHistory(this.dir, previous, doc.history, state)))) await loadHistory(this.dir, doc.history, state);
    } catch (e) {
      throw ioError(this.description, 'read the history of', this.dir, e);
    }
    this.loadedNonce = doc.nonce;
    return state;
  }

  private async save(state: LocalState): Promise<void> {
    const nonce = randomBytes(8).toString('hex');
    const tmp = `${this.path}.${process.pid}.${nonce}.tmp`;
    let fh: fsp.FileHandle | null = null;
    let history: Awaited<ReturnType<typeof writeHistory>>;
    try {
      // The history's new lines first: the rename of state.json below commits them with the rest.
      history = await writeHistory(this.dir, state);
      const doc: StoredDocument = { format: FORMAT, nonce, savedAt: Date.now(), ...state.toDocument(), history: history.doc };
      const text = JSON.stringify(doc);
      fh = await fsp.open(tmp, 'wx', 0o600);
      await fh.writeFile(text, 'utf8');
      await fh.sync();
      await fh.close();
      fh = null;
      await fsp.rename(tmp, this.path);
    } catch (e) {
      if (fh) await fh.close().catch(() => undefined);
      await fsp.unlink(tmp).catch(() => undefined);
      throw ioError(this.description, 'write', this.path, e);
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
    await historySaved(this.dir, state, history);
  }

}

export class FileStateStore extends LocalStateStore {
  /** <dir>/state.json */
  readonly path: string;
  readonly lockPath: string;

  private constructor(readonly dir: string, private readonly file: StateFile) {
    super(file);
    this.path = file.path;
    this.lockPath = file.lock.lockPath;
  }

  /** Creates <dir> if needed and loads state.json if it exists (a corrupt file is an error, never overwritten). */
  static async open(dir: string, options: FileStateStoreOptions = {}): Promise<FileStateStore> {
    const file = new StateFile(dir, options);
    await file.open();
    return new FileStateStore(dir, file);
  }

  /** Writes buffered recordCheck results now. */
  flush(): Promise<void> {
    return this.file.flush();
  }
}
