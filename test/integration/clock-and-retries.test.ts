// Time and delivery. A poll process whose clock is 10 minutes ahead must not burn the outbox: it learns the offset
// from its first Tencent Cloud answer before it sends to a receiver that checks timestamps, sends it nothing, and
// ends with outcome clock; the next run with a right clock delivers every event. And a retry that comes due in the
// middle of a quiet sweep is sent when it is due, not at the sweep's last drain.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../../dev/emulator';
import { WebhookSink } from '../../lib/sinks/webhook';
import { FileStateStore } from '../../lib/state/local/file';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { runSweep } from '../../lib/sweep';
import { buildPollBundle, startPollChild, waitFor } from '../helpers/crash-poll';
import { enqueue } from '../helpers/outbox-fixtures';
import { harness, uuidOf } from '../helpers/sweep-harness';
import { runCleanups, type Cleanup } from '../helpers/test-stores';
import { WebhookReceiver } from '../helpers/webhook-receiver';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
let dir: string;
let bundle: string;
let emulator: Emulator;
const cleanups: Cleanup[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cwp-clock-'));
  bundle = buildPollBundle(dir);
  emulator = await startEmulator({ quiet: true });
});
afterEach(() => runCleanups(cleanups));
afterAll(async () => {
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a clock 10 minutes ahead leaves the outbox intact (nothing sent, 0 dead letters) with outcome clock; the next run, its clock right, delivers all 20', async () => {
  const stateDir = path.join(dir, 'ahead');
  const receiver = await WebhookReceiver.start(SECRET);
  cleanups.push(() => receiver.close());
  // 20 events waiting in the outbox, none tried yet.
  const store = await FileStateStore.open(stateDir);
  const agents = Array.from({ length: 10 }, (_, i) => uuidOf(0xc10c0 + i));
  for (const uuid of agents) {
    await enqueue(store, uuid, 'process', ['COMPLETE']);
    await enqueue(store, uuid, 'port', ['NO_TASK']);
  }
  await store.close();
  const watched = uuidOf(0xc10cf);
  emulator.script(watched, 'process', [{ atMs: 0, state: 'COMPLETE' }]);
  const env = {
    TENCENTCLOUD_SECRET_ID: EMULATOR_CREDENTIALS.secretId, TENCENTCLOUD_SECRET_KEY: EMULATOR_CREDENTIALS.secretKey, CWP_ENDPOINT: emulator.url,
    STATE_STORE: `file:${stateDir}`, WATCH_UUIDS: watched, WATCH_KINDS: 'process', WEBHOOK_URLS: receiver.url, WEBHOOK_SECRET: SECRET, SWEEP_BUDGET_MS: '4000', LOG_LEVEL: 'info',
  };

  const ahead = startPollChild(bundle, env, 20_000, { clockOffsetMs: 600_000 });
  cleanups.push(() => void ahead.child.kill('SIGKILL'));
  const run = await ahead.exited;
  if (!run.summary) throw new Error(`the run with its clock ahead printed no summary:\n${ahead.output()}`);
  expect(run.summary).toMatchObject({ outcome: 'clock', published: 0, outboxLeft: 20, deadLetters: 0 });
  expect(run.summary.error).toMatch(/clock/);
  expect(receiver.requests).toHaveLength(0);
  const lines = ahead.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const held = lines.find((l) => /nothing is sent to the sinks that check timestamps/.test(l.msg));
  expect(held).toMatchObject({ level: 'error', fix: expect.stringContaining('NTP') });
  expect(Math.abs(held.offsetSeconds + 600)).toBeLessThanOrEqual(2);
  const reopened = await FileStateStore.open(stateDir);
  cleanups.push(() => reopened.close());
  expect(await reopened.countDeadLetters()).toBe(0);
  for (const e of await reopened.listOutbox(100)) expect(e.deliveries).toEqual({});

  const right = startPollChild(bundle, env, 20_000);
  cleanups.push(() => void right.child.kill('SIGKILL'));
  const next = await right.exited;
  if (!next.summary) throw new Error(`the run with its clock right printed no summary:\n${right.output()}`);
  expect(next.summary).toMatchObject({ outcome: 'ok', outboxLeft: 0, deadLetters: 0 });
  expect(receiver.uniqueCount).toBe(20 + 1); // the 20 waiting, and the watched key's first state
  expect(receiver.unverified).toBe(0);
  expect(receiver.duplicates).toBe(0);
}, 60_000);

test('a retry that comes due in the middle of a quiet sweep is sent when it is due, not at the sweep\'s last drain', async () => {
  const receiver = await WebhookReceiver.start(SECRET);
  cleanups.push(() => receiver.close());
  const arrivals: number[] = [];
  receiver.respond({ status: 503, retryAfter: '1' });
  const uuid = uuidOf(0xc10d0);
  emulator.script(uuid, 'process', [{ atMs: 0, state: 'COMPLETE' }]);
  const store = new MemoryStateStore();
  const sink = new WebhookSink({ url: receiver.url, secret: SECRET, timeoutMs: 2_000, concurrency: 4 });
  const h = harness(emulator, store, { WATCH_UUIDS: uuid, WATCH_KINDS: 'process' }, [sink]);
  cleanups.push(h.close);
  const watch = setInterval(() => {
    while (arrivals.length < receiver.requests.length) arrivals.push(Date.now());
  }, 5);
  cleanups.push(() => clearInterval(watch));

  // A quiet sweep: one COMPLETE key, kept going to its deadline by spare-budget checks.
  const start = Date.now();
  const pollUntil = start + 18_000;
  const summary = await runSweep(h.deps, { requestId: 'quiet', pollUntil, publishUntil: pollUntil + 2_000, keepPolling: true });
  await waitFor('both attempts seen', () => arrivals.length >= 2, 5_000);

  expect(summary).toMatchObject({ outcome: 'ok', published: 1, outboxLeft: 0, deadLetters: 0 });
  expect(receiver.requests.map((r) => r.outcome)).toEqual([503, 200]);
  const [first, second] = arrivals as [number, number];
  // The backoff after a first failure: 75-100 % of 10 s (Retry-After 1 s is shorter). Sent then, well before the
  // sweep's last drain at its deadline.
  expect(second - first).toBeGreaterThanOrEqual(7_400);
  expect(second).toBeLessThan(pollUntil - 3_000);
}, 60_000);
