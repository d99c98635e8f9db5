// The file store's lock, <dir>/state.lock, which every save holds so that two processes on one machine never
// interleave their writes; and the errors of the file store, named for what it was doing and where.
//
// A lock is written whole to a temp file, then hard-linked as state.lock, which fails while it is held; a lock
// whose pid is gone, or older than staleLockMs, or that is not a lock at all, is broken.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { hostname } from 'node:os';
import { StoreError } from '../errors';

/**
 * How long a state.lock whose content is not a lock is left alone before it is broken (see breakStaleLock).
 * This version never shows a partial lock (except for a moment on a filesystem without hard links, where it
 * creates and then writes); an older version (create with 'wx', then write) did, for about a millisecond.
 */
const UNREADABLE_LOCK_GRACE_MS = 1_000;
/** What link() answers on a filesystem without hard links. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

interface LockInfo {
  pid: number;
  host: string;
  token: string;
  at: number;
}

export const errnoCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A failed file operation as a StoreError: what was being done, where, and what the errno means for the user. */
export function ioError(store: string, what: string, p: string, e: unknown): StoreError {
  const code = errnoCode(e);
  const hint =
    code === 'ENOENT' ? ' (the directory is gone)' :
    code === 'ENOTDIR' ? ' (a path component is not a directory)' :
    code === 'EISDIR' ? ' (it is a directory)' :
    code === 'ENOSPC' || code === 'EDQUOT' ? ' (the disk is full)' :
    code === 'EFBIG' ? ' (the file size limit is reached)' :
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? ' (no permission to write there)' : '';
  return new StoreError(store, what, `file state store: could not ${what} ${p}${hint}: ${messageOf(e)}`, { cause: e });
}

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

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

export class FileLock {
  constructor(
    /** <dir>/state.lock */
    readonly lockPath: string,
    /** The store, as StoreError names it. */
    private readonly store: string,
    private readonly timeoutMs: number,
    private readonly staleMs: number,
  ) {}

  /**
   * Takes state.lock and returns its release. Its content is written to a temp file first
   * (`state.lock.<pid>.<token>.tmp`, which the store removes after a crash) and then hard-linked as state.lock:
   * link() is atomic and fails with EEXIST while another process holds the lock, so a state.lock always has its
   * whole content. A write that fails (a full disk) is a StoreError and leaves no lock behind, where an empty one
   * created with 'wx' and never written blocked every write until it was staleLockMs old.
   */
  async take(): Promise<() => Promise<void>> {
    const info: LockInfo = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex'), at: Date.now() };
    const content = JSON.stringify(info);
    const tmp = `${this.lockPath}.${process.pid}.${info.token}.tmp`;
    try {
      await fsp.writeFile(tmp, content, { encoding: 'utf8', flag: 'wx', mode: 0o600 });
    } catch (e) {
      await fsp.unlink(tmp).catch(() => undefined);
      throw ioError(this.store, 'create the lock', this.lockPath, e);
    }
    try {
      const deadline = Date.now() + this.timeoutMs;
      for (let attempt = 0; ; attempt++) {
        try {
          await this.publish(tmp, content);
          return () => this.release(info.token);
        } catch (e) {
          if (errnoCode(e) !== 'EEXIST') throw ioError(this.store, 'create the lock', this.lockPath, e);
        }
        const holder = await this.breakStaleLock();
        if (holder === 'broken') continue;
        if (Date.now() >= deadline) {
          const who = holder ? `pid ${holder.pid} on ${holder.host} since ${new Date(holder.at).toISOString()}` : 'another process';
          throw new StoreError(this.store, 'lock', `file state store: timed out after ${this.timeoutMs} ms waiting for the lock ${this.lockPath}, held by ${who}`);
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
  private async publish(tmp: string, content: string): Promise<void> {
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

  private async release(token: string): Promise<void> {
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
    const staleAfter = info === null ? Math.min(UNREADABLE_LOCK_GRACE_MS, this.staleMs) : this.staleMs;
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
