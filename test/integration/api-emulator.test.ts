// The HTTP function end to end: the real functions/api main_handler (from source), fed the real SCF trigger
// events (API Gateway and Function URL fixtures, with method, path, headers, query and body changed), talking
// over real HTTP with real TC3 signatures to the emulator. Every route, and every mapped error as it comes
// back from the emulator. Configuration is process.env, read when the runtime is built; resetRuntimes()
// between configurations.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator, type RequestRecord } from '../../dev/emulator';
import { main_handler as apiHandler } from '../../functions/api';
import { main_handler as pollHandler } from '../../functions/poll';
import { ENV } from '../../lib/config';
import { resetRuntimes } from '../../lib/runtime';
import type { ScfContext } from '../../lib/scf/types';
import {
  comparable, eventFor, parseResponse, scfContext, TIMER_FIXTURE, TRIGGER_SHAPES,
  type HttpCall, type ParsedResponse, type TriggerShape,
} from '../helpers/scf-events';
import { captureStdout, linesContaining, type StdoutCapture } from '../helpers/scf-logs';
import { WebhookReceiver } from '../helpers/webhook-receiver';

const TOKEN = `tok_${randomBytes(16).toString('hex')}`;
const SECOND_TOKEN = `tok_${randomBytes(16).toString('hex')}`;
const WRONG_TOKEN = `tok_${randomBytes(16).toString('hex')}`;
const WRONG_SECRET_KEY = `wrongKey${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const UUID_ERROR_FIELD = { field: 'uuid' };

/** Strings that must never appear in a response body or a log line. */
const SECRETS = [EMULATOR_CREDENTIALS.secretKey, WRONG_SECRET_KEY, TOKEN, SECOND_TOKEN, WRONG_TOKEN, WEBHOOK_SECRET];

// Agents, each in one scripted situation.
const COLLECTING = randomUUID(); // process COLLECTING, port COMPLETE
const FAILED = randomUUID(); // both FAILED
const OFFLINE = randomUUID(); // agent offline
const NO_TASK = randomUUID(); // known agent, no task of either kind
const HALF = randomUUID(); // process COLLECTING, port no task
const UNKNOWN = randomUUID(); // not known to CWP
const ENV_AGENT = randomUUID(); // in WATCH_UUIDS: process COMPLETE, port FAILED

let emu: Emulator;
let receiver: WebhookReceiver;
let stdout: StdoutCapture;
const dirs: string[] = [];
const savedEnv: Record<string, string | undefined> = {};

/** Resets the runtimes and makes process.env the base configuration (a fresh file store) plus `overrides`. */
async function configure(overrides: Record<string, string | undefined> = {}): Promise<void> {
  await resetRuntimes();
  const dir = mkdtempSync(path.join(tmpdir(), 'cwp-api-e2e-'));
  dirs.push(dir);
  const env: Record<string, string | undefined> = {
    TENCENTCLOUD_SECRET_ID: EMULATOR_CREDENTIALS.secretId,
    TENCENTCLOUD_SECRET_KEY: EMULATOR_CREDENTIALS.secretKey,
    CWP_ENDPOINT: emu.url,
    TDMQ_ENDPOINT: emu.url,
    TENCENT_TIMEOUT_MS: '500',
    STATE_STORE: `file:${dir}`,
    API_TOKENS: `${TOKEN},${SECOND_TOKEN}`,
    WATCH_UUIDS: ENV_AGENT,
    WEBHOOK_URLS: receiver.url,
    WEBHOOK_SECRET,
    SWEEP_BUDGET_MS: '1500',
    LOG_LEVEL: 'info',
    // These tests count status events and their dead letters; incidents are test/integration/alerts.test.ts's.
    ALERT_TYPES: 'none',
    ...overrides,
  };
  for (const name of ENV) delete process.env[name];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) process.env[k] = v;
}

interface InvokeOptions {
  /** The bearer token; null sends no Authorization header. Default TOKEN. */
  token?: string | null;
  context?: ScfContext;
  requestId?: string;
}

async function invoke(shape: TriggerShape, call: HttpCall, options: InvokeOptions = {}): Promise<ParsedResponse> {
  const token = options.token === undefined ? TOKEN : options.token;
  const headers = { ...(call.headers ?? {}), ...(token === null ? {} : { Authorization: `Bearer ${token}` }) };
  const requestId = options.requestId ?? randomUUID();
  const context = options.context ?? scfContext({ requestId });
  const r = parseResponse(await apiHandler(eventFor(shape, { ...call, headers }, requestId), context));
  for (const s of SECRETS) expect(r.raw.body).not.toContain(s);
  return r;
}

const get = (shape: TriggerShape, p: string, options?: InvokeOptions, query?: Record<string, string>) =>
  invoke(shape, { method: 'GET', path: p, ...(query ? { query } : {}) }, options);

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Emulator requests logged while `fn` ran. */
async function emulatorSaw<T>(fn: () => Promise<T>): Promise<{ result: T; requests: RequestRecord[] }> {
  const mark = emu.requests().length;
  const result = await fn();
  return { result, requests: emu.requests().slice(mark) };
}

beforeAll(async () => {
  for (const name of ENV) savedEnv[name] = process.env[name];
  stdout = captureStdout();
  emu = await startEmulator({ quiet: true });
  receiver = await WebhookReceiver.start(WEBHOOK_SECRET);
  receiver.otherwise({ status: 400, body: 'rejected by the test receiver' }); // every event becomes a dead letter

  emu.startTask(COLLECTING, 'process', { collectMs: 3_600_000 });
  emu.script(COLLECTING, 'port', [{ atMs: 0, state: 'COMPLETE' }]);
  emu.script(FAILED, 'process', [{ atMs: 0, state: 'FAILED' }]);
  emu.script(FAILED, 'port', [{ atMs: 0, state: 'FAILED' }]);
  emu.addAgent(OFFLINE, { online: false });
  emu.addAgent(NO_TASK);
  emu.startTask(HALF, 'process', { collectMs: 3_600_000 });
  emu.script(ENV_AGENT, 'process', [{ atMs: 0, state: 'COMPLETE' }]);
  emu.script(ENV_AGENT, 'port', [{ atMs: 0, state: 'FAILED' }]);
  await configure();
});

afterAll(async () => {
  await resetRuntimes();
  await emu?.close();
  await receiver?.close();
  stdout?.restore();
  for (const name of ENV) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

beforeEach(() => emu.clearFaults());

describe.each(TRIGGER_SHAPES)('routes (%s event)', (shape) => {
  test('GET /healthz answers 200 ok without a token, naming the store', async () => {
    const r = await get(shape, '/healthz', { token: null });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', durable: false, problem: null });
    expect(r.body.store).toEqual(expect.any(String));
  });

  test('every answer carries our request id in x-request-id and is JSON, not cached', async () => {
    const requestId = randomUUID();
    const r = await get(shape, '/healthz', { token: null, requestId, context: scfContext({ requestId }) });
    expect(r.headers['x-request-id']).toBe(requestId);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.raw.isBase64Encoded).toBe(false);
  });

  test('GET /v1/status/process/{uuid} answers 200 COLLECTING with Tencent\'s request id', async () => {
    const r = await get(shape, `/v1/status/process/${COLLECTING}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ uuid: COLLECTING, kind: 'process', state: 'COLLECTING', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), observedAt: expect.any(String) });
    expect(new Date(r.body.observedAt).toISOString()).toBe(r.body.observedAt);
  });

  test('GET /v1/status/port/{uuid} answers 200 COMPLETE', async () => {
    const r = await get(shape, `/v1/status/port/${COLLECTING}`);
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('COMPLETE');
  });

  test.each(['process', 'port'])('a FAILED %s task answers 200 FAILED', async (kind) => {
    const r = await get(shape, `/v1/status/${kind}/${FAILED}`);
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('FAILED');
  });

  test('an offline agent\'s process task (Status AGENT_OFFLINE) answers 200 AGENT_OFFLINE', async () => {
    const { result: r, requests } = await emulatorSaw(() => get(shape, `/v1/status/process/${OFFLINE}`));
    expect(requests.map((q) => [q.action, q.code])).toEqual([['DescribeProcessTaskStatus', null]]);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ uuid: OFFLINE, kind: 'process', state: 'AGENT_OFFLINE' });
  });

  test('an offline agent\'s port task (FailedOperation.AgentOffline) answers 200 AGENT_OFFLINE', async () => {
    const { result: r, requests } = await emulatorSaw(() => get(shape, `/v1/status/port/${OFFLINE}`));
    expect(requests.map((q) => [q.action, q.code])).toEqual([['DescribeOpenPortTaskStatus', 'FailedOperation.AgentOffline']]);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ uuid: OFFLINE, kind: 'port', state: 'AGENT_OFFLINE' });
  });

  test.each([
    ['process', 'FailedOperation.ProcessTaskNotFound'],
    ['port', 'FailedOperation.OpenPortTaskNotFound'],
  ])('no %s task (%s) answers 404 NO_TASK with the state in the body', async (kind, code) => {
    const { result: r, requests } = await emulatorSaw(() => get(shape, `/v1/status/${kind}/${NO_TASK}`));
    expect(requests.map((q) => q.code)).toEqual([code]);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ uuid: NO_TASK, kind, state: 'NO_TASK', error: { code: 'no_task' } });
  });

  test.each(['process', 'port'])('an unknown agent (ResourceNotFound) answers 404 UNKNOWN_AGENT for %s', async (kind) => {
    const { result: r, requests } = await emulatorSaw(() => get(shape, `/v1/status/${kind}/${UNKNOWN}`));
    expect(requests.map((q) => q.code)).toEqual(['ResourceNotFound']);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ uuid: UNKNOWN, kind, state: 'UNKNOWN_AGENT', error: { code: 'unknown_agent' } });
  });

  test('an upper-case uuid is the same agent, answered in lower case', async () => {
    const r = await get(shape, `/v1/status/process/${COLLECTING.toUpperCase()}`);
    expect(r.status).toBe(200);
    expect(r.body.uuid).toBe(COLLECTING);
  });

  test('GET /v1/status/{uuid} answers both kinds at once', async () => {
    const r = await get(shape, `/v1/status/${COLLECTING}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ uuid: COLLECTING, tasks: { process: { state: 'COLLECTING' }, port: { state: 'COMPLETE' } } });
  });

  test('GET /v1/status/{uuid} with one kind missing is 200 with that kind NO_TASK', async () => {
    const r = await get(shape, `/v1/status/${HALF}`);
    expect(r.status).toBe(200);
    expect(r.body.tasks).toMatchObject({ process: { state: 'COLLECTING' }, port: { state: 'NO_TASK' } });
    expect(r.body.error).toBeUndefined();
  });

  test('GET /v1/status/{uuid} of an unknown agent is 404 unknown_agent for both kinds', async () => {
    const r = await get(shape, `/v1/status/${UNKNOWN}`);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ uuid: UNKNOWN, tasks: { process: { state: 'UNKNOWN_AGENT' }, port: { state: 'UNKNOWN_AGENT' } }, error: { code: 'unknown_agent' } });
  });

  test('GET /v1/status/{uuid} of an agent without tasks is 404 no_task', async () => {
    const r = await get(shape, `/v1/status/${NO_TASK}`);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('no_task');
  });

  test('GET /v1/status/{uuid} of an offline agent is 200 AGENT_OFFLINE for both kinds', async () => {
    const r = await get(shape, `/v1/status/${OFFLINE}`);
    expect(r.status).toBe(200);
    expect(r.body.tasks).toMatchObject({ process: { state: 'AGENT_OFFLINE' }, port: { state: 'AGENT_OFFLINE' } });
  });

  test('GET /v1/agents/{uuid} of a WATCH_UUIDS agent answers its watch without calling CWP', async () => {
    const { result: r, requests } = await emulatorSaw(() => get(shape, `/v1/agents/${ENV_AGENT}`));
    expect(requests).toEqual([]);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ uuid: ENV_AGENT, watch: { uuid: ENV_AGENT, source: 'env', kinds: ['process', 'port'] } });
  });

  test('GET /v1/agents/{uuid} of an agent neither watched nor recorded is 404', async () => {
    const r = await get(shape, `/v1/agents/${UNKNOWN}`);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  });

  test('GET /v1/watches lists the WATCH_UUIDS agents first, as source env', async () => {
    const r = await get(shape, '/v1/watches');
    expect(r.status).toBe(200);
    expect(r.body.watches[0]).toEqual({ uuid: ENV_AGENT, kinds: ['process', 'port'], source: 'env', addedAt: null });
    expect(r.body.count).toBe(r.body.watches.length);
  });

  test('PUT /v1/watches/{uuid} creates (201), replaces (200), lists, and DELETE removes (200, then 404)', async () => {
    const uuid = randomUUID();
    const created = await invoke(shape, { method: 'PUT', path: `/v1/watches/${uuid}` });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ created: true, watch: { uuid, kinds: ['process', 'port'] } });

    const replaced = await invoke(shape, { method: 'PUT', path: `/v1/watches/${uuid}`, body: JSON.stringify({ kinds: ['port'] }), headers: { 'Content-Type': 'application/json' } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ created: false, watch: { uuid, kinds: ['port'] } });

    const listed = await get(shape, '/v1/watches');
    expect(listed.body.watches).toContainEqual(expect.objectContaining({ uuid, kinds: ['port'], source: 'api' }));
    const agent = await get(shape, `/v1/agents/${uuid}`);
    expect(agent.status).toBe(200);
    expect(agent.body).toMatchObject({ uuid, watch: { source: 'api' }, tasks: {} });

    const deleted = await invoke(shape, { method: 'DELETE', path: `/v1/watches/${uuid}` });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ deleted: uuid });
    const again = await invoke(shape, { method: 'DELETE', path: `/v1/watches/${uuid}` });
    expect(again.status).toBe(404);
  });

  test.each(['PUT', 'DELETE'])('%s /v1/watches of a WATCH_UUIDS agent is 409 watch_from_env', async (method) => {
    const r = await invoke(shape, { method, path: `/v1/watches/${ENV_AGENT}` });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('watch_from_env');
  });

  test('PUT /v1/watches with an unknown kind is 400 naming kinds[0]', async () => {
    const r = await invoke(shape, { method: 'PUT', path: `/v1/watches/${randomUUID()}`, body: '{"kinds":["disk"]}' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid_body', field: 'kinds[0]' });
  });

  test('PUT /v1/watches with a body that is not JSON is 400 naming the body', async () => {
    const r = await invoke(shape, { method: 'PUT', path: `/v1/watches/${randomUUID()}`, body: '{kinds:' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid_body', field: 'body' });
  });
});

describe('dead letters after a poll run (GET /v1/deliveries, POST /v1/deliveries/replay)', () => {
  let eventIds: string[] = [];

  beforeAll(async () => {
    await configure(); // a fresh store: only ENV_AGENT is watched
    const summary = await pollHandler(TIMER_FIXTURE, scfContext({ remainingMs: 6_000 }));
    // Both keys checked at least once (spare budget checks them again while the sweep runs), two changes.
    expect(summary).toMatchObject({ outcome: 'ok', changed: 2, deadLetters: 2 });
    expect(summary.checked).toBeGreaterThanOrEqual(2);
  });

  test.each(TRIGGER_SHAPES)('GET /v1/deliveries?status=dead lists the events the webhook refused (%s event)', async (shape) => {
    const r = await get(shape, '/v1/deliveries', {}, { status: 'dead' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'dead', total: 2, count: 2 });
    const subjects = r.body.deliveries.map((d: { event: { subject: string } }) => d.event.subject).sort();
    expect(subjects).toEqual([`${ENV_AGENT}/port`, `${ENV_AGENT}/process`]);
    expect(r.body.deliveries[0]).toMatchObject({ sinkId: expect.stringMatching(/^webhook:/), attempts: 1, reason: expect.stringContaining('400') });
    eventIds = r.body.deliveries.map((d: { eventId: string }) => d.eventId);
  });

  test('GET /v1/deliveries?limit=1 shows one of the two', async () => {
    const r = await get('function-url', '/v1/deliveries', {}, { status: 'dead', limit: '1' });
    expect(r.body).toMatchObject({ total: 2, count: 1 });
  });

  test('GET /v1/agents/{uuid} shows the states the poll recorded', async () => {
    const r = await get('apigw', `/v1/agents/${ENV_AGENT}`);
    expect(r.status).toBe(200);
    expect(r.body.tasks).toMatchObject({ process: { state: 'COMPLETE', version: 1 }, port: { state: 'FAILED', version: 1 } });
  });

  test('POST /v1/deliveries/replay with eventIds replays those (202), then {} replays the rest', async () => {
    expect(eventIds).toHaveLength(2);
    const one = await invoke('apigw', { method: 'POST', path: '/v1/deliveries/replay', body: JSON.stringify({ eventIds: [eventIds[0]] }) });
    expect(one.status).toBe(202);
    expect(one.body).toEqual({ replayed: 1 });
    expect((await get('apigw', '/v1/deliveries', {}, { status: 'dead' })).body.total).toBe(1);

    const rest = await invoke('function-url', { method: 'POST', path: '/v1/deliveries/replay', body: '{}' });
    expect(rest.status).toBe(202);
    expect(rest.body).toEqual({ replayed: 1 });
    expect((await get('function-url', '/v1/deliveries', {}, { status: 'dead' })).body.total).toBe(0);
  });

  test.each(TRIGGER_SHAPES)('POST /v1/deliveries/replay with an empty eventIds list is 400 naming eventIds (%s event)', async (shape) => {
    const r = await invoke(shape, { method: 'POST', path: '/v1/deliveries/replay', body: '{"eventIds":[]}' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid_body', field: 'eventIds' });
  });

  test.each(TRIGGER_SHAPES)('GET /v1/deliveries with another status or a bad limit is 400 naming the field (%s event)', async (shape) => {
    const status = await get(shape, '/v1/deliveries', {}, { status: 'pending' });
    expect(status.status).toBe(400);
    expect(status.body.error).toMatchObject({ code: 'invalid_status', field: 'status' });
    const limit = await get(shape, '/v1/deliveries', {}, { status: 'dead', limit: '0' });
    expect(limit.status).toBe(400);
    expect(limit.body.error).toMatchObject({ code: 'invalid_limit', field: 'limit' });
  });
});

describe('no webhook URL on display: a hook with a secret path and ?key=, one echoing it back, one gone (410)', () => {
  const SEG = `SeCrEt${randomBytes(8).toString('hex')}`;
  const KEY = `k3y${randomBytes(8).toString('hex')}`;
  const GONE_SEG = `GoNe${randomBytes(8).toString('hex')}`;
  const hidden = [SEG, KEY, GONE_SEG];
  let echo: WebhookReceiver;
  let gone: WebhookReceiver;
  let echoUrl: string;
  let goneUrl: string;
  let mark = 0;

  beforeAll(async () => {
    echo = await WebhookReceiver.start(WEBHOOK_SECRET);
    gone = (await WebhookReceiver.start(WEBHOOK_SECRET)).otherwise({ status: 410 });
    echoUrl = `${echo.url}/T000/${SEG}?key=${KEY}`;
    goneUrl = `${gone.url}/${GONE_SEG}`;
    // The receiver's error page echoes the request line and the URL, as many frameworks' 404 pages do.
    echo.otherwise({ status: 404, body: `<h1>Not Found</h1><p>Cannot POST ${new URL(echoUrl).pathname}${new URL(echoUrl).search}</p><p>${echoUrl.replace(/&/g, '&amp;')}</p>` });
    await configure({ WEBHOOK_URLS: `${echoUrl},${goneUrl}` });
    mark = stdout.lines().length;
    const summary = await pollHandler(TIMER_FIXTURE, scfContext({ remainingMs: 6_000 }));
    expect(summary).toMatchObject({ outcome: 'ok', changed: 2 });
    // Two from the echoing hook; one or two from the gone one (both events may be in flight when it answers 410).
    expect(summary.deadLetters).toBeGreaterThanOrEqual(3);
  });
  afterAll(async () => {
    await configure(); // back to the base configuration (a fresh store, the shared receiver) for what follows
    await echo?.close();
    await gone?.close();
  });

  test('GET /v1/deliveries shows each hook by origin and hash, and reasons without the echoed URL', async () => {
    const r = await get('function-url', '/v1/deliveries', {}, { status: 'dead' });
    expect(r.status).toBe(200);
    expect(r.body.total).toBeGreaterThanOrEqual(3);
    for (const h of hidden) expect(r.raw.body).not.toContain(h);
    const label = (u: string) => new RegExp(`^webhook:${new URL(u).origin.replace(/[.]/g, '\\.')}/…#[0-9a-f]{8}$`);
    const deliveries = r.body.deliveries as Array<{ sinkId: string; reason: string }>;
    const echoed = deliveries.filter((d) => label(echoUrl).test(d.sinkId));
    const gone410 = deliveries.filter((d) => label(goneUrl).test(d.sinkId));
    expect(echoed).toHaveLength(2);
    expect(gone410.length).toBeGreaterThanOrEqual(1);
    expect(echoed.length + gone410.length).toBe(r.body.total);
    expect(new Set(echoed.map((d) => d.sinkId)).size).toBe(1);
    expect(echoed[0]!.sinkId).not.toBe(gone410[0]!.sinkId);
    expect(echoed[0]!.reason).toMatch(/^receiver answered HTTP 404: <h1>Not Found<\/h1><p>Cannot POST …<\/p><p>…<\/p>$/);
    expect(gone410[0]!.reason).toMatch(/410 Gone/);
  });

  test('the poll\'s log lines, its sweep summary\'s disabledSinks included, name the hooks only by origin and hash', () => {
    const lines = stdout.since(mark);
    expect(lines.length).toBeGreaterThan(0);
    expect(linesContaining(lines, hidden)).toEqual([]);
    const summary = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'sweep summary');
    expect(summary?.disabledSinks).toEqual([expect.stringMatching(/^webhook:http:\/\/127\.0\.0\.1:\d+\/…#[0-9a-f]{8}$/)]);
  });

  test('replay by event id still reaches the full URL', async () => {
    const listed = await get('apigw', '/v1/deliveries', {}, { status: 'dead' });
    const ids = (listed.body.deliveries as Array<{ eventId: string }>).map((d) => d.eventId);
    const r = await invoke('apigw', { method: 'POST', path: '/v1/deliveries/replay', body: JSON.stringify({ eventIds: ids }) });
    expect(r.status).toBe(202);
    expect(r.body.replayed).toBeGreaterThanOrEqual(2);
  });
});

describe.each(TRIGGER_SHAPES)('errors from the emulator (%s event)', (shape) => {
  const ACTION = 'DescribeProcessTaskStatus';
  const status = () => get(shape, `/v1/status/process/${COLLECTING}`);

  test('an injected InvalidParameter.IllegalRequest answers 400 with the code passed through', async () => {
    emu.inject({ action: ACTION, fault: 'error', code: 'InvalidParameter.IllegalRequest', times: Infinity });
    const r = await status();
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'InvalidParameter.IllegalRequest', category: 'invalid', upstreamRequestId: expect.any(String) });
  });

  test('an injected MissingParameter answers 400', async () => {
    emu.inject({ action: ACTION, fault: 'error', code: 'MissingParameter' });
    const r = await status();
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('MissingParameter');
  });

  test('RequestLimitExceeded on every attempt answers 429 with Retry-After, after the client\'s backoff', async () => {
    emu.inject({ action: ACTION, fault: 'error', code: 'RequestLimitExceeded', times: Infinity });
    const { result: r, requests } = await emulatorSaw(status);
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(r.body.error).toMatchObject({ code: 'RequestLimitExceeded', category: 'throttled' });
    expect(requests.map((q) => q.code)).toEqual(Array(6).fill('RequestLimitExceeded')); // the client's 6 throttled attempts
  });

  test('InternalError on every attempt answers 502 after the client\'s bounded retries (3 attempts)', async () => {
    emu.inject({ action: ACTION, fault: 'error', code: 'InternalError', times: Infinity });
    const { result: r, requests } = await emulatorSaw(status);
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({ code: 'InternalError', category: 'retryable' });
    expect(requests.map((q) => q.code)).toEqual(['InternalError', 'InternalError', 'InternalError']);
  });

  test('one InternalError is retried away: 200', async () => {
    emu.inject({ action: ACTION, fault: 'error', code: 'InternalError', times: 1 });
    const r = await status();
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('COLLECTING');
  });

  test.each([
    ['HTTP 500 from the emulator', 502, 'Bridge.UpstreamHttpError', 'http500'],
    ['a reset connection', 503, 'Bridge.NetworkError', 'reset'],
    ['a body that is not JSON', 502, 'Bridge.BadResponseBody', 'badBody'],
    ['a JSON body without Response', 502, 'Bridge.EmptyResponse', 'emptyBody'],
  ] as const)('%s answers %i %s after 3 attempts', async (_what, httpStatus, code, fault) => {
    emu.inject({ action: ACTION, fault, times: Infinity });
    const { result: r, requests } = await emulatorSaw(status);
    expect(requests).toHaveLength(3); // the client's bounded retries
    expect(r.status).toBe(httpStatus);
    expect(r.body.error.code).toBe(code);
  });

  test('latency beyond TENCENT_TIMEOUT_MS (500 ms) answers 504 Bridge.Timeout', async () => {
    emu.inject({ action: ACTION, fault: 'latency', ms: 900, times: Infinity });
    const mark = emu.requests().length;
    const started = Date.now();
    const r = await status();
    expect(r.status).toBe(504);
    expect(r.body.error.code).toBe('Bridge.Timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
    // The emulator still answers each delayed attempt (to a closed socket): let all 3 land before the next test.
    await until(() => emu.requests().length - mark >= 3, 3_000);
  });

  test('an unknown code answers 502 with the code passed through', async () => {
    emu.inject({ action: ACTION, fault: 'error', code: 'Weird.NewFailure', message: 'something new', times: Infinity });
    const { result: r, requests } = await emulatorSaw(status);
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({ code: 'Weird.NewFailure', category: 'internal' });
    expect(requests).toHaveLength(1); // never retried
  });

  test('a revoked key (UnauthorizedOperation) answers 502 without the secret', async () => {
    emu.revoke(EMULATOR_CREDENTIALS.secretId);
    try {
      const r = await status();
      expect(r.status).toBe(502);
      expect(r.body.error).toMatchObject({ code: 'UnauthorizedOperation', category: 'auth' });
      expect(r.raw.body).not.toContain(EMULATOR_CREDENTIALS.secretKey);
    } finally {
      emu.restore(EMULATOR_CREDENTIALS.secretId);
    }
  });
});

describe('a wrong secret key (AuthFailure.SignatureFailure)', () => {
  beforeAll(() => configure({ TENCENTCLOUD_SECRET_KEY: WRONG_SECRET_KEY, STATE_STORE: 'memory:' }));
  afterAll(() => configure());

  test.each(TRIGGER_SHAPES)('answers 502 AuthFailure.SignatureFailure, and the body holds neither key (%s event)', async (shape) => {
    const { result: r, requests } = await emulatorSaw(() => get(shape, `/v1/status/port/${COLLECTING}`));
    expect(requests.map((q) => q.code)).toEqual(['AuthFailure.SignatureFailure']);
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({ code: 'AuthFailure.SignatureFailure', category: 'auth' });
    expect(r.raw.body).not.toContain(WRONG_SECRET_KEY);
    expect(r.raw.body).not.toContain(EMULATOR_CREDENTIALS.secretKey);
  });

  test('GET /v1/status/{uuid} answers 502 with the shared code', async () => {
    const r = await get('apigw', `/v1/status/${COLLECTING}`);
    expect(r.status).toBe(502);
    expect(r.body.error.code).toBe('AuthFailure.SignatureFailure');
  });
});

describe.each(TRIGGER_SHAPES)('auth, routing and validation (%s event)', (shape) => {
  test('no Authorization header is 401 with WWW-Authenticate: Bearer', async () => {
    const r = await get(shape, '/v1/watches', { token: null });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(r.body.error.code).toBe('unauthorized');
  });

  test('a wrong token is 401 invalid_token', async () => {
    const r = await get(shape, '/v1/watches', { token: WRONG_TOKEN });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  test('a malformed Authorization header is 401', async () => {
    const r = await invoke(shape, { method: 'GET', path: '/v1/watches', headers: { Authorization: `Basic ${TOKEN}` } }, { token: null });
    expect(r.status).toBe(401);
  });

  test('the second token of API_TOKENS is accepted', async () => {
    const r = await get(shape, '/v1/watches', { token: SECOND_TOKEN });
    expect(r.status).toBe(200);
  });

  test('an unknown route is 404 with a token, and 401 without one', async () => {
    expect((await get(shape, '/v1/nothing')).status).toBe(404);
    expect((await get(shape, '/v1/nothing', { token: null })).status).toBe(401);
  });

  test('a wrong method is 405 with Allow', async () => {
    const r = await invoke(shape, { method: 'POST', path: '/v1/watches' });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET');
    const health = await invoke(shape, { method: 'DELETE', path: '/healthz' }, { token: null });
    expect(health.status).toBe(405);
  });

  test('an unknown kind is 400 naming the field kind', async () => {
    const r = await get(shape, `/v1/status/disk/${COLLECTING}`);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid_kind', field: 'kind' });
  });

  test.each([
    ['/v1/status/process/not-a-uuid'],
    ['/v1/status/port/6b6cd843-6bc1-4011-a74c'],
    ['/v1/status/process'],
    ['/v1/status/12345'],
    ['/v1/agents/zzz'],
  ])('GET %s is 400 naming the field uuid, without a CWP call', async (p) => {
    const { result: r, requests } = await emulatorSaw(() => get(shape, p));
    expect(requests).toEqual([]);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid_uuid', ...UUID_ERROR_FIELD });
  });

  test('PUT /v1/watches with a bad uuid is 400 naming uuid', async () => {
    const r = await invoke(shape, { method: 'PUT', path: '/v1/watches/nope' });
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('uuid');
  });

  test('a body over 64 KiB is 413 payload_too_large', async () => {
    const r = await invoke(shape, { method: 'PUT', path: `/v1/watches/${randomUUID()}`, body: JSON.stringify({ kinds: ['process'], pad: 'x'.repeat(70 * 1024) }) });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('payload_too_large');
  });
});

describe('the same request through either trigger gets the same answer', () => {
  const calls: Array<[string, HttpCall, InvokeOptions]> = [
    ['healthz', { method: 'GET', path: '/healthz' }, { token: null }],
    ['status COLLECTING', { method: 'GET', path: `/v1/status/process/${COLLECTING}` }, {}],
    ['status AGENT_OFFLINE (port)', { method: 'GET', path: `/v1/status/port/${OFFLINE}` }, {}],
    ['status NO_TASK', { method: 'GET', path: `/v1/status/port/${NO_TASK}` }, {}],
    ['status UNKNOWN_AGENT', { method: 'GET', path: `/v1/status/process/${UNKNOWN}` }, {}],
    ['both kinds', { method: 'GET', path: `/v1/status/${HALF}` }, {}],
    ['agent', { method: 'GET', path: `/v1/agents/${ENV_AGENT}` }, {}],
    ['watches', { method: 'GET', path: '/v1/watches' }, {}],
    ['dead letters', { method: 'GET', path: '/v1/deliveries', query: { status: 'dead', limit: '5' } }, {}],
    ['bad limit', { method: 'GET', path: '/v1/deliveries', query: { limit: '501' } }, {}],
    ['replay nothing', { method: 'POST', path: '/v1/deliveries/replay', body: '{"eventIds":["nope"]}' }, {}],
    ['409', { method: 'PUT', path: `/v1/watches/${ENV_AGENT}` }, {}],
    ['401', { method: 'GET', path: '/v1/watches' }, { token: WRONG_TOKEN }],
    ['404', { method: 'GET', path: '/nope' }, {}],
    ['405', { method: 'PATCH', path: `/v1/watches/${ENV_AGENT}` }, {}],
    ['400 kind', { method: 'GET', path: `/v1/status/proc/${COLLECTING}` }, {}],
    ['400 body', { method: 'PUT', path: `/v1/watches/${UNKNOWN}`, body: '{"kinds":"port"}' }, {}],
    ['413', { method: 'PUT', path: `/v1/watches/${UNKNOWN}`, body: 'x'.repeat(64 * 1024 + 1) }, {}],
  ];

  test.each(calls)('%s', async (_name, call, options) => {
    const a = await invoke('apigw', call, options);
    const b = await invoke('function-url', call, options);
    expect(b.status).toBe(a.status);
    expect(comparable(b.body)).toEqual(comparable(a.body));
    const h = (r: ParsedResponse) => ({ ...r.headers, 'x-request-id': undefined });
    expect(h(b)).toEqual(h(a));
  });

  test('an upstream error maps the same way through both', async () => {
    await configure(); // a fresh runtime: the calls above have spent much of the token's request budget
    emu.inject({ action: 'DescribeOpenPortTaskStatus', fault: 'error', code: 'InvalidParameter.InvalidFormat', times: 2 });
    const a = await get('apigw', `/v1/status/port/${COLLECTING}`);
    const b = await get('function-url', `/v1/status/port/${COLLECTING}`);
    expect([a.status, b.status]).toEqual([400, 400]);
    expect(comparable(b.body)).toEqual(comparable(a.body));
  });
});

describe('a bad configuration', () => {
  afterAll(() => configure());

  test.each(TRIGGER_SHAPES)('API_TOKENS unset: /healthz is 503 config_invalid listing API_TOKENS (%s event)', async (shape) => {
    await configure({ API_TOKENS: undefined });
    const r = await get(shape, '/healthz', { token: null });
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ status: 'config_invalid', variables: ['API_TOKENS'], error: { code: 'config_invalid' } });
    expect(r.body.problems).toEqual([expect.stringMatching(/^API_TOKENS: /)]);
  });

  test.each(TRIGGER_SHAPES)('API_TOKENS unset: every other route is 503 config_invalid, even with a token (%s event)', async (shape) => {
    await configure({ API_TOKENS: undefined });
    for (const p of ['/v1/watches', `/v1/status/process/${COLLECTING}`, '/v1/nothing']) {
      const r = await get(shape, p);
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('config_invalid');
      expect(r.body.error.message).toContain('API_TOKENS');
    }
  });

  test('several bad variables are all listed, their values hidden', async () => {
    await configure({ API_TOKENS: undefined, TENCENT_TIMEOUT_MS: 'soon', WATCH_UUIDS: 'not-a-uuid', TENCENTCLOUD_SECRET_KEY: undefined });
    const r = await get('apigw', '/healthz', { token: null });
    expect(r.status).toBe(503);
    expect([...r.body.variables].sort()).toEqual(['API_TOKENS', 'TENCENTCLOUD_SECRET_KEY', 'TENCENT_TIMEOUT_MS', 'WATCH_UUIDS']);
    expect(r.raw.body).not.toContain('not-a-uuid');
  });

  test('once the variable is fixed the next invocation starts normally', async () => {
    await configure({ API_TOKENS: undefined });
    expect((await get('apigw', '/healthz', { token: null })).status).toBe(503);
    process.env.API_TOKENS = TOKEN;
    expect((await get('apigw', '/healthz', { token: null })).status).toBe(200);
  });
});

describe('each function validates only what it uses', () => {
  afterAll(() => configure());

  test('the poll function sweeps with API_TOKENS=short (an api-only setting)', async () => {
    await configure({ API_TOKENS: 'short' });
    const summary = await pollHandler(TIMER_FIXTURE, scfContext({ remainingMs: 4_000 }));
    expect(summary.outcome).toBe('ok');
    expect(summary.checked).toBeGreaterThan(0);
  });

  test.each(TRIGGER_SHAPES)('the api function answers /v1/agents with a broken WEBHOOK_URLS (a poll-only setting) (%s event)', async (shape) => {
    await configure({ WEBHOOK_URLS: 'http://hooks.example.com/x,not a url', WEBHOOK_SECRET: 'not-whsec' });
    const r = await get(shape, `/v1/agents/${ENV_AGENT}`);
    expect(r.status).toBe(200);
    expect((await get(shape, '/healthz', { token: null })).status).toBe(200);
  });

  test('a shared setting (the state store) still stops the api function, naming it', async () => {
    await configure({ STATE_STORE: 'mysql://db' });
    const r = await get('apigw', '/healthz', { token: null });
    expect(r.status).toBe(503);
    expect(r.body.variables).toEqual(['STATE_STORE']);
  });

  test('a shared setting (the state store) still stops the poll function, naming it', async () => {
    await configure({ STATE_STORE: 'mysql://db' });
    await expect(pollHandler(TIMER_FIXTURE, scfContext({ remainingMs: 4_000 }))).rejects.toThrow(/STATE_STORE/);
  });
});

describe('logs', () => {
  test('each invocation logs one JSON access line with its request id, and no query values', async () => {
    const mark = stdout.lines().length;
    const apigwId = randomUUID();
    const urlId = randomUUID();
    await get('apigw', '/v1/deliveries', { requestId: apigwId }, { status: 'dead', limit: '7' });
    await get('function-url', '/v1/deliveries', { requestId: urlId, context: scfContext({ requestId: urlId }) }, { status: 'dead', limit: '7' });
    const lines = stdout.since(mark).map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = lines.filter((l) => l.msg === 'request');
    expect(access).toEqual([
      expect.objectContaining({ level: 'info', fn: 'api', method: 'GET', path: '/v1/deliveries', status: 200, requestId: apigwId }),
      expect.objectContaining({ level: 'info', fn: 'api', method: 'GET', path: '/v1/deliveries', status: 200, requestId: urlId }),
    ]);
    expect(stdout.since(mark).join('\n')).not.toContain('limit');
  });

  test('every line written during these tests is JSON, and none holds the secret key, a bearer token or the webhook secret', () => {
    const lines = stdout.lines();
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    expect(linesContaining(lines, SECRETS)).toEqual([]);
    // The failures above were logged, with their codes.
    expect(lines.some((l) => l.includes('AuthFailure.SignatureFailure'))).toBe(true);
    expect(lines.some((l) => l.includes('"status":502'))).toBe(true);
  });
});
