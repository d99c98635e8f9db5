// The file store's sweep lease, <dir>/sweep.lease: one process sweeps a file store at a time. Two poll processes
// on one directory would each keep their own rate limiter and their own spare-budget picks (which the file store
// does not save), so they would throttle each other and check the same keys; a second process therefore ends its
// run at once (outcome busy) while the first holds the lease. Sweeps of one process share it (SCF runs one
// invocation per instance at a time; `npm start` may overlap two of its own, which share the process's limiter).
//
// The lease names its holder (pid, host) and an expiry; the holder renews it while it sweeps and removes it at
// the end. A lease whose pid is gone (on this host) or whose expiry has passed is broken, as state.lock is
// (file-lock.ts): moved aside, checked, and a fresh one taken.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { SweepLease } from '../store';
import { errnoCode, ioError, pidAlive } from './file-lock';

export const SWEEP_LEASE_FILE = 'sweep.lease';
/** How long a lease holds without renewal: a holder frozen or killed past this is taken over. */
export const SWEEP_LEASE_MS = 30_000;
const RENEW_EVERY_MS = 10_000;

interface LeaseInfo {
  pid: number;
  host: string;
  token: string;
  since: number;
  until: number;
}

function parseLease(text: string): LeaseInfo | null {
  try {
    const v = JSON.parse(text) as Partial<LeaseInfo>;
    return Number.isInteger(v.pid) && typeof v.host === 'string' && typeof v.token === 'string' && Number.isFinite(v.since) && Number.isFinite(v.until) ? (v as LeaseInfo) : null;
  } catch {
    return null;
  }
}

const describeHolder = (l: LeaseInfo): string => `pid ${l.pid} on ${l.host} since ${new Date(l.since).toISOString()}`;

/** The sweep lease of one directory, shared by every store this process opened on it (`forDirectory`). */
export class SweepLeaseFile {
  private static readonly byPath = new Map<string, SweepLeaseFile>();
  /** Sweeps of this process holding it now. */
  private holders = 0;
  private mine: LeaseInfo | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  /** Serialises acquire and release within the process. */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(readonly leasePath: string, private readonly store: string) {}

  static forDirectory(dir: string, store: string): SweepLeaseFile {
    const leasePath = path.join(path.resolve(dir), SWEEP_LEASE_FILE);
    let lease = SweepLeaseFile.byPath.get(leasePath);
    if (!lease) SweepLeaseFile.byPath.set(leasePath, (lease = new SweepLeaseFile(leasePath, store)));
    return lease;
  }

  acquire(): Promise<SweepLease> {
    return this.exclusive(async (): Promise<SweepLease> => {
      if (this.holders === 0) {
        const busy = await this.take();
        if (busy) return { kind: 'busy', holder: busy };
        this.renewTimer = setInterval(() => void this.exclusive(() => this.renew()).catch(() => undefined), RENEW_EVERY_MS);
        this.renewTimer.unref();
      }
      this.holders++;
      let released = false;
      return {
        kind: 'held',
        release: () => {
          if (released) return Promise.resolve();
          released = true;
          return this.exclusive(() => this.release());
        },
      };
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Takes the lease; returns who holds it instead, or null when taken. */
  private async take(): Promise<string | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = Date.now();
      const info: LeaseInfo = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex'), since: now, until: now + SWEEP_LEASE_MS };
      const tmp = `${this.leasePath}.${process.pid}.${info.token}.tmp`;
      try {
        await fsp.writeFile(tmp, JSON.stringify(info), { flag: 'wx', mode: 0o600 });
        try {
          // link() fails with EEXIST while someone holds it, and never shows a half-written lease.
          await fsp.link(tmp, this.leasePath);
          this.mine = info;
          return null;
        } catch (e) {
          if (errnoCode(e) !== 'EEXIST') throw e;
        }
      } catch (e) {
        throw ioError(this.store, 'take the sweep lease', this.leasePath, e);
      } finally {
        await fsp.unlink(tmp).catch(() => undefined);
      }
      const holder = await this.breakIfDead();
      if (holder) return holder;
    }
    return 'another process (the lease changed hands while it was being read)';
  }

  /** Breaks the current lease when its holder is gone or it has expired (null: broken or gone), else names its holder. */
  private async breakIfDead(): Promise<string | null> {
    let text: string;
    try {
      text = await fsp.readFile(this.leasePath, 'utf8');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return null;
      throw ioError(this.store, 'read the sweep lease', this.leasePath, e);
    }
    const held = parseLease(text);
    const dead = held === null || held.until < Date.now() || (held.host === hostname() && held.pid !== process.pid && !pidAlive(held.pid));
    if (!dead) return describeHolder(held);
    const aside = `${this.leasePath}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
    try {
      await fsp.rename(this.leasePath, aside);
    } catch {
      return null; // someone else moved or released it: try again
    }
    try {
      // Not the lease we judged (a fresh one taken meanwhile): put it back.
      if ((await fsp.readFile(aside, 'utf8')) !== text) await fsp.link(aside, this.leasePath).catch(() => undefined);
    } finally {
      await fsp.unlink(aside).catch(() => undefined);
    }
    return null;
  }

  /** Moves the expiry on, by writing the whole lease again under another name and renaming it over. */
  private async renew(): Promise<void> {
    if (!this.mine) return;
    const current = parseLease(await fsp.readFile(this.leasePath, 'utf8').catch(() => ''));
    if (current?.token !== this.mine.token) return; // broken by another process: not ours to renew
    const next = { ...this.mine, until: Date.now() + SWEEP_LEASE_MS };
    const tmp = `${this.leasePath}.${process.pid}.${next.token}.renew.tmp`;
    await fsp.writeFile(tmp, JSON.stringify(next), { mode: 0o600 });
    await fsp.rename(tmp, this.leasePath).catch(async () => fsp.unlink(tmp).catch(() => undefined));
    this.mine = next;
  }

  private async release(): Promise<void> {
    this.holders = Math.max(0, this.holders - 1);
    if (this.holders > 0) return;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    const mine = this.mine;
    this.mine = null;
    if (!mine) return;
    const current = parseLease(await fsp.readFile(this.leasePath, 'utf8').catch(() => ''));
    if (current?.token === mine.token) await fsp.unlink(this.leasePath).catch(() => undefined);
  }
}
