// The full loop against the emulator over real HTTP and signatures: collections started by the API and by
// COLLECT_EVERY are seen to their end; their results are read page by page, compared by identity, and published
// once as ports.changed / processes.changed; a read that fails part-way publishes nothing until it succeeds.
import { randomUUID } from 'node:crypto';
import { startEmulator, type Emulator } from '../../dev/emulator';
import { buildStatusChangedEvent } from '../../lib/events';
import { handleHttp } from '../../lib/http';
import { createLogger } from '../../lib/log';
import type { StateStore } from '../../lib/state/store';
import { runSweep } from '../../lib/sweep';
import type { PortsChangedEvent, ProcessesChangedEvent } from '../../lib/events/types';
import { eventSchemaProblems } from '../helpers/event-schema';
import { statusData } from '../helpers/events';
import { functionUrlEvent, parseResponse } from '../helpers/scf-events';
import { harness, RecordingSink, sweepFor } from '../helpers/sweep-harness';
import { memoryStore as openMemoryStore, redisPrefix, redisStore, runCleanups, type Cleanup } from '../helpers/test-stores';
import { TEST_STORE_ID } from '../helpers/events';

let emulator: Emulator;
const cleanups: Cleanup[] = [];

beforeEach(async () => {
  emulator = await startEmulator({ quiet: true, defaultCollectMs: 300 });
});

afterEach(async () => {
  await runCleanups(cleanups);
  await emulator.close();
});

const memoryStore = () => openMemoryStore(cleanups);

const changes = (sink: RecordingSink) => sink.events.filter((e): e is PortsChangedEvent | ProcessesChangedEvent => e.type !== 'com.tencentcloud.cwp.task.status.changed');
const transitions = (sink: RecordingSink, subject: string) => sink.events.filter((e) => e.subject === subject && e.type === 'com.tencentcloud.cwp.task.status.changed').map((e) => `${statusData(e).previous}->${statusData(e).state}`);

/**
 * Runs one collection of `kind` on the emulated agent, started outside the bridge, and a sweep that sees it
 * (terminal states are re-checked every second here) and reads its results.
 */
async function collectAndSweep(h: ReturnType<typeof harness>, uuid: string, kind: 'process' | 'port', ms = 3500): Promise<void> {
  emulator.startTask(uuid, kind, { collectMs: 1500 });
  await runSweep(h.deps, sweepFor(ms));
}

function setup(store: StateStore, uuid: string, kind: 'process' | 'port', sink = new RecordingSink(), env: Record<string, string> = {}) {
  const h = harness(emulator, store, { WATCH_UUIDS: uuid, WATCH_KINDS: kind, POLL_TERMINAL_SECONDS: '1', ...env }, [sink]);
  cleanups.push(h.close);
  return { h, sink };
}

describe('results of a collection', () => {
  test('the first snapshot is a baseline (stored, not published); a port that appears and one that disappears are one ports.changed event with exactly those items', async () => {
    const uuid = randomUUID();
    emulator.setHost(uuid, { ports: [{ port: 22, pid: 100, processName: 'sshd' }, { port: 80, pid: 200, processName: 'nginx' }], processes: [] });
    const store = await memoryStore();
    const { h, sink } = setup(store, uuid, 'port');

    await collectAndSweep(h, uuid, 'port');
    expect(changes(sink)).toEqual([]);
    expect(await store.getSnapshot({ uuid, kind: 'port' })).not.toBeNull();

    emulator.openPort(uuid, { port: 6379, pid: 300, processName: 'redis-server' });
    emulator.closePort(uuid, 80);
    await collectAndSweep(h, uuid, 'port');

    const [change, ...more] = changes(sink);
    expect(more).toEqual([]);
    expect(change!.type).toBe('com.tencentcloud.cwp.ports.changed');
    expect(change!.data).toMatchObject({
      uuid, kind: 'port', added: [{ port: 6379, pid: 300, processName: 'redis-server' }], removed: [{ port: 80, pid: 200, processName: 'nginx' }],
      addedCount: 1, removedCount: 1, total: 2, truncated: false, severity: 'warning',
    });
    expect(eventSchemaProblems(change)).toEqual([]);
  });

  test('a restart that only changes pids, and a new order, yield no event', async () => {
    const uuid = randomUUID();
    emulator.setHost(uuid, {
      processes: [{ pid: 10, ppid: 1, processName: 'nginx', username: 'www', fullPath: '/usr/sbin/nginx' }, { pid: 11, ppid: 1, processName: 'sshd', username: 'root', fullPath: '/usr/sbin/sshd' }],
      ports: [],
      churn: { pidsEachCollection: true },
    });
    const store = await memoryStore();
    const { h, sink } = setup(store, uuid, 'process');
    await collectAndSweep(h, uuid, 'process');
    emulator.changeHost(uuid, (host) => host.processes.reverse());
    await collectAndSweep(h, uuid, 'process');
    await collectAndSweep(h, uuid, 'process');
    expect(changes(sink)).toEqual([]);
    const r = await store.getSnapshot({ uuid, kind: 'process' });
    expect(r).not.toBeNull();
  });

  test('a read that fails on page 3 of 4 stores nothing and publishes no event until it succeeds', async () => {
    const uuid = randomUUID();
    const processes = Array.from({ length: 350 }, (_, i) => ({ pid: 1000 + i, processName: `worker-${i}`, username: 'app', fullPath: `/opt/app/worker-${i}` }));
    emulator.setHost(uuid, { processes, ports: [] });
    const store = await memoryStore();
    const { h, sink } = setup(store, uuid, 'process');
    await collectAndSweep(h, uuid, 'process');
    const baseline = await store.getSnapshot({ uuid, kind: 'process' });

    emulator.startProcess(uuid, { processName: 'xmrig', username: 'nobody', fullPath: '/tmp/.x/xmrig' });
    emulator.inject({ action: 'DescribeProcesses', fault: 'error', code: 'InternalError', after: 2, times: 3 });
    await collectAndSweep(h, uuid, 'process');
    expect(changes(sink)).toEqual([]);
    expect(await store.getSnapshot({ uuid, kind: 'process' })).toEqual(baseline);

    // The read comes back after its retry delay (30 s): a sweep whose clock is past it reads it whole.
    const later = harness(emulator, store, { WATCH_UUIDS: uuid, WATCH_KINDS: 'process', POLL_TERMINAL_SECONDS: '1' }, [sink]);
    cleanups.push(later.close);
    await runSweep({ ...later.deps, now: () => Date.now() + 31_000 }, { ...sweepFor(2500), pollUntil: Date.now() + 31_000 + 2_500, publishUntil: Date.now() + 31_000 + 4_500 });
    const [change] = changes(sink);
    expect(change?.data).toMatchObject({ kind: 'process', addedCount: 1, removedCount: 0, total: 351 });
    expect(change?.data.added).toEqual([expect.objectContaining({ processName: 'xmrig', fullPath: '/tmp/.x/xmrig', username: 'nobody' })]);
  });

  test('three concurrent sweeps on one Redis publish each diff exactly once', async () => {
    const prefix = redisPrefix(cleanups, 'full-loop');
    const uuids = Array.from({ length: 6 }, () => randomUUID());
    for (const u of uuids) emulator.setHost(u, { ports: [{ port: 22, pid: 1, processName: 'sshd' }], processes: [] });
    const stores = await Promise.all([1, 2, 3].map(() => redisStore(cleanups, 'full-loop', prefix)));
    const sink = new RecordingSink();
    const hs = stores.map((s) => {
      const h = harness(emulator, s, { WATCH_UUIDS: uuids.join(','), WATCH_KINDS: 'port', POLL_TERMINAL_SECONDS: '1' }, [sink]);
      cleanups.push(h.close);
      return h;
    });
    for (const u of uuids) emulator.startTask(u, 'port', { collectMs: 1500 });
    await Promise.all(hs.map((h) => runSweep(h.deps, sweepFor(3500))));
    for (const u of uuids) emulator.openPort(u, { port: 8080, pid: 2, processName: 'java' });
    for (const u of uuids) emulator.startTask(u, 'port', { collectMs: 1500 });
    await Promise.all(hs.map((h) => runSweep(h.deps, sweepFor(3500))));

    const diffs = changes(sink);
    expect(diffs.map((e) => e.data.uuid).sort()).toEqual([...uuids].sort());
    expect(new Set(diffs.map((e) => e.id)).size).toBe(diffs.length);
  });
});

describe('starting collections', () => {
  test('a collection started through the API on a COMPLETE key is seen to its end', async () => {
    const uuid = randomUUID();
    emulator.script(uuid, 'process', [{ atMs: 0, state: 'COMPLETE' }]);
    const store = await memoryStore();
    const { h, sink } = setup(store, uuid, 'process', new RecordingSink(), { API_TOKENS: 'tok-full-loop-0123456789abcdef' });
    await runSweep(h.deps, sweepFor(800, false));
    expect(transitions(sink, `${uuid}/process`)).toEqual(['null->COMPLETE']);

    const api = { config: h.config, store, cwp: h.deps.cwp, logger: createLogger({ write: () => undefined }) };
    const started = parseResponse(await handleHttp(functionUrlEvent({ method: 'POST', path: `/v1/collections/process/${uuid}`, headers: { authorization: `Bearer ${h.config.api.tokens[0]!.secret}` } }), undefined, api));
    expect(started.status).toBe(202);
    expect(emulator.state(uuid, 'process')).toBe('COLLECTING');

    await runSweep(h.deps, sweepFor(2500));
    expect(transitions(sink, `${uuid}/process`)).toEqual(['null->COMPLETE', 'COMPLETE->COLLECTING', 'COLLECTING->COMPLETE']);
  });

  test('COLLECT_EVERY starts a collection of a key whose slot has passed, and sees it end', async () => {
    const uuid = randomUUID();
    emulator.script(uuid, 'port', [{ atMs: 0, state: 'COMPLETE' }]);
    const store = await memoryStore();
    const sink = new RecordingSink();
    // With a period of 10 minutes, a COMPLETE state older than 10 minutes is always before this period's slot.
    const { h } = setup(store, uuid, 'port', sink, { COLLECT_EVERY: '10m' });
    // The key has been COMPLETE for 11 minutes, as after an earlier sweep.
    const key = { uuid, kind: 'port' as const };
    const since = Date.now() - 11 * 60_000;
    await store.syncSchedule([key], since);
    await store.recordChange({ key, expectedVersion: 0, state: 'COMPLETE', requestId: 'seed', observedAt: since, nextDue: Date.now(), event: buildStatusChangedEvent({ storeId: TEST_STORE_ID, source: 's', ...key, previous: null, state: 'COMPLETE', version: 1, observedAt: since, requestId: 'seed' }) });

    await runSweep(h.deps, sweepFor(3000));
    expect(emulator.requests().filter((r) => r.action === 'CreateOpenPortTask' && r.outcome === 'accepted')).toHaveLength(1);
    expect(transitions(sink, `${uuid}/port`)).toEqual(['null->COMPLETE', 'COMPLETE->COLLECTING', 'COLLECTING->COMPLETE']);
    // This period's collection is done: the next sweep starts none.
    await runSweep(h.deps, sweepFor(1500));
    expect(emulator.requests().filter((r) => r.action === 'CreateOpenPortTask')).toHaveLength(1);
  });
});
