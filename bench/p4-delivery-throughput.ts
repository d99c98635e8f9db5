// P4: delivery throughput of the outbox drain with the real sinks.
// (a) webhook: 5,000 distinct events in a memory store's outbox, drained by the WebhookSink(s) that createSinks
//     builds from WEBHOOK_URLS/WEBHOOK_SECRET (default concurrency and timeout), to a verifying receiver in a
//     child process (so its signature checks do not share the sender's event loop). Goal >= 1,000 events/s,
//     every event received exactly once.
// (b) CMQ: 200 events published to a topic with PublishCmqMsg through the emulator's tdmq and its 20 requests/s
//     limit, paced by the bridge's own rate limiter (TDMQ_RATE_LIMIT 20). Goal >= 95 % of 20/s.
// (c) EventBridge: events put on a bus with PutEvents through the emulator's eb, in calls of 10 (the batch sink
//     path of the drain), paced by EB_RATE_LIMIT: once at 20 calls/s with the emulator enforcing 20/s (goal
//     >= 95 % of 20 × 10 = 200 events/s), once with the defaults (EB_RATE_LIMIT 500, the emulator's 1000/s).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { EB_DEMO_BUS, EB_MAX_EVENTS_PER_CALL, EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../dev/emulator';
import { loadConfig } from '../lib/config';
import { buildStatusChangedEvent } from '../lib/events';
import { createLogger } from '../lib/log';
import { createSinks, drainOutbox, eventBridgeSinks, settingsOf } from '../lib/sinks';
import { MemoryStateStore } from '../lib/state/local/memory';
import type { StateStore } from '../lib/state/store';
import { benchRuntime, report, round } from './common';

// The receiver: verifies every request with standardwebhooks, counts acceptances per webhook-id, answers 204;
// GET /stats reports the counts. Prints its port as the first line.
const RECEIVER = `
const http = require('node:http');
const { Webhook } = require('standardwebhooks');
const wh = new Webhook(process.argv[1]);
const accepted = new Map();
let requests = 0, unverified = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    let duplicates = 0;
    for (const n of accepted.values()) duplicates += n - 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requests, unique: accepted.size, duplicates, unverified }));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    requests++;
    const body = Buffer.concat(chunks).toString('utf8');
    const id = String(req.headers['webhook-id'] || '');
    try {
      const event = wh.verify(body, { 'webhook-id': id, 'webhook-timestamp': String(req.headers['webhook-timestamp'] || ''), 'webhook-signature': String(req.headers['webhook-signature'] || '') });
      if (event.id !== id) throw new Error('id mismatch');
    } catch {
      unverified++;
      res.writeHead(400).end();
      return;
    }
    accepted.set(id, (accepted.get(id) || 0) + 1);
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

interface ReceiverStats {
  requests: number;
  unique: number;
  duplicates: number;
  unverified: number;
}

async function seed(store: StateStore, count: number, source: string): Promise<void> {
  const t = Date.now();
  for (let i = 0; i < count; i++) {
    const uuid = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    const event = buildStatusChangedEvent({ storeId: 'bench-seed', source, uuid, kind: 'process', previous: null, state: 'COMPLETE', version: 1, observedAt: t, requestId: 'p4-seed' });
    const ok = await store.recordChange({ key: { uuid, kind: 'process' }, expectedVersion: 0, state: 'COMPLETE', requestId: 'p4-seed', observedAt: t, nextDue: t + 600_000, event });
    if (!ok) throw new Error(`seed: recordChange conflicted for ${uuid}`);
  }
  if ((await store.countOutbox()) !== count) throw new Error('seed: the outbox does not hold every event');
}

async function webhook(events: number): Promise<void> {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const child = spawn(process.execPath, ['-e', RECEIVER, secret], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [first] = (await once(child.stdout!, 'data')) as [Buffer];
    const origin = `http://127.0.0.1:${first.toString('utf8').trim()}`;
    const config = loadConfig({
      TENCENTCLOUD_SECRET_ID: EMULATOR_CREDENTIALS.secretId,
      TENCENTCLOUD_SECRET_KEY: EMULATOR_CREDENTIALS.secretKey,
      STATE_STORE: 'memory:',
      WEBHOOK_URLS: `${origin}/hook`,
      WEBHOOK_SECRET: secret,
      LOG_LEVEL: 'error',
    });
    const logger = createLogger({ level: 'error', write: () => undefined });
    const sinks = createSinks(config, { tdmq: null, logger });
    const store = new MemoryStateStore();
    await seed(store, events, config.eventSource);

    const started = performance.now();
    const result = await drainOutbox(store, sinks, { maxAttempts: config.delivery.maxAttempts, logger });
    const seconds = (performance.now() - started) / 1000;
    const stats = (await (await fetch(`${origin}/stats`)).json()) as ReceiverStats;
    report('P4a webhook delivery throughput', {
      events,
      published: result.published,
      outboxLeft: result.left,
      retried: result.retried,
      dead: result.dead,
      receivedUnique: stats.unique,
      receivedDuplicates: stats.duplicates,
      unverified: stats.unverified,
      everyEventOnce: stats.unique === events && stats.duplicates === 0 && stats.requests === events,
      concurrency: config.webhook.concurrency,
      seconds: round(seconds, 2),
      eventsPerSecond: Math.round(events / seconds),
      goalPerSecond: 1000,
    });
  } finally {
    child.kill();
  }
}

/** Seeds the outbox with `events`, then times one drain to the runtime's sinks (the emulator's counts reset first). */
async function seedAndDrain(runtime: Awaited<ReturnType<typeof benchRuntime>>, emulator: Emulator, events: number) {
  await seed(runtime.store, events, runtime.config.eventSource);
  emulator.resetStats();
  const started = performance.now();
  const result = await drainOutbox(runtime.store, runtime.sinks, { maxAttempts: runtime.config.delivery.maxAttempts, logger: runtime.logger });
  return { result, seconds: (performance.now() - started) / 1000 };
}

async function cmq(events: number): Promise<void> {
  const emulator = await startEmulator({ quiet: true });
  emulator.createTopic('p4-bench');
  const runtime = await benchRuntime(emulator, { CMQ_TOPIC: 'p4-bench' });
  try {
    const { result, seconds } = await seedAndDrain(runtime, emulator, events);
    const messages = emulator.messages({ topic: 'p4-bench' });
    const ids = new Set(messages.map((m) => (JSON.parse(m.content) as { id: string }).id));
    const stats = emulator.stats().PublishCmqMsg;
    const perSecond = events / seconds;
    report('P4b CMQ delivery throughput', {
      events,
      published: result.published,
      outboxLeft: result.left,
      retried: result.retried,
      messages: messages.length,
      uniqueMessages: ids.size,
      everyEventOnce: messages.length === events && ids.size === events,
      throttledByApi: stats?.throttled ?? 0,
      maxAcceptedInAnyWindow: stats?.maxInAnyWindow ?? 0,
      seconds: round(seconds, 2),
      msgsPerSecond: round(perSecond, 2),
      limitPerSecond: 20,
      utilisationPct: round((100 * perSecond) / 20),
      goalPct: 95,
    });
  } finally {
    await runtime.close();
    await emulator.close();
  }
}

async function eventBridge(events: number, callsPerSecond: number | null): Promise<void> {
  const emulator = await startEmulator({ quiet: true, ...(callsPerSecond === null ? {} : { ebRateLimitPerSecond: callsPerSecond }) });
  const runtime = await benchRuntime(emulator, { EB_EVENT_BUS_ID: EB_DEMO_BUS, EB_ENDPOINT: emulator.url, ...(callsPerSecond === null ? {} : { EB_RATE_LIMIT: String(callsPerSecond) }) });
  try {
    const { result, seconds } = await seedAndDrain(runtime, emulator, events);
    const arrived = emulator.busEvents(EB_DEMO_BUS);
    const ids = new Set(arrived.map((a) => a.event.Id));
    const stats = emulator.stats().PutEvents;
    const limit = settingsOf(runtime.config, eventBridgeSinks)!.rateLimit;
    const perSecond = events / seconds;
    report(`P4c EventBridge delivery throughput (EB_RATE_LIMIT ${limit})`, {
      events,
      published: result.published,
      outboxLeft: result.left,
      retried: result.retried,
      calls: stats?.accepted ?? 0,
      eventsPerCall: round(arrived.length / Math.max(1, stats?.accepted ?? 1), 2),
      everyEventOnce: arrived.length === events && ids.size === events,
      throttledByApi: stats?.throttled ?? 0,
      maxAcceptedCallsInAnyWindow: stats?.maxInAnyWindow ?? 0,
      seconds: round(seconds, 2),
      eventsPerSecond: round(perSecond, 1),
      limitEventsPerSecond: limit * EB_MAX_EVENTS_PER_CALL,
      utilisationPct: round((100 * perSecond) / (limit * EB_MAX_EVENTS_PER_CALL)),
      ...(callsPerSecond === null ? {} : { goalPct: 95 }),
    });
  } finally {
    await runtime.close();
    await emulator.close();
  }
}

export async function p4(webhookEvents = 5_000, cmqEvents = 200, ebEvents = 2_000): Promise<void> {
  await webhook(webhookEvents);
  await cmq(cmqEvents);
  await eventBridge(ebEvents, 20);
  await eventBridge(10_000, null);
}
