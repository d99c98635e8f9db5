// The emulator's cwp face over real HTTP on loopback, on the same agents as its yunjing face: signatures and the
// 20/s budget per action, the account's asset scan (one at a time, taking time, skipping a host when told), the
// inventory it collects (numbers as strings, FirstTime, paging, filters, newest first), cwp's machine actions, each
// action's documented error codes only (test/fixtures/cwp-api-responses.json), and the control routes.
import { randomUUID } from 'node:crypto';
import { startEmulator, type Emulator, type RequestRecord } from '../../dev/emulator';
import { callApi, control, errorCode, type CallInput } from '../helpers/emulator-client';
import { loadFixture } from '../helpers/fixtures';

interface CwpFixture {
  actions: Record<string, { errors: string[]; itemFields?: string[]; responseFields?: string[] }>;
}
const fixture = loadFixture<CwpFixture>('cwp-api-responses.json');

const SCAN_MS = 3_000;
let clock = Date.UTC(2026, 2, 1, 4, 0, 0);
let emu: Emulator;

/** A cwp request: the credential scope names the service, as our client and the SDK for cwp.tencentcloudapi.com sign it. */
const cwp = (action: string, payload: unknown = {}, extra: Partial<CallInput> = {}) => callApi(emu.url, { action, payload, scopeService: 'cwp', ...extra }, clock);
const answer = async (action: string, payload: unknown = {}) => (await cwp(action, payload)).json.Response;
/** Beijing time, as the cwp face writes it. */
const beijing = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');

beforeAll(async () => {
  emu = await startEmulator({ now: () => clock, quiet: true, scanMs: SCAN_MS });
});
afterAll(() => emu.close());
/** Every request of the tests so far (each test starts with a fresh request log). */
const earlier: RequestRecord[] = [];
beforeEach(() => {
  clock += 60_000; // past any scan of the test before, and a fresh rate-limit window
  earlier.push(...emu.requests());
  emu.resetStats();
  emu.clearFaults();
});

function host(ports: Array<{ port: number; pid: number; processName: string; proto?: 'tcp' | 'udp'; bindIp?: string }>, processes = [{ pid: 100, processName: 'sshd', fullPath: '/usr/sbin/sshd' }]): string {
  const uuid = randomUUID();
  emu.setHost(uuid, { ports, processes });
  return uuid;
}

/** Runs a scan of these hosts to its end (the clock moved past it). */
async function scanned(uuids: string[], payload: Record<string, unknown> = {}): Promise<number> {
  const r = await answer('ScanAsset', { Quuids: uuids.map((u) => emu.quuidOf(u)), ...payload });
  clock += SCAN_MS;
  return r.TaskId as number;
}

describe('signature, routing and the rate limit', () => {
  test('a request signed for cwp is answered by the cwp face: DescribeMachines, which both services have, answers cwp\'s AgentStatus', async () => {
    const uuid = randomUUID();
    emu.addMachine({ uuid, region: 'ap-chengdu' });
    const asCwp = await answer('DescribeMachines', { MachineType: 'CVM', MachineRegion: 'ap-chengdu' });
    const asYunjing = (await callApi(emu.url, { action: 'DescribeMachines', payload: { MachineType: 'CVM', MachineRegion: 'ap-chengdu' } }, clock)).json.Response;
    expect(asCwp.Machines[0]).toMatchObject({ Uuid: uuid, AgentStatus: 'ONLINE', Quuid: emu.quuidOf(uuid) });
    expect(asYunjing.Machines[0]).not.toHaveProperty('AgentStatus');
  });

  test('a cwp action asked of yunjing (its scope) is InvalidAction there; signed for an unrelated service it is AuthFailure.SignatureFailure', async () => {
    expect(errorCode(await cwp('SyncAssetScan', { Sync: false }, { scopeService: 'yunjing' }))).toBe('InvalidAction');
    expect(errorCode(await cwp('SyncAssetScan', { Sync: false }, { scopeService: 'cvm' }))).toBe('AuthFailure.SignatureFailure');
  });

  test('another version is NoSuchVersion; a yunjing action cwp dropped in 2021, asked of cwp, is InvalidAction', async () => {
    expect(errorCode(await cwp('SyncAssetScan', { Sync: false }, { version: '2017-03-12' }))).toBe('NoSuchVersion');
    for (const action of ['DescribeProcessTaskStatus', 'CreateOpenPortTask', 'DescribeOpenPorts']) expect(errorCode(await cwp(action, { Uuid: randomUUID() }))).toBe('InvalidAction');
  });

  test('each action has its own 20 requests a second: the 21st SyncAssetScan is RequestLimitExceeded, DescribeAssetTypes still answers', async () => {
    const codes = [];
    for (let i = 0; i < 21; i++) codes.push(errorCode(await cwp('SyncAssetScan', { Sync: false })));
    expect(codes.slice(0, 20).every((c) => c === null)).toBe(true);
    expect(codes[20]).toBe('RequestLimitExceeded');
    expect(errorCode(await cwp('DescribeAssetTypes'))).toBeNull();
    expect(emu.stats().SyncAssetScan).toMatchObject({ accepted: 20, throttled: 1, maxInAnyWindow: 20 });
  });
});

describe('the account\'s asset scan', () => {
  test('NOTASK before any scan; a scan is SYNCING for its time (Beijing times, whole seconds), then FINISHED', async () => {
    const fresh = await startEmulator({ now: () => clock, quiet: true, scanMs: SCAN_MS });
    try {
      const read = async () => (await callApi(fresh.url, { action: 'SyncAssetScan', payload: { Sync: false }, scopeService: 'cwp' }, clock)).json.Response;
      expect(await read()).toMatchObject({ State: 'NOTASK', TaskId: 0 });
      const uuid = randomUUID();
      fresh.addAgent(uuid);
      const started = clock;
      const scan = (await callApi(fresh.url, { action: 'ScanAsset', payload: { Quuids: [fresh.quuidOf(uuid)] }, scopeService: 'cwp' }, clock)).json.Response;
      expect(scan.TaskId).toBe(1);
      expect(await read()).toMatchObject({ State: 'SYNCING', TaskId: 1, LatestStartTime: beijing(started) });
      clock += SCAN_MS;
      expect(await read()).toMatchObject({ State: 'FINISHED', TaskId: 1, LatestStartTime: beijing(started), LatestEndTime: beijing(started + SCAN_MS) });
    } finally {
      await fresh.close();
    }
  });

  test('a second ScanAsset while one runs is FailedOperation (only one scan at a time) and changes nothing', async () => {
    const a = host([{ port: 22, pid: 100, processName: 'sshd' }]);
    const first = await answer('ScanAsset', { Quuids: [emu.quuidOf(a)] });
    const second = await cwp('ScanAsset', { Quuids: [emu.quuidOf(a)] });
    expect(errorCode(second)).toBe('FailedOperation');
    expect(second.json.Response.Error.Message).toMatch(new RegExp(`TaskId ${first.TaskId as number}`));
    expect((await answer('SyncAssetScan', { Sync: true })).TaskId).toBe(first.TaskId);
  });

  test('a scan is a collection on both faces: the hosts\' keys are COLLECTING, then COMPLETE; an offline host is not scanned', async () => {
    const online = host([{ port: 22, pid: 100, processName: 'sshd' }]);
    const offline = host([{ port: 22, pid: 100, processName: 'sshd' }]);
    emu.setOnline(offline, false);
    await answer('ScanAsset', { Quuids: [emu.quuidOf(online), emu.quuidOf(offline)] });
    expect([emu.state(online, 'process'), emu.state(online, 'port')]).toEqual(['COLLECTING', 'COLLECTING']);
    clock += SCAN_MS;
    expect([emu.state(online, 'process'), emu.state(online, 'port')]).toEqual(['COMPLETE', 'COMPLETE']);
    expect(emu.scans().at(-1)!.hosts.map((h) => [h.uuid, h.outcome])).toEqual([[online, 'COMPLETE'], [offline, 'OFFLINE']]);
    expect(emu.inventory(offline, 'port')).toBeNull();
  });

  test('a host the scan skips ends FAILED and keeps its inventory (UpdateTime does not move)', async () => {
    const uuid = host([{ port: 22, pid: 100, processName: 'sshd' }]);
    await scanned([uuid]);
    const before = emu.inventory(uuid, 'port')!.updateTime;
    emu.skipInNextScan(uuid);
    emu.openPort(uuid, { port: 8080, pid: 100, processName: 'sshd' });
    await scanned([uuid]);
    expect(emu.state(uuid, 'port')).toBe('FAILED');
    expect(emu.inventory(uuid, 'port')).toMatchObject({ updateTime: before });
    expect(emu.inventory(uuid, 'port')!.items.map((i) => i.Port)).toEqual(['22']);
  });

  test('AssetTypeIds narrows the kinds (2 is ports here, by DescribeAssetTypes\' names); none given collects both', async () => {
    const types = (await answer('DescribeAssetTypes')).Types as Array<{ Id: number; Name: string }>;
    const portType = types.find((t) => t.Name === '端口')!.Id;
    const uuid = host([{ port: 22, pid: 100, processName: 'sshd' }]);
    await answer('ScanAsset', { Quuids: [emu.quuidOf(uuid)], AssetTypeIds: [portType] });
    expect([emu.state(uuid, 'port'), emu.state(uuid, 'process')]).toEqual(['COLLECTING', 'NO_TASK']);
  });

  test('StopAssetScan ends the running scan at once, its hosts FAILED; a task not running is FailedOperation', async () => {
    const uuid = host([{ port: 22, pid: 100, processName: 'sshd' }]);
    const { TaskId } = await answer('ScanAsset', { Quuids: [emu.quuidOf(uuid)] });
    expect(errorCode(await cwp('StopAssetScan', { TaskId }))).toBeNull();
    expect(await answer('SyncAssetScan', { Sync: false })).toMatchObject({ State: 'FINISHED', TaskId, LatestEndTime: beijing(clock) });
    expect(emu.state(uuid, 'port')).toBe('FAILED');
    expect(errorCode(await cwp('StopAssetScan', { TaskId }))).toBe('FailedOperation');
  });

  test('ScanAsset\'s documented codes: ParsingError, IllegalRequest, InvalidFormat, ResourceNotFound for a Quuid no host has', async () => {
    expect(errorCode(await cwp('ScanAsset', '{'))).toBe('InvalidParameter.ParsingError');
    expect(errorCode(await cwp('ScanAsset', { Uuids: [] }))).toBe('InvalidParameter.IllegalRequest');
    expect(errorCode(await cwp('ScanAsset', { AssetTypeIds: [999] }))).toBe('InvalidParameter.InvalidFormat');
    expect(errorCode(await cwp('ScanAsset', { Quuids: ['nope'] }))).toBe('InvalidParameter.InvalidFormat');
    expect(errorCode(await cwp('ScanAsset', { Quuids: [randomUUID()] }))).toBe('ResourceNotFound');
  });
});

describe('the inventory (DescribeAssetPortInfoList, DescribeAssetProcessInfoList)', () => {
  test('every field of the SDK\'s AssetPortBaseInfo and AssetProcessBaseInfo; Port, Pid and Ppid as strings; Proto and BindIp', async () => {
    const uuid = host([{ port: 53, pid: 100, processName: 'sshd', proto: 'udp', bindIp: '127.0.0.1' }]);
    const collectedAt = clock + SCAN_MS;
    await scanned([uuid]);
    const port = (await answer('DescribeAssetPortInfoList', { Quuid: emu.quuidOf(uuid) })).Ports[0];
    const proc = (await answer('DescribeAssetProcessInfoList', { Quuid: emu.quuidOf(uuid) })).Process[0];
    expect(Object.keys(port).sort()).toEqual([...fixture.actions.DescribeAssetPortInfoList!.itemFields!].sort());
    expect(Object.keys(proc).sort()).toEqual([...fixture.actions.DescribeAssetProcessInfoList!.itemFields!].sort());
    expect(port).toMatchObject({ Uuid: uuid, Quuid: emu.quuidOf(uuid), Port: '53', Pid: '100', Proto: 'udp', BindIp: '127.0.0.1', ProcessName: 'sshd', ProcessPath: '/usr/sbin/sshd', UpdateTime: beijing(collectedAt), FirstTime: beijing(collectedAt), IsNew: 0 });
    expect(proc).toMatchObject({ Pid: '100', Ppid: '1', Name: 'sshd', Path: '/usr/sbin/sshd', User: 'root' });
  });

  test('a new port has a new FirstTime and IsNew 1; the others keep theirs; all share the host\'s UpdateTime', async () => {
    const uuid = host([{ port: 22, pid: 100, processName: 'sshd' }]);
    const first = clock + SCAN_MS;
    await scanned([uuid]);
    emu.openPort(uuid, { port: 6379, pid: 100, processName: 'sshd' });
    const second = clock + SCAN_MS;
    await scanned([uuid]);
    const items = (await answer('DescribeAssetPortInfoList', { Quuid: emu.quuidOf(uuid) })).Ports as Array<Record<string, unknown>>;
    expect(items.map((i) => [i.Port, i.FirstTime, i.UpdateTime, i.IsNew])).toEqual([['22', beijing(first), beijing(second), 0], ['6379', beijing(second), beijing(second), 1]]);
  });

  test('across the account, By FirstTime desc lists the newest first; Limit and Offset page it, Total on every page', async () => {
    const a = host([{ port: 22, pid: 100, processName: 'sshd' }]);
    const b = host([{ port: 22, pid: 100, processName: 'sshd' }]);
    await scanned([a, b]);
    emu.openPort(b, { port: 9999, pid: 100, processName: 'sshd' });
    await scanned([b]);
    const page = await answer('DescribeAssetPortInfoList', { By: 'FirstTime', Order: 'desc', Limit: 1 });
    expect(page.Ports[0]).toMatchObject({ Uuid: b, Port: '9999' });
    const next = await answer('DescribeAssetPortInfoList', { By: 'FirstTime', Order: 'desc', Limit: 1, Offset: 1 });
    expect(next.Total).toBe(page.Total);
    expect(next.Ports[0].Port).not.toBe('9999');
  });

  test('Limit defaults to 10 and goes to 100; past that, or a bad Order or By, is InvalidParameterValue; an unknown Quuid matches nothing', async () => {
    const uuid = host(Array.from({ length: 150 }, (_, i) => ({ port: 10_000 + i, pid: 100, processName: 'sshd' })));
    await scanned([uuid]);
    const q = emu.quuidOf(uuid);
    expect((await answer('DescribeAssetPortInfoList', { Quuid: q })).Ports).toHaveLength(10);
    expect(await answer('DescribeAssetPortInfoList', { Quuid: q, Limit: 100, Offset: 100 })).toMatchObject({ Total: 150, Ports: expect.any(Array) });
    expect((await answer('DescribeAssetPortInfoList', { Quuid: q, Limit: 100, Offset: 100 })).Ports).toHaveLength(50);
    for (const bad of [{ Limit: 101 }, { Limit: 0 }, { Offset: -1 }, { Order: 'up' }, { By: 'UpdateTime' }]) expect(errorCode(await cwp('DescribeAssetPortInfoList', { Quuid: q, ...bad }))).toBe('InvalidParameterValue');
    expect(await answer('DescribeAssetPortInfoList', { Quuid: randomUUID() })).toMatchObject({ Total: 0, Ports: [] });
  });

  test('Filters narrow (Port exactly, ProcessName by substring, Proto); at most 5 filters of 5 values; an undocumented name is InvalidParameterValue', async () => {
    const uuid = host([{ port: 22, pid: 100, processName: 'sshd' }, { port: 53, pid: 101, processName: 'named', proto: 'udp' }], [{ pid: 100, processName: 'sshd', fullPath: '/usr/sbin/sshd' }, { pid: 101, processName: 'named', fullPath: '/usr/sbin/named' }]);
    await scanned([uuid]);
    const q = emu.quuidOf(uuid);
    const ports = async (Filters: unknown) => ((await answer('DescribeAssetPortInfoList', { Quuid: q, Filters })).Ports as Array<{ Port: string }>).map((p) => p.Port);
    expect(await ports([{ Name: 'Port', Values: ['53'] }])).toEqual(['53']);
    expect(await ports([{ Name: 'ProcessName', Values: ['ssh'] }])).toEqual(['22']);
    expect(await ports([{ Name: 'Proto', Values: ['udp'] }])).toEqual(['53']);
    const six = Array.from({ length: 6 }, () => ({ Name: 'Port', Values: ['22'] }));
    expect(errorCode(await cwp('DescribeAssetPortInfoList', { Quuid: q, Filters: six }))).toBe('InvalidParameterValue');
    expect(errorCode(await cwp('DescribeAssetPortInfoList', { Quuid: q, Filters: [{ Name: 'Port', Values: ['1', '2', '3', '4', '5', '6'] }] }))).toBe('InvalidParameterValue');
    expect(errorCode(await cwp('DescribeAssetPortInfoList', { Quuid: q, Filters: [{ Name: 'Colour', Values: ['red'] }] }))).toBe('InvalidParameterValue');
    expect(errorCode(await cwp('DescribeAssetPortInfoList', { Quuid: q, Filters: [{ Values: ['22'] }] }))).toBe('InvalidParameter.MissingParameter');
  });

  test('a port closed and opened again is new again (FirstTime: where its run of presence began)', async () => {
    const uuid = host([{ port: 22, pid: 100, processName: 'sshd' }, { port: 80, pid: 100, processName: 'sshd' }]);
    await scanned([uuid]);
    emu.closePort(uuid, 80);
    await scanned([uuid]);
    emu.openPort(uuid, { port: 80, pid: 100, processName: 'sshd' });
    const reopened = clock + SCAN_MS;
    await scanned([uuid]);
    const items = (await answer('DescribeAssetPortInfoList', { Quuid: emu.quuidOf(uuid) })).Ports as Array<Record<string, unknown>>;
    expect(items.find((i) => i.Port === '80')).toMatchObject({ FirstTime: beijing(reopened), IsNew: 1 });
  });
});

describe('machines on cwp', () => {
  test('DescribeMachines answers AgentStatus ONLINE, OFFLINE, UNINSTALLED; the AgentStatus and Quuid filters narrow (Quuid takes up to 100 values)', async () => {
    const region = 'ap-seoul';
    const [on, off, gone] = [randomUUID(), randomUUID(), randomUUID()];
    for (const uuid of [on, off, gone]) emu.addMachine({ uuid, region });
    emu.setOnline(off, false);
    emu.script(gone, 'process', [{ atMs: 0, state: 'UNKNOWN_AGENT' }]);
    emu.script(gone, 'port', [{ atMs: 0, state: 'UNKNOWN_AGENT' }]);
    const list = async (Filters?: unknown) => ((await answer('DescribeMachines', { MachineType: 'CVM', MachineRegion: region, ...(Filters ? { Filters } : {}) })).Machines as Array<{ Uuid: string; AgentStatus: string }>).map((m) => [m.Uuid, m.AgentStatus]);
    expect(await list()).toEqual([[on, 'ONLINE'], [off, 'OFFLINE'], [gone, 'UNINSTALLED']]);
    expect(await list([{ Name: 'AgentStatus', Values: ['OFFLINE'] }])).toEqual([[off, 'OFFLINE']]);
    expect(await list([{ Name: 'Quuid', Values: [emu.quuidOf(on), emu.quuidOf(gone)] }])).toEqual([[on, 'ONLINE'], [gone, 'UNINSTALLED']]);
    expect(errorCode(await cwp('DescribeMachines', { MachineType: 'CVM', MachineRegion: region, Filters: [{ Name: 'AgentStatus', Values: ['ONLINE', 'OFFLINE'] }] }))).toBe('InvalidParameterValue');
    expect(errorCode(await cwp('DescribeMachines', { MachineType: 'VM', MachineRegion: region }))).toBe('InvalidParameterValue');
    expect(errorCode(await cwp('DescribeMachines', { MachineRegion: region }))).toBe('MissingParameter');
  });

  test('DescribeMachineRegions lists, per machine type, the regions the account has machines of that type in', async () => {
    emu.addMachine({ uuid: randomUUID(), region: 'ap-mumbai', type: 'LH' });
    const r = await answer('DescribeMachineRegions');
    expect((r.LH as Array<{ Region: string }>).map((x) => x.Region)).toContain('ap-mumbai');
    expect((r.CVM as Array<{ Region: string }>).map((x) => x.Region)).not.toContain('ap-mumbai');
    expect(Object.keys(r).filter((k) => k !== 'RequestId').sort()).toEqual(['ALL', 'BM', 'CVM', 'ECM', 'LH', 'Other']);
  });

  test('DescribeMachineInfo finds a host by Uuid or Quuid (an agent added without a machine is a CVM in ap-guangzhou); no host is ResourceNotFound', async () => {
    const uuid = randomUUID();
    emu.addAgent(uuid, { online: false });
    expect(await answer('DescribeMachineInfo', { Uuid: uuid })).toMatchObject({ Uuid: uuid, Quuid: emu.quuidOf(uuid), MachineStatus: 'OFFLINE', MachineType: 'CVM', MachineRegion: 'ap-guangzhou' });
    expect(await answer('DescribeMachineInfo', { Quuid: emu.quuidOf(uuid) })).toMatchObject({ Uuid: uuid });
    expect(errorCode(await cwp('DescribeMachineInfo', { Uuid: randomUUID() }))).toBe('ResourceNotFound');
    expect(errorCode(await cwp('DescribeMachineInfo', {}))).toBe('InvalidParameter.MissingParameter');
  });
});

describe('the other actions\' documented codes', () => {
  test.each([
    ['SyncAssetScan', {}, 'InvalidParameter.MissingParameter'],
    ['SyncAssetScan', { Sync: 'yes' }, 'InvalidParameter.IllegalRequest'],
    ['StopAssetScan', {}, 'InvalidParameter.MissingParameter'],
    ['StopAssetScan', { TaskId: 'one' }, 'InvalidParameter.InvalidFormat'],
    ['DescribeAssetTypes', { Kind: 'port' }, 'InvalidParameter'],
    ['DescribeMachineRegions', { MachineType: 'CVM' }, 'InvalidParameterValue'],
    ['DescribeMachineInfo', '[]', 'InvalidParameter.ParsingError'],
    ['DescribeMachineInfo', { Uuid: 'web-01' }, 'InvalidParameter.InvalidFormat'],
    ['DescribeMachines', { MachineType: '', MachineRegion: 'ap-guangzhou' }, 'InvalidParameter.MissingParameter'],
    ['DescribeMachines', { MachineType: 'CVM', MachineRegion: 'guangzhou' }, 'InvalidParameter.InvalidFormat'],
    ['DescribeAssetProcessInfoList', '"x"', 'InvalidParameter'],
    ['DescribeAssetProcessInfoList', { Filters: [{ Name: 'Port', Values: ['22'] }] }, 'InvalidParameterValue'],
  ])('%s %j is %s', async (action, payload, code) => {
    expect(errorCode(await cwp(action, payload))).toBe(code);
  });
});

describe('documented codes only', () => {
  test('every code a cwp action answered in the tests above is one its documentation lists (or a common one)', () => {
    const common = new Set(['RequestLimitExceeded', 'AuthFailure.SignatureFailure', 'NoSuchVersion', 'InvalidAction']);
    const answered = earlier.filter((r) => r.code !== null && !common.has(r.code) && fixture.actions[r.action] !== undefined);
    // The tests above reach the business codes of most actions: a check over nothing would prove nothing.
    expect(new Set(answered.map((r) => r.action)).size).toBeGreaterThanOrEqual(6);
    for (const r of answered) expect([r.action, fixture.actions[r.action]!.errors]).toEqual([r.action, expect.arrayContaining([r.code])]);
  });
});

describe('control routes', () => {
  test('POST /_emulator/cwp/scans starts a scan (400 while one runs), GET /_emulator/cwp/scan is SyncAssetScan\'s answer, /cwp/skip and /cwp/inventory', async () => {
    const uuid = host([{ port: 22, pid: 100, processName: 'sshd' }]);
    expect((await control(emu.url, 'POST', '/_emulator/cwp/skip', { uuid })).status).toBe(200);
    const started = await control(emu.url, 'POST', '/_emulator/cwp/scans', { quuids: [emu.quuidOf(uuid)] });
    expect(started.json).toMatchObject({ hosts: [{ uuid, outcome: 'FAILED' }] });
    expect((await control(emu.url, 'POST', '/_emulator/cwp/scans', {})).status).toBe(400);
    expect((await control(emu.url, 'GET', '/_emulator/cwp/scan')).json).toMatchObject({ State: 'SYNCING', TaskId: started.json.taskId });
    clock += SCAN_MS;
    expect((await control(emu.url, 'GET', `/_emulator/cwp/inventory?uuid=${uuid}&kind=port`)).json).toBeNull();
  });
});
