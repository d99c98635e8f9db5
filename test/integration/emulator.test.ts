// The emulator over real HTTP on loopback: signatures, limits, every documented answer, scripted agents,
// fleets, faults, tdmq and the control routes. Requests are signed with lib/tencent/sign.ts directly.
import { randomUUID } from 'node:crypto';
import { EMULATOR_CREDENTIALS, maxInWindow, startEmulator, type Emulator } from '../../dev/emulator';
import { callApi, control, errorCode, type CallInput } from '../helpers/emulator-client';

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
    expect(errorCode(await call({ action: 'DescribeMachines', payload: {} }))).toBe('InvalidAction');
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
