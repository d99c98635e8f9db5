// The shipped bundles on a redis:// STATE_STORE. scripts/build.mjs ships ioredis inside each bundle as
// compressed data, compiled only when a Redis store is opened (so other setups do not parse it at cold
// start): this runs dist/scf.zip's poll.js and api.js in child processes, as SCF would, against the real Redis
// (the suite's Redis, db 14, which only this test uses) with the runtime's default key prefix `cwp-bridge`, and
// checks that what poll.js recorded there is what api.js reads. Only keys under that prefix in db 14 are
// deleted (before, in case an earlier run was killed, and after), never the whole database.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../../dev/emulator';
import type { SweepSummary } from '../../lib/types';
import type { ScfHttpResponse } from '../../lib/scf/types';
import { ensureBuilt, invokeInChild, unzipInto, ZIP_PATH } from '../helpers/scf-bundle';
import { functionUrlEvent, TIMER_FIXTURE } from '../helpers/scf-events';
import { linesContaining } from '../helpers/scf-logs';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { testRedisUrl } from '../helpers/redis';

const REDIS_URL = testRedisUrl(14);
const PREFIX = 'cwp-bridge';
const TOKEN = `tok_${randomBytes(16).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const AGENT = randomUUID();

let emu: Emulator;
let receiver: WebhookReceiver;
let redis: Redis;
let work: string;
let bundleDir: string;
let env: Record<string, string>;

async function deleteOurKeys(): Promise<void> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (keys.length > 0) await redis.del(...keys);
}

beforeAll(async () => {
  await ensureBuilt();
  const zip = readFileSync(ZIP_PATH);
  work = mkdtempSync(path.join(tmpdir(), 'cwp-bundle-redis-'));
  bundleDir = path.join(work, 'code');
  unzipInto(zip, bundleDir);

  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await deleteOurKeys();

  emu = await startEmulator({ quiet: true });
  receiver = await WebhookReceiver.start(WEBHOOK_SECRET);
  emu.startTask(AGENT, 'process', { collectMs: 3_600_000 });
  emu.script(AGENT, 'port', [{ atMs: 0, state: 'COMPLETE' }]);

  env = {
    TENCENTCLOUD_RUNENV: 'SCF',
    TENCENTCLOUD_SECRET_ID: EMULATOR_CREDENTIALS.secretId,
    TENCENTCLOUD_SECRET_KEY: EMULATOR_CREDENTIALS.secretKey,
    CWP_ENDPOINT: emu.url,
    STATE_STORE: REDIS_URL,
    WATCH_UUIDS: AGENT,
    WEBHOOK_URLS: receiver.url,
    WEBHOOK_SECRET,
    API_TOKENS: TOKEN,
    SWEEP_BUDGET_MS: '3000',
  };
}, 120_000);

afterAll(async () => {
  if (redis) {
    await deleteOurKeys();
    redis.disconnect();
  }
  await emu?.close();
  await receiver?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the bundles do not carry the state stores (nor ioredis) as code, only as data compiled on demand', () => {
  for (const fn of ['poll', 'api']) {
    const source = readFileSync(path.join(bundleDir, `${fn}.js`), 'utf8');
    // An ioredis option that only ioredis's own source spells out, and Lua of our Redis store.
    expect(source).not.toContain('autoResendUnfulfilledCommands');
    expect(source).not.toContain("redis.call('ZRANGEBYSCORE'");
    // A message only the file store's code has.
    expect(source).not.toContain('is not a state document');
    for (const deferred of ['redis-store.js', 'file-store.js', 'memory-store.js']) expect(source).toContain(deferred);
    // The chat robots' vendor code (a key of the bodies WeCom and DingTalk take) is not code in either bundle.
    expect(source).not.toContain('msgtype');
  }
  expect(readFileSync(path.join(bundleDir, 'poll.js'), 'utf8')).toContain('chat-sinks.js');
});

test('the api bundle carries no sink code: the api function builds no sink and reads no sink setting', () => {
  const source = readFileSync(path.join(bundleDir, 'api.js'), 'utf8');
  // The webhook signature header, the CMQ and EventBridge actions, the chat robots' module, a chat setting.
  for (const sinkOnly of ['webhook-signature', 'PublishCmqMsg', 'PutEvents', 'chat-sinks.js', 'DINGTALK_SECRET']) expect(source).not.toContain(sinkOnly);
});

test('poll.js sweeps into Redis, and api.js reads what it recorded', async () => {
  const requestId = randomUUID();
  const r = await invokeInChild({ dir: bundleDir, fn: 'poll', event: TIMER_FIXTURE, context: { request_id: requestId, function_name: 'cwp-task-bridge-poll', remainingMs: 15_000 }, env });
  expect(r.error).toBeNull();
  expect(r.result as SweepSummary).toMatchObject({ requestId, outcome: 'ok', changed: 2, published: 2, failed: 0, outboxLeft: 0 });
  expect(receiver.uniqueCount).toBe(2);
  expect(linesContaining(r.lines, [EMULATOR_CREDENTIALS.secretKey, TOKEN, WEBHOOK_SECRET])).toEqual([]);
  // It was the Redis store that recorded them (db 14, default prefix).
  expect((await redis.keys(`${PREFIX}:*`)).length).toBeGreaterThan(0);

  const call = (p: string) =>
    invokeInChild({
      dir: bundleDir,
      fn: 'api',
      event: functionUrlEvent({ method: 'GET', path: p, headers: { Authorization: `Bearer ${TOKEN}` } }),
      context: { request_id: randomUUID(), function_name: 'cwp-task-bridge-api', remainingMs: 15_000 },
      env,
    });
  const health = await call('/healthz');
  expect(health.error).toBeNull();
  const h = health.result as ScfHttpResponse;
  expect(h.statusCode).toBe(200);
  expect(JSON.parse(h.body)).toMatchObject({ status: 'ok', durable: true, lastSweep: { outcome: 'ok', changed: 2 } });

  const agent = await call(`/v1/agents/${AGENT}`);
  const a = agent.result as ScfHttpResponse;
  expect(a.statusCode).toBe(200);
  expect(JSON.parse(a.body).tasks).toMatchObject({ process: { state: 'COLLECTING', version: 1 }, port: { state: 'COMPLETE', version: 1 } });
}, 60_000);
