// history: the event history (GET /v1/events) at 100,000 events, on the file store and on Redis.
// - search: 200 searches by agent (uuid, limit 100, newest first) over a 100,000-event history of 1,000 agents,
//   p50/p99 ms (goal < 200 ms), and on the file store the load of that history by a fresh process's store;
// - write cost: recordChange of 500 events one after the other, with the history on (at HISTORY_MAX, so each
//   append also trims one) against off, each store filled the same way first. Off, on Redis: the same scripts without the history step (the ARGV `history`
//   left empty, as a replay passes it); on the file store: HISTORY_MAX=0, so nothing reaches the segment files
//   (what remains of the history's cost is the JSON of the event, kept in memory and dropped at once).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildStatusChangedEvent } from '../lib/events';
import type { HistoryLimits } from '../lib/state/history';
import { FileStateStore } from '../lib/state/local/file';
import { newRedisClient, describeRedisUrl } from '../lib/state/redis/connection';
import { RedisStateStore } from '../lib/state/redis/store';
import type { StateStore } from '../lib/state/store';
import type { TaskKey, TaskState } from '../lib/types';
import { benchRedisUrl, deleteRedisPrefix, percentile, report, round } from './common';

const EVENTS = 100_000;
const AGENTS = 1_000;
const SEARCHES = 200;
const WRITES = 500;
const T0 = Date.now() - 3 * 86_400_000;
const uuidOf = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const STATES: TaskState[] = ['COLLECTING', 'COMPLETE'];

function change(key: TaskKey, version: number, at: number) {
  const state = STATES[version % 2]!;
  const event = buildStatusChangedEvent({ storeId: 'bench-history', source: '/bench', ...key, previous: version === 0 ? null : STATES[(version + 1) % 2]!, state, version: version + 1, observedAt: at, requestId: `r${version}` });
  return { key, expectedVersion: version, state, requestId: `r${version}`, observedAt: at, nextDue: at + 600_000, event };
}

/** 100,000 events, 1,000 agents at a time (one group commit on the file store), each round's outbox emptied after it. */
async function fill(store: StateStore): Promise<number> {
  const started = Date.now();
  const rounds = EVENTS / AGENTS;
  for (let r = 0; r < rounds; r++) {
    const changes = Array.from({ length: AGENTS }, (_, a) => change({ uuid: uuidOf(a + 1), kind: 'process' }, r, T0 + (r * AGENTS + a) * 1_000));
    await Promise.all(changes.map((c) => store.recordChange(c)));
    await Promise.all(changes.map((c) => store.removeFromOutbox(c.event.id)));
  }
  return Date.now() - started;
}

async function searches(store: StateStore): Promise<{ p50: number; p99: number; found: number }> {
  const times: number[] = [];
  let found = 0;
  for (let i = 0; i < SEARCHES; i++) {
    const uuid = uuidOf(1 + ((i * 389) % AGENTS));
    const t = process.hrtime.bigint();
    const page = await store.searchHistory({ uuid, limit: 100 });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    found += page.events.length;
  }
  times.sort((a, b) => a - b);
  return { p50: round(percentile(times, 50), 2), p99: round(percentile(times, 99), 2), found: found / SEARCHES };
}

/** Mean ms of one recordChange, one after the other, on a fresh agent each (a new key: version 0). */
async function writeCost(store: StateStore, from: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < WRITES; i++) await store.recordChange(change({ uuid: uuidOf(from + i), kind: 'port' }, 0, Date.now()));
  return round(Number(process.hrtime.bigint() - started) / 1e6 / WRITES, 3);
}

/** A Redis store whose outbox appends skip the history: the "off" of the write cost. */
class HistoryOffRedisStore extends RedisStateStore {
  protected override get historyArg(): string {
    return '';
  }

  static async openOff(url: string, prefix: string): Promise<HistoryOffRedisStore> {
    const store = new HistoryOffRedisStore(newRedisClient(url, {}), describeRedisUrl(url), prefix);
    await store.connect(1_500);
    return store;
  }
}

async function fileCase(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-history-'));
  try {
    const limits: HistoryLimits = { retentionMs: 30 * 86_400_000, max: EVENTS };
    const store = await FileStateStore.open(path.join(dir, 'on'), { history: limits });
    const fillMs = await fill(store);
    const search = await searches(store);
    const loadStarted = Date.now();
    const reopened = await FileStateStore.open(path.join(dir, 'on'), { history: limits });
    const held = await reopened.countHistory();
    const loadMs = Date.now() - loadStarted;
    const on = await writeCost(store, 100_000);
    await store.close();
    await reopened.close();
    // The same state beside the history (1,000 agents' records): only the history differs.
    const off = await FileStateStore.open(path.join(dir, 'off'), { history: { ...limits, max: 0 } });
    await fill(off);
    const offMs = await writeCost(off, 100_000);
    await off.close();
    return { store: 'file', events: held, fillMs, searchByUuidP50Ms: search.p50, searchByUuidP99Ms: search.p99, eventsPerPage: search.found, loadHistoryMs: loadMs, writeMsHistoryOn: on, writeMsHistoryOff: offMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function redisCase(url: string): Promise<Record<string, unknown>> {
  const prefix = `bench-history-${process.pid}`;
  const offPrefix = `${prefix}-off`;
  try {
    const store = await RedisStateStore.open(url, { prefix, history: { retentionMs: 30 * 86_400_000, max: EVENTS } });
    const fillMs = await fill(store);
    const search = await searches(store);
    const held = await store.countHistory();
    const on = await writeCost(store, 100_000);
    await store.close();
    const off = await HistoryOffRedisStore.openOff(url, offPrefix);
    await fill(off);
    const offMs = await writeCost(off, 100_000);
    await off.close();
    return { store: 'redis', events: held, fillMs, searchByUuidP50Ms: search.p50, searchByUuidP99Ms: search.p99, eventsPerPage: search.found, writeMsHistoryOn: on, writeMsHistoryOff: offMs };
  } finally {
    await deleteRedisPrefix(url, prefix);
    await deleteRedisPrefix(url, offPrefix);
  }
}

export async function history(): Promise<void> {
  report('history', { goalMs: 200, ...(await fileCase()) });
  const url = await benchRedisUrl();
  if (url) report('history', { goalMs: 200, ...(await redisCase(url)) });
  else report('history', { store: 'redis', skipped: 'no redis-server on PATH and no BENCH_REDIS_URL' });
}
