// The shipped code as SCF runs it: dist/scf.zip unzipped, and each invocation a child process that requires
// `api.js` or `poll.js` from it and awaits `main_handler(event, context)` with the real fixture events. The
// emulator and a verifying webhook receiver run in this process on random loopback ports; the state store is
// a file store shared by the children, as /tmp is shared by invocations of one SCF instance.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../../dev/emulator';
import type { SweepSummary } from '../../lib/types';
import type { CloudEvent } from '../../lib/events/types';
import type { ScfHttpResponse } from '../../lib/scf/types';
import { ensureBuilt, invokeInChild, unzipInto, ZIP_PATH, type ChildResult } from '../helpers/scf-bundle';
import { apigwEvent, functionUrlEvent, TIMER_FIXTURE, type HttpCall } from '../helpers/scf-events';
import { linesContaining } from '../helpers/scf-logs';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { eventSchemaProblems } from '../helpers/event-schema';
import { statusData } from '../helpers/events';

const TOKEN = `tok_${randomBytes(16).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const SECRETS = [EMULATOR_CREDENTIALS.secretKey, TOKEN, WEBHOOK_SECRET];

const ACTIVE = randomUUID(); // process COLLECTING (then COMPLETE), port COMPLETE
const OFFLINE = randomUUID(); // agent offline
const UNKNOWN = randomUUID(); // watched, unknown to CWP

let emu: Emulator;
let receiver: WebhookReceiver;
let work: string;
let bundleDir: string;
let entries: string[];
let env: Record<string, string>;

beforeAll(async () => {
  await ensureBuilt();
  const zip = readFileSync(ZIP_PATH); // read at once: the bytes this test runs, whatever rebuilds dist/ later
  work = mkdtempSync(path.join(tmpdir(), 'cwp-scf-bundle-'));
  bundleDir = path.join(work, 'code');
  entries = unzipInto(zip, bundleDir);

  emu = await startEmulator({ quiet: true });
  receiver = await WebhookReceiver.start(WEBHOOK_SECRET);
  emu.startTask(ACTIVE, 'process', { collectMs: 3_600_000 });
  emu.script(ACTIVE, 'port', [{ atMs: 0, state: 'COMPLETE' }]);
  emu.addAgent(OFFLINE, { online: false });

  env = {
    TENCENTCLOUD_RUNENV: 'SCF',
    TENCENTCLOUD_SECRET_ID: EMULATOR_CREDENTIALS.secretId,
    TENCENTCLOUD_SECRET_KEY: EMULATOR_CREDENTIALS.secretKey,
    CWP_ENDPOINT: emu.url,
    STATE_STORE: `file:${path.join(work, 'state')}`,
    WATCH_UUIDS: [ACTIVE, OFFLINE, UNKNOWN].join(','),
    WEBHOOK_URLS: receiver.url,
    WEBHOOK_SECRET,
    API_TOKENS: TOKEN,
    SWEEP_BUDGET_MS: '3000',
    POLL_COLLECTING_SECONDS: '1',
    // The runs count status events; incidents are test/integration/alerts.test.ts's.
    ALERT_TYPES: 'none',
  };
}, 120_000);

afterAll(async () => {
  await emu?.close();
  await receiver?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const api = (event: unknown, requestId: string, extraEnv: Record<string, string | undefined> = {}) =>
  invokeInChild({ dir: bundleDir, fn: 'api', event, context: { request_id: requestId, function_name: 'cwp-task-bridge-api', remainingMs: 15_000 }, env: withEnv(extraEnv) });

const poll = (requestId: string, extraEnv: Record<string, string | undefined> = {}) =>
  invokeInChild({ dir: bundleDir, fn: 'poll', event: TIMER_FIXTURE, context: { request_id: requestId, function_name: 'cwp-task-bridge-poll', remainingMs: 15_000 }, env: withEnv(extraEnv) });

function withEnv(extra: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = { ...env };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

const authed = (call: HttpCall): HttpCall => ({ ...call, headers: { ...(call.headers ?? {}), Authorization: `Bearer ${TOKEN}` } });

function httpResult(r: ChildResult): { status: number; headers: Record<string, string>; body: Record<string, any> } {
  expect(r.error).toBeNull();
  const res = r.result as ScfHttpResponse;
  expect(Object.keys(res).sort()).toEqual(['body', 'headers', 'isBase64Encoded', 'statusCode']);
  return { status: res.statusCode, headers: res.headers, body: JSON.parse(res.body) };
}

/** The child's stdout is JSON lines, none holding a secret. */
function logRecords(r: ChildResult): Record<string, unknown>[] {
  expect(linesContaining(r.lines, SECRETS)).toEqual([]);
  return r.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('dist/scf.zip holds exactly poll.js and api.js at its root: no maps, no node_modules', () => {
  expect([...entries].sort()).toEqual(['api.js', 'poll.js']);
});

test('api.js answers GET /healthz (API Gateway event) 200, warning that a file store does not survive SCF instances', async () => {
  const requestId = randomUUID();
  const r = await api(apigwEvent({ method: 'GET', path: '/healthz' }, requestId), randomUUID());
  const res = httpResult(r);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'ok', durable: false, lastSweep: null });
  expect(res.body.warnings).toEqual([expect.stringContaining('does not survive across SCF instances')]);
  expect(res.headers['x-request-id']).toBe(requestId);

  const logs = logRecords(r);
  expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', fn: 'api', msg: expect.stringContaining('STATE_STORE does not survive') }));
  expect(logs).toContainEqual(expect.objectContaining({ msg: 'request', method: 'GET', path: '/healthz', status: 200, requestId }));
});

test('api.js maps a live status (Function URL event): COLLECTING 200, an unknown agent 404 UNKNOWN_AGENT', async () => {
  const requestId = randomUUID();
  const r = await api(functionUrlEvent(authed({ method: 'GET', path: `/v1/status/process/${ACTIVE}` })), requestId);
  const res = httpResult(r);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ uuid: ACTIVE, kind: 'process', state: 'COLLECTING' });
  expect(res.headers['x-request-id']).toBe(requestId);
  expect(logRecords(r)).toContainEqual(expect.objectContaining({ msg: 'request', status: 200, requestId }));

  const unknown = httpResult(await api(apigwEvent(authed({ method: 'GET', path: `/v1/status/port/${UNKNOWN}` })), randomUUID()));
  expect(unknown.status).toBe(404);
  expect(unknown.body).toMatchObject({ state: 'UNKNOWN_AGENT', error: { code: 'unknown_agent' } });
});

test('api.js without API_TOKENS answers /healthz 503 naming the variable', async () => {
  const res = httpResult(await api(functionUrlEvent({ method: 'GET', path: '/healthz' }), randomUUID(), { API_TOKENS: undefined }));
  expect(res.status).toBe(503);
  expect(res.body).toMatchObject({ status: 'config_invalid', variables: ['API_TOKENS'] });
});

test('api.js serves the console at /ui/ from the files packed in it (no esbuild in the bundle), with its CSP', async () => {
  expect(readFileSync(path.join(bundleDir, 'api.js'), 'utf8')).not.toMatch(/require\("esbuild"\)/);
  const page = (await api(functionUrlEvent({ method: 'GET', path: '/ui/' }), randomUUID())).result as ScfHttpResponse;
  expect(page.statusCode).toBe(200);
  expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  const script = /src="(app\.[0-9a-f]{10}\.js)"/.exec(page.body)?.[1];
  expect(script).toBeDefined();
  const js = (await api(functionUrlEvent({ method: 'GET', path: `/ui/${script}` }), randomUUID())).result as ScfHttpResponse;
  expect([js.statusCode, js.headers['content-type'], js.headers['cache-control']]).toEqual([200, 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable']);
  expect(js.body).toContain('/v1/whoami');
});

describe('poll.js on the timer event', () => {
  const published = (): CloudEvent[] => [...receiver.events.values()];

  test('the first run checks every watched key and publishes each first state once', async () => {
    const requestId = randomUUID();
    const r = await poll(requestId);
    expect(r.error).toBeNull();
    const summary = r.result as SweepSummary;
    expect(summary).toMatchObject({ requestId, outcome: 'ok', changed: 6, published: 6, failed: 0, outboxLeft: 0, deadLetters: 0 });
    expect(summary.checked).toBeGreaterThanOrEqual(6);
    expect(summary.tookMs).toBeLessThan(5_000);

    const states = Object.fromEntries(published().map((e) => [e.subject, [statusData(e).previous, statusData(e).state]]));
    expect(states).toEqual({
      [`${ACTIVE}/process`]: [null, 'COLLECTING'],
      [`${ACTIVE}/port`]: [null, 'COMPLETE'],
      [`${OFFLINE}/process`]: [null, 'AGENT_OFFLINE'],
      [`${OFFLINE}/port`]: [null, 'AGENT_OFFLINE'],
      [`${UNKNOWN}/process`]: [null, 'UNKNOWN_AGENT'],
      [`${UNKNOWN}/port`]: [null, 'UNKNOWN_AGENT'],
    });
    expect(receiver.duplicates).toBe(0);
    expect(receiver.unverified).toBe(0);
    expect(published().map(eventSchemaProblems).filter((p) => p.length > 0)).toEqual([]);

    const logs = logRecords(r);
    const summaryLine = logs.find((l) => l.msg === 'sweep summary');
    expect(summaryLine).toMatchObject({ level: 'info', fn: 'poll', requestId, checked: summary.checked, changed: 6 });
    for (const l of logs.filter((x) => x.msg === 'state changed')) expect(l.requestId).toBe(requestId);
  });

  test('the next run publishes only what changed: the collection COMPLETE, pointing at DescribeProcesses', async () => {
    emu.script(ACTIVE, 'process', [{ atMs: 0, state: 'COMPLETE' }]);
    const before = receiver.uniqueCount;
    const requestId = randomUUID();
    const r = await poll(requestId);
    expect(r.error).toBeNull();
    expect(r.result).toMatchObject({ requestId, outcome: 'ok', changed: 1, published: 1, failed: 0 });
    const fresh = published().slice(before);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({
      type: 'com.tencentcloud.cwp.task.status.changed',
      subject: `${ACTIVE}/process`,
      data: { previous: 'COLLECTING', state: 'COMPLETE', severity: 'info', next: 'DescribeProcesses', requestId: expect.any(String) },
    });
    expect(logRecords(r).find((l) => l.msg === 'sweep summary')).toMatchObject({ requestId, changed: 1 });
  });

  test('api.js reads what poll.js recorded from the shared file store, and /healthz shows the last sweep', async () => {
    const agent = httpResult(await api(apigwEvent(authed({ method: 'GET', path: `/v1/agents/${ACTIVE}` })), randomUUID()));
    expect(agent.status).toBe(200);
    expect(agent.body.tasks).toMatchObject({ process: { state: 'COMPLETE', version: 2 }, port: { state: 'COMPLETE', version: 1 } });
    const health = httpResult(await api(functionUrlEvent({ method: 'GET', path: '/healthz' }), randomUUID()));
    expect(health.body).toMatchObject({ status: 'ok', lastSweep: { outcome: 'ok', changed: 1 } });
  });

  test('api.js answers the history, the overview and /metrics (lib/metrics, a deferred module of the bundle)', async () => {
    const events = httpResult(await api(functionUrlEvent(authed({ method: 'GET', path: '/v1/events', query: { uuid: ACTIVE } })), randomUUID()));
    expect(events.status).toBe(200);
    expect(events.body.events.length).toBeGreaterThanOrEqual(2);
    const overview = httpResult(await api(functionUrlEvent(authed({ method: 'GET', path: '/v1/overview' })), randomUUID()));
    expect(overview.status).toBe(200);
    expect(overview.body.lastSweep).toMatchObject({ outcome: 'ok' });
    const r = await api(functionUrlEvent(authed({ method: 'GET', path: '/metrics' })), randomUUID());
    expect(r.error).toBeNull();
    const res = r.result as ScfHttpResponse;
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('cwp_bridge_last_sweep_outcome{outcome="ok"} 1');
  });

  test('with a bad configuration poll.js fails the invocation and logs one JSON line naming the variable', async () => {
    const requestId = randomUUID();
    const r = await poll(requestId, { WATCH_UUIDS: 'not-a-uuid' });
    expect(r.result).toBeNull();
    expect(r.error).toContain('WATCH_UUIDS');
    expect(logRecords(r)).toEqual([expect.objectContaining({ level: 'error', msg: 'poll cannot start', requestId, problems: [expect.stringMatching(/^WATCH_UUIDS: /)] })]);
  });
});
