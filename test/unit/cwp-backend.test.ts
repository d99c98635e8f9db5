// The cwp backend (lib/cwp/cwp.ts) as the CWP port sees it: each task state inferred from what the bridge last
// recorded, the account's scan and the host's inventory, with the requests each inference costs; starts coalesced
// into one ScanAsset; the inventory read, listed newest first and normalised; cwp's machine listing. Against a
// scripted caller and a hand-moved clock, so each test sees exactly the requests made.
import { CwpClient, MACHINE_STATUS_TTL_MS, parseCwpTime, SCAN_STATE_TTL_MS, START_COALESCE_MS, START_GRACE_MS } from '../../lib/cwp/cwp';
import { InvalidUuidError } from '../../lib/cwp/port';
import { YunjingClient } from '../../lib/cwp/yunjing';
import { SCAN_RUNNING_CODE, TencentError } from '../../lib/errors';
import type { TencentResult } from '../../lib/tencent/types';
import type { KnownState } from '../../lib/types';
import { ScriptedCaller } from '../helpers/tencent-fakes';

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const QUUID = '2b6dc56f-5f3c-428f-a973-abc9fa6c2b8a';
const OTHER = '0f9e8d7c-6b5a-4948-8372-6150a4b3c2d1';
const OTHER_QUUID = '9d1c0a66-1b2f-4a8e-b1c3-0e2f3a4b5c6d';

/** 2026-03-01 12:00:00 in Beijing (UTC+8), as CWP writes it, and the same instant in epoch ms. */
const T = Date.parse('2026-03-01T04:00:00Z');
const beijing = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');

const ok = (response: Record<string, unknown>, requestId = 'req'): TencentResult<unknown> => ({ response, requestId });
const apiError = (code: string, action: string) => new TencentError({ code, message: `${code}: from cwp`, requestId: `req-${code}`, action });
const machine = (status = 'ONLINE', requestId = 'req-machine') => ok({ Quuid: QUUID, Uuid: UUID, MachineStatus: status, MachineType: 'CVM', MachineRegion: 'ap-guangzhou' }, requestId);
const scanState = (state: string, startedAt: number | null, endedAt: number | null = null, requestId = 'req-scan', taskId = 7) =>
  ok({ State: state, TaskId: taskId, LatestStartTime: startedAt === null ? '' : beijing(startedAt), LatestEndTime: endedAt === null ? '' : beijing(endedAt) }, requestId);
const portItem = (port: number, updatedAt: number, extra: Record<string, unknown> = {}) => ({
  Quuid: QUUID, Uuid: UUID, Port: String(port), Pid: '100', ProcessName: 'sshd', Proto: 'tcp', BindIp: '0.0.0.0', UpdateTime: beijing(updatedAt), FirstTime: beijing(updatedAt), IsNew: 0, ...extra,
});
const ports = (total: number, items: unknown[], requestId = 'req-inventory') => ok({ Total: total, Ports: items }, requestId);

function backend(answers: Array<TencentResult<unknown> | Error>, start = T) {
  const caller = new ScriptedCaller(answers);
  const clock = { now: start };
  return { caller, clock, cwp: new CwpClient(caller, () => clock.now), actions: () => caller.calls.map((c) => c.action) };
}

describe('parseCwpTime', () => {
  test('CWP\'s zone-less times are Beijing time (UTC+8); anything else is no time', () => {
    expect(parseCwpTime('2026-03-01 12:00:00')).toBe(T);
    expect(parseCwpTime('')).toBeNull();
    expect(parseCwpTime('2026-03-01T12:00:00Z')).toBeNull();
    expect(parseCwpTime(1)).toBeNull();
  });
});

describe('getTaskStatus: a state inferred, and what it costs', () => {
  test('no machine has the Uuid (DescribeMachineInfo ResourceNotFound): UNKNOWN_AGENT, with that answer\'s RequestId', async () => {
    const b = backend([apiError('ResourceNotFound', 'DescribeMachineInfo')]);
    expect(await b.cwp.getTaskStatus('port', UUID)).toMatchObject({ uuid: UUID, kind: 'port', state: 'UNKNOWN_AGENT', requestId: 'req-ResourceNotFound' });
    expect(b.caller.calls.map((c) => [c.action, c.payload])).toEqual([['DescribeMachineInfo', { Uuid: UUID }]]);
  });

  test('a machine whose MachineStatus is not ONLINE: AGENT_OFFLINE, from one DescribeMachineInfo', async () => {
    const b = backend([machine('OFFLINE')]);
    expect(await b.cwp.getTaskStatus('process', UUID)).toMatchObject({ state: 'AGENT_OFFLINE', requestId: 'req-machine' });
    expect(b.actions()).toEqual(['DescribeMachineInfo']);
  });

  test('a key never recorded: COMPLETE when its host has an inventory of the kind, NO_TASK when it has none (one item is read, Limit 1)', async () => {
    const b = backend([machine(), ports(40, [portItem(22, T - 60_000)]), ok({ Total: 0, Process: [] }, 'req-empty')]);
    expect(await b.cwp.getTaskStatus('port', UUID)).toMatchObject({ state: 'COMPLETE', requestId: 'req-inventory' });
    expect(await b.cwp.getTaskStatus('process', UUID)).toMatchObject({ state: 'NO_TASK', requestId: 'req-empty' });
    expect(b.caller.calls.map((c) => [c.action, c.payload])).toEqual([
      ['DescribeMachineInfo', { Uuid: UUID }],
      ['DescribeAssetPortInfoList', { Quuid: QUUID, Limit: 1, Offset: 0 }],
      ['DescribeAssetProcessInfoList', { Quuid: QUUID, Limit: 1, Offset: 0 }],
    ]);
  });

  test('a COMPLETE key stays COMPLETE on the host\'s online state alone: no inventory request', async () => {
    const b = backend([machine()]);
    expect(await b.cwp.getTaskStatus('port', UUID, {}, { state: 'COMPLETE', since: T - 1_000 })).toMatchObject({ state: 'COMPLETE' });
    expect(b.actions()).toEqual(['DescribeMachineInfo']);
  });

  test(`the host's online state is asked again once it is ${MACHINE_STATUS_TTL_MS / 1000} s old; its Quuid never`, async () => {
    const b = backend([machine('ONLINE', 'm1'), machine('OFFLINE', 'm2')]);
    const known: KnownState = { state: 'COMPLETE', since: T - 1_000 };
    expect(await b.cwp.getTaskStatus('port', UUID, {}, known)).toMatchObject({ state: 'COMPLETE', requestId: 'm1' });
    b.clock.now += MACHINE_STATUS_TTL_MS - 1;
    expect(await b.cwp.getTaskStatus('process', UUID, {}, known)).toMatchObject({ state: 'COMPLETE', requestId: 'm1' });
    b.clock.now += 1;
    expect(await b.cwp.getTaskStatus('port', UUID, {}, known)).toMatchObject({ state: 'AGENT_OFFLINE', requestId: 'm2' });
    expect(b.actions()).toEqual(['DescribeMachineInfo', 'DescribeMachineInfo']);
  });

  test('the process and port keys of one host checked at once share one DescribeMachineInfo', async () => {
    const b = backend([machine(), ok({ Total: 1, Process: [{ Pid: '1', Name: 'systemd', UpdateTime: beijing(T) }] }), ports(1, [portItem(22, T)])]);
    const [p, q] = await Promise.all([b.cwp.getTaskStatus('process', UUID), b.cwp.getTaskStatus('port', UUID)]);
    expect([p.state, q.state]).toEqual(['COMPLETE', 'COMPLETE']);
    expect(b.actions().filter((a) => a === 'DescribeMachineInfo')).toHaveLength(1);
  });

  describe('a key the bridge recorded COLLECTING (a collection it started)', () => {
    const since = T;

    test('is COLLECTING while the account\'s scan is SYNCING, from SyncAssetScan alone (no request about the host)', async () => {
      const b = backend([scanState('SYNCING', since - 500)]);
      expect(await b.cwp.getTaskStatus('port', UUID, {}, { state: 'COLLECTING', since })).toMatchObject({ state: 'COLLECTING', requestId: 'req-scan' });
      expect(b.caller.calls.map((c) => [c.action, c.payload])).toEqual([['SyncAssetScan', { Sync: false }]]);
    });

    test(`one SyncAssetScan a second (${SCAN_STATE_TTL_MS} ms) serves every key`, async () => {
      const b = backend([scanState('SYNCING', since, null, 's1'), scanState('SYNCING', since, null, 's2')]);
      const collecting: KnownState = { state: 'COLLECTING', since };
      await Promise.all([b.cwp.getTaskStatus('port', UUID, {}, collecting), b.cwp.getTaskStatus('process', UUID, {}, collecting), b.cwp.getTaskStatus('port', OTHER, {}, collecting)]);
      b.clock.now += SCAN_STATE_TTL_MS - 1;
      expect(await b.cwp.getTaskStatus('port', UUID, {}, collecting)).toMatchObject({ requestId: 's1' });
      b.clock.now += 1;
      expect(await b.cwp.getTaskStatus('port', UUID, {}, collecting)).toMatchObject({ requestId: 's2' });
      expect(b.actions()).toEqual(['SyncAssetScan', 'SyncAssetScan']);
    });

    test('is COMPLETE once the scan that started after it FINISHED and the host\'s inventory was updated at or after that start', async () => {
      const b = backend([scanState('FINISHED', since - 400, since + 3_000), machine(), ports(2, [portItem(22, since + 3_000)])]);
      expect(await b.cwp.getTaskStatus('port', UUID, {}, { state: 'COLLECTING', since })).toMatchObject({ state: 'COMPLETE', requestId: 'req-inventory' });
    });

    test('is FAILED when that scan FINISHED without updating an online host\'s inventory (the scan skipped it)', async () => {
      const b = backend([scanState('FINISHED', since, since + 3_000), machine(), ports(2, [portItem(22, since - 3_600_000)])]);
      expect(await b.cwp.getTaskStatus('port', UUID, {}, { state: 'COLLECTING', since })).toMatchObject({ state: 'FAILED', requestId: 'req-inventory' });
    });

    test('is AGENT_OFFLINE when that scan FINISHED without updating an offline host\'s inventory: its online state is asked now, its Quuid was known', async () => {
      const b = backend([scanState('FINISHED', since, since + 3_000), ports(2, [portItem(22, since - 3_600_000)]), machine('OFFLINE', 'req-offline')]);
      b.cwp.rememberMachines([{ uuid: UUID, quuid: QUUID, name: null, ip: null, tags: [], type: 'CVM', region: 'ap-guangzhou', status: 'ONLINE' }]);
      expect(await b.cwp.getTaskStatus('port', UUID, {}, { state: 'COLLECTING', since })).toMatchObject({ state: 'AGENT_OFFLINE', requestId: 'req-offline' });
      expect(b.actions()).toEqual(['SyncAssetScan', 'DescribeAssetPortInfoList', 'DescribeMachineInfo']);
    });

    test(`stays COLLECTING while the latest scan began before it (not yet seen to start), FAILED after ${START_GRACE_MS / 1000} s of that`, async () => {
      const b = backend([scanState('FINISHED', since - 60_000, since - 50_000, 's1'), scanState('FINISHED', since - 60_000, since - 50_000, 's2')]);
      expect(await b.cwp.getTaskStatus('port', UUID, {}, { state: 'COLLECTING', since })).toMatchObject({ state: 'COLLECTING', requestId: 's1' });
      b.clock.now = since + START_GRACE_MS + 1;
      expect(await b.cwp.getTaskStatus('port', UUID, {}, { state: 'COLLECTING', since })).toMatchObject({ state: 'FAILED', requestId: 's2' });
    });
  });

  test('a FAILED key stays FAILED until its host\'s inventory moves past it, then is COMPLETE', async () => {
    const since = T;
    const b = backend([machine(), ports(1, [portItem(22, since - 5_000)]), ports(1, [portItem(22, since + 30_000)], 'req-moved')]);
    b.clock.now = since + 1_000;
    expect(await b.cwp.getTaskStatus('port', UUID, {}, { state: 'FAILED', since })).toMatchObject({ state: 'FAILED' });
    expect(await b.cwp.getTaskStatus('port', UUID, {}, { state: 'FAILED', since })).toMatchObject({ state: 'COMPLETE', requestId: 'req-moved' });
  });

  test('a FAILED key of a host with no inventory at all stays FAILED (not NO_TASK)', async () => {
    const b = backend([machine(), ports(0, [])]);
    expect(await b.cwp.getTaskStatus('port', UUID, {}, { state: 'FAILED', since: T })).toMatchObject({ state: 'FAILED' });
  });

  test('a bad Uuid is refused before any request; a State cwp does not document is Bridge.UnknownStatus', async () => {
    const b = backend([ok({ State: 'PAUSED', TaskId: 1 })]);
    await expect(b.cwp.getTaskStatus('port', 'not-a-uuid')).rejects.toBeInstanceOf(InvalidUuidError);
    expect(b.caller.calls).toHaveLength(0);
    await expect(b.cwp.getTaskStatus('port', UUID, {}, { state: 'COLLECTING', since: T })).rejects.toMatchObject({ code: 'Bridge.UnknownStatus', action: 'SyncAssetScan' });
  });
});

describe('starting collections', () => {
  const types = ok({ Types: [{ Id: 1, Name: '账号' }, { Id: 2, Name: '端口' }, { Id: 3, Name: '进程' }] });

  test(`both kinds of a host asked for within ${START_COALESCE_MS} ms are one ScanAsset (its Quuid, the port and process types), each answered with its RequestId`, async () => {
    const b = backend([machine(), scanState('FINISHED', T - 60_000, T - 50_000), types, ok({ TaskId: 8 }, 'req-start')]);
    const started = await Promise.all([b.cwp.createTask('process', UUID), b.cwp.createTask('port', UUID)]);
    expect(started).toEqual([{ requestId: 'req-start' }, { requestId: 'req-start' }]);
    expect(b.caller.calls.map((c) => [c.action, c.payload])).toEqual([
      ['DescribeMachineInfo', { Uuid: UUID }],
      ['SyncAssetScan', { Sync: false }],
      ['DescribeAssetTypes', {}],
      ['ScanAsset', { Quuids: [QUUID], AssetTypeIds: [3, 2] }],
    ]);
  });

  test('while the account\'s scan is SYNCING a start is refused as Bridge.ScanRunning (503), with no ScanAsset', async () => {
    const b = backend([machine(), scanState('SYNCING', T - 2_000, null, 'req-busy', 9)]);
    const refused = await b.cwp.createTask('port', UUID).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: SCAN_RUNNING_CODE, requestId: 'req-busy', row: { httpStatus: 503 } });
    expect((refused as Error).message).toMatch(/task 9\) is running since .*start again when it has finished/);
    expect(b.actions()).not.toContain('ScanAsset');
  });

  test('ScanAsset\'s FailedOperation with a scan now SYNCING (another sweep, the console) is Bridge.ScanRunning too', async () => {
    const b = backend([machine(), scanState('FINISHED', T - 60_000, T - 50_000), types, apiError('FailedOperation', 'ScanAsset'), scanState('SYNCING', T)]);
    await expect(b.cwp.createTask('port', UUID)).rejects.toMatchObject({ code: SCAN_RUNNING_CODE });
  });

  test('an unknown agent is refused as ResourceNotFound (UNKNOWN_AGENT), an offline one as FailedOperation.AgentOffline, neither scanned', async () => {
    const b = backend([apiError('ResourceNotFound', 'DescribeMachineInfo')]);
    await expect(b.cwp.createTask('port', UUID)).rejects.toMatchObject({ code: 'ResourceNotFound', row: { state: 'UNKNOWN_AGENT' } });
    const c = backend([machine('OFFLINE')]);
    await expect(c.cwp.createTask('port', UUID)).rejects.toMatchObject({ code: 'FailedOperation.AgentOffline', row: { state: 'AGENT_OFFLINE' } });
    expect([...b.actions(), ...c.actions()]).not.toContain('ScanAsset');
  });

  test('the sweep\'s batch uses the Quuids it knows (a listing, the store) and scans every host in one request', async () => {
    const b = backend([scanState('FINISHED', T - 60_000, T - 50_000), types, ok({ TaskId: 10 }, 'req-batch')]);
    b.cwp.rememberMachines([
      { uuid: UUID, quuid: QUUID, name: null, ip: null, tags: [], type: 'CVM', region: 'ap-guangzhou', status: 'ONLINE' },
      { uuid: OTHER, quuid: OTHER_QUUID, name: null, ip: null, tags: [], type: 'CVM', region: 'ap-guangzhou', status: 'OFFLINE' },
    ]);
    const batch = await b.cwp.startCollections([{ uuid: UUID, kind: 'port' }, { uuid: OTHER, kind: 'port' }, { uuid: UUID, kind: 'process' }]);
    expect(batch).toMatchObject({ requestId: 'req-batch', taskId: 10, refused: [] });
    expect(batch.started).toHaveLength(3);
    expect(b.caller.calls.at(-1)!.payload).toEqual({ Quuids: [QUUID, OTHER_QUUID], AssetTypeIds: [2, 3] });
    expect(b.actions()).not.toContain('DescribeMachineInfo');
  });
});

describe('the inventory', () => {
  test('readResults pages the host\'s inventory by its Quuid, oldest first, numbers parsed, Proto and BindIp kept', async () => {
    const page = (from: number, n: number, id: string) => ports(130, Array.from({ length: n }, (_, i) => portItem(1000 + from + i, T, { Proto: i % 2 ? 'udp' : 'tcp', BindIp: '127.0.0.1' })), id);
    const b = backend([machine(), page(0, 100, 'r1'), page(100, 30, 'r2')]);
    const read = await b.cwp.readResults('port', UUID);
    expect(b.caller.calls.slice(1).map((c) => c.payload)).toEqual([0, 100].map((Offset) => ({ Quuid: QUUID, Limit: 100, Offset, By: 'FirstTime', Order: 'asc' })));
    expect(read).toMatchObject({ total: 130, requestId: 'r2' });
    expect(read.items).toHaveLength(130);
    expect(read.items[1]).toEqual({ port: 1001, pid: 100, processName: 'sshd', proto: 'udp', bindIp: '127.0.0.1' });
  });

  test('a process read maps Name, Path and User, and Pid and Ppid from strings', async () => {
    const b = backend([machine(), ok({ Total: 1, Process: [{ Pid: '4242', Ppid: '1', Name: ' nginx ', Path: '/usr/sbin/nginx', User: 'www' }] }, 'rp')]);
    expect(await b.cwp.readResults('process', UUID)).toEqual({ items: [{ pid: 4242, ppid: 1, processName: 'nginx', username: 'www', fullPath: '/usr/sbin/nginx' }], total: 1, requestId: 'rp' });
  });

  test('a Port that is not digits in a string, or a Total that is not a count, is Bridge.BadResponseBody', async () => {
    const b = backend([machine(), ports(1, [portItem(22, T, { Port: 22 })]), ok({ Ports: [] })]);
    await expect(b.cwp.readResults('port', UUID)).rejects.toMatchObject({ code: 'Bridge.BadResponseBody', message: expect.stringMatching(/Ports\[0\]\.Port 22/) });
    await expect(b.cwp.readResults('port', UUID)).rejects.toMatchObject({ code: 'Bridge.BadResponseBody', message: expect.stringMatching(/Total/) });
  });

  test('readNewestItems lists the account newest first (By FirstTime, desc), each item with its agent and first-seen time', async () => {
    const b = backend([ports(250, [portItem(6379, T + 5_000, { FirstTime: beijing(T + 5_000) }), { ...portItem(22, T), Uuid: '' }], 'rn')]);
    const page = await b.cwp.readNewestItems('port', 100);
    expect(b.caller.calls[0]!.payload).toEqual({ Limit: 100, Offset: 100, By: 'FirstTime', Order: 'desc' });
    expect(page).toEqual({ items: [{ uuid: UUID, firstSeenAt: T + 5_000, item: { port: 6379, pid: 100, processName: 'sshd', proto: 'tcp', bindIp: '0.0.0.0' } }], total: 250, nextOffset: null, requestId: 'rn' });
  });
});

describe('machines', () => {
  test('readMachines sends cwp\'s filter names (Keywords as Names, Status as AgentStatus) and keeps each machine\'s Quuid; OFFLINE and UNINSTALLED agents are offline', async () => {
    const b = backend([ok({ TotalCount: 3, Machines: [
      { Uuid: UUID.toUpperCase(), Quuid: QUUID, MachineName: 'web-01', MachineIp: '10.0.0.1', AgentStatus: 'ONLINE', MachineStatus: 'ONLINE', Tag: [{ Name: 'prod' }] },
      { Uuid: OTHER, Quuid: OTHER_QUUID, MachineName: 'web-02', MachineIp: '', AgentStatus: 'UNINSTALLED', MachineStatus: 'UNINSTALLED', Tag: [] },
      { Uuid: '', Quuid: '11111111-2222-4333-8444-555555555555', AgentStatus: 'OFFLINE' },
    ] }, 'rm')]);
    const read = await b.cwp.readMachines({ target: { machineType: 'CVM', machineRegion: 'ap-guangzhou' }, offset: 0, filters: [{ Name: 'Keywords', Values: ['web'] }, { Name: 'Status', Values: ['ONLINE'] }] });
    expect(b.caller.calls[0]!.payload).toEqual({ MachineType: 'CVM', MachineRegion: 'ap-guangzhou', Limit: 100, Offset: 0, Filters: [{ Name: 'Names', Values: ['web'] }, { Name: 'AgentStatus', Values: ['ONLINE'] }] });
    expect(read).toEqual({
      machines: [
        { uuid: UUID, quuid: QUUID, name: 'web-01', ip: '10.0.0.1', tags: ['prod'], type: 'CVM', region: 'ap-guangzhou', status: 'ONLINE' },
        { uuid: OTHER, quuid: OTHER_QUUID, name: 'web-02', ip: null, tags: [], type: 'CVM', region: 'ap-guangzhou', status: 'OFFLINE' },
      ],
      skippedNoUuid: 1, total: 3, nextOffset: null, requestId: 'rm',
    });
  });

  test('a listed machine\'s Quuid serves the status checks: no DescribeMachineInfo for it', async () => {
    const b = backend([ok({ TotalCount: 1, Machines: [{ Uuid: UUID, Quuid: QUUID, AgentStatus: 'ONLINE' }] }), ports(1, [portItem(22, T)])]);
    await b.cwp.readMachines({ target: { machineType: 'CVM', machineRegion: 'ap-guangzhou' }, offset: 0 });
    expect(await b.cwp.getTaskStatus('port', UUID)).toMatchObject({ state: 'COMPLETE' });
    expect(b.actions()).toEqual(['DescribeMachines', 'DescribeAssetPortInfoList']);
  });

  test('machineRegions is what DescribeMachineRegions lists for the type, asked once for every type', async () => {
    const b = backend([ok({ CVM: [{ Region: 'ap-guangzhou' }, { Region: 'ap-tokyo' }], BM: [], LH: [{ Region: 'ap-shanghai' }], ALL: [{ Region: 'ap-guangzhou' }] })]);
    expect(await b.cwp.machineRegions('CVM')).toEqual(['ap-guangzhou', 'ap-tokyo']);
    expect(await b.cwp.machineRegions('BM')).toEqual([]);
    expect(await b.cwp.machineRegions('Other')).toEqual([]);
    expect(b.actions()).toEqual(['DescribeMachineRegions']);
  });
});

describe('stopFor: the errors that stop a sweep', () => {
  test('cwp\'s are worded with cwp 2018-02-28 and its permissions', () => {
    const cwp = new CwpClient(new ScriptedCaller([]));
    expect(cwp.stopFor(apiError('InvalidAction', 'ScanAsset'))).toMatchObject({ outcome: 'gone', message: expect.stringMatching(/^InvalidAction on ScanAsset \(cwp 2018-02-28\)/) });
    expect(cwp.stopFor(apiError('UnauthorizedOperation', 'ScanAsset'))).toMatchObject({ outcome: 'auth', fix: expect.stringMatching(/cwp permissions/) });
  });

  test.each(['InvalidAction', 'ActionOffline'])('yunjing answering %s (the 2021 retirement) says to try CWP_API=cwp', (code) => {
    const stop = new YunjingClient(new ScriptedCaller([])).stopFor(apiError(code, 'DescribeOpenPortTaskStatus'));
    expect(stop).toMatchObject({ outcome: 'gone' });
    expect(stop!.fix).toMatch(/try CWP_API=cwp/);
    expect(stop!.message).toMatch(/try CWP_API=cwp/);
  });

  test('yunjing\'s other gone codes (a wrong version) do not point at cwp', () => {
    const stop = new YunjingClient(new ScriptedCaller([])).stopFor(apiError('NoSuchVersion', 'DescribeOpenPortTaskStatus'));
    expect(stop!.fix).not.toMatch(/CWP_API/);
  });
});
