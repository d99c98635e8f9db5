// The CMQ sinks: first against a stub TencentCaller (payload shape and error mapping), then end to end against
// the emulator's tdmq actions over real HTTP, with the real TencentClient and real TC3 signatures.
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../../dev/emulator';
import { TencentError } from '../../lib/errors';
import { buildStatusChangedEvent } from '../../lib/events';
import { silentLogger } from '../../lib/log';
import { CMQ_MAX_FILTER_TAG_CHARS, CMQ_DEFAULT_MAX_MSG_BYTES, CmqQueueSink, CmqTopicSink, TDMQ_SERVICE, TDMQ_VERSION, cmqFailure, cmqTags } from '../../lib/sinks/cmq';
import { drainOutbox } from '../../lib/sinks/deliver';
import type { Sink } from '../../lib/sinks/sink';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { TencentClient } from '../../lib/tencent/client';
import type { TencentCaller } from '../../lib/tencent/types';
import type { TaskState } from '../../lib/types';
import type { CloudEvent } from '../../lib/events/types';
import { statusData } from '../helpers/events';
import { TEST_STORE_ID } from '../helpers/events';

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const T0 = Date.parse('2026-11-24T10:00:00Z');

function event(state: TaskState, extra: { requestId?: string; version?: number } = {}): CloudEvent {
  return buildStatusChangedEvent({ storeId: TEST_STORE_ID, source: '/test', uuid: UUID, kind: 'process', previous: 'COLLECTING', state, version: extra.version ?? 2, observedAt: T0, requestId: extra.requestId ?? 'req-1' });
}

async function storeWith(events: CloudEvent[]): Promise<MemoryStateStore> {
  const store = new MemoryStateStore();
  let version = 0;
  for (const e of events) {
    await store.recordChange({ key: { uuid: statusData(e).uuid, kind: statusData(e).kind }, expectedVersion: version++, state: statusData(e).state, requestId: statusData(e).requestId, observedAt: T0, nextDue: T0, event: e });
  }
  return store;
}

const never = new AbortController().signal;

describe('CMQ sinks with a stub caller', () => {
  function stub(answer: () => Promise<unknown>) {
    const calls: { action: string; payload: Record<string, unknown> }[] = [];
    const caller: TencentCaller = {
      call: async <T>(action: string, payload: Record<string, unknown>) => {
        calls.push({ action, payload });
        return { response: (await answer()) as T, requestId: 'rid' };
      },
    };
    return { caller, calls };
  }

  test('a topic sink publishes the event JSON with kind, state and severity tags', async () => {
    const { caller, calls } = stub(async () => ({ Result: true, MsgId: 'm1' }));
    const sink = new CmqTopicSink({ name: 'cwp-events', caller });
    const e = event('FAILED');
    await expect(sink.send(e, never)).resolves.toEqual({ ok: true });
    expect(sink.id).toBe('cmq-topic:cwp-events');
    expect(calls).toEqual([{ action: 'PublishCmqMsg', payload: { TopicName: 'cwp-events', MsgContent: JSON.stringify(e), MsgTag: ['process', 'FAILED', 'warning'] } }]);
  });

  test('a queue sink sends the event JSON with DelaySeconds 0', async () => {
    const { caller, calls } = stub(async () => ({ Result: true, MsgId: 'm1' }));
    const sink = new CmqQueueSink({ name: 'cwp-queue', caller });
    const e = event('COMPLETE');
    await sink.send(e, never);
    expect(sink.id).toBe('cmq-queue:cwp-queue');
    expect(calls).toEqual([{ action: 'SendCmqMsg', payload: { QueueName: 'cwp-queue', MsgContent: JSON.stringify(e), DelaySeconds: 0 } }]);
  });

  test('every tag fits a subscription FilterTag (16 characters), so each can be filtered on', () => {
    for (const state of ['COLLECTING', 'COMPLETE', 'FAILED', 'AGENT_OFFLINE', 'NO_TASK', 'UNKNOWN_AGENT'] as TaskState[]) {
      for (const t of cmqTags(event(state))) expect(t.length).toBeLessThanOrEqual(CMQ_MAX_FILTER_TAG_CHARS);
    }
    expect(TDMQ_SERVICE).toBe('tdmq');
    expect(TDMQ_VERSION).toBe('2020-02-17');
  });

  test('a message over the limit is dead before it is sent', async () => {
    const { caller, calls } = stub(async () => ({ Result: true }));
    const sink = new CmqTopicSink({ name: 't', caller });
    const r = await sink.send(event('COMPLETE', { requestId: 'x'.repeat(CMQ_DEFAULT_MAX_MSG_BYTES) }), never);
    expect(r).toMatchObject({ ok: false, retry: false });
    expect((r as { reason: string }).reason).toMatch(/over the 65536-byte CMQ message limit/);
    expect(calls).toHaveLength(0);
  });

  test('Result=false is retried', async () => {
    const { caller } = stub(async () => ({ Result: false }));
    await expect(new CmqQueueSink({ name: 'q', caller }).send(event('COMPLETE'), never)).resolves.toMatchObject({ ok: false, retry: true });
  });

  test.each([
    ['InternalError', true],
    ['RequestLimitExceeded', true],
    ['Bridge.NetworkError', true],
    ['Bridge.Timeout', true],
    ['FailedOperation', true],
    ['AuthFailure.SignatureFailure', false],
    ['UnauthorizedOperation', false],
    ['InvalidParameterValue', false],
    ['MissingParameter', false],
    ['ResourceNotFound', false],
    ['ResourceNotFound.TopicNotExist', false],
    ['InvalidAction', false],
  ])('a TencentError %s is %s retry', (code, retry) => {
    const r = cmqFailure(new TencentError({ code, message: 'm', requestId: 'rid' }), 'cmq-topic:t');
    expect(r).toMatchObject({ ok: false, retry });
    expect((r as { reason: string }).reason).toBe(`cmq-topic:t: ${code}: m (RequestId rid)`);
  });

  test('a throttled answer with Retry-After passes the wait on', () => {
    const r = cmqFailure(new TencentError({ code: 'RequestLimitExceeded', message: 'slow down', retryAfterSeconds: 3 }), 'x');
    expect(r).toMatchObject({ ok: false, retry: true, retryAfterMs: 3000 });
  });
});

describe('CMQ sinks against the emulator', () => {
  let emu: Emulator;
  let tdmq: TencentClient;

  beforeAll(async () => {
    emu = await startEmulator({ quiet: true });
    tdmq = new TencentClient({
      endpoint: emu.url,
      service: TDMQ_SERVICE,
      version: TDMQ_VERSION,
      region: 'ap-guangzhou',
      credentials: { secretId: EMULATOR_CREDENTIALS.secretId, secretKey: EMULATOR_CREDENTIALS.secretKey, token: null },
      timeoutMs: 2000,
    });
    emu.createTopic('cwp-events');
    emu.createQueue('cwp-queue');
  });
  afterAll(async () => {
    await emu.close();
  });

  const drain = (store: MemoryStateStore, sinks: Sink[]) => drainOutbox(store, sinks, { maxAttempts: 12, now: () => T0, random: () => 0, logger: silentLogger });

  test('publishes to a topic with filter tags', async () => {
    const e = event('COMPLETE', { version: 10 });
    const store = await storeWith([e]);
    expect(await drain(store, [new CmqTopicSink({ name: 'cwp-events', caller: tdmq })])).toMatchObject({ published: 1, left: 0 });
    const msgs = emu.messages({ topic: 'cwp-events' });
    expect(msgs).toHaveLength(1);
    expect(JSON.parse(msgs[0]!.content)).toEqual(e);
    expect(msgs[0]!.tags).toEqual(['process', 'COMPLETE', 'info']);
  });

  test('sends to a queue', async () => {
    const e = event('AGENT_OFFLINE', { version: 11 });
    const store = await storeWith([e]);
    expect(await drain(store, [new CmqQueueSink({ name: 'cwp-queue', caller: tdmq })])).toMatchObject({ published: 1, left: 0 });
    const msgs = emu.messages({ queue: 'cwp-queue' });
    expect(msgs.map((m) => JSON.parse(m.content))).toEqual([e]);
    expect(msgs[0]!.delaySeconds).toBe(0);
  });

  test('an unknown topic makes a dead letter with ResourceNotFound', async () => {
    const store = await storeWith([event('FAILED', { version: 12 })]);
    const sink = new CmqTopicSink({ name: 'no-such-topic', caller: tdmq });
    expect(await drain(store, [sink])).toMatchObject({ published: 0, dead: 1, left: 0 });
    const [letter] = await store.listDeadLetters(10);
    expect(letter).toMatchObject({ sinkId: 'cmq-topic:no-such-topic', attempts: 1 });
    expect(letter!.reason).toMatch(/^cmq-topic:no-such-topic: ResourceNotFound: /);
  });

  test('an oversize event is a dead letter and never reaches the API', async () => {
    emu.resetStats();
    const store = await storeWith([event('COMPLETE', { version: 13, requestId: 'x'.repeat(70_000) })]);
    expect(await drain(store, [new CmqTopicSink({ name: 'cwp-events', caller: tdmq })])).toMatchObject({ dead: 1, left: 0 });
    expect((await store.listDeadLetters(10))[0]!.reason).toMatch(/is \d+ bytes, over the 65536-byte CMQ message limit/);
    expect(emu.requests().filter((r) => r.action === 'PublishCmqMsg')).toHaveLength(0);
  });

  test('a queue with a smaller MaxMsgSize refuses a big event: a dead letter with InvalidParameterValue', async () => {
    emu.createQueue('small-queue', { maxMsgSize: 1024 });
    const store = await storeWith([event('COMPLETE', { version: 14, requestId: 'y'.repeat(2000) })]);
    expect(await drain(store, [new CmqQueueSink({ name: 'small-queue', caller: tdmq })])).toMatchObject({ dead: 1 });
    expect((await store.listDeadLetters(10))[0]!.reason).toMatch(/InvalidParameterValue/);
  });

  test('an upstream fault that outlasts the client\'s retries leaves the event for a later drain', async () => {
    emu.inject({ action: 'SendCmqMsg', fault: 'error', code: 'InternalError', times: Infinity });
    const store = await storeWith([event('COMPLETE', { version: 15 })]);
    const sink = new CmqQueueSink({ name: 'cwp-queue', caller: tdmq });
    expect(await drain(store, [sink])).toMatchObject({ published: 0, retried: 1, left: 1 });
    expect((await store.listOutbox(1))[0]!.deliveries[sink.id]!.lastError).toMatch(/InternalError/);
    emu.clearFaults();
    expect(await drainOutbox(store, [sink], { maxAttempts: 12, now: () => T0 + 60_000, logger: silentLogger })).toMatchObject({ published: 1, left: 0 });
  });
});
