// Nothing grows for ever: agents watched and unwatched round after round, every event refused by one sink (a dead
// letter each), on real Redis against the emulator, with short retention periods. The key count of the store's
// prefix (SCAN) and the memory of its keys (MEMORY USAGE) must stay flat; the same churn without retention grows.
//
// Time is the sweep's own clock (SweepDeps.now), one second per round whatever the machine's speed, so the periods
// (FORGET_AFTER=2s, DEAD_LETTER_RETENTION=3s) cover the same rounds on a loaded machine as on an idle one. It runs ten
// minutes ahead of the wall clock, so the Tencent client's deadlines (wall clock) never cut a call short.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { startEmulator, type Emulator } from '../../dev/emulator';
import type { SendResult, Sink } from '../../lib/sinks/sink';
import { RedisStateStore } from '../../lib/state/redis/store';
import { runSweep } from '../../lib/sweep';
import type { SweepSummary } from '../../lib/types';
import { testRedisUrl } from '../helpers/redis';
import { deleteRedisPrefix } from '../helpers/store-fixtures';
import { harness, RecordingSink, uuidOf } from '../helpers/sweep-harness';
import { runCleanups, type Cleanup } from '../helpers/test-stores';

const URL = testRedisUrl(0);
const WATCHED = 8;
const CHURN = 4;

/** Refuses every event for good: each one a dead letter. */
class RefusingSink implements Sink {
  readonly id = 'webhook:https://refuses.example.com/';
  readonly concurrency = 4;
  async send(): Promise<SendResult> {
    return { ok: false, retry: false, reason: 'receiver answered HTTP 400: refused' };
  }
}

let emulator: Emulator;
const cleanups: Cleanup[] = [];
beforeAll(async () => {
  emulator = await startEmulator({ quiet: true });
});
afterEach(() => runCleanups(cleanups));
afterAll(() => emulator.close());

interface Sample {
  keys: number;
  bytes: number;
  agents: number;
  deadLetters: number;
}

/**
 * Every key under the prefix (SCAN, never KEYS), their memory (MEMORY USAGE), and how many agents have records or
 * snapshots. The event history (`hist*`) is left out: it keeps the events of agents forgotten since, by design, for
 * HISTORY_RETENTION and up to HISTORY_MAX (test/contract/state-store-history.test.ts holds it to those).
 */
async function measure(raw: Redis, prefix: string): Promise<Omit<Sample, 'deadLetters'>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await raw.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch.filter((k) => !k.startsWith(`${prefix}:hist`)));
  } while (cursor !== '0');
  const p = raw.pipeline();
  for (const k of keys) p.memory('USAGE', k);
  const bytes = ((await p.exec()) ?? []).reduce((n, [, v]) => n + Number(v ?? 0), 0);
  const agents = new Set(keys.filter((k) => /:(rec|snap):/.test(k)).map((k) => k.replace(/^.*:(rec|snap):/, '').split('/')[0]));
  return { keys: keys.length, bytes, agents: agents.size };
}

/** `rounds` rounds of churn, one virtual second apart: CHURN new agents watched, the CHURN oldest unwatched, one sweep. */
async function churn(rounds: number, retention: Record<string, string>): Promise<{ samples: Sample[]; summaries: SweepSummary[]; everWatched: number }> {
  const prefix = `test-churn-${randomUUID()}`;
  cleanups.push(() => deleteRedisPrefix(prefix, URL));
  const store = await RedisStateStore.open(URL, { prefix });
  cleanups.push(() => store.close());
  const raw = new Redis(URL);
  cleanups.push(() => void raw.disconnect());
  const h = harness(emulator, store, { WATCH_KINDS: 'process,port', ...retention }, [new RecordingSink(`churn-${prefix}`), new RefusingSink()]);
  cleanups.push(h.close);
  const v0 = Date.now() + 600_000;
  let offset = 0;
  const now = () => Date.now() + offset;
  const deps = { ...h.deps, now };

  const base = 0x100000 + Math.floor(Math.random() * 0xfffff) * 0x100;
  const watched: string[] = [];
  let next = 0;
  const samples: Sample[] = [];
  const summaries: SweepSummary[] = [];
  for (let round = 0; round < rounds; round++) {
    offset = v0 + round * 1_000 - Date.now();
    for (let i = 0; i < (round === 0 ? WATCHED : CHURN); i++) {
      const uuid = uuidOf(base + next++);
      emulator.script(uuid, 'process', [{ atMs: 0, state: 'COMPLETE' }]);
      emulator.script(uuid, 'port', [{ atMs: 0, state: 'COMPLETE' }]);
      await store.putWatch(uuid, ['process', 'port'], now());
      watched.push(uuid);
    }
    while (watched.length > WATCHED) await store.deleteWatch(watched.shift()!);
    const t = now();
    summaries.push(await runSweep(deps, { requestId: randomUUID(), pollUntil: t + 3_000, publishUntil: t + 4_000, keepPolling: false }));
    samples.push({ ...(await measure(raw, prefix)), deadLetters: await store.countDeadLetters() });
  }
  return { samples, summaries, everWatched: next };
}

const span = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs) });

test('with short retention periods, the key count and the memory of the store stay flat under churn; agents unwatched FORGET_AFTER ago are gone', async () => {
  const { samples, summaries, everWatched } = await churn(24, { FORGET_AFTER: '2s', DEAD_LETTER_RETENTION: '3s', DEAD_LETTER_MAX: '30' });
  const steady = samples.slice(4);
  const keys = span(steady.map((s) => s.keys));
  const bytes = span(steady.map((s) => s.bytes));
  if (process.env.RETENTION_CHURN_REPORT) process.stdout.write(`retention churn: ever watched ${everWatched} agents; keys ${keys.min}-${keys.max}, bytes ${bytes.min}-${bytes.max} over rounds 4-23; per round ${JSON.stringify(samples.map((s) => [s.keys, s.bytes, s.agents, s.deadLetters]))}\n`);

  expect(summaries.every((s) => s.outcome === 'ok')).toBe(true);
  // The watched agents, and those unwatched in this round and the one before (FORGET_AFTER is two rounds): no more.
  for (const s of steady) expect(s.agents).toBe(WATCHED + 2 * CHURN);
  // What comes and goes between rounds: the pending reads (and their index) of the round's newest agents, read next round.
  expect(keys.max - keys.min).toBeLessThanOrEqual(8);
  expect(bytes.max).toBeLessThanOrEqual(bytes.min * 1.2);
  // DEAD_LETTER_MAX is applied once a sweep, before its last drain: at most one round's letters (2 per new agent) past it.
  for (const s of samples) expect(s.deadLetters).toBeLessThanOrEqual(30 + 2 * CHURN);
  // Each agent unwatched up to round 20 was forgotten two rounds later: both its keys (process, port).
  expect(summaries.reduce((n, s) => n + (s.forgotten ?? 0), 0)).toBe((24 - 3) * CHURN * 2);
  expect(summaries.reduce((n, s) => n + (s.deadLettersExpired ?? 0), 0)).toBeGreaterThan(0);
  expect(everWatched).toBe(WATCHED + 23 * CHURN);
}, 180_000);

test('the same churn without retention grows with every round (so the test above can fail)', async () => {
  const { samples } = await churn(10, { FORGET_AFTER: '1d', DEAD_LETTER_RETENTION: '1d', DEAD_LETTER_MAX: '1000000' });
  if (process.env.RETENTION_CHURN_REPORT) process.stdout.write(`without retention: per round ${JSON.stringify(samples.map((s) => [s.keys, s.bytes, s.agents, s.deadLetters]))}\n`);
  expect(samples[9]!.agents).toBe(WATCHED + 9 * CHURN);
  expect(samples[9]!.keys).toBeGreaterThan(samples[4]!.keys * 1.4);
  expect(samples[9]!.bytes).toBeGreaterThan(samples[4]!.bytes * 1.4);
}, 120_000);
