// The emulator over real HTTP on loopback: signatures, limits, every documented answer, scripted agents,
// fleets, hosts and their collected records, faults, tdmq and the control routes. Requests are signed with
// lib/tencent/sign.ts directly.
import { randomUUID } from 'node:crypto';
import { EMULATOR_CREDENTIALS, maxInWindow, startEmulator, type Emulator } from '../../dev/emulator';
import { callApi, control, errorCode, type CallInput } from '../helpers/emulator-client';
import { loadFixture } from '../helpers/fixtures';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TEMP_ID = 'AKIDtemporary0000000000000000000000';
const TEMP_KEY = 'temporaryKey00000000000000000000';
const TEMP_TOKEN = 'session-token-123';

let clock = Date.UTC(2026, 10, 24, 10, 0, 0);
let emu: Emulator;

const call = (input: CallInput) => callApi(emu.url, input, clock);
const procStatus = (Uuid: unknown) => call({ action: 'DescribeProcessTaskStatus', payload: { Uuid } });
const portStatus = (Uuid: unknown) => call({ action: 'DescribeOpenPortTaskStatus', payload: { Uuid } });

beforeAll(async () => {
  emu = await startEmulator({
    now: () => clock,
    quiet: true,
    credentials: {
      [EMULATOR_CREDENTIALS.secretId]: { secretKey: EMULATOR_CREDENTIALS.secretKey },
      [TEMP_ID]: { secretKey: TEMP_KEY, token: TEMP_TOKEN },
    },
  });
});
afterAll(() => emu.close());
beforeEach(() => {
  clock += 10_000; // a fresh rate-limit window for every test
  emu.resetStats();
  emu.clearFaults();
});

function agent(online = true): string {
  const uuid = randomUUID();
  emu.addAgent(uuid, { online });
  return uuid;
}

describe('signature and auth', () => {
  test('a correctly signed request is accepted and answers Status with a uuid v4 RequestId', async () => {
    const uuid = agent();
    emu.startTask(uuid, 'process', { collectMs: 5000, outcome: 'COMPLETE' });
    const r = await procStatus(uuid);
    expect(r.status).toBe(200);
    expect(r.json.Response.Status).toBe('COLLECTING');
    expect(r.json.Response.RequestId).toMatch(UUID_V4);
  });

  test('the scope service may be the first label of the Host, as the SDK signs for an IP endpoint', async () => {
    const uuid = agent();
    emu.startTask(uuid, 'process');
    const r = await call({ action: 'DescribeProcessTaskStatus', payload: { Uuid: uuid }, scopeService: '127' });
    expect(r.json.Response.Status).toBe('COLLECTING');
  });

  test('the official SDK is accepted as it signs for an IP endpoint (scope `127`, host without port)', async () => {
    const { Client: YunjingClient } = await import('tencentcloud-sdk-nodejs/tencentcloud/services/yunjing/v20180228/yunjing_client');
    const { Client: TdmqClient } = await import('tencentcloud-sdk-nodejs/tencentcloud/services/tdmq/v20200217/tdmq_client');
    const sdkEmu = await startEmulator({ quiet: true }); // the SDK signs with the real clock
    try {
      const uuid = randomUUID();
      sdkEmu.startTask(uuid, 'process');
      sdkEmu.createTopic('sdk-topic');
      const config = { credential: EMULATOR_CREDENTIALS, region: 'ap-guangzhou', profile: { httpProfile: { endpoint: new URL(sdkEmu.url).host, protocol: 'http://' } } };
      expect(await new YunjingClient(config).DescribeProcessTaskStatus({ Uuid: uuid })).toEqual({ Status: 'COLLECTING', RequestId: expect.stringMatching(UUID_V4) });
      await expect(new YunjingClient(config).DescribeOpenPortTaskStatus({ Uuid: uuid })).rejects.toMatchObject({ code: 'FailedOperation.OpenPortTaskNotFound' });
      expect(await new TdmqClient(config).PublishCmqMsg({ TopicName: 'sdk-topic', MsgContent: 'x', MsgTag: ['a'] })).toMatchObject({ Result: true });
    } finally {
      await sdkEmu.close();
    }
  });

  test('a missing Authorization header is AuthFailure.InvalidAuthorization', async () => {
    expect(errorCode(await call({ action: 'DescribeProcessTaskStatus', payload: { Uuid: agent() }, authorization: null }))).toBe('AuthFailure.InvalidAuthorization');
  });

  test('a garbled Authorization header is AuthFailure.InvalidAuthorization', async () => {
    const r = await call({ action: 'DescribeProcessTaskStatus', payload: { Uuid: agent() }, authorization: 'TC3-HMAC-SHA256 Credential=nonsense' });
    expect(errorCode(r)).toBe('AuthFailure.InvalidAuthorization');
    expect(r.json.Response.RequestId).toMatch(UUID_V4);
  });

  test('a timestamp more than 300 s away (past or future) is AuthFailure.SignatureExpire; 300 s is still fine', async () => {
    const uuid = agent();
    emu.startTask(uuid, 'process');
    const nowS = Math.floor(clock / 1000);
    const at = (timestamp: number) => call({ action: 'DescribeProcessTaskStatus', payload: { Uuid: uuid }, timestamp });
    expect(errorCode(await at(nowS - 301))).toBe('AuthFailure.SignatureExpire');
    expect(errorCode(await at(nowS + 301))).toBe('AuthFailure.SignatureExpire');
    expect(errorCode(await at(nowS - 300))).toBeNull();
  });

  test('an unknown SecretId is AuthFailure.SecretIdNotFound', async () => {
    const r = await call({ action: 'DescribeProcessTaskStatus', payload: { Uuid: agent() }, secretId: 'AKIDnobody' });
    expect(errorCode(r)).toBe('AuthFailure.SecretIdNotFound');
    expect(r.json.Response.Error.Message).toBe('The SecretId is not found, please ensure that your SecretId is correct.');
  });

  test('a wrong SecretKey is AuthFailure.SignatureFailure', async () => {
    expect(errorCode(await call({ action: 'DescribeProcessTaskStatus', payload: { Uuid: agent() }, secretKey: 'wrong' }))).toBe('AuthFailure.SignatureFailure');
  });

  test('a body changed after signing is AuthFailure.SignatureFailure', async () => {
    const uuid = agent();
    const good = await callApi(emu.url, { action: 'DescribeProcessTaskStatus', payload: { Uuid: uuid } }, clock);
    expect(errorCode(good)).toBe('FailedOperation.ProcessTaskNotFound');
    // Sign one body, send another: replay the Authorization of {"Uuid": uuid} with a different Uuid.
    const { signTc3 } = await import('../../lib/tencent/sign');
    const ts = Math.floor(clock / 1000);
    const auth = signTc3({ ...EMULATOR_CREDENTIALS, service: 'yunjing', host: new URL(emu.url).host, payload: JSON.stringify({ Uuid: uuid }), timestamp: ts });
    const r = await call({ action: 'DescribeProcessTaskStatus', payload: { Uuid: agent() }, authorization: auth.authorization });
    expect(errorCode(r)).toBe('AuthFailure.SignatureFailure');
  });

  test('a scope service other than the API service or the host label is AuthFailure.SignatureFailure', async () => {
    expect(errorCode(await call({ action: 'DescribeProcessTaskStatus', payload: { Uuid: agent() }, scopeService: 'cvm' }))).toBe('AuthFailure.SignatureFailure');
    expect(errorCode(await call({ action: 'PublishCmqMsg', payload: { TopicName: 't', MsgContent: 'x' }, scopeService: 'yunjing' }))).toBe('AuthFailure.SignatureFailure');
  });

  test('a scope date other than the timestamp date is AuthFailure.SignatureFailure', async () => {
    expect(errorCode(await call({ action: 'DescribeProcessTaskStatus', payload: { Uuid: agent() }, scopeDate: '2020-01-01' }))).toBe('AuthFailure.SignatureFailure');
  });

  test('temporary credentials need their X-TC-Token: missing or wrong is AuthFailure.TokenFailure', async () => {
    const uuid = agent();
    emu.startTask(uuid, 'process');
    const base = { action: 'DescribeProcessTaskStatus', payload: { Uuid: uuid }, secretId: TEMP_ID, secretKey: TEMP_KEY };
    expect(errorCode(await call(base))).toBe('AuthFailure.TokenFailure');
    expect(errorCode(await call({ ...base, token: 'stolen' }))).toBe('AuthFailure.TokenFailure');
    expect((await call({ ...base, token: TEMP_TOKEN })).json.Response.Status).toBe('COLLECTING');
  });

  test('a revoked SecretId answers UnauthorizedOperation until restored', async () => {
    const uuid = agent();
    emu.startTask(uuid, 'process');
    emu.revoke(EMULATOR_CREDENTIALS.secretId);
    try {
      expect(errorCode(await procStatus(uuid))).toBe('UnauthorizedOperation');
    } finally {
      emu.restore(EMULATOR_CREDENTIALS.secretId);
    }
    expect((await procStatus(uuid)).json.Response.Status).toBe('COLLECTING');
  });

  test('a wrong X-TC-Version is NoSuchVersion', async () => {
    expect(errorCode(await call({ action: 'DescribeProcessTaskStatus', payload: { Uuid: agent() }, version: '2020-02-17' }))).toBe('NoSuchVersion');
    expect(errorCode(await call({ action: 'PublishCmqMsg', payload: {}, version: '2018-02-28' }))).toBe('NoSuchVersion');
  });

  test('an unknown action is InvalidAction', async () => {
    expect(errorCode(await call({ action: 'DescribeMachineInfo', payload: {} }))).toBe('InvalidAction');
  });
});

describe('rate limit', () => {
  test('the 21st request of one action in the same second is RequestLimitExceeded, and is recorded', async () => {
    const uuid = agent();
    emu.startTask(uuid, 'process', { collectMs: 60_000 });
    const answers = [];
    for (let i = 0; i < 21; i++) answers.push(await procStatus(uuid));
    expect(answers.slice(0, 20).every((r) => r.json.Response.Status === 'COLLECTING')).toBe(true);
    expect(errorCode(answers[20]!)).toBe('RequestLimitExceeded');
    expect(answers[20]!.json.Response.Error.Message).toContain('exceeds the frequency limit `20`');
    // Another action has its own budget.
    expect(errorCode(await portStatus(uuid))).toBe('FailedOperation.OpenPortTaskNotFound');
    expect(emu.stats().DescribeProcessTaskStatus).toEqual({ accepted: 20, throttled: 1, rejected: 0, maxInAnyWindow: 20 });
    expect(emu.requests().filter((r) => r.outcome === 'throttled')).toHaveLength(1);
  });

  test('the window slides: after 1000 ms the action is accepted again', async () => {
    const uuid = agent();
    emu.startTask(uuid, 'process', { collectMs: 60_000 });
    for (let i = 0; i < 20; i++) await procStatus(uuid);
    clock += 999;
    expect(errorCode(await procStatus(uuid))).toBe('RequestLimitExceeded');
    clock += 1;
    expect(errorCode(await procStatus(uuid))).toBeNull();
    expect(emu.stats().DescribeProcessTaskStatus!.maxInAnyWindow).toBe(20);
  });

  test('maxInWindow counts the most times within any window shorter than 1000 ms', () => {
    expect(maxInWindow([0, 100, 999, 1000, 1001, 1998])).toBe(4);
    expect(maxInWindow([])).toBe(0);
    expect(maxInWindow([5, 5, 5])).toBe(3);
  });
});

describe('yunjing documented answers', () => {
  test('a missing Uuid is MissingParameter', async () => {
    expect(errorCode(await call({ action: 'DescribeProcessTaskStatus', payload: {} }))).toBe('MissingParameter');
    expect(errorCode(await call({ action: 'DescribeOpenPortTaskStatus', payload: {} }))).toBe('MissingParameter');
  });

  test('a malformed or non-string Uuid is InvalidParameter.InvalidFormat', async () => {
    expect(errorCode(await procStatus('not-a-uuid'))).toBe('InvalidParameter.InvalidFormat');
    expect(errorCode(await procStatus(42))).toBe('InvalidParameter.InvalidFormat');
    expect(errorCode(await portStatus('6b6cd843-6bc1-4011-a74c'))).toBe('InvalidParameter.InvalidFormat');
  });

  test('a body that is not JSON is ParsingError for process and InvalidFormat for port', async () => {
    expect(errorCode(await call({ action: 'DescribeProcessTaskStatus', payload: '{"Uuid":' }))).toBe('InvalidParameter.ParsingError');
    expect(errorCode(await call({ action: 'DescribeOpenPortTaskStatus', payload: '{"Uuid":' }))).toBe('InvalidParameter.InvalidFormat');
  });

  test('an unknown parameter is IllegalRequest for process and InvalidFormat for port', async () => {
    const payload = { Uuid: agent(), Verbose: true };
    expect(errorCode(await call({ action: 'DescribeProcessTaskStatus', payload }))).toBe('InvalidParameter.IllegalRequest');
    expect(errorCode(await call({ action: 'DescribeOpenPortTaskStatus', payload }))).toBe('InvalidParameter.InvalidFormat');
  });

  test('an unknown agent is ResourceNotFound', async () => {
    const uuid = randomUUID();
    expect(errorCode(await procStatus(uuid))).toBe('ResourceNotFound');
    expect(errorCode(await portStatus(uuid))).toBe('ResourceNotFound');
  });

  test('an agent without a task is ProcessTaskNotFound / OpenPortTaskNotFound', async () => {
    const uuid = agent();
    expect(errorCode(await procStatus(uuid))).toBe('FailedOperation.ProcessTaskNotFound');
    expect(errorCode(await portStatus(uuid))).toBe('FailedOperation.OpenPortTaskNotFound');
  });

  test('an offline agent is Status AGENT_OFFLINE for process and FailedOperation.AgentOffline for port', async () => {
    const uuid = agent();
    emu.startTask(uuid, 'process');
    emu.startTask(uuid, 'port');
    emu.setOnline(uuid, false);
    expect((await procStatus(uuid)).json.Response.Status).toBe('AGENT_OFFLINE');
    const r = await portStatus(uuid);
    expect(r.json.Response.Error).toEqual({ Code: 'FailedOperation.AgentOffline', Message: 'The agent is offline.' });
    emu.setOnline(uuid, true);
    expect((await portStatus(uuid)).json.Response.Status).toBe('COLLECTING');
  });

  test('CreateProcessTask starts a collection that completes after the default collect time', async () => {
    const uuid = agent();
    const r = await call({ action: 'CreateProcessTask', payload: { Uuid: uuid } });
    expect(Object.keys(r.json.Response)).toEqual(['RequestId']);
    expect((await procStatus(uuid)).json.Response.Status).toBe('COLLECTING');
    clock += 3000;
    expect((await procStatus(uuid)).json.Response.Status).toBe('COMPLETE');
  });

  test('CreateOpenPortTask on an offline agent is FailedOperation.CreateOpenPortTask; on an unknown one ResourceNotFound', async () => {
    expect(errorCode(await call({ action: 'CreateOpenPortTask', payload: { Uuid: agent(false) } }))).toBe('FailedOperation.CreateOpenPortTask');
    expect(errorCode(await call({ action: 'CreateProcessTask', payload: { Uuid: agent(false) } }))).toBe('FailedOperation.CreateProcessTask');
    expect(errorCode(await call({ action: 'CreateOpenPortTask', payload: { Uuid: randomUUID() } }))).toBe('ResourceNotFound');
  });
});

describe('agents on a schedule', () => {
  test('a script moves a key through exact states at exact times, and transitions() logs them', async () => {
    const uuid = agent();
    const t0 = clock;
    emu.script(uuid, 'port', [
      { atMs: 0, state: 'COLLECTING' },
      { atMs: 1000, state: 'AGENT_OFFLINE' },
      { atMs: 2000, state: 'COMPLETE' },
      { atMs: 3000, state: 'UNKNOWN_AGENT' },
    ]);
    const seen: (string | null)[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await portStatus(uuid);
      seen.push(r.json.Response.Status ?? errorCode(r));
      clock += 1000;
    }
    expect(seen).toEqual(['COLLECTING', 'FailedOperation.AgentOffline', 'COMPLETE', 'ResourceNotFound']);
    expect(emu.transitions(uuid, 'port')).toEqual([
      { uuid, kind: 'port', at: t0, state: 'COLLECTING' },
      { uuid, kind: 'port', at: t0 + 1000, state: 'AGENT_OFFLINE' },
      { uuid, kind: 'port', at: t0 + 2000, state: 'COMPLETE' },
      { uuid, kind: 'port', at: t0 + 3000, state: 'UNKNOWN_AGENT' },
    ]);
  });

  test('startTask ends FAILED after collectMs, and transitions() shows only what already happened', async () => {
    const uuid = agent();
    const t0 = clock;
    emu.startTask(uuid, 'process', { collectMs: 1500, outcome: 'FAILED' });
    expect(emu.transitions(uuid, 'process').map((t) => t.state)).toEqual(['COLLECTING']);
    clock += 1500;
    expect((await procStatus(uuid)).json.Response.Status).toBe('FAILED');
    expect(emu.transitions(uuid, 'process')).toEqual([
      { uuid, kind: 'process', at: t0, state: 'COLLECTING' },
      { uuid, kind: 'process', at: t0 + 1500, state: 'FAILED' },
    ]);
  });

  test('going offline and back shows in the transitions of both kinds', () => {
    const uuid = agent();
    const t0 = clock;
    emu.setOnline(uuid, false);
    clock += 500;
    emu.setOnline(uuid, true);
    expect(emu.transitions(uuid).map((t) => [t.kind, t.at - t0, t.state])).toEqual([
      ['process', 0, 'AGENT_OFFLINE'],
      ['process', 500, 'NO_TASK'],
      ['port', 0, 'AGENT_OFFLINE'],
      ['port', 500, 'NO_TASK'],
    ]);
  });

  test('a fleet is deterministic for a seed, scales to 10,000 agents, and follows its fractions', async () => {
    const t0 = clock;
    const options = { activeFraction: 0.5, offlineFraction: 0.1, failFraction: 0.2, collectMs: [1000, 5000] as [number, number], seed: 42 };
    const other = await startEmulator({ now: () => clock, quiet: true });
    try {
      const started = Date.now();
      const a = emu.addFleet(10_000, options);
      expect(Date.now() - started).toBeLessThan(2000);
      const b = other.addFleet(10_000, options);
      expect(b).toEqual(a);
      expect(new Set(a).size).toBe(10_000);
      expect(other.addFleet(3, { ...options, seed: 43 })).not.toEqual(a.slice(0, 3));
      clock = t0 + 3000;
      expect(a.slice(0, 200).map((u) => other.state(u, 'process'))).toEqual(a.slice(0, 200).map((u) => emu.state(u, 'process')));
      clock = t0 + 5000;
      const states = a.map((u) => emu.state(u, 'process'));
      const count = (s: string) => states.filter((x) => x === s).length / states.length;
      expect(count('AGENT_OFFLINE')).toBeGreaterThan(0.08);
      expect(count('AGENT_OFFLINE')).toBeLessThan(0.12);
      expect(count('COLLECTING')).toBe(0);
      expect(count('FAILED')).toBeGreaterThan(0.07); // 0.9 online * 0.5 active * 0.2 failed
      expect(count('FAILED')).toBeLessThan(0.11);
      expect((await procStatus(a[0]!)).json.Response.RequestId).toMatch(UUID_V4);
    } finally {
      await other.close();
    }
  });
});

describe('process and port results (DescribeProcesses, DescribeOpenPorts)', () => {
  const fixture = loadFixture<{ actions: Record<string, { itemFields: string[]; success: { Response: Record<string, unknown[]> } }> }>('cwp-result-responses.json');
  const processes = (payload: unknown) => call({ action: 'DescribeProcesses', payload });
  const openPorts = (payload: unknown) => call({ action: 'DescribeOpenPorts', payload });
  /** Runs one collection of `kind` to COMPLETE (1 s). */
  const collect = (uuid: string, kind: 'process' | 'port', outcome: 'COMPLETE' | 'FAILED' = 'COMPLETE') => {
    emu.startTask(uuid, kind, { collectMs: 1000, outcome });
    clock += 1000;
  };
  const manyProcesses = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ pid: 1000 + i, ppid: 1, processName: `worker-${i % 7}`, username: i % 2 ? 'app' : 'root', fullPath: `/opt/app/worker-${i % 7}` }));

  test('four pages of 350 processes: Limit 100 and Offset page through the records, TotalCount on every page', async () => {
    const uuid = agent();
    emu.setHost(uuid, { processes: manyProcesses(350) });
    collect(uuid, 'process');
    const pages = [];
    for (const Offset of [0, 100, 200, 300]) pages.push((await processes({ Uuid: uuid, Limit: 100, Offset })).json.Response);
    expect(pages.map((p) => [p.TotalCount, p.Processes.length])).toEqual([[350, 100], [350, 100], [350, 100], [350, 50]]);
    expect(pages.flatMap((p) => p.Processes.map((r: { Pid: number }) => r.Pid))).toEqual(manyProcesses(350).map((p) => p.pid));
    expect((await processes({ Uuid: uuid, Limit: 100, Offset: 400 })).json.Response).toMatchObject({ TotalCount: 350, Processes: [] });
  });

  test('every record carries every field of the SDK’s Process and OpenPort, with the documented types', async () => {
    const uuid = agent();
    collect(uuid, 'process');
    collect(uuid, 'port');
    const proc = (await processes({ Uuid: uuid })).json.Response.Processes[0];
    const port = (await openPorts({ Uuid: uuid })).json.Response.OpenPorts[0];
    expect(Object.keys(proc)).toEqual(fixture.actions.DescribeProcesses!.itemFields);
    expect(Object.keys(port)).toEqual(fixture.actions.DescribeOpenPorts!.itemFields);
    const documented = (action: string) => fixture.actions[action]!.success.Response[action === 'DescribeProcesses' ? 'Processes' : 'OpenPorts']![0] as Record<string, unknown>;
    const typesOf = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v]));
    expect(typesOf(proc)).toEqual(typesOf(documented('DescribeProcesses')));
    expect(typesOf(port)).toEqual(typesOf(documented('DescribeOpenPorts')));
    expect(proc).toMatchObject({ Uuid: uuid, Platform: 'LINUX64', CreateTime: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/) });
    expect(port.CreateTime).toBe(port.ModifyTime);
  });

  test('Limit defaults to 10; above 100, 0 or not an integer is InvalidParameter.InvalidFormat, and so is a negative Offset', async () => {
    const uuid = agent();
    emu.setHost(uuid, { processes: manyProcesses(30) });
    collect(uuid, 'process');
    expect((await processes({ Uuid: uuid })).json.Response.Processes).toHaveLength(10);
    expect((await processes({ Uuid: uuid, Limit: 100 })).json.Response.Processes).toHaveLength(30);
    for (const Limit of [101, 0, 2.5, '10']) expect(errorCode(await processes({ Uuid: uuid, Limit }))).toBe('InvalidParameter.InvalidFormat');
    expect(errorCode(await openPorts({ Uuid: uuid, Limit: 101 }))).toBe('InvalidParameter.InvalidFormat');
    expect(errorCode(await processes({ Uuid: uuid, Offset: -1 }))).toBe('InvalidParameter.InvalidFormat');
  });

  test('an agent whose collection never finished, and an unknown agent, answer TotalCount 0', async () => {
    const uuid = agent();
    expect((await processes({ Uuid: uuid })).json.Response).toEqual({ TotalCount: 0, Processes: [], RequestId: expect.stringMatching(UUID_V4) });
    emu.startTask(uuid, 'port', { collectMs: 5000 });
    expect((await openPorts({ Uuid: uuid })).json.Response).toMatchObject({ TotalCount: 0, OpenPorts: [] });
    expect((await openPorts({ Uuid: randomUUID() })).json.Response).toMatchObject({ TotalCount: 0, OpenPorts: [] });
    expect(emu.results(uuid, 'port')).toEqual({ collectedAt: null, generation: null, items: [] });
    // An uninstalled agent (scripted UNKNOWN_AGENT) has no records; reinstalled, it has those of its next collection.
    collect(uuid, 'process');
    emu.script(uuid, 'process', [{ atMs: 0, state: 'UNKNOWN_AGENT' }, { atMs: 1000, state: 'COMPLETE' }]);
    expect((await processes({ Uuid: uuid })).json.Response.TotalCount).toBe(0);
    clock += 1000;
    expect(emu.results(uuid, 'process')).toMatchObject({ collectedAt: clock, generation: 1, items: expect.arrayContaining([expect.objectContaining({ ProcessName: 'systemd' })]) });
  });

  test('one of Uuid and ProcessName (Uuid and Port for ports) is required; ProcessName or Port alone reads every agent', async () => {
    expect(errorCode(await processes({ Limit: 10 }))).toBe('MissingParameter');
    expect(errorCode(await openPorts({}))).toBe('MissingParameter');
    const name = `only-here-${randomUUID().slice(0, 8)}`;
    const [a, b] = [agent(), agent()];
    emu.setHost(a, { processes: [{ pid: 501, processName: name }], ports: [{ port: 7001, pid: 501, processName: name }] });
    emu.setHost(b, { processes: [{ pid: 502, processName: name }, { pid: 503, processName: 'other' }], ports: [{ port: 7001, pid: 502, processName: name }] });
    for (const uuid of [a, b]) {
      collect(uuid, 'process');
      collect(uuid, 'port');
    }
    const byName = (await processes({ ProcessName: name, Limit: 100 })).json.Response;
    expect(byName.Processes.map((p: { Uuid: string; Pid: number }) => [p.Uuid, p.Pid])).toEqual([[a, 501], [b, 502]]);
    expect((await processes({ Uuid: b, ProcessName: name })).json.Response.TotalCount).toBe(1);
    const byPort = (await openPorts({ Port: 7001, Limit: 100 })).json.Response.OpenPorts.filter((p: { Uuid: string }) => p.Uuid === a || p.Uuid === b);
    expect(byPort.map((p: { Uuid: string; Pid: number }) => [p.Uuid, p.Pid])).toEqual([[a, 501], [b, 502]]);
    expect(errorCode(await processes({ ProcessName: '' }))).toBe('InvalidParameter.InvalidFormat');
    expect(errorCode(await openPorts({ Port: 70000 }))).toBe('InvalidParameter.InvalidFormat');
    expect(errorCode(await processes({ Uuid: 'not-a-uuid' }))).toBe('InvalidParameter.InvalidFormat');
  });

  test('Filters ProcessName and MachineIp (and Port for ports) narrow the records; an undocumented or malformed filter is InvalidFormat', async () => {
    const uuid = agent();
    emu.setHost(uuid, {
      machineIp: '10.9.8.7',
      processes: [{ pid: 10, processName: 'nginx' }, { pid: 11, processName: 'nginx' }, { pid: 12, processName: 'sshd' }],
      ports: [{ port: 80, pid: 10, processName: 'nginx' }, { port: 443, pid: 10, processName: 'nginx' }, { port: 22, pid: 12, processName: 'sshd' }],
    });
    collect(uuid, 'process');
    collect(uuid, 'port');
    const filtered = async (Filters: unknown, kind: 'process' | 'port' = 'process') =>
      (await (kind === 'process' ? processes : openPorts)({ Uuid: uuid, Limit: 100, Filters })).json.Response;
    expect((await filtered([{ Name: 'ProcessName', Values: ['nginx'] }])).Processes.map((p: { Pid: number }) => p.Pid)).toEqual([10, 11]);
    expect((await filtered([{ Name: 'ProcessName', Values: ['nginx', 'sshd'] }, { Name: 'MachineIp', Values: ['10.9.8.7'] }])).TotalCount).toBe(3);
    expect((await filtered([{ Name: 'MachineIp', Values: ['10.0.0.1'] }])).TotalCount).toBe(0);
    expect((await filtered([{ Name: 'Port', Values: ['443', '22'] }], 'port')).OpenPorts.map((p: { Port: number }) => p.Port)).toEqual([443, 22]);
    expect((await filtered([{ Name: 'ProcessName', Values: ['nginx'] }, { Name: 'Port', Values: ['22'] }], 'port')).TotalCount).toBe(0);
    for (const bad of [[{ Name: 'Port', Values: ['80'] }], [{ Name: 'Pid', Values: ['1'] }], [{ Name: 'ProcessName', Values: [] }], [{ Name: 'ProcessName', Values: [1] }], { Name: 'ProcessName' }]) {
      expect(errorCode(await processes({ Uuid: uuid, Filters: bad }))).toBe('InvalidParameter.InvalidFormat');
    }
    expect(errorCode(await openPorts({ Uuid: uuid, Filters: [{ Name: 'Port', Values: ['http'] }] }))).toBe('InvalidParameter.InvalidFormat');
  });

  test('an unknown parameter is IllegalRequest; a body that is not JSON is ParsingError for processes and InvalidFormat for ports', async () => {
    const uuid = agent();
    expect(errorCode(await processes({ Uuid: uuid, Port: 22 }))).toBe('InvalidParameter.IllegalRequest');
    expect(errorCode(await openPorts({ Uuid: uuid, ProcessName: 'sshd' }))).toBe('InvalidParameter.IllegalRequest');
    expect(errorCode(await processes('{"Uuid":'))).toBe('InvalidParameter.ParsingError');
    expect(errorCode(await openPorts('[1]'))).toBe('InvalidParameter.InvalidFormat');
  });

  test('the records change only when a new collection completes; a failed one keeps the last', async () => {
    const uuid = agent();
    emu.setHost(uuid, { ports: [{ port: 22, pid: 700, processName: 'sshd' }] });
    collect(uuid, 'port');
    const listed = async () => (await openPorts({ Uuid: uuid })).json.Response.OpenPorts.map((p: { Port: number }) => p.Port);
    expect(await listed()).toEqual([22]);
    emu.openPort(uuid, { port: 8080, pid: 701, processName: 'java' });
    expect(await listed()).toEqual([22]);
    expect(emu.hostOf(uuid).ports.map((p) => p.port)).toEqual([22, 8080]);
    emu.startTask(uuid, 'port', { collectMs: 2000 });
    clock += 1000;
    expect(await listed()).toEqual([22]); // still collecting
    clock += 1000;
    expect(await listed()).toEqual([22, 8080]);
    emu.closePort(uuid, 22);
    collect(uuid, 'port', 'FAILED');
    expect(await listed()).toEqual([22, 8080]);
    expect(emu.results(uuid, 'port').generation).toBe(1);
    // A change made while a collection runs is what it records at its end.
    emu.startTask(uuid, 'port', { collectMs: 2000 });
    clock += 1000;
    emu.openPort(uuid, { port: 9090, pid: 702, processName: 'node' });
    clock += 1000;
    expect(await listed()).toEqual([8080, 9090]);
    // The process records are the process collection's own: none has finished.
    expect((await processes({ Uuid: uuid })).json.Response.TotalCount).toBe(0);
  });

  test('pid churn: every collection sees new pids for the same programs, ports follow their processes, pid 1 stays', async () => {
    const uuid = agent();
    emu.setHost(uuid, {
      processes: [{ pid: 1, processName: 'systemd' }, { pid: 400, processName: 'nginx' }, { pid: 401, ppid: 400, processName: 'nginx', username: 'nginx' }],
      ports: [{ port: 80, pid: 400, processName: 'nginx' }],
      churn: { pidsEachCollection: true },
    });
    const seen = [];
    for (let i = 0; i < 3; i++) {
      collect(uuid, 'process');
      collect(uuid, 'port');
      seen.push({ processes: emu.results(uuid, 'process').items, ports: emu.results(uuid, 'port').items });
    }
    const identity = (p: { ProcessName: string; Username: string; FullPath: string }) => [p.ProcessName, p.Username, p.FullPath];
    for (const s of seen) expect(s.processes.map(identity)).toEqual(seen[0]!.processes.map(identity));
    const pids = seen.map((s) => s.processes.map((p) => p.Pid));
    expect(pids[0]).toEqual([1, 400, 401]);
    expect(new Set(pids.map((p) => p.join())).size).toBe(3);
    for (const s of seen) {
      expect(s.processes[0]!.Pid).toBe(1);
      expect(s.processes[2]!.Ppid).toBe(s.processes[1]!.Pid); // the worker's parent moved with it
      expect(s.ports.map((p) => [p.Port, p.ProcessName])).toEqual([[80, 'nginx']]);
      expect(s.ports[0]!.Pid).toBe(s.processes[1]!.Pid);
    }
    expect(emu.hostOf(uuid).processes.map((p) => p.pid)).toEqual([1, 400, 401]); // the host itself is unchanged
  });

  test('portsAddedPerCollection: the k-th finished collection sees k * n more ports', async () => {
    const uuid = agent();
    emu.setHost(uuid, { processes: [{ pid: 1, processName: 'systemd' }, { pid: 300, processName: 'app' }], ports: [{ port: 22, pid: 300, processName: 'app' }], churn: { portsAddedPerCollection: 3 } });
    const counts = [];
    for (let i = 0; i < 3; i++) {
      collect(uuid, 'port');
      counts.push((await openPorts({ Uuid: uuid })).json.Response.TotalCount);
    }
    expect(counts).toEqual([1, 4, 7]);
    expect(emu.results(uuid, 'port').items.slice(1).map((p) => [p.Port, p.Pid])).toEqual([20000, 20001, 20002, 20003, 20004, 20005].map((port) => [port, 300]));
  });

  test('hosts are generated from the uuid: the same on every emulator, sized by addFleet, the CWP agent among their processes', async () => {
    const other = await startEmulator({ now: () => clock, quiet: true });
    try {
      const options = { count: 3, activeFraction: 0, offlineFraction: 0, processes: 400, ports: 40, seed: 99 };
      const uuids = emu.addFleet(options.count, options);
      expect(other.addFleet(options.count, options)).toEqual(uuids);
      const mine = emu.results(uuids[0]!, 'process');
      expect(mine.items).toHaveLength(400);
      expect(emu.results(uuids[0]!, 'port').items).toHaveLength(40);
      expect(other.hostOf(uuids[0]!)).toEqual(emu.hostOf(uuids[0]!));
      expect(mine.items.map((p) => p.ProcessName)).toEqual(expect.arrayContaining(['systemd', 'YDService', 'sshd']));
      expect(new Set(mine.items.map((p) => p.Pid)).size).toBe(400);
      const pids = new Set(mine.items.map((p) => p.Pid));
      for (const port of emu.results(uuids[0]!, 'port').items) expect(pids.has(port.Pid)).toBe(true);
      expect(emu.hostOf(uuids[1]!)).not.toEqual(emu.hostOf(uuids[0]!));
      // A fleet starts with a finished collection (its keys start COMPLETE): the records are there at once.
      const pages = [];
      for (const Offset of [0, 100, 200, 300]) pages.push((await processes({ Uuid: uuids[0], Limit: 100, Offset })).json.Response.Processes);
      expect(pages.flat()).toEqual(mine.items);
      // An agent added one by one has a small generated host too.
      expect(emu.hostOf(agent()).processes).toHaveLength(16);
    } finally {
      await other.close();
    }
  });

  test('startProcess, stopProcess, changeHost and setHost edit the host; a bad change throws and changes nothing', () => {
    const uuid = agent();
    emu.setHost(uuid, { processes: [{ pid: 1, processName: 'systemd' }], ports: [] });
    const pid = emu.startProcess(uuid, { processName: 'redis-server', username: 'redis' });
    expect(pid).toBe(301);
    emu.openPort(uuid, { port: 6379, pid, processName: 'redis-server' });
    expect(emu.hostOf(uuid).processes[1]).toEqual({ pid: 301, ppid: 1, processName: 'redis-server', username: 'redis', fullPath: '/usr/bin/redis-server' });
    emu.stopProcess(uuid, pid);
    expect(emu.hostOf(uuid)).toMatchObject({ processes: [{ pid: 1 }], ports: [] });
    emu.changeHost(uuid, (host) => {
      host.machineName = 'renamed';
      host.processes.push({ pid: 9, ppid: 1, processName: 'x', username: 'root', fullPath: '/x' });
    });
    expect(emu.hostOf(uuid)).toMatchObject({ machineName: 'renamed', processes: [{ pid: 1 }, { pid: 9 }] });
    const before = emu.hostOf(uuid);
    expect(() => emu.changeHost(uuid, (host) => void host.processes.push({ ...host.processes[0]! }))).toThrow('pid 1 is listed twice');
    expect(() => emu.setHost(uuid, { ports: [{ port: 0, pid: 1, processName: 'x' }] })).toThrow('port must be an integer');
    expect(() => emu.setHost(uuid, { processes: [{ pid: 5, processName: '' }] })).toThrow('processName');
    expect(() => emu.stopProcess(uuid, 12345)).toThrow('no process 12345');
    expect(() => emu.closePort(uuid, 80)).toThrow('no listener on port 80');
    expect(emu.hostOf(uuid)).toEqual(before);
  });

  test('signature checks, the action check and the per-action 20/s budget apply to the result actions', async () => {
    const uuid = agent();
    expect(errorCode(await call({ action: 'DescribeProcesses', payload: { Uuid: uuid }, secretKey: 'wrong' }))).toBe('AuthFailure.SignatureFailure');
    expect(errorCode(await call({ action: 'DescribeOpenPorts', payload: { Uuid: uuid }, authorization: null }))).toBe('AuthFailure.InvalidAuthorization');
    expect(errorCode(await call({ action: 'DescribeOpenPorts', payload: { Uuid: uuid }, version: '2020-02-17' }))).toBe('NoSuchVersion');
    const answers = [];
    for (let i = 0; i < 21; i++) answers.push(await processes({ Uuid: uuid }));
    expect(answers.map(errorCode).filter((c) => c === 'RequestLimitExceeded')).toHaveLength(1);
    expect(errorCode(await openPorts({ Uuid: uuid }))).toBeNull();
    expect(errorCode(await call({ action: 'CreateProcessTask', payload: { Uuid: uuid } }))).toBeNull();
    expect(emu.stats()).toMatchObject({ DescribeProcesses: { accepted: 20, throttled: 1 }, DescribeOpenPorts: { accepted: 1, rejected: 2 }, CreateProcessTask: { accepted: 1 } });
  });

  test('the official SDK reads a page of records', async () => {
    const { Client } = await import('tencentcloud-sdk-nodejs/tencentcloud/services/yunjing/v20180228/yunjing_client');
    const sdkEmu = await startEmulator({ quiet: true }); // the SDK signs with the real clock
    try {
      const uuid = randomUUID();
      sdkEmu.setHost(uuid, { processes: manyProcesses(12) });
      sdkEmu.script(uuid, 'process', [{ atMs: 0, state: 'COMPLETE' }]);
      const config = { credential: EMULATOR_CREDENTIALS, region: 'ap-guangzhou', profile: { httpProfile: { endpoint: new URL(sdkEmu.url).host, protocol: 'http://' } } };
      const page = await new Client(config).DescribeProcesses({ Uuid: uuid, Limit: 5, Offset: 10 });
      expect(page.TotalCount).toBe(12);
      expect(page.Processes?.map((p) => p.Pid)).toEqual([1010, 1011]);
    } finally {
      await sdkEmu.close();
    }
  });
});

describe('machines (DescribeMachines)', () => {
  const machinesFixture = loadFixture<{ actions: { DescribeMachines: { errors: string[]; itemFields: string[]; machineTypes: string[] } } }>('cwp-machines-responses.json');
  const describeMachines = (payload: unknown) => call({ action: 'DescribeMachines', payload });
  const readAll = async (MachineRegion: string, extra: Record<string, unknown> = {}) => {
    const all: any[] = [];
    const pages: number[] = [];
    let total = -1;
    for (let Offset = 0; total < 0 || Offset < total; Offset += 100) {
      const r = await describeMachines({ MachineType: 'CVM', MachineRegion, Limit: 100, Offset, ...extra });
      expect(errorCode(r)).toBeNull();
      total = r.json.Response.TotalCount;
      pages.push(r.json.Response.Machines.length);
      all.push(...r.json.Response.Machines);
    }
    return { total, all, pages };
  };

  test('250 machines over 2 regions: 3 pages of 100 in one region, TotalCount, every documented field, ONLINE/OFFLINE as the agents', async () => {
    const [a, b] = ['ap-fleeta', 'ap-fleetb'];
    const uuids = emu.addFleet(500, { seed: 21, offlineFraction: 0.3, machines: { regions: [a, b], tags: ['web', 'db'] } });
    const { total, all, pages } = await readAll(a);
    expect(total).toBe(250);
    expect(pages).toEqual([100, 100, 50]);
    expect(new Set(all.map((m) => m.Uuid)).size).toBe(250);
    expect(all.map((m) => m.Uuid)).toEqual(uuids.filter((_, i) => i % 2 === 0));
    for (const m of all) {
      expect(Object.keys(m).sort()).toEqual([...machinesFixture.actions.DescribeMachines.itemFields].sort());
      expect(m.MachineStatus).toBe(emu.state(m.Uuid, 'process') === 'AGENT_OFFLINE' ? 'OFFLINE' : 'ONLINE');
      expect(m.RegionInfo.Region).toBe(a);
      expect(m.MachineIp).toBe(emu.hostOf(m.Uuid).machineIp);
    }
    expect(all.some((m) => m.MachineStatus === 'OFFLINE')).toBe(true);
    expect(all.some((m) => m.Tag.length > 0)).toBe(true);
    expect((await readAll(b)).total).toBe(250);
    // Limit defaults to 10; another type in the region is empty.
    const r = await describeMachines({ MachineType: 'CVM', MachineRegion: a });
    expect(r.json.Response).toMatchObject({ TotalCount: 250 });
    expect(r.json.Response.Machines).toHaveLength(10);
    expect((await describeMachines({ MachineType: 'BM', MachineRegion: a })).json.Response).toMatchObject({ TotalCount: 0, Machines: [] });
  });

  test('Status follows setOnline / setMachineStatus; a long-offline machine answers an empty Uuid; a removed machine is gone from the next listing', async () => {
    const r1 = 'ap-machines';
    const [u1, u2, u3] = [randomUUID(), randomUUID(), randomUUID()];
    emu.addMachine({ uuid: u1, region: r1, name: 'web-1', ip: '10.1.0.1', wanIp: '1.2.3.4', tags: ['web'] });
    emu.addMachine({ uuid: u2, region: r1, name: 'db-1', ip: '10.1.0.2', proVersion: true });
    const q3 = emu.addMachine({ uuid: u3, region: r1, name: 'old-1', ip: '10.1.0.3' });
    const gone = emu.addMachine({ quuid: randomUUID(), region: r1, name: 'ghost', ip: '10.1.0.9' });
    let { all } = await readAll(r1);
    expect(all.map((m) => [m.MachineName, m.MachineStatus, m.Uuid])).toEqual([['web-1', 'ONLINE', u1], ['db-1', 'ONLINE', u2], ['old-1', 'ONLINE', u3], ['ghost', 'OFFLINE', '']]);
    expect(all[0].Tag).toEqual([{ Rid: expect.any(Number), Name: 'web', TagId: expect.any(Number) }]);
    expect(all[3].Quuid).toBe(gone);

    emu.setOnline(u1, false);
    emu.setMachineStatus(u3, 'LONG_OFFLINE');
    ({ all } = await readAll(r1));
    expect(all.map((m) => [m.MachineName, m.MachineStatus, m.Uuid])).toEqual([['web-1', 'OFFLINE', u1], ['db-1', 'ONLINE', u2], ['old-1', 'OFFLINE', ''], ['ghost', 'OFFLINE', '']]);
    expect(emu.state(u1, 'process')).toBe('AGENT_OFFLINE');

    emu.setMachineStatus(u1, 'ONLINE');
    emu.removeMachine(u2);
    emu.removeMachine(q3);
    ({ all } = await readAll(r1));
    expect(all.map((m) => [m.MachineName, m.MachineStatus])).toEqual([['web-1', 'ONLINE'], ['ghost', 'OFFLINE']]);
    expect(() => emu.removeMachine(u2)).toThrow(/no machine/);
  });

  test('Filters: Keywords over name and IPs (ExactMatch), Status, Version; each filter one value', async () => {
    const r1 = 'ap-filters';
    const [u1, u2] = [randomUUID(), randomUUID()];
    emu.addMachine({ uuid: u1, region: r1, name: 'web-1', ip: '10.2.0.1', wanIp: '42.1.1.1', proVersion: true });
    emu.addMachine({ uuid: u2, region: r1, name: 'db-1', ip: '10.2.0.2' });
    emu.addMachine({ quuid: randomUUID(), region: r1, name: 'web-old', ip: '10.2.0.3' });
    emu.setOnline(u2, false);
    const names = async (Filters: unknown) => (await readAll(r1, { Filters })).all.map((m) => m.MachineName);
    expect(await names([{ Name: 'Keywords', Values: ['web'] }])).toEqual(['web-1', 'web-old']);
    expect(await names([{ Name: 'Keywords', Values: ['10.2.0.2'] }])).toEqual(['db-1']);
    expect(await names([{ Name: 'Keywords', Values: ['42.1.1'] }])).toEqual(['web-1']);
    expect(await names([{ Name: 'Keywords', Values: ['web'], ExactMatch: true }])).toEqual([]);
    expect(await names([{ Name: 'Status', Values: ['ONLINE'] }])).toEqual(['web-1']);
    expect(await names([{ Name: 'Status', Values: ['OFFLINE'] }])).toEqual(['db-1', 'web-old']);
    expect(await names([{ Name: 'Status', Values: ['UNINSTALLED'] }])).toEqual(['web-old']);
    expect(await names([{ Name: 'Version', Values: ['PRO_VERSION'] }])).toEqual(['web-1']);
    expect(await names([{ Name: 'Version', Values: ['BASIC_VERSION'] }, { Name: 'Keywords', Values: ['web'] }])).toEqual(['web-old']);
    const total = async (Filters: unknown) => (await describeMachines({ MachineType: 'CVM', MachineRegion: r1, Filters })).json.Response.TotalCount;
    expect(await total([{ Name: 'Status', Values: ['OFFLINE'] }])).toBe(2);
  });

  test.each([
    ['a body that is not an object', '[1]', 'InvalidParameter.ParsingError'],
    ['a body that is not JSON', '{', 'InvalidParameter.ParsingError'],
    ['no MachineType', { MachineRegion: 'ap-guangzhou' }, 'MissingParameter'],
    ['no MachineRegion', { MachineType: 'CVM' }, 'MissingParameter'],
    ['an empty MachineType', { MachineType: '', MachineRegion: 'ap-guangzhou' }, 'InvalidParameter.MissingParameter'],
    ['an empty MachineRegion', { MachineType: 'CVM', MachineRegion: '' }, 'InvalidParameter.MissingParameter'],
    ['a bad MachineType', { MachineType: 'VM', MachineRegion: 'ap-guangzhou' }, 'InvalidParameter.InvalidFormat'],
    ['a lower-case MachineType', { MachineType: 'cvm', MachineRegion: 'ap-guangzhou' }, 'InvalidParameter.InvalidFormat'],
    ['a MachineType that is a number', { MachineType: 1, MachineRegion: 'ap-guangzhou' }, 'InvalidParameter.InvalidFormat'],
    ['a malformed MachineRegion', { MachineType: 'CVM', MachineRegion: 'Guangzhou' }, 'InvalidParameter.InvalidFormat'],
    ['Limit 0', { MachineType: 'CVM', MachineRegion: 'ap-guangzhou', Limit: 0 }, 'InvalidParameter.InvalidFormat'],
    ['Limit 101', { MachineType: 'CVM', MachineRegion: 'ap-guangzhou', Limit: 101 }, 'InvalidParameter.InvalidFormat'],
    ['a negative Offset', { MachineType: 'CVM', MachineRegion: 'ap-guangzhou', Offset: -1 }, 'InvalidParameter.InvalidFormat'],
    ['an unknown parameter', { MachineType: 'CVM', MachineRegion: 'ap-guangzhou', Uuid: 'x' }, 'InvalidParameter.InvalidFormat'],
    ['an unknown filter', { MachineType: 'CVM', MachineRegion: 'ap-guangzhou', Filters: [{ Name: 'Ip', Values: ['1'] }] }, 'InvalidParameter.InvalidFormat'],
    ['a filter with two values', { MachineType: 'CVM', MachineRegion: 'ap-guangzhou', Filters: [{ Name: 'Status', Values: ['ONLINE', 'OFFLINE'] }] }, 'InvalidParameter.InvalidFormat'],
    ['a bad Status value', { MachineType: 'CVM', MachineRegion: 'ap-guangzhou', Filters: [{ Name: 'Status', Values: ['DOWN'] }] }, 'InvalidParameter.InvalidFormat'],
  ])('%s is %s, a documented code', async (_what, payload, code) => {
    expect(errorCode(await describeMachines(payload))).toBe(code);
    expect(machinesFixture.actions.DescribeMachines.errors).toContain(code);
  });

  test('every documented MachineType is accepted', async () => {
    for (const MachineType of machinesFixture.actions.DescribeMachines.machineTypes) {
      expect(errorCode(await describeMachines({ MachineType, MachineRegion: 'ap-nowhere' }))).toBeNull();
    }
  });

  test('signature checks apply: a bad signature, an unknown SecretId, a wrong version', async () => {
    const payload = { MachineType: 'CVM', MachineRegion: 'ap-guangzhou' };
    expect(errorCode(await call({ action: 'DescribeMachines', payload, secretKey: 'wrong' }))).toBe('AuthFailure.SignatureFailure');
    expect(errorCode(await call({ action: 'DescribeMachines', payload, secretId: 'AKIDunknown000000000000000000000000' }))).toBe('AuthFailure.SecretIdNotFound');
    expect(errorCode(await call({ action: 'DescribeMachines', payload, authorization: null }))).toBe('AuthFailure.InvalidAuthorization');
    expect(errorCode(await call({ action: 'DescribeMachines', payload, version: '2017-03-12' }))).toBe('NoSuchVersion');
    expect(errorCode(await call({ action: 'DescribeMachines', payload }))).toBeNull();
  });

  test('the control routes: add, list, status, remove', async () => {
    const uuid = randomUUID();
    const added = await control(emu.url, 'POST', '/_emulator/machines', { uuid, region: 'ap-control', name: 'ctl-1', ip: '10.9.9.9' });
    expect(added.status).toBe(200);
    expect(added.json.quuid).toMatch(/^[0-9a-f-]{36}$/);
    expect((await control(emu.url, 'POST', '/_emulator/machines/status', { uuid, status: 'OFFLINE' })).status).toBe(200);
    const listed = (await control(emu.url, 'GET', '/_emulator/machines')).json as any[];
    expect(listed.find((m) => m.Uuid === uuid)).toMatchObject({ MachineName: 'ctl-1', MachineStatus: 'OFFLINE' });
    expect((await readAll('ap-control')).total).toBe(1);
    expect((await control(emu.url, 'DELETE', '/_emulator/machines', { uuid })).status).toBe(200);
    expect((await readAll('ap-control')).total).toBe(0);
    expect((await control(emu.url, 'POST', '/_emulator/machines', { uuid: 'nope' })).status).toBe(400);
    expect((await control(emu.url, 'POST', '/_emulator/fleet', { count: 2, seed: 99, machines: { regions: ['ap-ctlfleet'] } })).status).toBe(200);
    expect((await readAll('ap-ctlfleet')).total).toBe(2);
  });
});

describe('faults', () => {
  test('latency delays the answer by the given ms', async () => {
    const uuid = agent();
    emu.inject({ fault: 'latency', ms: 200 });
    const started = Date.now();
    expect(errorCode(await procStatus(uuid))).toBe('FailedOperation.ProcessTaskNotFound');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  test('http500 answers that HTTP status without a Response', async () => {
    emu.inject({ fault: 'http500' });
    emu.inject({ fault: 'http500', status: 503 });
    const r = await procStatus(agent());
    expect(r.status).toBe(500);
    expect(r.json).toBeUndefined();
    expect((await procStatus(agent())).status).toBe(503);
  });

  test('reset destroys the connection without an answer', async () => {
    emu.inject({ fault: 'reset' });
    await expect(procStatus(agent())).rejects.toThrow();
    expect(errorCode(await procStatus(agent()))).toBe('FailedOperation.ProcessTaskNotFound');
  });

  test('badBody answers 200 text/html', async () => {
    emu.inject({ fault: 'badBody' });
    const r = await procStatus(agent());
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('text/html');
    expect(r.json).toBeUndefined();
  });

  test('emptyBody answers 200 {}', async () => {
    emu.inject({ fault: 'emptyBody' });
    const r = await procStatus(agent());
    expect(r.status).toBe(200);
    expect(r.json).toEqual({});
  });

  test('error answers the given Tencent code, only for its action, `times` times', async () => {
    emu.inject({ action: 'DescribeOpenPortTaskStatus', fault: 'error', code: 'InternalError', times: 2 });
    const uuid = agent();
    expect(errorCode(await procStatus(uuid))).toBe('FailedOperation.ProcessTaskNotFound');
    expect(errorCode(await portStatus(uuid))).toBe('InternalError');
    expect(errorCode(await portStatus(uuid))).toBe('InternalError');
    expect(errorCode(await portStatus(uuid))).toBe('FailedOperation.OpenPortTaskNotFound');
    expect(emu.stats().DescribeOpenPortTaskStatus).toMatchObject({ accepted: 1, rejected: 2 });
  });

  test('after: the fault lets N matching requests through, then fires: the third page of four fails', async () => {
    const uuid = agent();
    emu.setHost(uuid, { processes: Array.from({ length: 350 }, (_, i) => ({ pid: 2000 + i, processName: 'p' })) });
    emu.startTask(uuid, 'process', { collectMs: 0 });
    emu.inject({ action: 'DescribeProcesses', fault: 'error', code: 'InternalError', after: 2 });
    expect(emu.faults()).toEqual([expect.objectContaining({ action: 'DescribeProcesses', after: 2, times: 1 })]);
    const page = (Offset: number) => call({ action: 'DescribeProcesses', payload: { Uuid: uuid, Limit: 100, Offset } });
    expect(errorCode(await procStatus(uuid))).toBeNull(); // another action does not count
    expect(errorCode(await page(0))).toBeNull();
    expect(errorCode(await page(100))).toBeNull();
    expect(emu.faults()[0]).not.toHaveProperty('after');
    expect(errorCode(await page(200))).toBe('InternalError');
    expect((await page(300)).json.Response.Processes).toHaveLength(50);
    expect((await page(200)).json.Response.Processes).toHaveLength(100); // read again, it is there
    expect(emu.faults()).toEqual([]);
    expect(() => emu.inject({ fault: 'reset', after: -1 })).toThrow('after must be');
  });

  test('a waiting fault counts only the requests that got through: one stopped by an earlier fault does not count', async () => {
    emu.inject({ fault: 'reset', after: 1 });
    emu.inject({ fault: 'emptyBody' });
    expect((await procStatus(agent())).json).toEqual({}); // stopped by the second rule; the first still waits
    expect(errorCode(await procStatus(agent()))).toBe('FailedOperation.ProcessTaskNotFound'); // got through: counted
    await expect(procStatus(agent())).rejects.toThrow();
  });

  test('times: Infinity lasts until clearFaults', async () => {
    emu.inject({ fault: 'error', code: 'RequestLimitExceeded', times: Infinity });
    for (let i = 0; i < 3; i++) expect(errorCode(await procStatus(agent()))).toBe('RequestLimitExceeded');
    emu.clearFaults();
    expect(errorCode(await procStatus(agent()))).toBe('FailedOperation.ProcessTaskNotFound');
  });
});

describe('tdmq (CMQ on API 3.0)', () => {
  test('PublishCmqMsg answers Result and MsgId and keeps the message with its tags', async () => {
    emu.createTopic('events');
    const r = await call({ action: 'PublishCmqMsg', payload: { TopicName: 'events', MsgContent: '{"a":1}', MsgTag: ['process', 'COMPLETE'] } });
    expect(r.json.Response).toEqual({ Result: true, MsgId: expect.any(String), RequestId: expect.stringMatching(UUID_V4) });
    expect(emu.messages({ topic: 'events' })).toEqual([
      { msgId: r.json.Response.MsgId, content: '{"a":1}', tags: ['process', 'COMPLETE'], delaySeconds: 0, at: clock },
    ]);
  });

  test('SendCmqMsg answers Result and MsgId and keeps the message with its delay', async () => {
    emu.createQueue('jobs');
    const r = await call({ action: 'SendCmqMsg', payload: { QueueName: 'jobs', MsgContent: 'hello', DelaySeconds: 0 } });
    expect(r.json.Response.Result).toBe(true);
    expect(emu.messages('jobs').map((m) => m.content)).toEqual(['hello']);
    expect(errorCode(await call({ action: 'SendCmqMsg', payload: { QueueName: 'jobs', MsgContent: 'x' } }))).toBe('MissingParameter');
  });

  test('an unknown topic or queue is ResourceNotFound', async () => {
    expect(errorCode(await call({ action: 'PublishCmqMsg', payload: { TopicName: 'nope', MsgContent: 'x' } }))).toBe('ResourceNotFound');
    expect(errorCode(await call({ action: 'SendCmqMsg', payload: { QueueName: 'nope', MsgContent: 'x', DelaySeconds: 0 } }))).toBe('ResourceNotFound');
  });

  test('a message over the max size (65536 bytes by default, or the topic’s) is InvalidParameterValue', async () => {
    emu.createTopic('big');
    emu.createTopic('small', { maxMsgSize: 1024 });
    const publish = (TopicName: string, MsgContent: string) => call({ action: 'PublishCmqMsg', payload: { TopicName, MsgContent } });
    expect(errorCode(await publish('big', 'x'.repeat(65536)))).toBeNull();
    expect(errorCode(await publish('big', 'x'.repeat(65537)))).toBe('InvalidParameterValue');
    expect(errorCode(await publish('small', 'é'.repeat(513)))).toBe('InvalidParameterValue'); // 1026 bytes
    expect(emu.messages('small')).toEqual([]);
  });

  test('tdmq has its own 20/s budget per action', async () => {
    emu.createTopic('burst');
    const answers = [];
    for (let i = 0; i < 21; i++) answers.push(await call({ action: 'PublishCmqMsg', payload: { TopicName: 'burst', MsgContent: String(i) } }));
    expect(answers.map(errorCode).filter((c) => c === 'RequestLimitExceeded')).toHaveLength(1);
    expect(emu.messages('burst')).toHaveLength(20);
  });
});

describe('control routes over HTTP', () => {
  test('agents, script, state and transitions work over HTTP', async () => {
    const uuid = randomUUID();
    expect((await control(emu.url, 'POST', '/_emulator/agents', { uuid })).status).toBe(200);
    await control(emu.url, 'POST', '/_emulator/script', { uuid, kind: 'process', steps: [{ atMs: 0, state: 'COLLECTING' }, { atMs: 100, state: 'COMPLETE' }] });
    await control(emu.url, 'POST', '/_emulator/tasks', { uuid, kind: 'port', collectMs: 100, outcome: 'FAILED' });
    clock += 100;
    expect((await control(emu.url, 'GET', `/_emulator/state?uuid=${uuid}`)).json).toEqual({ uuid, process: 'COMPLETE', port: 'FAILED' });
    clock += 1;
    await control(emu.url, 'POST', '/_emulator/online', { uuid, online: false });
    expect((await procStatus(uuid)).json.Response.Status).toBe('AGENT_OFFLINE');
    const log = (await control(emu.url, 'GET', `/_emulator/transitions?uuid=${uuid}&kind=process`)).json;
    expect(log.map((t: { state: string }) => t.state)).toEqual(['COLLECTING', 'COMPLETE', 'AGENT_OFFLINE']);
  });

  test('hosts, their edits and the collected records over HTTP', async () => {
    const uuid = randomUUID();
    const set = await control(emu.url, 'POST', '/_emulator/host', { uuid, processes: [{ pid: 1, processName: 'systemd' }], ports: [], churn: { portsAddedPerCollection: 1 } });
    expect(set.json).toMatchObject({ processes: [{ pid: 1, ppid: 0, processName: 'systemd' }], ports: [], churn: { portsAddedPerCollection: 1 } });
    const started = await control(emu.url, 'POST', '/_emulator/host/start-process', { uuid, processName: 'sshd', fullPath: '/usr/sbin/sshd' });
    expect(started.json).toEqual({ pid: 301 });
    await control(emu.url, 'POST', '/_emulator/host/open-port', { uuid, port: 22, pid: 301, processName: 'sshd' });
    expect((await control(emu.url, 'GET', `/_emulator/host?uuid=${uuid}`)).json.ports).toEqual([{ port: 22, pid: 301, processName: 'sshd' }]);
    await control(emu.url, 'POST', '/_emulator/tasks', { uuid, kind: 'port', collectMs: 100 });
    clock += 100;
    const results = (await control(emu.url, 'GET', `/_emulator/results?uuid=${uuid}&kind=port`)).json;
    expect(results).toMatchObject({ collectedAt: clock, generation: 0, items: [{ Port: 22, Pid: 301, ProcessName: 'sshd' }] });
    await control(emu.url, 'POST', '/_emulator/host/close-port', { uuid, port: 22 });
    await control(emu.url, 'POST', '/_emulator/host/stop-process', { uuid, pid: 301 });
    expect((await control(emu.url, 'GET', `/_emulator/host?uuid=${uuid}`)).json).toMatchObject({ processes: [{ pid: 1 }], ports: [] });
    expect((await control(emu.url, 'POST', '/_emulator/host/stop-process', { uuid, pid: 301 })).status).toBe(400);
    expect((await control(emu.url, 'GET', `/_emulator/results?uuid=${uuid}&kind=disk`)).status).toBe(400);
    expect((await control(emu.url, 'POST', '/_emulator/fleet', { count: 1, seed: 5, processes: 50, ports: 5, activeFraction: 0, offlineFraction: 0 })).json.uuids).toHaveLength(1);
  });

  test('fleet and demo routes return uuids', async () => {
    const { json } = await control(emu.url, 'POST', '/_emulator/fleet', { count: 5, seed: 7 });
    expect(json.uuids).toHaveLength(5);
    const demo = (await control(emu.url, 'POST', '/_emulator/demo')).json.uuids;
    expect(demo).toContain('6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1');
    expect((await procStatus(demo[0])).json.Response.Status).toBe('COLLECTING');
  });

  test('faults over HTTP, with times "Infinity", and their removal', async () => {
    expect((await control(emu.url, 'POST', '/_emulator/faults', { fault: 'emptyBody', times: 'Infinity' })).json.id).toEqual(expect.any(Number));
    expect((await procStatus(agent())).json).toEqual({});
    expect((await procStatus(agent())).json).toEqual({});
    await control(emu.url, 'DELETE', '/_emulator/faults');
    expect(errorCode(await procStatus(agent()))).toBe('FailedOperation.ProcessTaskNotFound');
    expect((await control(emu.url, 'POST', '/_emulator/faults', { fault: 'explode' })).status).toBe(400);
  });

  test('tdmq topics, queues and messages over HTTP', async () => {
    await control(emu.url, 'POST', '/_emulator/tdmq/topics', { name: 'http-topic' });
    await control(emu.url, 'POST', '/_emulator/tdmq/queues', { name: 'http-queue' });
    await call({ action: 'PublishCmqMsg', payload: { TopicName: 'http-topic', MsgContent: 'a', MsgTag: ['t'] } });
    await call({ action: 'SendCmqMsg', payload: { QueueName: 'http-queue', MsgContent: 'b', DelaySeconds: 5 } });
    const topic = (await control(emu.url, 'GET', '/_emulator/tdmq/messages?topic=http-topic')).json;
    const queue = (await control(emu.url, 'GET', '/_emulator/tdmq/messages?queue=http-queue')).json;
    expect(topic.map((m: { content: string; tags: string[] }) => [m.content, m.tags])).toEqual([['a', ['t']]]);
    expect(queue.map((m: { content: string; delaySeconds: number }) => [m.content, m.delaySeconds])).toEqual([['b', 5]]);
  });

  test('a bad control request is 400 with the reason and changes nothing', async () => {
    const uuid = agent();
    emu.startTask(uuid, 'process', { collectMs: 60_000 });
    const r = await control(emu.url, 'POST', '/_emulator/script', { uuid, kind: 'process', steps: [{ atMs: 0, state: 'DONE' }] });
    expect(r.status).toBe(400);
    expect(r.json.error).toContain('state must be one of');
    expect(emu.state(uuid, 'process')).toBe('COLLECTING');
    expect((await control(emu.url, 'POST', '/_emulator/agents', { uuid: 'agent-1' })).status).toBe(400);
  });

  test('stats, revoke and an unknown route over HTTP', async () => {
    const uuid = agent();
    await procStatus(uuid);
    expect((await control(emu.url, 'GET', '/_emulator/stats')).json.DescribeProcessTaskStatus).toMatchObject({ accepted: 1 });
    await control(emu.url, 'POST', '/_emulator/revoke', { secretId: EMULATOR_CREDENTIALS.secretId });
    expect(errorCode(await procStatus(uuid))).toBe('UnauthorizedOperation');
    await control(emu.url, 'POST', '/_emulator/restore', { secretId: EMULATOR_CREDENTIALS.secretId });
    expect(errorCode(await procStatus(uuid))).toBe('FailedOperation.ProcessTaskNotFound');
    expect((await control(emu.url, 'GET', '/_emulator/nope')).status).toBe(404);
  });
});
