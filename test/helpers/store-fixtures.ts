// Shared fixtures for the StateStore tests: events, keys, and one factory per implementation
// (memory; file in a fresh temp dir; Redis with a unique key prefix, deleted afterwards).
import type { HistoryLimits } from '../../lib/state/history';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { FileStateStore, type FileStateStoreOptions } from '../../lib/state/local/file';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { RedisStateStore } from '../../lib/state/redis/store';
import type { ChangeToRecord, DueFilter, StateStore } from '../../lib/state/store';
import type { DeadLetter, Delivery, KeyRecord, TaskKey, TaskKind, TaskState } from '../../lib/types';
import type { BridgeEvent, CloudEvent } from '../../lib/events/types';
import { testRedisUrl } from './redis';

export const REDIS_URL = testRedisUrl(0);

export const uuidOf = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
export const keyOf = (n: number, kind: TaskKind = 'process'): TaskKey => ({ uuid: uuidOf(n), kind });

export function eventFor(key: TaskKey, previous: TaskState | null, state: TaskState, version: number, at = 1_000): CloudEvent {
  return {
    specversion: '1.0',
    type: 'com.tencentcloud.cwp.task.status.changed',
    source: '/cwp-task-bridge/test',
    id: `ev-${key.uuid}-${key.kind}-${version}-${state}`,
    subject: `${key.uuid}/${key.kind}`,
    time: new Date(at).toISOString(),
    datacontenttype: 'application/json',
    data: {
      uuid: key.uuid, kind: key.kind, previous, state, severity: 'info', observedAt: new Date(at).toISOString(),
      requestId: `req-${version}`, next: null,
    },
  };
}

/** A change of `key` from `previous` (at version expectedVersion) to `state`. */
export function changeOf(key: TaskKey, expectedVersion: number, state: TaskState, opts: { previous?: TaskState | null; at?: number; nextDue?: number } = {}): ChangeToRecord {
  const at = opts.at ?? 1_000;
  return {
    key, expectedVersion, state, requestId: `req-${expectedVersion + 1}`, observedAt: at, nextDue: opts.nextDue ?? at + 5_000,
    event: eventFor(key, opts.previous ?? null, state, expectedVersion + 1, at),
  };
}

export const pending = (attempts = 1, nextAttemptAt = 2_000): Delivery => ({ status: 'pending', attempts, nextAttemptAt, lastError: 'HTTP 503', finishedAt: null });

export function deadLetterOf(event: BridgeEvent, sinkId: string, deadAt = 3_000): DeadLetter {
  return { event, sinkId, reason: 'HTTP 400', attempts: 3, deadAt };
}

export const uniquePrefix = (): string => `cwp-test-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

/** Deletes every key under `<prefix>:`. */
export async function deleteRedisPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

export function tempDir(label = 'store'): string {
  return mkdtempSync(path.join(tmpdir(), `cwp-${label}-`));
}

/** A backend as the contract suite sees it: every port, plus the inspections each backend offers outside the ports (due keys, keys off the watch list). */
export type InspectableStore = StateStore & { dueKeys(now: number, limit: number, filter?: DueFilter): Promise<KeyRecord[]>; leftKeys(): Promise<Array<[string, number]>> };

/** One StateStore implementation under test: `open()` may be called again to reopen the same data. */
export interface StoreFixture {
  readonly name: 'memory' | 'file' | 'redis';
  /** Whether reopening sees what an earlier instance wrote. */
  readonly persistent: boolean;
  open(): Promise<InspectableStore>;
  /** Closes every store it opened and deletes its data. */
  cleanup(): Promise<void>;
}

export function memoryFixture(history?: HistoryLimits): StoreFixture {
  const store = new MemoryStateStore(history);
  return { name: 'memory', persistent: false, open: async () => store, cleanup: async () => store.close() };
}

export function fileFixture(options: FileStateStoreOptions = {}): StoreFixture & { dir: string } {
  const dir = path.join(tempDir('file-store'), 'state');
  const opened: InspectableStore[] = [];
  return {
    name: 'file', persistent: true, dir,
    open: async () => {
      const s = await FileStateStore.open(dir, options);
      opened.push(s);
      return s;
    },
    cleanup: async () => {
      for (const s of opened) await s.close().catch(() => undefined);
      rmSync(path.dirname(dir), { recursive: true, force: true });
    },
  };
}

export function redisFixture(history?: HistoryLimits): StoreFixture & { prefix: string } {
  const prefix = uniquePrefix();
  const opened: InspectableStore[] = [];
  return {
    name: 'redis', persistent: true, prefix,
    open: async () => {
      const s = await RedisStateStore.open(REDIS_URL, { prefix, ...(history ? { history } : {}) });
      opened.push(s);
      return s;
    },
    cleanup: async () => {
      for (const s of opened) await s.close().catch(() => undefined);
      await deleteRedisPrefix(prefix);
    },
  };
}

/** The three stores with these HISTORY_RETENTION and HISTORY_MAX. */
export const historyFixtures = (history: HistoryLimits): Array<[string, () => StoreFixture]> => [
  ['memory', () => memoryFixture(history)],
  ['file', () => fileFixture({ history })],
  ['redis', () => redisFixture(history)],
];

export const FIXTURES: Array<[string, () => StoreFixture]> = [
  ['memory', memoryFixture],
  ['file', () => fileFixture()],
  ['redis', redisFixture],
];
