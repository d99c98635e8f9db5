// The process is killed between recording a change and publishing it (a child process, SIGKILL): the next run
// delivers it; nothing is lost and nothing arrives twice.
//
// The poll function runs as a child (the esbuild bundle of functions/poll/index.ts) against the emulator and a
// verifying webhook receiver in this process. The receiver holds every request of the first run unanswered, so
// when the test kills the child, every change is recorded in the store (state + outbox in one atomic step)
// and its first delivery is provably in flight: claimed by the killed drain, not yet answered. The second run
// must deliver each one exactly once, as soon as the killed drain's claims lapse: a claim lasts the webhook's
// timeout plus a margin (lib/sinks/deliver.ts leaseFor), not minutes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../../dev/emulator';
import { LEASE_MARGIN_MS } from '../../lib/sinks/deliver';
import { FileStateStore } from '../../lib/state/local/file';
import type { StateStore } from '../../lib/state/store';
import { buildPollBundle, startPollChild, waitFor } from '../helpers/crash-poll';
import { uuidOf } from '../helpers/sweep-harness';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { testRedisUrl } from '../helpers/redis';
import { deleteRedisPrefix } from '../helpers/store-fixtures';
import { statusData } from '../helpers/events';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const WEBHOOK_TIMEOUT_MS = 3_000;
const REDIS_DB_URL = testRedisUrl(13);

let dir: string;
let bundle: string;
let emulator: Emulator;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cwp-crash-'));
  bundle = buildPollBundle(dir);
  emulator = await startEmulator({ quiet: true });
});

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

afterAll(async () => {
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Deletes the runtime's keys (default prefix) in the test's db, and nothing else of a server the user may own. */
const deleteRuntimeKeys = (): Promise<void> => deleteRedisPrefix('cwp-bridge', REDIS_DB_URL);

interface Variant {
  name: string;
  stateStore: () => string;
  open: () => Promise<StateStore>;
  setup?: () => Promise<void>;
  teardown?: () => Promise<void>;
}

const variants: Variant[] = [
  {
    name: 'file store',
    stateStore: () => `file:${path.join(dir, 'state')}`,
    open: () => FileStateStore.open(path.join(dir, 'state')),
  },
  {
    // A dedicated db: the runtime uses the default key prefix, whose keys the test deletes before and after.
    name: 'redis store (db 13)',
    stateStore: () => REDIS_DB_URL,
    open: async () => (await import('../../lib/state/redis/store')).RedisStateStore.open(REDIS_DB_URL),
    setup: deleteRuntimeKeys,
    teardown: deleteRuntimeKeys,
  },
];

describe.each(variants.map((v, i) => [v.name, v, i] as const))('SIGKILL between recording and publishing (%s)', (_name, variant, index) => {
  test('the next run delivers every recorded change exactly once, once the killed drain\'s claims lapse', async () => {
    await variant.setup?.();
    if (variant.teardown) cleanups.push(variant.teardown);
    const receiver = await WebhookReceiver.start(SECRET);
    cleanups.push(() => receiver.close());
    // Every request of the first run hangs past the sender's timeout; the child is killed long before that.
    receiver.otherwise({ delayMs: WEBHOOK_TIMEOUT_MS + 1_000 });

    // Four agents, eight keys: each key's first observation is a change (previous null); a/process also
    // goes COLLECTING -> COMPLETE while its first event is in flight, so its subject has two events queued.
    const [a, b, c, d] = [1, 2, 3, 4].map((n) => uuidOf(0xc0000 + index * 16 + n)) as [string, string, string, string];
    emulator.script(a, 'process', [{ atMs: 0, state: 'COLLECTING' }]);
    emulator.script(a, 'port', [{ atMs: 0, state: 'COMPLETE' }]);
    emulator.script(b, 'process', [{ atMs: 0, state: 'FAILED' }]);
    emulator.script(b, 'port', [{ atMs: 0, state: 'COLLECTING' }]);
    emulator.addAgent(c); // no tasks: NO_TASK for both kinds
    emulator.addAgent(d, { online: false });
    const keys = 8;
    const env = {
      TENCENTCLOUD_SECRET_ID: EMULATOR_CREDENTIALS.secretId,
      TENCENTCLOUD_SECRET_KEY: EMULATOR_CREDENTIALS.secretKey,
      CWP_ENDPOINT: emulator.url,
      STATE_STORE: variant.stateStore(),
      WATCH_UUIDS: [a, b, c, d].join(','),
      WEBHOOK_URLS: receiver.url,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_TIMEOUT_MS: String(WEBHOOK_TIMEOUT_MS),
      POLL_COLLECTING_SECONDS: '1',
      LOG_LEVEL: 'info',
    };
    const store = await variant.open();
    cleanups.push(() => store.close());

    // Run 1: wait until every key's first change is recorded and the drain has started sending (the receiver
    // holds those requests), then let a/process change again (recorded behind its in-flight first event), then
    // SIGKILL. A drain waits for its sends before the next one starts, so the events recorded after the first
    // drain began are recorded but not yet sent: both kinds of leftover are in the store at the kill.
    const run1 = startPollChild(bundle, env, 30_000);
    cleanups.push(() => void run1.child.kill('SIGKILL'));
    const died = run1.exited.then((r) => {
      throw new Error(`run 1 ended before the kill (code ${r.code}):\n${run1.output()}`);
    });
    died.catch(() => undefined);
    await Promise.race([waitFor('the first delivery attempt', () => receiver.requests.length > 0, 10_000), died]);
    const firstAttemptAt = Date.now();
    await Promise.race([waitFor('every key\'s first change recorded', async () => (await store.countOutbox()) >= keys, 5_000), died]);
    emulator.script(a, 'process', [{ atMs: 0, state: 'COMPLETE' }]);
    await Promise.race([waitFor('a/process COLLECTING -> COMPLETE recorded', async () => (await store.countOutbox()) >= keys + 1, 5_000), died]);
    run1.child.kill('SIGKILL');
    const killed = await run1.exited;
    const killedAt = Date.now();
    expect(killed.signal).toBe('SIGKILL');
    // Killed mid-publish: before the sender's timeout, with requests in flight and nothing accepted.
    expect(killedAt - firstAttemptAt).toBeLessThan(WEBHOOK_TIMEOUT_MS);
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests.every((r) => r.verified)).toBe(true);
    expect(receiver.uniqueCount).toBe(0);

    // The store still holds every change, none delivered: the ones in flight claimed, the rest not tried yet.
    const sinkId = `webhook:${receiver.url}`;
    const outbox = await store.listOutbox(100);
    expect(outbox).toHaveLength(keys + 1);
    const recorded = outbox.map((e) => e.event.id);
    const inFlight = new Set(receiver.requests.map((r) => r.id));
    for (const e of outbox) {
      const d = e.deliveries[sinkId];
      expect(d?.status ?? 'pending').toBe('pending');
      expect(d?.attempts ?? 0).toBe(0);
      expect(d?.claimedUntil !== undefined).toBe(inFlight.has(e.event.id));
    }
    expect([...inFlight].every((id) => recorded.includes(id!))).toBe(true);
    // The lease is the sink's timeout plus a margin, not the 5 minutes it used to be.
    const lapse = Math.max(...outbox.map((e) => e.deliveries[sinkId]?.claimedUntil ?? 0));
    expect(lapse - firstAttemptAt).toBeLessThanOrEqual(WEBHOOK_TIMEOUT_MS + LEASE_MARGIN_MS);

    // Run 2, once the killed drain's claims have lapsed; the receiver answers 200 now.
    receiver.otherwise({ status: 200 });
    await new Promise((r) => setTimeout(r, Math.max(0, lapse - Date.now() + 50)));
    // b/port is COLLECTING, so run 2 polls for its whole budget; what run 1 left goes out at its start, not its end.
    const run2 = startPollChild(bundle, { ...env, SWEEP_BUDGET_MS: '3000' }, 10_000);
    cleanups.push(() => void run2.child.kill('SIGKILL'));
    let allArrivedAt = 0;
    void waitFor('every event received', () => receiver.uniqueCount >= keys + 1, 10_000).then(() => (allArrivedAt = Date.now()), () => undefined);
    const done = await run2.exited;
    const run2EndedAt = Date.now();
    if (done.code !== 0 || !done.summary) throw new Error(`run 2 failed (code ${done.code}):\n${run2.output()}`);
    expect(done.summary).toMatchObject({ outcome: 'ok', changed: 0, published: keys + 1, outboxLeft: 0, deadLetters: 0 });

    // Every recorded transition arrived verified, exactly once, and in order within its subject.
    expect(receiver.uniqueCount).toBe(keys + 1);
    expect(new Set(receiver.events.keys())).toEqual(new Set(recorded));
    expect(receiver.duplicates).toBe(0);
    expect(receiver.unverified).toBe(0);
    const aProcess = [...receiver.events.values()].filter((e) => e.subject === `${a}/process`).map((e) => `${statusData(e).previous}->${statusData(e).state}`);
    expect(aProcess).toEqual(['null->COLLECTING', 'COLLECTING->COMPLETE']);
    expect(await store.countOutbox()).toBe(0);
    expect(allArrivedAt).toBeGreaterThan(0);
    expect(run2EndedAt - allArrivedAt).toBeGreaterThan(1_000);
  }, 30_000);
});
