// The chat robot sink (chat-sink.ts) through sendBatch, against local robots that answer as each vendor does
// (test/helpers/chat-receivers.ts). One clock drives the sink, its budget and the robot: nothing sleeps.
import type { ChatRobotKind } from '../../lib/sinks/chat/settings';
import { LocalRequestBudget } from '../../lib/ratelimit/budget';
import type { SendResult } from '../../lib/sinks/sink';
import { buildChatRobotSink } from '../../lib/sinks/chat/build';
import { keepSubjectOrder, type ChatRobotSink } from '../../lib/sinks/chat/chat-sink';
import { digestMessage, groupEvents } from '../../lib/sinks/chat/message';
import { ChatRobotReceiver } from '../helpers/chat-receivers';
import { agentUuid, offlineEvents, statusEvent, T0 } from '../helpers/chat-events';

const DINGTALK_SECRET = 'SECd8f3c1a2b4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f';
const FEISHU_SECRET = 'fs0123456789abcdefghij';
const SECRETS: Record<ChatRobotKind, string | undefined> = { wecom: undefined, dingtalk: DINGTALK_SECRET, feishu: FEISHU_SECRET, slack: undefined };

const receivers: ChatRobotReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function robot(kind: ChatRobotKind, options: { sinkSecret?: string | null } = {}) {
  const clock = { t: T0 };
  const now = () => clock.t;
  const secret = SECRETS[kind];
  const receiver = await ChatRobotReceiver.start(kind, { ...(secret ? { secret } : {}), now });
  receivers.push(receiver);
  const sink = buildChatRobotSink(
    { kind, url: receiver.url, secret: options.sinkSecret === undefined ? secret ?? null : options.sinkSecret, template: null },
    { budget: (rate, burst) => new LocalRequestBudget(rate, burst, now), timeoutMs: 3000, now },
  );
  return { clock, receiver, sink };
}

const signal = new AbortController().signal;
const send = (sink: ChatRobotSink, events: Parameters<ChatRobotSink['sendBatch']>[0]) => sink.sendBatch(events, signal);
const isDeferred = (r: SendResult) => !r.ok && r.retry && 'deferred' in r && r.deferred === true;

describe.each(['wecom', 'dingtalk', 'feishu', 'slack'] as const)('%s', (kind) => {
  test('60 offline agents at once: one digest message, every event delivered, no throttling answer', async () => {
    const { receiver, sink } = await robot(kind);
    const results = await send(sink, offlineEvents(60));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(receiver.accepted).toHaveLength(1);
    expect(receiver.accepted[0]!.text).toContain('60 agents went offline');
    expect(receiver.throttled).toBe(0);
    expect(receiver.badSignature).toBe(0);
  });

  test('a configuration error is a dead letter at once, with the vendor\'s words and never the robot\'s key', async () => {
    const { receiver, sink } = await robot(kind);
    receiver.misconfigure();
    const [r] = await send(sink, offlineEvents(1));
    expect(r).toMatchObject({ ok: false, retry: false });
    expect(r && !r.ok && r.reason).toMatch(/keyword|Key Words|action_prohibited|invalid Parameter/i);
    expect(JSON.stringify(r)).not.toContain(receiver.token);
    expect(r && 'disable' in r).toBe(false);
  });

  test('a robot that is gone is a dead letter that disables the sink for the run', async () => {
    const { receiver, sink } = await robot(kind);
    receiver.gone();
    const [r] = await send(sink, offlineEvents(1));
    if (kind === 'feishu') expect(r).toMatchObject({ ok: false, retry: false }); // Feishu says 19001, a parameter error
    else expect(r).toMatchObject({ ok: false, retry: false, disable: true });
    expect(JSON.stringify(r)).not.toContain(receiver.token);
  });
});

describe('rate room', () => {
  test('events within the burst go one message each', async () => {
    const { receiver, sink } = await robot('wecom');
    const results = await send(sink, offlineEvents(3));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(receiver.accepted).toHaveLength(3);
  });

  test('with no room left, events are deferred (not attempts) until the budget has room', async () => {
    const { clock, receiver, sink } = await robot('wecom');
    await send(sink, offlineEvents(4)); // the burst
    const [r] = await send(sink, offlineEvents(1, 10));
    expect(isDeferred(r!)).toBe(true);
    expect(r).toMatchObject({ retryAfterMs: 4000 });
    expect(receiver.accepted).toHaveLength(4);
    clock.t += 4000;
    expect((await send(sink, offlineEvents(1, 10)))[0]).toEqual({ ok: true });
  });

  test('more events than room: one digest for all rather than some one by one', async () => {
    const { receiver, sink } = await robot('wecom');
    await send(sink, offlineEvents(3));
    const results = await send(sink, [...offlineEvents(2, 10), statusEvent(20, 'COLLECTING', 'COMPLETE')]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(receiver.accepted).toHaveLength(4);
    expect(receiver.accepted[3]!.text).toContain('2 agents went offline');
    expect(receiver.accepted[3]!.text).toContain('1 collection completed');
  });

  test('an event handed twice in one batch is shown once and answered for both', async () => {
    const { receiver, sink } = await robot('slack');
    const [a, b] = offlineEvents(2);
    const results = await send(sink, [a!, b!, a!]);
    expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(receiver.accepted).toHaveLength(1);
    expect(receiver.accepted[0]!.text.split(agentUuid(0)).length - 1).toBe(0); // named by machine, once:
    expect(receiver.accepted[0]!.text.split('web-00 (10.0.0.0)').length - 1).toBe(1);
  });

  test('a subject\'s later event is not carried while its earlier one waits', () => {
    const a1 = statusEvent(1, 'COLLECTING', 'AGENT_OFFLINE');
    const b = statusEvent(2, 'COLLECTING', 'COMPLETE');
    const a2 = statusEvent(1, 'AGENT_OFFLINE', 'COMPLETE', { version: 2 });
    const carried = [{ message: digestMessage(groupEvents([b, a2]), 10), events: [b, a2] }];
    const kept = keepSubjectOrder([a1, b, a2], carried, () => true);
    expect(kept.map((u) => u.events)).toEqual([[b]]);
    expect(kept[0]!.message.eventIds).toEqual([b.id]);
  });
});

describe('throttling answers retry every event of the message after the vendor\'s cooldown', () => {
  /** Another sender using up the robot's window (a second deployment, a script) before the sink sends. */
  async function exhaust(receiver: ChatRobotReceiver, n: number) {
    for (let i = 0; i < n; i++) await fetch(receiver.url, { method: 'POST', body: JSON.stringify({ msgtype: 'markdown', markdown: { content: 'x', title: 'x', text: 'x' }, msg_type: 'interactive', card: {}, text: 'x', blocks: [] }) });
  }

  test.each([
    ['wecom', 20, 60_000, /errcode 45009/],
    ['slack', 1, 1_000, /HTTP 429/],
  ] as const)('%s', async (kind, n, cooldownMs, reason) => {
    const { clock, receiver, sink } = await robot(kind);
    await exhaust(receiver, n);
    const results = await send(sink, offlineEvents(2));
    expect(receiver.throttled).toBe(1);
    expect(results[0]).toMatchObject({ ok: false, retry: true, retryAfterMs: cooldownMs });
    expect(results[0] && !results[0].ok && results[0].reason).toMatch(reason);
    // Every event of the batch waits out the cooldown (those of later messages without being tried).
    expect(results.every((r) => !r.ok && r.retry && r.retryAfterMs === cooldownMs)).toBe(true);
    // Until then the sink sends nothing to the robot.
    clock.t += cooldownMs - 1;
    expect(isDeferred((await send(sink, offlineEvents(1, 30)))[0]!)).toBe(true);
    expect(receiver.throttled).toBe(1);
  });

  test('dingtalk: 130101 waits out the 10-minute block', async () => {
    const { receiver, sink } = await robot('dingtalk');
    // Unsigned requests are refused by this signed robot, so the window is used up through a second sink.
    const other = buildChatRobotSink({ kind: 'dingtalk', url: receiver.url, secret: DINGTALK_SECRET, template: null }, { budget: () => ({ take: async () => ({ ok: true as const }), holdOff: async () => undefined }), timeoutMs: 3000, now: () => T0 });
    for (let i = 0; i < 20; i++) await other.send(statusEvent(100 + i, null, 'COMPLETE'), signal);
    const [r] = await send(sink, offlineEvents(1));
    expect(r).toMatchObject({ ok: false, retry: true, retryAfterMs: 600_000 });
    expect(r && !r.ok && r.reason).toMatch(/130101/);
  });

  test('feishu: 11232 waits a minute', async () => {
    const { receiver, sink } = await robot('feishu');
    const other = buildChatRobotSink({ kind: 'feishu', url: receiver.url, secret: FEISHU_SECRET, template: null }, { budget: () => ({ take: async () => ({ ok: true as const }), holdOff: async () => undefined }), timeoutMs: 3000, now: () => T0 });
    for (let i = 0; i < 5; i++) await other.send(statusEvent(100 + i, null, 'COMPLETE'), signal);
    const [r] = await send(sink, offlineEvents(1));
    expect(r).toMatchObject({ ok: false, retry: true, retryAfterMs: 60_000 });
    expect(r && !r.ok && r.reason).toMatch(/11232/);
  });
});

describe('signatures', () => {
  test('dingtalk: a wrong secret is refused (310000) and is a dead letter naming DINGTALK_SECRET', async () => {
    const { receiver, sink } = await robot('dingtalk', { sinkSecret: 'SECwrongwrongwrongwrongwrong' });
    const [r] = await send(sink, offlineEvents(1));
    expect(receiver.badSignature).toBe(1);
    expect(r).toMatchObject({ ok: false, retry: false });
    expect(r && !r.ok && r.reason).toMatch(/310000.*DINGTALK_SECRET/);
    expect(JSON.stringify(r)).not.toMatch(/SECwrong|tok3n/);
  });

  test('feishu: a wrong secret is refused (19021) and is a dead letter naming FEISHU_SECRET', async () => {
    const { receiver, sink } = await robot('feishu', { sinkSecret: 'not-the-secret' });
    const [r] = await send(sink, offlineEvents(1));
    expect(receiver.badSignature).toBe(1);
    expect(r && !r.ok && r.reason).toMatch(/19021.*FEISHU_SECRET/);
  });
});

test('the sink id names the vendor and host and a hash of the URL, never its key', async () => {
  const { receiver, sink } = await robot('wecom');
  expect(sink.id).toMatch(/^wecom:127\.0\.0\.1:\d+#[0-9a-f]{12}$/);
  expect(sink.id).not.toContain(receiver.token);
});
