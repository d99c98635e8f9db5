// CWP_API=cwp against the emulator's cwp face, over real HTTP and signatures, with the real sweep, the real HTTP
// handler and real stores: discovery through cwp's listing (Quuids kept, `all` from DescribeMachineRegions), offline
// and uninstalled agents from the listing, a collection started through the API seen to its end as one ScanAsset, a
// port added and one removed as one ports.changed, a host the scan skipped FAILED, COLLECT_EVERY as one scan for the
// period, the account's scan as scan.status.changed, the newest-first look (one request a look for a quiet fleet,
// new ports found on hosts the bridge did not collect), and three sweeps on one Redis publishing each event once.
import { randomUUID } from 'node:crypto';
import { startEmulator, type Emulator } from '../../dev/emulator';
import { buildStatusChangedEvent } from '../../lib/events';
import type { BridgeEvent, PortsChangedEvent, ScanStatusChangedEvent } from '../../lib/events/types';
import { handleHttp } from '../../lib/http';
import { createLogger } from '../../lib/log';
import type { StateStore } from '../../lib/state/store';
import { runSweep } from '../../lib/sweep';
import { readAllWatches } from '../../lib/sweep/watchlist';
import { eventSchemaProblems } from '../helpers/event-schema';
import { statusData, TEST_STORE_ID } from '../helpers/events';
import { functionUrlEvent, parseResponse } from '../helpers/scf-events';
import { harness, RecordingSink, sweepFor, sweepUntil, uuidOf, type Harness } from '../helpers/sweep-harness';
import { memoryStore as openMemoryStore, redisPrefix, redisStore, runCleanups, type Cleanup } from '../helpers/test-stores';

const SCAN_MS = 1_500;
// Each wait below is for a condition, under sweepUntil's 90 s ceiling; the test's own limit is above it.
jest.setTimeout(120_000);
const TOKEN = 'tok-cwp-api-0123456789abcdef';
let emulator: Emulator;
const cleanups: Cleanup[] = [];

beforeEach(async () => {
  emulator = await startEmulator({ quiet: true, scanMs: SCAN_MS, defaultCollectMs: SCAN_MS });
});
afterEach(async () => {
  await runCleanups(cleanups);
  await emulator.close();
});

const memoryStore = () => openMemoryStore(cleanups);

/** The store of each harness, whole (the sweep's deps type only its own ports). */
const storeOf = new Map<Harness, StateStore>();

function setup(store: StateStore, env: Record<string, string>, sink = new RecordingSink(`cwp-${randomUUID()}`)) {
  const h = harness(emulator, store, { CWP_API: 'cwp', POLL_TERMINAL_SECONDS: '1', API_TOKENS: TOKEN, ...env }, [sink]);
  storeOf.set(h, store);
  cleanups.push(h.close);
  return { h, sink };
}

/** The api function's core on the same config, store and backend as the sweep. */
async function api(h: Harness, method: string, path: string) {
  const deps = { config: h.config, store: storeOf.get(h)!, cwp: h.deps.cwp, logger: createLogger({ write: () => undefined }) };
  return parseResponse(await handleHttp(functionUrlEvent({ method, path, headers: { authorization: `Bearer ${TOKEN}` } }), undefined, deps));
}

const transitions = (sink: RecordingSink, subject: string) =>
  sink.events.filter((e) => e.subject === subject && e.type === 'com.tencentcloud.cwp.task.status.changed').map((e) => `${statusData(e).previous}->${statusData(e).state}`);
// A RecordingSink is handed every event the bridge publishes; its list is typed with the agents' events.
const published = (sink: RecordingSink): BridgeEvent[] => sink.events;
const scanEvents = (sink: RecordingSink) => published(sink).filter((e): e is ScanStatusChangedEvent => e.type === 'com.tencentcloud.cwp.scan.status.changed');
const portChanges = (sink: RecordingSink) => sink.events.filter((e): e is PortsChangedEvent => e.type === 'com.tencentcloud.cwp.ports.changed');
const accepted = (action: string) => emulator.requests().filter((r) => r.action === action && r.outcome === 'accepted');
const allConform = (events: BridgeEvent[]) => expect(events.flatMap((e) => eventSchemaProblems(e).map((p) => `${e.type}: ${p}`))).toEqual([]);

function host(uuid = randomUUID(), ports = [{ port: 22, pid: 100, processName: 'sshd' }]): string {
  emulator.setHost(uuid, { ports, processes: [{ pid: 100, processName: 'sshd', fullPath: '/usr/sbin/sshd' }] });
  return uuid;
}

/** Rounds of sweeps (all of `hs` at once) until `done` holds, under a generous ceiling. */
async function sweepsUntil(what: string, hs: Harness[], done: () => boolean | Promise<boolean>, ceilingMs = 90_000): Promise<void> {
  const ceiling = Date.now() + ceilingMs;
  while (!(await done())) {
    if (Date.now() > ceiling) throw new Error(`timed out after ${ceilingMs} ms waiting for ${what}`);
    await Promise.all(hs.map((h) => runSweep(h.deps, sweepFor(2_000))));
  }
}

/** Waits (without sweeping) until the emulator's account scan has finished. */
async function scanFinished(): Promise<void> {
  const ceiling = Date.now() + 30_000;
  while (emulator.scanState().State === 'SYNCING') {
    if (Date.now() > ceiling) throw new Error('the emulator\'s scan did not finish in 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const baselined = (store: StateStore, uuids: string[]) => async () => (await Promise.all(uuids.map((uuid) => store.getSnapshot({ uuid, kind: 'port' })))).every((s) => s !== null);

/** The hosts scanned (by the console) before the bridge first looks, so their keys are COMPLETE with a baseline. */
async function collectedEarlier(hs: Harness[], store: StateStore, uuids: string[]): Promise<void> {
  emulator.startScan({ quuids: uuids.map((u) => emulator.quuidOf(u)), kinds: ['port'] });
  await scanFinished();
  await sweepsUntil('the baselines', hs, baselined(store, uuids));
}

describe('discovery and the online state (cwp\'s DescribeMachines)', () => {
  test('WATCH_DISCOVER=all lists only the regions DescribeMachineRegions names, and each watched machine keeps its Quuid', async () => {
    for (let i = 1; i <= 3; i++) emulator.addMachine({ uuid: uuidOf(i), region: 'ap-guangzhou', name: `gz-${i}` });
    emulator.addMachine({ uuid: uuidOf(4), region: 'ap-tokyo', name: 'tokyo-1' });
    emulator.addMachine({ uuid: uuidOf(5), region: 'ap-mumbai', type: 'LH', name: 'lh-1' });
    const store = await memoryStore();
    const { h } = setup(store, { WATCH_DISCOVER: 'all' });
    await runSweep(h.deps, sweepFor(1_500, false));
    expect(accepted('DescribeMachineRegions')).toHaveLength(1);
    // `all` is CVM and BM: CVM is in ap-guangzhou and ap-tokyo, BM nowhere; the LH machine is not listed.
    expect(accepted('DescribeMachines')).toHaveLength(2);
    const watches = await readAllWatches(h.config.watch, store);
    expect(watches.map((w) => w.uuid).sort()).toEqual([1, 2, 3, 4].map(uuidOf));
    for (const w of watches) expect(w.machine).toMatchObject({ quuid: emulator.quuidOf(w.uuid) });
  });

  test('machines listed with AgentStatus OFFLINE or UNINSTALLED are AGENT_OFFLINE for both kinds, parked, with no request about them', async () => {
    const [online, offline, uninstalled] = [host(), host(), host()];
    for (const uuid of [online, offline, uninstalled]) emulator.addMachine({ uuid });
    emulator.setOnline(offline, false);
    for (const kind of ['process', 'port'] as const) emulator.script(uninstalled, kind, [{ atMs: 0, state: 'UNKNOWN_AGENT' }]);
    const store = await memoryStore();
    const { h, sink } = setup(store, { WATCH_DISCOVER: 'CVM:ap-guangzhou' });
    await sweepUntil('the listing\'s offline agents', [h], () => transitions(sink, `${uninstalled}/port`).length > 0 && transitions(sink, `${offline}/process`).length > 0);
    for (const uuid of [offline, uninstalled]) {
      for (const kind of ['process', 'port']) expect(transitions(sink, `${uuid}/${kind}`)).toEqual(['null->AGENT_OFFLINE']);
      expect(await store.getRecord({ uuid, kind: 'port' })).toMatchObject({ state: 'AGENT_OFFLINE', parked: true });
    }
    expect(emulator.requests().filter((r) => r.uuid === offline || r.uuid === uninstalled)).toEqual([]);
    allConform(sink.events);
  });
});

describe('a collection the bridge starts', () => {
  test('POST /v1/collections/{uuid} is one ScanAsset for both kinds; the keys are COLLECTING until the scan is FINISHED, then COMPLETE; the scan is published', async () => {
    const uuid = host();
    const store = await memoryStore();
    const { h, sink } = setup(store, { WATCH_UUIDS: uuid });
    await runSweep(h.deps, sweepFor(1_000, false));
    expect(transitions(sink, `${uuid}/port`)).toEqual(['null->NO_TASK']);

    const started = await api(h, 'POST', `/v1/collections/${uuid}`);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ collections: { process: { state: 'COLLECTING' }, port: { state: 'COLLECTING' } } });
    expect(accepted('ScanAsset')).toHaveLength(1);
    expect((await api(h, 'GET', `/v1/status/port/${uuid}`)).body).toMatchObject({ state: 'COLLECTING' });
    // A start while the scan runs is refused, saying why: cwp runs one scan at a time.
    const busy = host();
    await api(h, 'PUT', `/v1/watches/${busy}`);
    const again = await api(h, 'POST', `/v1/collections/port/${busy}`);
    expect(again.status).toBe(503);
    expect(again.body).toMatchObject({ error: { code: 'Bridge.ScanRunning', message: expect.stringMatching(/start again when it has finished/) } });

    await sweepUntil('both collections and the scan to end', [h], () => ['process', 'port'].every((k) => transitions(sink, `${uuid}/${k}`).at(-1) === 'COLLECTING->COMPLETE') && scanEvents(sink).some((e) => e.data.state === 'FINISHED'));
    for (const kind of ['process', 'port']) expect(transitions(sink, `${uuid}/${kind}`)).toEqual(['null->NO_TASK', 'NO_TASK->COLLECTING', 'COLLECTING->COMPLETE']);
    expect(scanEvents(sink).map((e) => `${e.data.previous}->${e.data.state}`)).toEqual(['null->SYNCING', 'SYNCING->FINISHED']);
    expect((await api(h, 'GET', `/v1/status/${uuid}`)).body).toMatchObject({ tasks: { process: { state: 'COMPLETE' }, port: { state: 'COMPLETE' } } });
    allConform(sink.events);
  });

  test('a port added and one removed between two collections are one ports.changed event with exactly those items', async () => {
    const uuid = host(undefined, [{ port: 22, pid: 100, processName: 'sshd' }, { port: 80, pid: 100, processName: 'sshd' }]);
    const store = await memoryStore();
    const { h, sink } = setup(store, { WATCH_UUIDS: uuid, WATCH_KINDS: 'port' });
    const collect = async (what: string, done: () => boolean) => {
      await sweepUntil(`the scan before ${what}`, [h], () => emulator.scanState().State !== 'SYNCING');
      expect((await api(h, 'POST', `/v1/collections/port/${uuid}`)).status).toBe(202);
      await sweepUntil(what, [h], done);
    };
    await collect('the baseline', () => transitions(sink, `${uuid}/port`).at(-1) === 'COLLECTING->COMPLETE');
    await sweepsUntil('the baseline stored', [h], baselined(store, [uuid]));
    expect(portChanges(sink)).toEqual([]);

    emulator.openPort(uuid, { port: 6379, pid: 100, processName: 'sshd', proto: 'tcp', bindIp: '127.0.0.1' });
    emulator.closePort(uuid, 80);
    await collect('the change', () => portChanges(sink).length > 0);
    const [change, ...more] = portChanges(sink);
    expect(more).toEqual([]);
    expect(change!.data).toMatchObject({
      uuid, kind: 'port', added: [{ port: 6379, pid: 100, processName: 'sshd', proto: 'tcp', bindIp: '127.0.0.1' }], removed: [{ port: 80, pid: 100, processName: 'sshd', proto: 'tcp', bindIp: '0.0.0.0' }],
      addedCount: 1, removedCount: 1, total: 2,
    });
    allConform(sink.events);
  });

  test('a host the scan skipped is FAILED (its inventory did not move), a warning', async () => {
    const [kept, skipped] = [host(), host()];
    const store = await memoryStore();
    const { h, sink } = setup(store, { WATCH_UUIDS: `${kept},${skipped}`, WATCH_KINDS: 'port' });
    await runSweep(h.deps, sweepFor(1_000, false));
    emulator.skipInNextScan(skipped);
    // Two POSTs at once are one ScanAsset (the backend gathers starts for a moment).
    const started = await Promise.all([kept, skipped].map((u) => api(h, 'POST', `/v1/collections/port/${u}`)));
    expect(started.map((r) => r.status)).toEqual([202, 202]);
    expect(accepted('ScanAsset')).toHaveLength(1);
    const ended = (u: string) => /^COLLECTING->/.test(transitions(sink, `${u}/port`).at(-1) ?? '');
    await sweepUntil('both ends', [h], () => ended(kept) && ended(skipped));
    expect(transitions(sink, `${kept}/port`).at(-1)).toBe('COLLECTING->COMPLETE');
    expect(transitions(sink, `${skipped}/port`).at(-1)).toBe('COLLECTING->FAILED');
    // It stays FAILED (its inventory still does not move), where yunjing's task would stay FAILED too.
    await runSweep(h.deps, sweepFor(2_500));
    expect(transitions(sink, `${skipped}/port`).at(-1)).toBe('COLLECTING->FAILED');
    const failed = sink.events.find((e) => e.subject === `${skipped}/port` && e.type === 'com.tencentcloud.cwp.task.status.changed' && statusData(e).state === 'FAILED');
    expect(failed!.data).toMatchObject({ severity: 'warning' });
    allConform(sink.events);
  });

  test('COLLECT_EVERY starts the period\'s due keys as one ScanAsset, sees them end, and starts none again in the period', async () => {
    const uuids = [host(), host(), host()];
    const store = await memoryStore();
    const sink = new RecordingSink(`cwp-${randomUUID()}`);
    const { h } = setup(store, { WATCH_UUIDS: uuids.join(','), WATCH_KINDS: 'port', COLLECT_EVERY: '10m' }, sink);
    // COMPLETE for 11 minutes, as after earlier sweeps: before this period's start, whatever the clock.
    const since = Date.now() - 11 * 60_000;
    for (const uuid of uuids) {
      const key = { uuid, kind: 'port' as const };
      await store.syncSchedule([key], since);
      await store.recordChange({ key, expectedVersion: 0, state: 'COMPLETE', requestId: 'seed', observedAt: since, nextDue: Date.now() + 600_000, event: buildStatusChangedEvent({ storeId: TEST_STORE_ID, source: 's', ...key, previous: null, state: 'COMPLETE', version: 1, observedAt: since, requestId: 'seed' }) });
    }
    await sweepUntil('the period\'s collections to end', [h], () => uuids.every((u) => transitions(sink, `${u}/port`).at(-1) === 'COLLECTING->COMPLETE'));
    expect(accepted('ScanAsset')).toHaveLength(1);
    expect(emulator.scans()[0]!.hosts.map((x) => x.uuid).sort()).toEqual([...uuids].sort());
    await runSweep(h.deps, sweepFor(1_500));
    expect(accepted('ScanAsset')).toHaveLength(1);
  });
});

describe('the account-wide look', () => {
  test('a quiet fleet costs one DescribeAssetPortInfoList a look; new ports a scan found elsewhere are published once per host', async () => {
    const uuids = [host(), host(), host()];
    const store = await memoryStore();
    // COMPLETE keys are not due again in this test: what requests there are, are the look's.
    const { h, sink } = setup(store, { WATCH_UUIDS: uuids.join(','), WATCH_KINDS: 'port', POLL_TERMINAL_SECONDS: '600' });
    await collectedEarlier([h], store, uuids);

    // Quiet: a one-round sweep (the keys are COMPLETE, not due) reads the scan's state and one page, newest first.
    emulator.resetStats();
    await runSweep(h.deps, sweepFor(1_000, false));
    expect(accepted('DescribeAssetPortInfoList')).toHaveLength(1);
    expect(emulator.requests().filter((r) => r.action !== 'DescribeAssetPortInfoList' && r.action !== 'SyncAssetScan')).toEqual([]);

    // A scan the bridge did not start (the console) finds a new port on two hosts.
    for (const uuid of uuids.slice(0, 2)) emulator.openPort(uuid, { port: 8443, pid: 100, processName: 'sshd' });
    emulator.startScan({ kinds: ['port'] });
    await sweepUntil('both changes', [h], () => portChanges(sink).length >= 2);
    await runSweep(h.deps, sweepFor(2_000));
    expect(portChanges(sink).map((e) => e.data.uuid).sort()).toEqual(uuids.slice(0, 2).sort());
    for (const e of portChanges(sink)) expect(e.data).toMatchObject({ added: [{ port: 8443 }], removed: [] });
    allConform(sink.events);
  });

  test('three concurrent sweeps on one Redis publish each scan change and each ports.changed exactly once', async () => {
    const uuids = Array.from({ length: 4 }, () => host());
    const prefix = redisPrefix(cleanups, 'cwp-api');
    const stores = await Promise.all([1, 2, 3].map(() => redisStore(cleanups, 'cwp-api', prefix)));
    const sink = new RecordingSink(`cwp-${randomUUID()}`);
    const hs = stores.map((s) => setup(s, { WATCH_UUIDS: uuids.join(','), WATCH_KINDS: 'port' }, sink).h);
    await collectedEarlier(hs, stores[0]!, uuids);
    for (const uuid of uuids) emulator.openPort(uuid, { port: 9090, pid: 100, processName: 'sshd' });
    emulator.startScan({ kinds: ['port'] });
    await sweepsUntil('every change', hs, () => portChanges(sink).length >= uuids.length && scanEvents(sink).some((e) => e.data.taskId === 2 && e.data.state === 'FINISHED'));
    await Promise.all(hs.map((h) => runSweep(h.deps, sweepFor(2_000))));
    expect(portChanges(sink).map((e) => e.data.uuid).sort()).toEqual([...uuids].sort());
    expect(new Set(sink.events.map((e) => e.id)).size).toBe(sink.events.length);
    const scans = scanEvents(sink).map((e) => `${e.data.taskId}:${e.data.previous}->${e.data.state}`);
    expect(new Set(scans).size).toBe(scans.length);
    allConform(sink.events);
  });
});

describe('yunjing, the default', () => {
  test('an action yunjing no longer offers (InvalidAction) stops the sweep with a message that says to try CWP_API=cwp', async () => {
    const uuid = randomUUID();
    emulator.addAgent(uuid);
    emulator.inject({ action: 'DescribeProcessTaskStatus', fault: 'error', code: 'InvalidAction', times: Infinity });
    const store = await memoryStore();
    const h = harness(emulator, store, { WATCH_UUIDS: uuid, WATCH_KINDS: 'process' }, [new RecordingSink()]);
    cleanups.push(h.close);
    const summary = await runSweep(h.deps, sweepFor(1_500, false));
    expect(summary).toMatchObject({ outcome: 'gone', error: expect.stringMatching(/try CWP_API=cwp/) });
  });
});
