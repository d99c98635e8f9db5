// Webhook delivery end to end: MemoryStateStore + drainOutbox + WebhookSink + a real verifying receiver on
// 127.0.0.1. The drain's clock is injected and advanced between drains; nothing sleeps for backoff.
import { randomBytes } from 'node:crypto';
import { createLogger, silentLogger } from '../../lib/log';
import { BACKOFF_CAP_MS, drainOutbox, type DrainOptions } from '../../lib/sinks/deliver';
import { CLOUDEVENTS_JSON, GONE_REASON, WebhookSink } from '../../lib/sinks/webhook';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { enqueue, T0 } from '../helpers/outbox-fixtures';
import type { CloudEvent } from '../../lib/events/types';
import { WebhookReceiver } from '../helpers/webhook-receiver';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
/** Generous, so a loaded CI machine never turns a scripted answer into a timeout... */
const TIMEOUT_MS = 3000;
/** ...except in the timeout test, whose receiver answers long after this. */
const SHORT_TIMEOUT_MS = 200;
const UUID_A = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const UUID_B = '0f2e8a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b';


const receivers: WebhookReceiver[] = [];
async function receiver(): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start(SECRET);
  receivers.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const sinkFor = (r: WebhookReceiver) => new WebhookSink({ url: r.url, secret: SECRET, timeoutMs: TIMEOUT_MS, concurrency: 4 });

/** A drain clock: random 0 makes each backoff exactly 75 % of its ceiling (7.5 s after the first failure). */
function harness(store: MemoryStateStore) {
  const clock = { t: T0 };
  const drain = (sinks: WebhookSink[], extra: Partial<DrainOptions> = {}) =>
    drainOutbox(store, sinks, { maxAttempts: 12, now: () => clock.t, random: () => 0, logger: silentLogger, ...extra });
  return { clock, drain };
}

/** Every request verified, and every event accepted exactly once (none twice). */
function expectExactlyOnce(r: WebhookReceiver, events: CloudEvent[]) {
  expect(r.unverified).toBe(0);
  expect(r.duplicates).toBe(0);
  expect([...r.accepted.keys()].sort()).toEqual(events.map((e) => e.id).sort());
  for (const e of events) expect(r.events.get(e.id)).toEqual(e);
}

test('a 500 is retried after the backoff, and the event then arrives once', async () => {
  const store = new MemoryStateStore();
  const r = (await receiver()).respond({ status: 500 });
  const events = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
  const { clock, drain } = harness(store);
  expect(await drain([sinkFor(r)])).toMatchObject({ published: 0, retried: 1, left: 1 });
  expect((await store.listOutbox(1))[0]!.deliveries[sinkFor(r).id]).toMatchObject({ attempts: 1, lastError: 'receiver answered HTTP 500' });
  clock.t += 7_500;
  expect(await drain([sinkFor(r)])).toMatchObject({ published: 1, left: 0 });
  expectExactlyOnce(r, events);
  expect(r.requests.map((q) => q.contentType)).toEqual([CLOUDEVENTS_JSON, CLOUDEVENTS_JSON]);
});

test('a 429 with Retry-After is not retried before the receiver asked', async () => {
  const store = new MemoryStateStore();
  const r = (await receiver()).respond({ status: 429, retryAfter: '120' });
  const events = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
  const { clock, drain } = harness(store);
  await drain([sinkFor(r)]);
  expect((await store.listOutbox(1))[0]!.deliveries[sinkFor(r).id]!.nextAttemptAt).toBe(T0 + 120_000);
  clock.t = T0 + 119_999;
  expect(await drain([sinkFor(r)])).toMatchObject({ published: 0, retried: 0 });
  expect(r.requests).toHaveLength(1);
  clock.t = T0 + 120_000;
  expect(await drain([sinkFor(r)])).toMatchObject({ published: 1, left: 0 });
  expectExactlyOnce(r, events);
});

test('a receiver slower than the timeout is retried, and the late answer does not count', async () => {
  const store = new MemoryStateStore();
  const r = (await receiver()).respond({ status: 200, delayMs: SHORT_TIMEOUT_MS * 4 });
  const events = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
  const { clock, drain } = harness(store);
  const impatient = new WebhookSink({ url: r.url, secret: SECRET, timeoutMs: SHORT_TIMEOUT_MS, concurrency: 1 });
  expect(await drain([impatient])).toMatchObject({ retried: 1 });
  expect((await store.listOutbox(1))[0]!.deliveries[impatient.id]!.lastError).toBe(`no answer within ${SHORT_TIMEOUT_MS} ms (timeout)`);
  await new Promise((res) => setTimeout(res, SHORT_TIMEOUT_MS * 4)); // the slow handler finishes and finds the socket gone
  clock.t += 7_500;
  expect(await drain([sinkFor(r)])).toMatchObject({ published: 1, left: 0 });
  expectExactlyOnce(r, events);
  expect(r.requests[0]!.outcome).toBe('abandoned');
});

test('a connection reset is retried', async () => {
  const store = new MemoryStateStore();
  const r = (await receiver()).respond({ reset: true });
  const events = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
  const { clock, drain } = harness(store);
  expect(await drain([sinkFor(r)])).toMatchObject({ retried: 1 });
  expect((await store.listOutbox(1))[0]!.deliveries[sinkFor(r).id]!.lastError).toMatch(/^connection failed: /);
  clock.t += 7_500;
  expect(await drain([sinkFor(r)])).toMatchObject({ published: 1 });
  expectExactlyOnce(r, events);
});

test('a receiver down for several drains gets every event once, in order per subject, when it is back', async () => {
  const store = new MemoryStateStore();
  const r = await receiver();
  const port = new URL(r.url).port;
  await r.down();
  const events = [...(await enqueue(store, UUID_A, 'process', ['COLLECTING', 'COMPLETE'])), ...(await enqueue(store, UUID_B, 'port', ['COLLECTING']))];
  const { clock, drain } = harness(store);
  for (let i = 0; i < 4; i++) {
    const res = await drain([sinkFor(r)]);
    expect(res.published).toBe(0);
    expect(res.left).toBe(3);
    clock.t += BACKOFF_CAP_MS;
  }
  const pending = (await store.listOutbox(10)).map((e) => e.deliveries[sinkFor(r).id]);
  // The COMPLETE of UUID_A was never tried: it waits behind its subject's COLLECTING.
  expect(pending.map((d) => d?.attempts ?? 0)).toEqual([4, 0, 4]);
  expect(pending[0]!.lastError).toMatch(/ECONNREFUSED/);

  await r.up();
  expect(new URL(r.url).port).toBe(port);
  expect(await drain([sinkFor(r)])).toMatchObject({ published: 3, left: 0 });
  expectExactlyOnce(r, events);
  const order = r.requests.map((q) => q.id);
  expect(order.indexOf(events[0]!.id)).toBeLessThan(order.indexOf(events[1]!.id));
});

test('a 410 makes the event a dead letter and disables the URL for the rest of the drain', async () => {
  const store = new MemoryStateStore();
  const r = (await receiver()).otherwise({ status: 410 });
  await enqueue(store, UUID_A, 'process', ['COLLECTING', 'COMPLETE']);
  await enqueue(store, UUID_B, 'port', ['COLLECTING']);
  const { drain } = harness(store);
  const sink = new WebhookSink({ url: r.url, secret: SECRET, timeoutMs: TIMEOUT_MS, concurrency: 1 });
  const res = await drain([sink]);
  expect(res).toMatchObject({ published: 0, dead: 1, left: 2, disabled: [sink.id] });
  expect(r.requests).toHaveLength(1);
  const [letter] = await store.listDeadLetters(10);
  expect(letter).toMatchObject({ sinkId: sink.id, attempts: 1, reason: GONE_REASON });
  expect(GONE_REASON).toContain('remove it from WEBHOOK_URLS');
});

test('a 400 is a dead letter at once, with the status and the start of the body', async () => {
  const store = new MemoryStateStore();
  const r = (await receiver()).respond({ status: 400, body: 'unknown field "subject"\n'.repeat(40) });
  const [event] = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
  const { drain } = harness(store);
  expect(await drain([sinkFor(r)])).toMatchObject({ dead: 1, left: 0 });
  const [letter] = await store.listDeadLetters(10);
  expect(letter!.event).toEqual(event);
  expect(letter!.attempts).toBe(1);
  expect(letter!.reason).toMatch(/^receiver answered HTTP 400: unknown field "subject" unknown field/);
  expect(letter!.reason.length).toBeLessThan(260);
});

test('a receiver whose error page echoes the hook URL: the dead letter\'s reason and the log show it as …', async () => {
  const store = new MemoryStateStore();
  const r = await receiver();
  const seg = `SeCrEt${randomBytes(6).toString('hex')}`;
  const key = `k3y${randomBytes(6).toString('hex')}`;
  const url = `${r.url}/T000/${seg}?key=${key}&team=a%20b`;
  const { pathname, search } = new URL(url);
  r.respond({ status: 404, body: `Cannot POST ${pathname}${search}\nno route for ${url}\n(decoded: ${decodeURIComponent(pathname + search)})` });
  const [event] = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) });
  const { drain } = harness(store);
  const sink = new WebhookSink({ url, secret: SECRET, timeoutMs: TIMEOUT_MS, concurrency: 1 });
  expect(await drain([sink], { logger })).toMatchObject({ dead: 1, left: 0 });
  expect(r.requests).toEqual([expect.objectContaining({ id: event!.id, verified: true, outcome: 404 })]);
  const [letter] = await store.listDeadLetters(10);
  expect(letter!.sinkId).toBe(sink.id); // the store keeps the full id, to deliver a replay to
  expect(letter!.reason).toBe('receiver answered HTTP 404: Cannot POST … no route for … (decoded: …)');
  const logged = lines.join('\n');
  expect(logged).toContain('event is a dead letter for this sink');
  for (const secret of [seg, key, '/T000/']) expect(logged).not.toContain(secret);
});

test('with two receivers and one down, the up one gets each event once, and so does the other when it recovers', async () => {
  const store = new MemoryStateStore();
  const up = await receiver();
  const flaky = await receiver();
  await flaky.down();
  const events = [...(await enqueue(store, UUID_A, 'process', ['COLLECTING', 'COMPLETE'])), ...(await enqueue(store, UUID_B, 'port', ['COLLECTING', 'FAILED']))];
  const { clock, drain } = harness(store);
  for (let i = 0; i < 3; i++) {
    await drain([sinkFor(up), sinkFor(flaky)]);
    clock.t += BACKOFF_CAP_MS;
  }
  expectExactlyOnce(up, events);
  expect(await store.countOutbox()).toBe(4);

  await flaky.up();
  expect(await drain([sinkFor(up), sinkFor(flaky)])).toMatchObject({ published: 4, left: 0 });
  expectExactlyOnce(flaky, events);
  expectExactlyOnce(up, events);
  expect(up.requests).toHaveLength(4);
});

test('a replayed dead letter goes only to the receiver that failed it', async () => {
  const store = new MemoryStateStore();
  const good = await receiver();
  const picky = (await receiver()).respond({ status: 422, body: 'no' });
  const events = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
  const { drain } = harness(store);
  expect(await drain([sinkFor(good), sinkFor(picky)])).toMatchObject({ published: 1, dead: 1, left: 0 });
  expect((await store.listDeadLetters(10)).map((l) => l.sinkId)).toEqual([sinkFor(picky).id]);

  expect(await store.replayDeadLetters(null, T0)).toBe(1);
  expect(await drain([sinkFor(good), sinkFor(picky)])).toMatchObject({ published: 1, dead: 0, left: 0 });
  expectExactlyOnce(good, events);
  expectExactlyOnce(picky, events);
  expect(good.requests).toHaveLength(1);
  expect(await store.countDeadLetters()).toBe(0);
});
