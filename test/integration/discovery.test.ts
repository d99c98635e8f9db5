// The whole fleet (WATCH_DISCOVER, bulk online state, spare budget) against the emulator over real HTTP and real
// signatures: machines listed by DescribeMachines are watched, the listing's OFFLINE parks agents without status
// calls, a machine back ONLINE is checked at once, a machine gone from two listings is unwatched, and spare
// budget sees a collection started outside the bridge.
import { randomUUID } from 'node:crypto';
import { startEmulator, type Emulator } from '../../dev/emulator';
import { YunjingClient } from '../../lib/cwp/yunjing';
import type { StateStore } from '../../lib/state/store';
import { TencentError } from '../../lib/errors';
import { runSweep } from '../../lib/sweep';
import { readAllWatches } from '../../lib/sweep/watchlist';
import type { CloudEvent } from '../../lib/events/types';
import { eventSchemaProblems } from '../helpers/event-schema';
import { statusData } from '../helpers/events';
import { harness, RecordingSink, sweepFor, uuidOf, type BackendFactory } from '../helpers/sweep-harness';
import { memoryStore as openMemoryStore, redisStore as openRedisStore, runCleanups, type Cleanup } from '../helpers/test-stores';

const memoryStore = () => openMemoryStore(cleanups);
const redisStore = () => openRedisStore(cleanups, 'discovery');

const STATUS_ACTIONS = ['DescribeProcessTaskStatus', 'DescribeOpenPortTaskStatus'];
let emulator: Emulator;
const cleanups: Cleanup[] = [];

beforeEach(async () => {
  emulator = await startEmulator({ quiet: true });
});

afterEach(async () => {
  await runCleanups(cleanups);
  await emulator.close();
});

/** Makes the next sweep start a new listing at once, as if DISCOVER_EVERY had passed. */
async function listAgainNow(store: StateStore): Promise<void> {
  const cursor = await store.getDiscovery();
  if (cursor) await store.saveDiscovery({ ...cursor, lastCompletedAt: 0 }, null);
}

function setup(store: StateStore, env: Record<string, string>, backend?: BackendFactory) {
  const sink = new RecordingSink(`discovery-${randomUUID()}`);
  const h = harness(emulator, store, { WATCH_DISCOVER: 'CVM:ap-guangzhou', ...env }, [sink], backend);
  cleanups.push(() => h.close());
  return { h, sink, sweep: (ms: number) => runSweep(h.deps, sweepFor(ms)) };
}

const statusEvents = (events: CloudEvent[]) => events.filter((e) => e.type === 'com.tencentcloud.cwp.task.status.changed');

describe('discovery (WATCH_DISCOVER)', () => {
  test('250 machines over 3 pages and 2 regions are watched after one sweep, none twice', async () => {
    for (let i = 1; i <= 250; i++) emulator.addMachine({ uuid: uuidOf(i), region: i <= 150 ? 'ap-guangzhou' : 'ap-shanghai', name: `vm-${i}`, ip: `10.1.${i >> 8}.${i & 255}` });
    const store = await redisStore();
    const { h, sweep } = setup(store, { WATCH_DISCOVER: 'CVM:ap-guangzhou,ap-shanghai' });
    const summary = await sweep(3_000);
    expect(summary.outcome).toBe('ok');

    const watches = await readAllWatches(h.config.watch, store);
    expect(watches).toHaveLength(250);
    expect(new Set(watches.map((w) => w.uuid)).size).toBe(250);
    expect(watches.every((w) => w.source === 'discovered' && w.kinds.length === 2)).toBe(true);
    expect(watches.find((w) => w.uuid === uuidOf(7))?.machine).toMatchObject({ name: 'vm-7', ip: '10.1.0.7', region: 'ap-guangzhou', type: 'CVM', status: 'ONLINE' });
    expect(emulator.requests().filter((r) => r.action === 'DescribeMachines')).toHaveLength(3);
  });

  test('with yunjing, a type\'s `all` is the fixed list of 21 regions: one DescribeMachines request each, no other', async () => {
    emulator.addMachine({ uuid: uuidOf(1), region: 'ap-guangzhou' });
    emulator.addMachine({ uuid: uuidOf(2), region: 'ap-tokyo' });
    const store = await memoryStore();
    const { h, sweep } = setup(store, { WATCH_DISCOVER: 'CVM:all' });
    expect((await sweep(4_000)).outcome).toBe('ok');

    expect((await readAllWatches(h.config.watch, store)).map((w) => w.uuid).sort()).toEqual([uuidOf(1), uuidOf(2)]);
    const listing = emulator.requests().filter((r) => !STATUS_ACTIONS.includes(r.action));
    expect(listing.map((r) => r.action)).toEqual(Array(21).fill('DescribeMachines'));
  });

  test('a backend that names its own regions for `all` is listed in those regions only', async () => {
    class TwoRegions extends YunjingClient {
      override async machineRegions(): Promise<readonly string[]> {
        return ['ap-beijing', 'ap-shanghai'];
      }
    }
    for (const [n, region] of [[1, 'ap-guangzhou'], [2, 'ap-beijing'], [3, 'ap-shanghai']] as const) emulator.addMachine({ uuid: uuidOf(n), region });
    const store = await memoryStore();
    const { h, sweep } = setup(store, { WATCH_DISCOVER: 'CVM:all' }, (caller) => new TwoRegions(caller));
    expect((await sweep(2_000)).outcome).toBe('ok');

    expect((await readAllWatches(h.config.watch, store)).map((w) => w.uuid).sort()).toEqual([uuidOf(2), uuidOf(3)]);
    expect(emulator.requests().filter((r) => r.action === 'DescribeMachines')).toHaveLength(2);
    expect(await store.getDiscovery()).toMatchObject({ listing: 2, lastCompletedAt: expect.any(Number) });
  });

  test('a backend that cannot name its regions leaves the listing for the next sweep, and the status checks run on', async () => {
    class RegionsFail extends YunjingClient {
      override async machineRegions(): Promise<readonly string[]> {
        throw new TencentError({ code: 'InternalError', message: 'regions unavailable', action: 'DescribeMachineRegions' });
      }
    }
    emulator.addMachine({ uuid: uuidOf(1), region: 'ap-guangzhou' });
    const store = await memoryStore();
    const { h, sweep } = setup(store, { WATCH_DISCOVER: 'CVM:all', WATCH_UUIDS: uuidOf(9) }, (caller) => new RegionsFail(caller));
    const summary = await sweep(1_500);

    expect(summary.outcome).toBe('ok');
    for (const kind of ['process', 'port'] as const) expect((await store.getRecord({ uuid: uuidOf(9), kind }))?.lastChecked).toEqual(expect.any(Number));
    expect(emulator.requests().filter((r) => r.action === 'DescribeMachines')).toEqual([]);
    expect(h.logLines.some((l) => /regions could not be read/.test(l) && /DescribeMachineRegions/.test(l))).toBe(true);
    expect(await store.getDiscovery()).toMatchObject({ listing: 1, target: 0, lastCompletedAt: null });
  });

  test('env and API watches win over discovery, and machines without a Uuid are counted and skipped', async () => {
    const [env, api, found] = [uuidOf(1), uuidOf(2), uuidOf(3)];
    for (const uuid of [env, api, found]) emulator.addMachine({ uuid, name: `vm-${uuid.slice(-1)}` });
    emulator.addMachine({ uuid: '', quuid: randomUUID() });
    emulator.addMachine({ uuid: '', quuid: randomUUID() });
    const store = await memoryStore();
    await store.putWatch(api, ['port'], Date.now());
    const { h, sweep } = setup(store, { WATCH_UUIDS: env, WATCH_KINDS: 'process' });
    await sweep(1_500);

    const watches = await readAllWatches(h.config.watch, store);
    expect(watches.map((w) => [w.uuid, w.source, w.kinds, w.machine?.name])).toEqual([
      [env, 'env', ['process'], 'vm-1'],
      [api, 'api', ['port'], 'vm-2'],
      [found, 'discovered', ['process'], 'vm-3'],
    ]);
    expect(await store.getDiscovery()).toMatchObject({ lastSkippedNoUuid: 2 });
  });

  test('20 machines listed OFFLINE get AGENT_OFFLINE events for both kinds and no status call', async () => {
    const offline = new Set<string>();
    for (let i = 1; i <= 50; i++) {
      emulator.addMachine({ uuid: uuidOf(i), name: `vm-${i}`, ip: `10.2.0.${i}` });
      if (i <= 20) {
        emulator.setMachineStatus(uuidOf(i), 'OFFLINE');
        offline.add(uuidOf(i));
      }
    }
    const store = await memoryStore();
    const { sink, sweep } = setup(store, {});
    await sweep(4_000);

    const offlineEvents = statusEvents(sink.events).filter((e) => offline.has(statusData(e).uuid));
    expect(offlineEvents).toHaveLength(40);
    for (const e of offlineEvents) {
      expect(statusData(e)).toMatchObject({ previous: null, state: 'AGENT_OFFLINE', severity: 'warning', machineName: `vm-${Number.parseInt(statusData(e).uuid.slice(-12), 16)}` });
      expect(eventSchemaProblems(e)).toEqual([]);
    }
    const statusCalls = emulator.requests().filter((r) => STATUS_ACTIONS.includes(r.action));
    expect(statusCalls.filter((r) => offline.has(r.uuid ?? ''))).toEqual([]);
    // The 30 online agents were checked as usual.
    expect(new Set(statusCalls.map((r) => r.uuid)).size).toBe(30);
    expect(await store.getRecord({ uuid: uuidOf(1), kind: 'port' })).toMatchObject({ state: 'AGENT_OFFLINE', parked: true });
  });

  test('a machine back ONLINE is checked in the next second of budget after the listing says so', async () => {
    const back = uuidOf(5);
    for (let i = 1; i <= 10; i++) emulator.addMachine({ uuid: uuidOf(i) });
    emulator.setMachineStatus(back, 'OFFLINE');
    const store = await memoryStore();
    const { sink, sweep } = setup(store, {});
    await sweep(1_500);
    expect(emulator.requests().filter((r) => r.uuid === back)).toEqual([]);

    emulator.setMachineStatus(back, 'ONLINE');
    emulator.resetStats();
    await listAgainNow(store);
    await sweep(2_500);
    const log = emulator.requests();
    const listedAt = log.find((r) => r.action === 'DescribeMachines')!.at;
    for (const action of STATUS_ACTIONS) {
      const first = log.find((r) => r.uuid === back && r.action === action);
      expect(first).toBeDefined();
      expect(first!.at - listedAt).toBeLessThan(1_000);
    }
    expect(sink.transitions()[`${back}/process`]).toEqual(['null->AGENT_OFFLINE', 'AGENT_OFFLINE->NO_TASK']);
    expect((await store.getRecord({ uuid: back, kind: 'process' }))?.parked).toBeUndefined();
  });

  test('a machine gone from the listing is unwatched after two listings without it, with one agent.unwatched event', async () => {
    const [gone, apiWatched] = [uuidOf(3), uuidOf(4)];
    for (let i = 1; i <= 5; i++) emulator.addMachine({ uuid: uuidOf(i), name: `vm-${i}`, ip: `10.3.0.${i}` });
    const store = await redisStore();
    await store.putWatch(apiWatched, ['process', 'port'], Date.now());
    const { h, sink, sweep } = setup(store, {});
    await sweep(1_000); // listing 1
    emulator.removeMachine(gone);
    emulator.removeMachine(apiWatched);

    await listAgainNow(store);
    await sweep(1_000); // listing 2: missing once
    expect((await readAllWatches(h.config.watch, store)).map((w) => w.uuid)).toContain(gone);
    expect(sink.events.filter((e) => e.type === 'com.tencentcloud.cwp.agent.unwatched')).toEqual([]);

    await listAgainNow(store);
    await sweep(1_000); // listing 3: missing twice
    const watches = await readAllWatches(h.config.watch, store);
    expect(watches.map((w) => w.uuid)).not.toContain(gone);
    expect(watches.find((w) => w.uuid === apiWatched)).toMatchObject({ source: 'api' }); // the API watch stays
    const unwatched = sink.events.filter((e) => e.type === 'com.tencentcloud.cwp.agent.unwatched');
    expect(unwatched).toHaveLength(1);
    expect(unwatched[0]).toMatchObject({ subject: gone, data: { uuid: gone, reason: 'not-listed', kinds: ['process', 'port'], machineName: 'vm-3', machineIp: '10.3.0.3' } });
    expect(eventSchemaProblems(unwatched[0])).toEqual([]);

    // Its keys are out of the schedule: the next sweep does not check it.
    emulator.resetStats();
    await listAgainNow(store);
    await sweep(1_000);
    expect(emulator.requests().filter((r) => r.uuid === gone)).toEqual([]);
    expect(sink.events.filter((e) => e.type === 'com.tencentcloud.cwp.agent.unwatched')).toHaveLength(1);
  });

  test('a listing the deadline cuts short resumes where it stopped at the next sweep', async () => {
    for (let i = 1; i <= 300; i++) emulator.addMachine({ uuid: uuidOf(i) });
    const store = await memoryStore();
    const { h, sweep } = setup(store, { CWP_RATE_LIMIT: '2' });
    await sweep(700); // two pages at 2 requests a second
    const first = await store.getDiscovery();
    expect(first).toMatchObject({ listing: 1, target: 0 });
    expect(first!.offset).toBeGreaterThan(0);
    expect(first!.offset).toBeLessThan(300);
    await sweep(2_500);
    expect(await store.getDiscovery()).toMatchObject({ listing: 2, target: 0, offset: 0 });
    expect(await readAllWatches(h.config.watch, store)).toHaveLength(300);
    expect(emulator.requests().filter((r) => r.action === 'DescribeMachines' && r.outcome === 'accepted')).toHaveLength(3);
  });
});

describe('spare budget', () => {
  test('a 10 s COMPLETE -> COLLECTING -> COMPLETE cycle started outside the bridge on a 50-agent fleet is seen both ways', async () => {
    const uuids = Array.from({ length: 50 }, (_, i) => uuidOf(100 + i));
    for (const uuid of uuids) emulator.startTask(uuid, 'process', { collectMs: 50 });
    for (const uuid of uuids) emulator.startTask(uuid, 'port', { collectMs: 50 });
    const store = await memoryStore();
    const sink = new RecordingSink(`spare-${randomUUID()}`);
    const h = harness(emulator, store, { WATCH_UUIDS: uuids.join(',') }, [sink]);
    cleanups.push(() => h.close());
    const cycled = [uuids[7]!, uuids[31]!];
    // Every key is COMPLETE (due again in 600 s) after the first ~3 s; then two collections start elsewhere.
    setTimeout(() => emulator.startTask(cycled[0]!, 'process', { collectMs: 10_000 }), 4_000);
    setTimeout(() => emulator.startTask(cycled[1]!, 'port', { collectMs: 10_000 }), 4_500);
    const summary = await runSweep(h.deps, sweepFor(17_000));
    expect(summary.outcome).toBe('ok');
    const t = sink.transitions();
    expect(t[`${cycled[0]}/process`]).toEqual(['null->COMPLETE', 'COMPLETE->COLLECTING', 'COLLECTING->COMPLETE']);
    expect(t[`${cycled[1]}/port`]).toEqual(['null->COMPLETE', 'COMPLETE->COLLECTING', 'COLLECTING->COMPLETE']);
    // Due keys came first, and the rest of the budget went to spare checks: well past one check per key.
    const statusCalls = emulator.requests().filter((r) => STATUS_ACTIONS.includes(r.action) && r.outcome === 'accepted');
    expect(statusCalls.length).toBeGreaterThan(100 * 4);
  }, 30_000);
});
