// The yunjing backend as the CWP port (lib/cwp/port.ts) sees it: a result read pages and normalises inside, a
// machine page comes back as the bridge keeps machines, `all` regions are the fixed list, and the backend words the
// errors that stop a sweep. Against a scripted caller, so each test sees exactly the requests made.
import { DISCOVER_ALL_REGIONS } from '../../lib/config';
import { InvalidUuidError, MAX_RESULT_ITEMS, type CwpPort } from '../../lib/cwp/port';
import { YunjingClient, type CwpMachine } from '../../lib/cwp/yunjing';
import { TencentError } from '../../lib/errors';
import type { TencentResult } from '../../lib/tencent/types';
import { ScriptedCaller } from '../helpers/tencent-fakes';

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const OTHER = '0f9e8d7c-6b5a-4948-8372-6150a4b3c2d1';

const ok = (response: Record<string, unknown>, requestId = 'req-1'): TencentResult<unknown> => ({ response, requestId });
const apiError = (code: string, action: string | null = null) => new TencentError({ code, message: `${code}: from CWP`, requestId: 'req-err', action });

/** A DescribeProcesses record as CWP sends it, with the fields the bridge drops and padding it trims. */
const rawProcess = (pid: number) => ({ Id: pid, Uuid: UUID, MachineIp: '10.0.0.1', MachineName: 'm', Pid: pid, Ppid: 1, ProcessName: ` p${pid} `, Username: 'root', Platform: 'LINUX64', FullPath: `/usr/bin/p${pid}`, CreateTime: '2026-01-01 00:00:00' });
const processPage = (total: number, pids: number[], requestId: string) => ok({ TotalCount: total, Processes: pids.map(rawProcess) }, requestId);
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe('readResults: every page, normalised', () => {
  test('350 processes are four DescribeProcesses pages of 100, answered as the bridge keeps processes, with the last page\'s RequestId', async () => {
    const caller = new ScriptedCaller([processPage(350, range(0, 100), 'r1'), processPage(350, range(100, 100), 'r2'), processPage(350, range(200, 100), 'r3'), processPage(350, range(300, 50), 'r4')]);
    const options = { deadline: 77 };
    const read = await new YunjingClient(caller).readResults('process', UUID.toUpperCase(), options);
    expect(caller.calls.map((c) => [c.action, c.payload])).toEqual([0, 100, 200, 300].map((Offset) => ['DescribeProcesses', { Uuid: UUID, Limit: 100, Offset }]));
    expect(caller.calls.every((c) => c.options === options)).toBe(true);
    expect(read.total).toBe(350);
    expect(read.requestId).toBe('r4');
    expect(read.items).toHaveLength(350);
    expect(read.items[7]).toEqual({ pid: 7, ppid: 1, processName: 'p7', username: 'root', fullPath: '/usr/bin/p7' });
  });

  test('a port read keeps port, pid and process name of each record', async () => {
    const caller = new ScriptedCaller([ok({ TotalCount: 1, OpenPorts: [{ Id: 1, Uuid: UUID, Port: 22, MachineIp: '10.0.0.1', MachineName: 'm', ProcessName: 'sshd ', Pid: 10, CreateTime: 'x', ModifyTime: 'y' }] }, 'rp')]);
    expect(await new YunjingClient(caller).readResults('port', UUID)).toEqual({ items: [{ port: 22, pid: 10, processName: 'sshd' }], total: 1, requestId: 'rp' });
    expect(caller.calls.map((c) => c.action)).toEqual(['DescribeOpenPorts']);
  });

  test('a host with nothing is one request: no items, total 0', async () => {
    const caller = new ScriptedCaller([ok({ TotalCount: 0, Processes: [] }, 'r0')]);
    expect(await new YunjingClient(caller).readResults('process', UUID)).toEqual({ items: [], total: 0, requestId: 'r0' });
    expect(caller.calls).toHaveLength(1);
  });

  test('a page shorter than 100 is the last, whatever TotalCount says', async () => {
    const caller = new ScriptedCaller([processPage(500, range(0, 100), 'r1'), processPage(500, range(100, 30), 'r2')]);
    const read = await new YunjingClient(caller).readResults('process', UUID);
    expect(caller.calls).toHaveLength(2);
    expect(read).toMatchObject({ total: 500, requestId: 'r2' });
    expect(read.items).toHaveLength(130);
  });

  test(`a host past ${MAX_RESULT_ITEMS} records is read in part (100 requests), its total still true`, async () => {
    const pages = Array.from({ length: 101 }, (_, p) => processPage(20_000, range(p * 100, 100), `r${p + 1}`));
    const caller = new ScriptedCaller(pages);
    const read = await new YunjingClient(caller).readResults('process', UUID);
    expect(caller.calls).toHaveLength(100);
    expect(read.items).toHaveLength(MAX_RESULT_ITEMS);
    expect(read).toMatchObject({ total: 20_000, requestId: 'r100' });
  });

  test('a page that fails rejects the whole read with its error: nothing read part-way comes back', async () => {
    const caller = new ScriptedCaller([processPage(250, range(0, 100), 'r1'), apiError('InternalError', 'DescribeProcesses')]);
    await expect(new YunjingClient(caller).readResults('process', UUID)).rejects.toMatchObject({ code: 'InternalError', action: 'DescribeProcesses' });
    expect(caller.calls).toHaveLength(2);
  });

  test('a malformed uuid is an InvalidUuidError before any request', async () => {
    const caller = new ScriptedCaller([]);
    await expect(new YunjingClient(caller).readResults('port', 'agent-1')).rejects.toBeInstanceOf(InvalidUuidError);
    expect(caller.calls).toEqual([]);
  });
});

/** A DescribeMachines entry with every field of the SDK's type. */
function machine(overrides: Partial<CwpMachine> = {}): CwpMachine {
  return {
    MachineName: 'web-01', MachineOs: 'CentOS 7', MachineStatus: 'ONLINE', Uuid: UUID, Quuid: 'q-1', VulNum: 0, MachineIp: '10.0.1.2',
    IsProVersion: false, MachineWanIp: '', PayMode: 'POSTPAY', MalwareNum: 0, Tag: [{ Rid: 1, Name: 'web', TagId: 7 }], BaselineNum: 0,
    CyberAttackNum: 0, SecurityStatus: 'SAFE', InvasionNum: 0, RegionInfo: { Region: 'ap-guangzhou', RegionName: 'gz', RegionId: 1, RegionCode: 'gz' },
    ...overrides,
  };
}

describe('readMachines: one DescribeMachines page, as the bridge keeps machines', () => {
  const target = { machineType: 'CVM', machineRegion: 'ap-guangzhou' };

  test('machines with an agent Uuid come back as listed machines; those without are counted; the next page starts after this one', async () => {
    const machines = [
      machine({ Uuid: UUID.toUpperCase() }),
      machine({ Uuid: '', MachineStatus: 'OFFLINE' }),
      machine({ Uuid: OTHER, MachineName: '', MachineIp: '', Tag: [], MachineStatus: 'MACHINE_STOPPED' }),
    ];
    const caller = new ScriptedCaller([ok({ TotalCount: 250, Machines: machines }, 'req-m')]);
    const options = { deadline: 42 };
    const page = await new YunjingClient(caller).readMachines({ target, offset: 200 }, options);
    expect(caller.calls).toEqual([{ action: 'DescribeMachines', payload: { MachineType: 'CVM', MachineRegion: 'ap-guangzhou', Limit: 100, Offset: 200 }, options }]);
    expect(page).toEqual({
      machines: [
        { uuid: UUID, name: 'web-01', ip: '10.0.1.2', tags: ['web'], type: 'CVM', region: 'ap-guangzhou', status: 'ONLINE' },
        { uuid: OTHER, name: null, ip: null, tags: [], type: 'CVM', region: 'ap-guangzhou', status: 'OFFLINE' },
      ],
      skippedNoUuid: 1,
      total: 250,
      nextOffset: 203,
      requestId: 'req-m',
    });
  });

  test('the page that reaches TotalCount is the target\'s last, and so is an empty one', async () => {
    const caller = new ScriptedCaller([ok({ TotalCount: 101, Machines: [machine()] }), ok({ TotalCount: 0, Machines: [] })]);
    const client = new YunjingClient(caller);
    expect((await client.readMachines({ target, offset: 100 })).nextOffset).toBeNull();
    expect((await client.readMachines({ target, offset: 0 })).nextOffset).toBeNull();
  });

  test('the filters are passed on as given', async () => {
    const caller = new ScriptedCaller([ok({ TotalCount: 0, Machines: [] })]);
    const filters = [{ Name: 'Keywords', Values: ['web'] }];
    await new YunjingClient(caller).readMachines({ target: { machineType: 'BM', machineRegion: 'ap-shanghai' }, offset: 0, filters });
    expect(caller.calls[0]?.payload).toEqual({ MachineType: 'BM', MachineRegion: 'ap-shanghai', Limit: 100, Offset: 0, Filters: filters });
  });
});

describe('machineRegions', () => {
  test('yunjing names no regions of its own: every type\'s are the fixed list, without a request', async () => {
    const caller = new ScriptedCaller([]);
    const client = new YunjingClient(caller);
    expect(await client.machineRegions('CVM')).toEqual(DISCOVER_ALL_REGIONS);
    expect(await client.machineRegions('LH')).toEqual(DISCOVER_ALL_REGIONS);
    expect(caller.calls).toEqual([]);
  });
});

describe('stopFor: the errors that stop a sweep, in yunjing\'s words', () => {
  const port: Pick<CwpPort, 'stopFor'> = new YunjingClient(new ScriptedCaller([]));

  test('a signature that expired even when signed again is the clock, with NTP as the fix', () => {
    expect(port.stopFor(apiError('AuthFailure.SignatureExpire', 'DescribeProcessTaskStatus'))).toMatchObject({
      outcome: 'clock', fix: expect.stringMatching(/NTP/), message: expect.stringMatching(/^AuthFailure\.SignatureExpire on DescribeProcessTaskStatus after signing again/),
    });
  });

  test.each(['AuthFailure.SecretIdNotFound', 'UnauthorizedOperation'])('%s is auth: check the credentials and their yunjing permissions', (code) => {
    expect(port.stopFor(apiError(code))).toMatchObject({ outcome: 'auth', fix: expect.stringMatching(/yunjing permissions/), message: `${code}: ${code}: from CWP` });
  });

  test.each(['ActionOffline', 'InvalidAction', 'NoSuchVersion', 'UnsupportedOperation'])('%s is gone, naming the action, yunjing 2018-02-28 and the endpoint to check', (code) => {
    const stop = port.stopFor(apiError(code, 'DescribeOpenPortTaskStatus'));
    expect(stop).toMatchObject({ outcome: 'gone', log: expect.stringMatching(/DescribeOpenPortTaskStatus/) });
    expect(stop!.message).toMatch(new RegExp(`^${code} on DescribeOpenPortTaskStatus \\(yunjing 2018-02-28\\)`));
    expect(stop!.fix).toMatch(/CWP_ENDPOINT/);
  });

  test.each([
    ['an error a retry may get past', apiError('InternalError')],
    ['an error that implies a state', apiError('ResourceNotFound')],
    ['a bad uuid', new InvalidUuidError('x')],
    ['something else', new Error('boom')],
  ])('%s does not stop the sweep', (_what, error) => {
    expect(port.stopFor(error)).toBeNull();
  });
});
