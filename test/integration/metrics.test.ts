// GET /metrics and GET /v1/events end to end: the real poll function sweeps the emulator (real TC3 over HTTP) into a
// file store, then the real api function answers; the Prometheus text is read with a real parser of the format
// (parse-prometheus-text-format) and each value checked against what the store holds after that sweep.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../../dev/emulator';
import { main_handler as apiHandler } from '../../functions/api';
import { main_handler as pollHandler } from '../../functions/poll';
import { ENV } from '../../lib/config';
import { getRuntime, resetRuntimes } from '../../lib/runtime';
import { eventFor, scfContext, TIMER_FIXTURE } from '../helpers/scf-events';
import { captureStdout, type StdoutCapture } from '../helpers/scf-logs';

const TOKEN = `tok_${randomBytes(16).toString('hex')}`;
const FAILED = randomUUID();
const OFFLINE = randomUUID();
const COLLECTING = randomUUID();

let emu: Emulator;
let stdout: StdoutCapture;
let dir: string;
const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  for (const name of ENV) savedEnv[name] = process.env[name];
  stdout = captureStdout();
  emu = await startEmulator({ quiet: true });
  emu.script(FAILED, 'process', [{ atMs: 0, state: 'FAILED' }]);
  emu.script(FAILED, 'port', [{ atMs: 0, state: 'FAILED' }]);
  emu.addAgent(OFFLINE, { online: false });
  emu.startTask(COLLECTING, 'process', { collectMs: 3_600_000 });
  dir = mkdtempSync(path.join(tmpdir(), 'cwp-metrics-'));
  await resetRuntimes();
  for (const name of ENV) delete process.env[name];
  Object.assign(process.env, {
    TENCENTCLOUD_SECRET_ID: EMULATOR_CREDENTIALS.secretId,
    TENCENTCLOUD_SECRET_KEY: EMULATOR_CREDENTIALS.secretKey,
    CWP_ENDPOINT: emu.url,
    TDMQ_ENDPOINT: emu.url,
    STATE_STORE: `file:${dir}`,
    API_TOKENS: `scraper:metrics+read:${TOKEN}`,
    WATCH_UUIDS: [FAILED, OFFLINE, COLLECTING].join(','),
    WATCH_KINDS: 'process,port',
    SWEEP_BUDGET_MS: '1500',
    LOG_LEVEL: 'warn',
    ALERT_OFFLINE_FOR: '0',
  });
});

afterAll(async () => {
  await resetRuntimes();
  await emu?.close();
  stdout?.restore();
  for (const name of ENV) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  rmSync(dir, { recursive: true, force: true });
});

async function get(p: string, query?: Record<string, string>) {
  return apiHandler(eventFor('function-url', { method: 'GET', path: p, headers: { Authorization: `Bearer ${TOKEN}` }, ...(query ? { query } : {}) }), scfContext());
}

/** The samples of one family as `labels -> value` (labels as `k=v,k=v`, sorted). */
function samples(text: string, name: string): Map<string, number> {
  const family = parsePrometheusTextFormat(text).find((f) => f.name === name);
  const out = new Map<string, number>();
  for (const m of family?.metrics ?? []) out.set(Object.entries(m.labels ?? {}).sort().map(([k, v]) => `${k}=${v}`).join(','), Number(m.value));
  return out;
}

test('after a sweep against the emulator, /metrics reports what the store holds', async () => {
  const summary = await pollHandler(TIMER_FIXTURE, scfContext({ remainingMs: 5_000 }));
  expect(summary.checked).toBeGreaterThan(0);
  const { store } = await getRuntime('poll');
  const r = await get('/metrics');
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toBe('text/plain; version=0.0.4');
  const text = r.body;

  // Keys by kind and state: the records the sweep wrote.
  const keys = samples(text, 'cwp_bridge_keys');
  const records = (await Promise.all([FAILED, OFFLINE, COLLECTING].map((u) => store.getRecordsForAgent(u)))).flat();
  for (const rec of records) expect(keys.get(`kind=${rec.kind},state=${rec.state}`)).toBeGreaterThanOrEqual(1);
  const total = [...keys.values()].reduce((a, b) => a + b, 0);
  expect(total).toBe(6);
  expect(keys.get('kind=process,state=FAILED')).toBe(1);
  expect(keys.get('kind=port,state=AGENT_OFFLINE')).toBe(1);
  expect(samples(text, 'cwp_bridge_agents_offline').get('')).toBe(1);

  // The last sweep, as stored.
  const last = (await store.getLastSweep())!;
  expect(samples(text, 'cwp_bridge_last_sweep_outcome').get(`outcome=${last.outcome}`)).toBe(1);
  expect(samples(text, 'cwp_bridge_last_sweep_outcome').get('outcome=auth')).toBe(last.outcome === 'auth' ? 1 : 0);
  expect(samples(text, 'cwp_bridge_last_sweep_duration_seconds').get('')).toBe(last.tookMs / 1000);
  expect(samples(text, 'cwp_bridge_last_sweep_timestamp_seconds').get('')).toBe(Date.parse(last.startedAt) / 1000);

  // The counters: one event published per status change, one request counted per status call.
  const published = samples(text, 'cwp_bridge_events_published_total');
  const history = (await store.searchHistory({ limit: 500 })).events;
  expect(published.get('type=com.tencentcloud.cwp.task.status.changed')).toBe(history.filter((e) => e.type === 'com.tencentcloud.cwp.task.status.changed').length);
  const requests = samples(text, 'cwp_bridge_cwp_requests_total');
  const statusCalls = emu.requests().filter((q) => q.action === 'DescribeProcessTaskStatus').length;
  expect([...requests].filter(([labels]) => labels.startsWith('action=DescribeProcessTaskStatus,')).reduce((a, [, v]) => a + v, 0)).toBe(statusCalls);

  // Incidents: the offline agent's, as the store lists them.
  const incidents = samples(text, 'cwp_bridge_incidents');
  const listed = (await store.listIncidents({ limit: 500 })).incidents;
  for (const i of listed) expect(incidents.get(`state=${i.state},type=${i.type}`)).toBeGreaterThanOrEqual(1);
  expect([...incidents.values()].reduce((a, b) => a + b, 0)).toBe(listed.length);
}, 60_000);

test('/v1/events answers the events the sweep published, newest first, by agent', async () => {
  const r = await get('/v1/events', { uuid: FAILED });
  expect(r.statusCode).toBe(200);
  const body = JSON.parse(r.body) as { events: Array<{ time: string; data: { uuid: string } }>; nextCursor: string | null };
  expect(body.events.length).toBeGreaterThanOrEqual(2);
  for (const e of body.events) expect(e.data.uuid).toBe(FAILED);
  const times = body.events.map((e) => Date.parse(e.time));
  expect([...times].sort((a, b) => b - a)).toEqual(times);
});
