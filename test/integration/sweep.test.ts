// The sweep against the emulator over real HTTP and real signatures, on real stores.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../dev/emulator';
import { openStateStore } from '../../lib/state';
import { runSweep, WORKERS_PER_KIND } from '../../lib/sweep';
import { startTcpProxy } from '../helpers/store-tcp-proxy';
import { allRecordedEvents, harness, RecordingSink, sweepFor, sweepUntil, uuidOf, type Harness } from '../helpers/sweep-harness';
import { eventSchemaProblems } from '../helpers/event-schema';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { WebhookSink } from '../../lib/sinks/webhook';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { StoreError, type ChangeToRecord, type CheckToRecord, type KeyClaim } from '../../lib/state/store';
import { testRedisPort } from '../helpers/redis';
import { waitFor } from '../helpers/wait';
import { memoryStore as openMemoryStore, redisPrefix, redisStore as openRedisStore, runCleanups, type Cleanup } from '../helpers/test-stores';

let emulator: Emulator;
const cleanups: Cleanup[] = [];

beforeEach(async () => {
  emulator = await startEmulator({ quiet: true });
});

afterEach(async () => {
  await runCleanups(cleanups);
  await emulator.close();
});

const memoryStore = () => openMemoryStore(cleanups);
const uniquePrefix = () => redisPrefix(cleanups, 'sweep');
const redisStore = (prefix: string, url?: string) => openRedisStore(cleanups, 'sweep', prefix, url);

describe('a sweep against the emulator', () => {
  test('publishes exactly the scripted transitions, in order per key, with previous null first', async () => {
    const [a, b] = [uuidOf(1), uuidOf(2)];
    emulator.script(a, 'process', [{ atMs: 0, state: 'COLLECTING' }]);
    emulator.script(b, 'process', [{ atMs: 0, state: 'COLLECTING' }]);
    emulator.script(b, 'port', [{ atMs: 0, state: 'COLLECTING' }]);
    const sink = new RecordingSink();
    const h = harness(emulator, await memoryStore(), { WATCH_UUIDS: `${a},${b}` }, [sink]);
    cleanups.push(h.close);

    // The ends are scripted once every start is seen, so a slow first round cannot skip a COLLECTING.
    const summaries = await sweepUntil('every first observation', [h], () => sink.events.length >= 4);
    emulator.script(a, 'process', [{ atMs: 0, state: 'COMPLETE' }]);
    emulator.script(b, 'process', [{ atMs: 0, state: 'FAILED' }]);
    emulator.script(b, 'port', [{ atMs: 0, state: 'AGENT_OFFLINE' }]);
    summaries.push(...(await sweepUntil('every collection ending', [h], () => sink.events.length >= 7)));

    expect(sink.transitions()).toEqual({
      [`${a}/process`]: ['null->COLLECTING', 'COLLECTING->COMPLETE'],
      [`${a}/port`]: ['null->NO_TASK'],
      [`${b}/process`]: ['null->COLLECTING', 'COLLECTING->FAILED'],
      [`${b}/port`]: ['null->COLLECTING', 'COLLECTING->AGENT_OFFLINE'],
    });
    expect(summaries.reduce((n, s) => n + s.changed, 0)).toBe(7);
    for (const summary of summaries) expect(summary).toMatchObject({ outcome: 'ok', failed: 0, outboxLeft: 0 });
    expect(summaries.reduce((n, s) => n + s.published, 0)).toBe(7);
  });

  test('a transient error between two observations of the same state yields no event', async () => {
    const a = uuidOf(3);
    emulator.script(a, 'process', [{ atMs: 0, state: 'COLLECTING' }]);
    const sink = new RecordingSink();
    const store = await memoryStore();
    const h = harness(emulator, store, { WATCH_UUIDS: a, WATCH_KINDS: 'process' }, [sink]);
    cleanups.push(h.close);

    await runSweep(h.deps, sweepFor(3000, false));
    // Every attempt of the next check fails (the client retries InternalError a bounded number of times).
    emulator.inject({ action: 'DescribeProcessTaskStatus', fault: 'error', code: 'InternalError', times: 3 });
    await new Promise((r) => setTimeout(r, 1100));
    const failing = await runSweep(h.deps, sweepFor(3000, false));
    await new Promise((r) => setTimeout(r, 1100));
    const after = await runSweep(h.deps, sweepFor(3000, false));

    expect(failing).toMatchObject({ failed: 1, changed: 0 });
    expect(after).toMatchObject({ checked: 1, changed: 0 });
    expect(sink.transitions()).toEqual({ [`${a}/process`]: ['null->COLLECTING'] });
    expect((await store.getRecord({ uuid: a, kind: 'process' }))?.state).toBe('COLLECTING');
  });

  test('rejected credentials stop the sweep at once and say so in the summary and the stored health', async () => {
    emulator.revoke(emulator.credentials.secretId);
    const uuids = Array.from({ length: 30 }, (_, i) => uuidOf(100 + i));
    const store = await memoryStore();
    const h = harness(emulator, store, { WATCH_UUIDS: uuids.join(',') }, [new RecordingSink()]);
    cleanups.push(h.close);

    const summary = await runSweep(h.deps, sweepFor(5000));

    expect(summary.outcome).toBe('auth');
    expect(summary.error).toMatch(/UnauthorizedOperation/);
    expect(summary.tookMs).toBeLessThan(3000);
    // Workers already in flight may finish their one call; nobody starts a second round.
    const calls = Object.values(emulator.stats()).reduce((n, s) => n + s.accepted + s.rejected + s.throttled, 0);
    expect(calls).toBeLessThanOrEqual(2 * WORKERS_PER_KIND);
    expect((await store.getLastSweep())?.outcome).toBe('auth');
    expect(h.logLines.some((l) => /stopping the sweep/.test(l) && /"level":"error"/.test(l))).toBe(true);
  });

  test.each(['ActionOffline', 'InvalidAction', 'NoSuchVersion', 'UnsupportedOperation'])('%s from CWP stops the sweep at once with outcome gone, naming the action and what to do', async (code) => {
    emulator.inject({ fault: 'error', code, times: Infinity });
    const uuids = Array.from({ length: 30 }, (_, i) => uuidOf(500 + i));
    const store = await memoryStore();
    const h = harness(emulator, store, { WATCH_UUIDS: uuids.join(',') }, [new RecordingSink()]);
    cleanups.push(h.close);

    const summary = await runSweep(h.deps, sweepFor(5000));

    expect(summary.outcome).toBe('gone');
    expect(summary.error).toContain(code);
    expect(summary.error).toMatch(/Describe(Process|OpenPort)TaskStatus/);
    expect(summary.error).toMatch(/CWP_ENDPOINT/);
    expect(summary.tookMs).toBeLessThan(3000);
    const calls = emulator.requests().length;
    expect(calls).toBeLessThanOrEqual(2 * WORKERS_PER_KIND);
    expect((await store.getLastSweep())?.outcome).toBe('gone');
  });

  test('a clock more than 5 minutes off (SignatureExpire after signing again) stops the sweep as outcome clock, not as credentials', async () => {
    emulator.inject({ fault: 'error', code: 'AuthFailure.SignatureExpire', times: Infinity });
    const store = await memoryStore();
    const h = harness(emulator, store, { WATCH_UUIDS: uuidOf(540) }, [new RecordingSink()]);
    cleanups.push(h.close);

    const summary = await runSweep(h.deps, sweepFor(5000));

    expect(summary.outcome).toBe('clock');
    expect(summary.error).toMatch(/clock/);
    expect(summary.error).not.toMatch(/TENCENTCLOUD_SECRET/);
  });

  test('a sweep in which every check failed is not ok', async () => {
    emulator.inject({ fault: 'error', code: 'InternalError', times: Infinity });
    const store = await memoryStore();
    const h = harness(emulator, store, { WATCH_UUIDS: [uuidOf(550), uuidOf(551)].join(',') }, [new RecordingSink()]);
    cleanups.push(h.close);

    const summary = await runSweep(h.deps, sweepFor(1500));

    expect(summary.checked).toBe(0);
    expect(summary.failed).toBeGreaterThan(0);
    expect(summary.outcome).toBe('failing');
    expect(summary.error).toMatch(/every check of this sweep failed/);
  });

  test('a webhook receiver that accepts and never answers cannot hold the sweep past its publish deadline; the event stays in the outbox', async () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const receiver = await WebhookReceiver.start(secret);
    cleanups.push(() => receiver.close());
    receiver.otherwise({ delayMs: 30_000 });
    emulator.script(uuidOf(560), 'process', [{ atMs: 0, state: 'COLLECTING' }]);
    const store = await memoryStore();
    const sink = new WebhookSink({ url: receiver.url, secret, timeoutMs: 20_000, concurrency: 4 });
    const h = harness(emulator, store, { WATCH_UUIDS: uuidOf(560), WATCH_KINDS: 'process' }, [sink]);
    cleanups.push(h.close);
    const window = sweepFor(500, false);

    const summary = await runSweep(h.deps, window);

    expect(Date.now()).toBeLessThan(window.publishUntil + 500);
    expect(summary.changed).toBe(1);
    expect(summary.published).toBe(0);
    expect(summary.outboxLeft).toBe(1);
    const [entry] = await store.listOutbox(1);
    // Cut short by our deadline: not counted against the receiver, due again at once.
    expect(entry!.deliveries[sink.id]).toMatchObject({ status: 'pending', attempts: 0 });
  });

  test('three concurrent sweeps on one Redis store publish each transition exactly once within 20 requests/s per action', async () => {
    const uuids = Array.from({ length: 25 }, (_, i) => uuidOf(200 + i));
    for (const u of uuids) {
      emulator.script(u, 'process', [{ atMs: 0, state: 'COLLECTING' }]);
      emulator.script(u, 'port', [{ atMs: 0, state: 'COLLECTING' }]);
    }
    const prefix = uniquePrefix();
    const sink = new RecordingSink();
    const harnesses: Harness[] = [];
    for (let i = 0; i < 3; i++) {
      const h = harness(emulator, await redisStore(prefix), { WATCH_UUIDS: uuids.join(',') }, [sink]);
      cleanups.push(h.close);
      harnesses.push(h);
    }
    // Each key is seen COLLECTING first, then its collection ends: the end is scripted once every start is seen.
    const summaries = await sweepUntil('every key COLLECTING', harnesses, () => sink.events.length >= 50);
    for (const u of uuids) {
      emulator.script(u, 'process', [{ atMs: 0, state: 'COMPLETE' }]);
      emulator.script(u, 'port', [{ atMs: 0, state: 'FAILED' }]);
    }
    summaries.push(...(await sweepUntil('every collection ending', harnesses, () => sink.events.length >= 100)));

    const ids = sink.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(100);
    for (const u of uuids) {
      expect(sink.transitions()[`${u}/process`]).toEqual(['null->COLLECTING', 'COLLECTING->COMPLETE']);
      expect(sink.transitions()[`${u}/port`]).toEqual(['null->COLLECTING', 'COLLECTING->FAILED']);
    }
    expect(summaries.reduce((n, s) => n + s.changed, 0)).toBe(100);
    const stats = emulator.stats();
    expect(stats.DescribeProcessTaskStatus!.maxInAnyWindow).toBeLessThanOrEqual(20);
    expect(stats.DescribeOpenPortTaskStatus!.maxInAnyWindow).toBeLessThanOrEqual(20);
  });
});

describe('a state store that fails in the middle of a sweep', () => {
  test('Redis going away ends the sweep with a clear error and loses no recorded change', async () => {
    const uuids = Array.from({ length: 60 }, (_, i) => uuidOf(300 + i));
    for (const u of uuids) emulator.script(u, 'process', [{ atMs: 0, state: 'COLLECTING' }]);
    const proxy = await startTcpProxy(testRedisPort());
    const prefix = uniquePrefix();
    const store = await redisStore(prefix, `redis://127.0.0.1:${proxy.port}/0`);
    const sink = new RecordingSink();
    sink.failing = true; // keep every recorded change in the outbox, to count it afterwards
    const h = harness(emulator, store, { WATCH_UUIDS: uuids.join(','), WATCH_KINDS: 'process' }, [sink]);
    cleanups.push(h.close);

    const running = runSweep(h.deps, sweepFor(10_000));
    // Redis goes away once the sweep has recorded a change (not after a fixed time: a loaded machine is slow to start).
    await waitFor('the sweep to record a change', async () => (await store.countOutbox()) > 0, 8_000);
    await proxy.stop();
    const summary = await running;

    expect(summary.outcome).toBe('store');
    expect(summary.error).toMatch(/state store failed/);
    expect(summary.changed).toBeGreaterThan(0);
    const reopened = await redisStore(prefix);
    const records = (await Promise.all(uuids.map((u) => reopened.getRecord({ uuid: u, kind: 'process' })))).filter((r) => r && r.version > 0);
    // A write whose answer was cut off may have landed: then it is in the store with its outbox entry too.
    expect(records.length).toBeGreaterThanOrEqual(summary.changed);
    expect(await reopened.countOutbox()).toBe(records.length);
  });

  test('after a store failure, the keys it had claimed go back as soon as the store answers, not after their lease', async () => {
    const uuids = Array.from({ length: 40 }, (_, i) => uuidOf(600 + i));
    for (const u of uuids) emulator.script(u, 'process', [{ atMs: 0, state: 'COLLECTING' }]);
    const real = new MemoryStateStore();
    // The store fails its writes from the first recorded check on, and refuses the first release too.
    let failing = false;
    let releases = 0;
    const down = (op: string) => new StoreError('memory:', op, `memory store: ${op} failed (injected)`);
    const store = Object.assign(Object.create(real) as MemoryStateStore, {
      async recordCheck(c: CheckToRecord) { failing = true; throw down('recordCheck'); void c; },
      async recordChange(c: ChangeToRecord) { failing = true; throw down('recordChange'); void c; },
      async releaseClaims(claims: KeyClaim[]) {
        releases++;
        if (releases === 1) throw down('releaseClaims');
        return real.releaseClaims(claims);
      },
    });
    const h = harness(emulator, store, { WATCH_UUIDS: uuids.join(','), WATCH_KINDS: 'process' }, [new RecordingSink()]);
    cleanups.push(h.close);

    const summary = await runSweep(h.deps, sweepFor(3000));

    expect(failing).toBe(true);
    expect(summary.outcome).toBe('store');
    expect(releases).toBe(2);
    // Every key is due now again: none waits out the 10 s claim lease.
    expect((await real.dueKeys(Date.now(), 100)).length).toBe(uuids.length);
  });

  test('a state file that can no longer be written ends the sweep with an error naming the path', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sweep-file-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const uuids = Array.from({ length: 60 }, (_, i) => uuidOf(400 + i));
    for (const u of uuids) emulator.script(u, 'process', [{ atMs: 0, state: 'COLLECTING' }]);
    const stateDir = path.join(dir, 'state');
    const store = await openStateStore({ type: 'file', dir: stateDir });
    cleanups.push(() => store.close().catch(() => undefined));
    const sink = new RecordingSink();
    sink.failing = true;
    const h = harness(emulator, store, { WATCH_UUIDS: uuids.join(','), WATCH_KINDS: 'process' }, [sink]);
    cleanups.push(h.close);

    // The store is broken as soon as the sweep has written once (not after a fixed time: a loaded machine is slow to start).
    const running = runSweep(h.deps, sweepFor(10_000));
    await waitFor('the sweep to record a change', async () => (await store.countOutbox()) > 0, 8_000);
    // Swapped out in one rename (removing a directory the store is writing into can fail half way), then blocked.
    renameSync(stateDir, `${stateDir}.gone`);
    writeFileSync(stateDir, 'not a directory');
    const summary = await running;

    expect(summary.outcome).toBe('store');
    expect(summary.error).toContain(stateDir);
  });
});

describe('the events these sweeps published', () => {
  test('each matches the JSON Schema of its type (schemas/)', () => {
    const events = allRecordedEvents();
    expect(events.length).toBeGreaterThan(0);
    expect(events.map(eventSchemaProblems).filter((p) => p.length > 0)).toEqual([]);
  });
});
