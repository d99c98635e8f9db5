// Chat robots end to end: a real store's outbox, the real drain (drainOutbox), the chat sinks, and local robots
// that verify each vendor's signature and enforce its rate limit with its real answers
// (test/helpers/chat-receivers.ts). One injected clock drives the drain, the budgets and the robots; the tests
// advance it between drains and never sleep. The last test shares one robot's budget through the suite's Redis.
import { randomUUID } from 'node:crypto';
import type { ChatRobotKind } from '../../lib/sinks/chat/settings';
import { silentLogger } from '../../lib/log';
import { LocalRequestBudget, type RequestBudget } from '../../lib/ratelimit/budget';
import { RedisRequestBudget } from '../../lib/ratelimit/redis-budget';
import { buildChatRobotSink } from '../../lib/sinks/chat/build';
import { drainOutbox, type DrainResult } from '../../lib/sinks/deliver';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { RedisStateStore } from '../../lib/state/redis/store';
import type { StateStore } from '../../lib/state/store';
import type { CloudEvent } from '../../lib/events/types';
import { ChatRobotReceiver } from '../helpers/chat-receivers';
import { enqueue, T0 } from '../helpers/outbox-fixtures';
import { testRedisUrl } from '../helpers/redis';

const SECRETS: Record<ChatRobotKind, string | null> = {
  wecom: null,
  dingtalk: 'SECd8f3c1a2b4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f',
  feishu: 'fs0123456789abcdefghij',
  slack: null,
};

const receivers: ChatRobotReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const uuid = (i: number) => `0f2e8a3b-1c4d-4e5f-8a9b-${i.toString(16).padStart(12, '0')}`;

/** `n` agents observed offline in one sweep: n events in the outbox. */
async function offline(store: StateStore, n: number, from = 0): Promise<CloudEvent[]> {
  const out: CloudEvent[] = [];
  for (let i = from; i < from + n; i++) out.push(...(await enqueue(store, uuid(i), 'process', ['AGENT_OFFLINE'])));
  return out;
}

async function setup(kind: ChatRobotKind, budgetOf?: (rate: number, burst: number) => RequestBudget) {
  const store = new MemoryStateStore();
  const clock = { t: T0 };
  const now = () => clock.t;
  const secret = SECRETS[kind];
  const receiver = await ChatRobotReceiver.start(kind, { ...(secret ? { secret } : {}), now });
  receivers.push(receiver);
  const sink = buildChatRobotSink({ kind, url: receiver.url, secret, template: null }, { budget: budgetOf ?? ((r, b) => new LocalRequestBudget(r, b, now)), timeoutMs: 3000, now });
  const drain = () => drainOutbox(store, [sink], { maxAttempts: 12, now, random: () => 0, logger: silentLogger });
  return { store, clock, receiver, sink, drain };
}

/** Drains every `stepMs` of the clock until the outbox is empty (or `maxSteps`); the results of every drain. */
async function drainUntilEmpty(h: Awaited<ReturnType<typeof setup>>, stepMs: number, maxSteps = 2000): Promise<DrainResult[]> {
  const out: DrainResult[] = [];
  for (let i = 0; i < maxSteps; i++) {
    const r = await h.drain();
    out.push(r);
    if (r.left === 0) break;
    h.clock.t += stepMs;
  }
  return out;
}

/** How many times `name` appears across the robot's accepted messages. */
const shown = (r: ChatRobotReceiver, name: string) => r.accepted.reduce((n, a) => n + a.text.split(name).length - 1, 0);

describe.each(['wecom', 'dingtalk', 'feishu', 'slack'] as const)('%s', (kind) => {
  test('60 offline agents at once reach the robot in at most 3 messages, with no throttling answer', async () => {
    const h = await setup(kind);
    const events = await offline(h.store, 60);
    const results = await drainUntilEmpty(h, 1000);
    expect(results.at(-1)!.left).toBe(0);
    expect(results.reduce((n, r) => n + r.published, 0)).toBe(60);
    expect(h.receiver.accepted.length).toBeLessThanOrEqual(3);
    expect(h.receiver.throttled).toBe(0);
    expect(h.receiver.badSignature).toBe(0);
    expect(await h.store.countDeadLetters()).toBe(0);
    expect(h.receiver.accepted.map((a) => a.text).join('\n')).toContain('60 agents went offline');
    for (const e of events) expect(shown(h.receiver, e.data.uuid)).toBeLessThanOrEqual(1);
  });

  test('waves of events for ten minutes: every one delivered, none shown twice, the robot never throttles', async () => {
    const h = await setup(kind);
    const all: CloudEvent[] = [];
    for (let wave = 0; wave < 10; wave++) {
      all.push(...(await offline(h.store, 7 + wave * 3, wave * 100)));
      for (let s = 0; s < 60; s++) {
        await h.drain();
        h.clock.t += 1000;
      }
    }
    await drainUntilEmpty(h, 1000);
    expect(await h.store.countOutbox()).toBe(0);
    expect(await h.store.countDeadLetters()).toBe(0);
    expect(h.receiver.throttled).toBe(0);
    for (const e of all) expect(shown(h.receiver, e.data.uuid)).toBeLessThanOrEqual(1);
    // Counted or listed, each event is in exactly one accepted message: the headings' counts add up.
    const counted = h.receiver.accepted.reduce((n, a) => n + [...a.text.matchAll(/(\d+) agents? went offline/g)].reduce((m, x) => m + Number(x[1]), 0) + (/Agent went offline/.test(a.text) ? 1 : 0), 0);
    expect(counted).toBe(all.length);
  });

  test('a configuration error is a dead letter at once with the vendor\'s reason, never the robot\'s key', async () => {
    const h = await setup(kind);
    h.receiver.misconfigure();
    await offline(h.store, 2);
    const r = await h.drain();
    expect(r).toMatchObject({ dead: 2, left: 0 });
    const letters = await h.store.listDeadLetters(10);
    expect(letters).toHaveLength(2);
    for (const l of letters) {
      expect(l.reason).toMatch(/answered/);
      expect(l.reason).not.toContain(h.receiver.token);
      expect(l.sinkId).not.toContain(h.receiver.token);
      expect(l.attempts).toBe(1);
    }
  });
});

test('dingtalk: a 130101 block is waited out for 10 minutes, then every event arrives once', async () => {
  const h = await setup('dingtalk');
  // Another sender (a second deployment with its own budget) used up the robot's minute: it is blocked.
  const other = buildChatRobotSink({ kind: 'dingtalk', url: h.receiver.url, secret: SECRETS.dingtalk, template: null }, { budget: () => ({ take: async () => ({ ok: true as const }), holdOff: async () => undefined }), timeoutMs: 3000, now: () => h.clock.t });
  for (let i = 0; i < 21; i++) await other.send((await offline(new MemoryStateStore(), 1, 900 + i))[0]!, new AbortController().signal);
  expect(h.receiver.throttled).toBe(1);
  const events = await offline(h.store, 5);
  const first = await h.drain();
  expect(first).toMatchObject({ published: 0, left: 5 });
  const delivery = (await h.store.listOutbox(5))[0]!.deliveries[h.sink.id]!;
  expect(delivery.nextAttemptAt).toBeGreaterThanOrEqual(T0 + 600_000);
  expect(delivery.lastError).toMatch(/130101/);
  h.clock.t = T0 + 600_000;
  await drainUntilEmpty(h, 1000);
  expect(await h.store.countOutbox()).toBe(0);
  expect(h.receiver.throttled).toBe(2); // the one that blocked the robot, and our one attempt inside the block
  for (const e of events) expect(shown(h.receiver, e.data.uuid)).toBe(1);
});

test('slack: a 410 dead-letters the event and disables the sink for the run; the rest stay in the outbox', async () => {
  const h = await setup('slack');
  h.receiver.gone();
  await offline(h.store, 1);
  h.clock.t += 2000;
  const r = await h.drain();
  expect(r.disabled).toEqual([h.sink.id]);
  expect((await h.store.listDeadLetters(1))[0]!.reason).toMatch(/HTTP 410.*SLACK_WEBHOOK_URLS/);
});

test('on Redis, two instances share one robot\'s budget: together they stay within 20 a minute', async () => {
  const prefix = `chat-test-${randomUUID()}`;
  const a = await RedisStateStore.open(testRedisUrl(0), { prefix });
  const b = await RedisStateStore.open(testRedisUrl(0), { prefix });
  try {
    const receiver = await ChatRobotReceiver.start('wecom');
    receivers.push(receiver);
    const sinkOn = (s: RedisStateStore) => buildChatRobotSink({ kind: 'wecom', url: receiver.url, secret: null, template: null }, { budget: (r, burst) => new RedisRequestBudget(s.redis, r, burst, s.prefix), timeoutMs: 3000 });
    const signal = new AbortController().signal;
    const events = await offline(new MemoryStateStore(), 8);
    // Instance A takes the burst one event at a time; instance B, with its own sink object, finds no room left.
    for (const e of events.slice(0, 4)) expect(await sinkOn(a).send(e, signal)).toEqual({ ok: true });
    const fromB = await sinkOn(b).send(events[4]!, signal);
    expect(fromB).toMatchObject({ ok: false, retry: true, deferred: true });
    expect(receiver.accepted).toHaveLength(4);
  } finally {
    await a.close();
    await b.close();
  }
});

test('on Redis, a vendor\'s block holds off every instance: after A hears 130101, B does not knock on the robot', async () => {
  const prefix = `chat-test-${randomUUID()}`;
  const a = await RedisStateStore.open(testRedisUrl(0), { prefix });
  const b = await RedisStateStore.open(testRedisUrl(0), { prefix });
  try {
    const receiver = await ChatRobotReceiver.start('dingtalk');
    receivers.push(receiver);
    const signal = new AbortController().signal;
    // Another sender, with no budget of ours, uses up the robot's minute: DingTalk blocks it for 10 minutes.
    const other = buildChatRobotSink({ kind: 'dingtalk', url: receiver.url, secret: SECRETS.dingtalk, template: null }, { budget: () => ({ take: async () => ({ ok: true as const }), holdOff: async () => undefined }), timeoutMs: 3000 });
    for (let i = 0; i < 21; i++) await other.send((await offline(new MemoryStateStore(), 1, 900 + i))[0]!, signal);
    expect(receiver.throttled).toBe(1);
    const sinkOn = (s: RedisStateStore) => buildChatRobotSink({ kind: 'dingtalk', url: receiver.url, secret: SECRETS.dingtalk, template: null }, { budget: (r, burst) => new RedisRequestBudget(s.redis, r, burst, s.prefix), timeoutMs: 3000 });
    const [first, second] = await offline(new MemoryStateStore(), 2);
    expect(await sinkOn(a).send(first!, signal)).toMatchObject({ ok: false, retry: true, retryAfterMs: 600_000 });
    expect(receiver.throttled).toBe(2);
    const fromB = await sinkOn(b).send(second!, signal);
    expect(fromB).toMatchObject({ ok: false, retry: true, deferred: true });
    expect((fromB as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(590_000);
    expect(receiver.throttled).toBe(2); // B never sent
  } finally {
    await a.close();
    await b.close();
  }
});
