// CwpClient's collection and result calls: what each sends, what it accepts from a body and what it refuses,
// first against a scripted caller, then the whole way through TencentClient against the emulator.
import { randomUUID } from 'node:crypto';
import { startEmulator, type Emulator } from '../../dev/emulator';
import { CREATE_ACTION, InvalidUuidError, MACHINES_ACTION, MACHINES_PAGE_LIMIT, RESULT_ACTION, RESULT_PAGE_LIMIT, STATUS_ACTION, YunjingClient as CwpClient, type CwpMachine, type ResultPage } from '../../lib/cwp/yunjing';
import { TencentError, TRANSPORT_CODES } from '../../lib/errors';
import { TencentClient } from '../../lib/tencent/client';
import type { TencentResult } from '../../lib/tencent/types';
import { loadFixture } from '../helpers/fixtures';
import { RecordingLimiter, ScriptedCaller } from '../helpers/tencent-fakes';

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';

interface ResultFixture {
  actions: Record<'DescribeProcesses' | 'DescribeOpenPorts', { success: { Response: Record<string, unknown> & { RequestId: string } } }>;
}
const fixture = loadFixture<ResultFixture>('cwp-result-responses.json');
/** A documented success body as the caller hands it over: Response without RequestId, and the RequestId. */
function documented(action: 'DescribeProcesses' | 'DescribeOpenPorts'): TencentResult<Record<string, unknown>> {
  const { RequestId, ...response } = fixture.actions[action].success.Response;
  return { response, requestId: RequestId };
}

const ok = (response: Record<string, unknown>, requestId = 'req-1'): TencentResult<unknown> => ({ response, requestId });
const apiError = (code: string) => new TencentError({ code, message: `${code}: from CWP`, requestId: 'req-err' });

describe('the action names', () => {
  test('each kind has its create, status and result action, and a page is 100 records', () => {
    expect(CREATE_ACTION).toEqual({ process: 'CreateProcessTask', port: 'CreateOpenPortTask' });
    expect(STATUS_ACTION).toEqual({ process: 'DescribeProcessTaskStatus', port: 'DescribeOpenPortTaskStatus' });
    expect(RESULT_ACTION).toEqual({ process: 'DescribeProcesses', port: 'DescribeOpenPorts' });
    expect(RESULT_PAGE_LIMIT).toBe(100);
  });
});

describe('createTask', () => {
  test.each([['process', 'CreateProcessTask'], ['port', 'CreateOpenPortTask']] as const)('%s: sends {Uuid} (lower-cased) to %s and answers its RequestId', async (kind, action) => {
    const caller = new ScriptedCaller([ok({}, 'req-create')]);
    const options = { deadline: 123 };
    expect(await new CwpClient(caller).createTask(kind, UUID.toUpperCase(), options)).toEqual({ requestId: 'req-create' });
    expect(caller.calls).toEqual([{ action, payload: { Uuid: UUID }, options }]);
  });

  test('a malformed uuid is an InvalidUuidError before any call', async () => {
    const caller = new ScriptedCaller([]);
    await expect(new CwpClient(caller).createTask('process', 'agent-1')).rejects.toBeInstanceOf(InvalidUuidError);
    expect(caller.calls).toEqual([]);
  });

  test.each(['FailedOperation.CreateProcessTask', 'ResourceNotFound', 'FailedOperation.AgentOffline'])('%s rejects with the TencentError, even a code that implies a state', async (code) => {
    await expect(new CwpClient(new ScriptedCaller([apiError(code)])).createTask('process', UUID)).rejects.toMatchObject({ code, requestId: 'req-err' });
  });
});

describe('readResultPage', () => {
  test('process: sends {Uuid, Limit: 100, Offset} to DescribeProcesses and answers the documented body as a page', async () => {
    const caller = new ScriptedCaller([documented('DescribeProcesses')]);
    const page = await new CwpClient(caller).readResultPage('process', UUID.toUpperCase(), 200);
    expect(caller.calls[0]).toMatchObject({ action: 'DescribeProcesses', payload: { Uuid: UUID, Limit: 100, Offset: 200 } });
    expect(page).toEqual({ kind: 'process', total: 100, items: fixture.actions.DescribeProcesses.success.Response.Processes, requestId: '354f4ac3-8546-4516-8c8a-69e3ab73aa8a' });
  });

  test('port: DescribeOpenPorts, its OpenPorts array', async () => {
    const caller = new ScriptedCaller([documented('DescribeOpenPorts')]);
    const page: ResultPage = await new CwpClient(caller).readResultPage('port', UUID, 0);
    expect(caller.calls[0]).toMatchObject({ action: 'DescribeOpenPorts', payload: { Uuid: UUID, Limit: 100, Offset: 0 } });
    if (page.kind !== 'port') throw new Error('a port page');
    expect(page.items.map((p) => [p.Port, p.Pid, p.ProcessName])).toEqual([[3306, 14456, 'mysql']]);
    expect(page.total).toBe(100);
  });

  test('an empty last page is a page: TotalCount and []', async () => {
    const page = await new CwpClient(new ScriptedCaller([ok({ TotalCount: 0, Processes: [] })])).readResultPage('process', UUID, 0);
    expect(page).toEqual({ kind: 'process', total: 0, items: [], requestId: 'req-1' });
  });

  const process = { Id: 1, Uuid: UUID, MachineIp: '10.0.0.1', MachineName: 'm', Pid: 10, Ppid: 1, ProcessName: 'sshd', Username: 'root', Platform: 'LINUX64', FullPath: '/usr/sbin/sshd', CreateTime: '2026-01-01 00:00:00' };
  const port = { Id: 1, Uuid: UUID, Port: 22, MachineIp: '10.0.0.1', MachineName: 'm', ProcessName: 'sshd', Pid: 10, CreateTime: '2026-01-01 00:00:00', ModifyTime: '2026-01-01 00:00:00' };
  test.each([
    ['no TotalCount', 'process', { Processes: [] }, /TotalCount undefined/],
    ['a TotalCount that is a string', 'process', { TotalCount: '3', Processes: [] }, /TotalCount "3"/],
    ['a negative TotalCount', 'port', { TotalCount: -1, OpenPorts: [] }, /TotalCount -1/],
    ['no Processes array', 'process', { TotalCount: 3 }, /no Processes array/],
    ['Processes null', 'process', { TotalCount: 0, Processes: null }, /no Processes array/],
    ['the other kind’s array', 'port', { TotalCount: 1, Processes: [process] }, /no OpenPorts array/],
    ['more records than the Limit', 'process', { TotalCount: 101, Processes: Array.from({ length: 101 }, () => process) }, /101 records for Limit 100/],
    ['a record that is not an object', 'process', { TotalCount: 1, Processes: ['sshd'] }, /Processes\[0\] that is not an object/],
    ['a process without a Pid', 'process', { TotalCount: 1, Processes: [{ ...process, Pid: undefined }] }, /Processes\[0\]\.Pid/],
    ['a process with a Pid that is a string', 'process', { TotalCount: 2, Processes: [process, { ...process, Pid: '10' }] }, /Processes\[1\]\.Pid "10"/],
    ['a process without a ProcessName', 'process', { TotalCount: 1, Processes: [{ ...process, ProcessName: null }] }, /ProcessName null, not a string/],
    ['a port without a Port', 'port', { TotalCount: 1, OpenPorts: [{ ...port, Port: undefined }] }, /OpenPorts\[0\]\.Port/],
    ['a port with a fractional Pid', 'port', { TotalCount: 1, OpenPorts: [{ ...port, Pid: 1.5 }] }, /OpenPorts\[0\]\.Pid 1.5/],
    ['a port without a ProcessName', 'port', { TotalCount: 1, OpenPorts: [{ ...port, ProcessName: 7 }] }, /OpenPorts\[0\]\.ProcessName 7/],
  ] as const)('%s is Bridge.BadResponseBody with the RequestId and the action', async (_what, kind, response, message) => {
    const error = await new CwpClient(new ScriptedCaller([ok(response, 'req-bad')])).readResultPage(kind, UUID, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TencentError);
    expect(error).toMatchObject({ code: TRANSPORT_CODES.badBody, requestId: 'req-bad', action: RESULT_ACTION[kind] });
    expect((error as TencentError).message).toMatch(message);
  });

  test('fields the bridge does not compare are passed on as CWP sent them', async () => {
    const odd = { Pid: 10, ProcessName: 'sshd', Platform: 'SOMETHING_NEW', Extra: true };
    const page = await new CwpClient(new ScriptedCaller([ok({ TotalCount: 1, Processes: [odd] })])).readResultPage('process', UUID, 0);
    expect(page.items).toEqual([odd]);
  });

  test('a malformed uuid is an InvalidUuidError and a bad offset a RangeError, both before any call', async () => {
    const caller = new ScriptedCaller([]);
    const client = new CwpClient(caller);
    await expect(client.readResultPage('port', 'nope', 0)).rejects.toBeInstanceOf(InvalidUuidError);
    for (const offset of [-1, 1.5, Number.NaN]) await expect(client.readResultPage('port', UUID, offset)).rejects.toBeInstanceOf(RangeError);
    expect(caller.calls).toEqual([]);
  });

  test('an API error rejects with the TencentError, also ResourceNotFound (the reads imply no state)', async () => {
    await expect(new CwpClient(new ScriptedCaller([apiError('InvalidParameter.InvalidFormat')])).readResultPage('process', UUID, 0)).rejects.toMatchObject({ code: 'InvalidParameter.InvalidFormat' });
    await expect(new CwpClient(new ScriptedCaller([apiError('ResourceNotFound')])).readResultPage('port', UUID, 0)).rejects.toMatchObject({ code: 'ResourceNotFound' });
  });
});

/** A Machine with every field of the SDK's type, as the docs describe them. */
function machine(overrides: Partial<CwpMachine> = {}): CwpMachine {
  return {
    MachineName: 'VM-1-2-centos',
    MachineOs: 'CentOS Linux release 7.9.2009 (Core)',
    MachineStatus: 'ONLINE',
    Uuid: UUID,
    Quuid: '2a3b4c5d-0000-4000-8000-000000000001',
    VulNum: 0,
    MachineIp: '10.0.1.2',
    IsProVersion: false,
    MachineWanIp: '',
    PayMode: 'POSTPAY',
    MalwareNum: 0,
    Tag: [{ Rid: 1, Name: 'web', TagId: 7 }],
    BaselineNum: 0,
    CyberAttackNum: 0,
    SecurityStatus: 'SAFE',
    InvasionNum: 0,
    RegionInfo: { Region: 'ap-guangzhou', RegionName: '华南地区（广州）', RegionId: 1, RegionCode: 'gz' },
    ...overrides,
  };
}

describe('listMachines', () => {
  test('sends {MachineType, MachineRegion, Limit: 100, Offset} to DescribeMachines and answers the page', async () => {
    const machines = [machine(), machine({ Uuid: '', MachineStatus: 'OFFLINE', Quuid: '2a3b4c5d-0000-4000-8000-000000000002' })];
    const caller = new ScriptedCaller([ok({ TotalCount: 250, Machines: machines }, 'req-m')]);
    const options = { deadline: 42 };
    const page = await new CwpClient(caller).listMachines({ machineType: 'CVM', machineRegion: 'ap-guangzhou', offset: 200 }, options);
    expect(page).toEqual({ total: 250, machines, requestId: 'req-m' });
    expect(caller.calls).toEqual([{ action: 'DescribeMachines', payload: { MachineType: 'CVM', MachineRegion: 'ap-guangzhou', Limit: 100, Offset: 200 }, options }]);
    expect(MACHINES_ACTION).toBe('DescribeMachines');
    expect(MACHINES_PAGE_LIMIT).toBe(100);
  });

  test('passes the filters on as given', async () => {
    const caller = new ScriptedCaller([ok({ TotalCount: 0, Machines: [] })]);
    const filters = [{ Name: 'Status', Values: ['ONLINE'] }, { Name: 'Keywords', Values: ['web'], ExactMatch: true }];
    const page = await new CwpClient(caller).listMachines({ machineType: 'BM', machineRegion: 'ap-shanghai', offset: 0, filters });
    expect(page).toEqual({ total: 0, machines: [], requestId: 'req-1' });
    expect(caller.calls[0]?.payload).toEqual({ MachineType: 'BM', MachineRegion: 'ap-shanghai', Limit: 100, Offset: 0, Filters: filters });
  });

  test.each([
    ['no TotalCount', { Machines: [] }],
    ['a TotalCount that is a string', { TotalCount: '3', Machines: [] }],
    ['a negative TotalCount', { TotalCount: -1, Machines: [] }],
    ['a fractional TotalCount', { TotalCount: 1.5, Machines: [] }],
    ['no Machines', { TotalCount: 0 }],
    ['Machines that is an object', { TotalCount: 1, Machines: {} }],
    ['more machines than the Limit', { TotalCount: 101, Machines: Array.from({ length: 101 }, () => machine()) }],
    ['a machine that is not an object', { TotalCount: 1, Machines: ['m'] }],
    ['a machine without MachineStatus', { TotalCount: 1, Machines: [{ ...machine(), MachineStatus: undefined }] }],
    ['a machine whose Uuid is null', { TotalCount: 1, Machines: [machine({ Uuid: null as unknown as string })] }],
    ['a machine whose MachineStatus is a number', { TotalCount: 1, Machines: [machine({ MachineStatus: 1 as unknown as string })] }],
  ])('a body with %s is Bridge.BadResponseBody, with its RequestId', async (_what, response) => {
    const error = await new CwpClient(new ScriptedCaller([ok(response, 'req-bad')]))
      .listMachines({ machineType: 'CVM', machineRegion: 'ap-guangzhou', offset: 0 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TencentError);
    expect(error).toMatchObject({ code: TRANSPORT_CODES.badBody, requestId: 'req-bad', action: 'DescribeMachines' });
  });

  test('an empty Uuid and fields the bridge does not check are passed on as CWP sent them', async () => {
    const odd = { ...machine({ Uuid: '', MachineStatus: 'MACHINE_STOPPED' }), VulNum: 'many', Extra: true };
    const page = await new CwpClient(new ScriptedCaller([ok({ TotalCount: 1, Machines: [odd] })])).listMachines({ machineType: 'CVM', machineRegion: 'ap-guangzhou', offset: 0 });
    expect(page.machines).toEqual([odd]);
  });

  test('a bad offset, type or region is a RangeError before any call', async () => {
    const caller = new ScriptedCaller([]);
    const client = new CwpClient(caller);
    for (const offset of [-1, 1.5, Number.NaN]) await expect(client.listMachines({ machineType: 'CVM', machineRegion: 'ap-guangzhou', offset })).rejects.toBeInstanceOf(RangeError);
    await expect(client.listMachines({ machineType: '', machineRegion: 'ap-guangzhou', offset: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(client.listMachines({ machineType: 'CVM', machineRegion: '', offset: 0 })).rejects.toBeInstanceOf(RangeError);
    expect(caller.calls).toEqual([]);
  });

  test('an API error rejects with its TencentError', async () => {
    await expect(new CwpClient(new ScriptedCaller([apiError('InvalidParameter.InvalidFormat')])).listMachines({ machineType: 'XX', machineRegion: 'ap-guangzhou', offset: 0 })).rejects.toMatchObject({ code: 'InvalidParameter.InvalidFormat' });
  });
});

describe('through TencentClient against the emulator', () => {
  let clock = Date.UTC(2026, 10, 24, 12, 0, 0);
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ now: () => clock, quiet: true });
  });
  afterAll(() => emu.close());
  beforeEach(() => {
    clock += 10_000;
    emu.clearFaults();
    emu.resetStats();
  });

  function cwp(options: { maxAttempts?: number; limiter?: RecordingLimiter } = {}): CwpClient {
    const tencent = new TencentClient({
      endpoint: emu.url,
      service: 'yunjing',
      version: '2018-02-28',
      region: 'ap-guangzhou',
      credentials: { ...emu.credentials, token: null },
      timeoutMs: 2_000,
      now: () => clock,
      random: () => 0,
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      ...(options.limiter ? { rateLimiter: options.limiter } : {}),
    });
    return new CwpClient(tencent, () => clock);
  }

  /** Every page of a finished collection, as a consumer would read it. */
  async function readAll(client: CwpClient, kind: 'process' | 'port', uuid: string): Promise<{ total: number; pids: number[] }> {
    const pids: number[] = [];
    let total = 0;
    for (let offset = 0; offset === 0 || offset < total; offset += RESULT_PAGE_LIMIT) {
      const page = await client.readResultPage(kind, uuid, offset);
      total = page.total;
      pids.push(...page.items.map((item) => item.Pid));
    }
    return { total, pids };
  }

  test('createTask starts a collection; when it completes, four pages read all 350 processes', async () => {
    const uuid = randomUUID();
    emu.setHost(uuid, { processes: Array.from({ length: 350 }, (_, i) => ({ pid: 5000 + i, processName: `p${i % 9}` })) });
    const client = cwp();
    expect((await client.createTask('process', uuid)).requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await client.getTaskStatus('process', uuid)).state).toBe('COLLECTING');
    expect((await client.readResultPage('process', uuid, 0)).total).toBe(0); // no collection has finished yet
    clock += 3000;
    expect((await client.getTaskStatus('process', uuid)).state).toBe('COMPLETE');
    const read = await readAll(client, 'process', uuid);
    expect(read.total).toBe(350);
    expect(read.pids).toEqual(Array.from({ length: 350 }, (_, i) => 5000 + i));
    expect(emu.stats().DescribeProcesses!.accepted).toBe(5);
  });

  test('a failing third page: retried by the client (InternalError is bounded), or the error itself with one attempt', async () => {
    const uuid = randomUUID();
    emu.setHost(uuid, { processes: Array.from({ length: 350 }, (_, i) => ({ pid: 5000 + i, processName: 'p' })) });
    emu.startTask(uuid, 'process', { collectMs: 0 });
    emu.inject({ action: 'DescribeProcesses', fault: 'error', code: 'InternalError', after: 2 });
    expect((await readAll(cwp(), 'process', uuid)).pids).toHaveLength(350);
    emu.inject({ action: 'DescribeProcesses', fault: 'error', code: 'InternalError', after: 2 });
    await expect(readAll(cwp({ maxAttempts: 1 }), 'process', uuid)).rejects.toMatchObject({ code: 'InternalError' });
  });

  test('an offline agent: createTask rejects with FailedOperation.CreateOpenPortTask, an unknown one with ResourceNotFound', async () => {
    const offline = randomUUID();
    emu.addAgent(offline, { online: false });
    await expect(cwp().createTask('port', offline)).rejects.toMatchObject({ code: 'FailedOperation.CreateOpenPortTask', row: { kind: 'internal', httpStatus: 502 } });
    await expect(cwp().createTask('process', randomUUID())).rejects.toMatchObject({ code: 'ResourceNotFound', row: { state: 'UNKNOWN_AGENT' } });
  });

  test('each action takes from its own budget: the rate limiter is asked per action name', async () => {
    const uuid = randomUUID();
    emu.addAgent(uuid);
    const limiter = new RecordingLimiter();
    const client = cwp({ limiter });
    await client.createTask('port', uuid);
    await client.getTaskStatus('port', uuid);
    await client.readResultPage('port', uuid, 0);
    await client.readResultPage('process', uuid, 0);
    expect(limiter.acquired.map((a) => a.action)).toEqual(['CreateOpenPortTask', 'DescribeOpenPortTaskStatus', 'DescribeOpenPorts', 'DescribeProcesses']);
  });

  test('listMachines reads every page of a region, with long-offline machines (empty Uuid) among them', async () => {
    const uuids = emu.addFleet(230, { seed: 7, offlineFraction: 0.2, machines: { regions: ['ap-guangzhou', 'ap-beijing'], longOfflineFraction: 0.5 } });
    const client = cwp();
    const seen: CwpMachine[] = [];
    let total = -1;
    for (let offset = 0; total < 0 || offset < total; offset += MACHINES_PAGE_LIMIT) {
      const page = await client.listMachines({ machineType: 'CVM', machineRegion: 'ap-guangzhou', offset });
      total = page.total;
      seen.push(...page.machines);
    }
    expect(total).toBe(115);
    expect(seen).toHaveLength(115);
    const listed = new Set(seen.map((m) => m.Uuid).filter((u) => u !== ''));
    expect(seen.some((m) => m.Uuid === '' && m.MachineStatus === 'OFFLINE')).toBe(true);
    for (const uuid of listed) expect(uuids).toContain(uuid);
    for (const m of seen) if (m.Uuid !== '') expect(m.MachineStatus).toBe(emu.state(m.Uuid, 'process') === 'AGENT_OFFLINE' ? 'OFFLINE' : 'ONLINE');
  });
});
