// The EventBridge sink end to end: PutEvents to the emulator's eb over real HTTP, through the real TencentClient
// with real TC3 signatures; the drain on a memory store, and three concurrent sweeps on one Redis store.
import { randomUUID } from 'node:crypto';
import { EB_DEMO_BUS, EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../../dev/emulator';
import { TencentError } from '../../lib/errors';
import { buildStatusChangedEvent } from '../../lib/events';
import { silentLogger } from '../../lib/log';
import { RedisRateLimiter } from '../../lib/ratelimit';
import { drainOutbox } from '../../lib/sinks/deliver';
import { EB_MAX_EVENTS_PER_CALL, EB_SERVICE, EB_VERSION, EventBridgeSink, ebEvent, ebFailure } from '../../lib/sinks/eventbridge';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { RedisStateStore } from '../../lib/state/redis/store';
import type { StateStore } from '../../lib/state/store';
import { runSweep } from '../../lib/sweep';
import { TencentClient } from '../../lib/tencent/client';
import type { CloudEvent } from '../../lib/events/types';
import { harness, sweepFor, uuidOf } from '../helpers/sweep-harness';
import { redisPrefix, redisStore, runCleanups } from '../helpers/test-stores';
import { TEST_STORE_ID } from '../helpers/events';

const T0 = Date.parse('2026-11-24T10:00:00Z');
const SOURCE = 'cwp-task-bridge.cloud.tencent';

let emu: Emulator;
const cleanups: Array<() => Promise<void> | void> = [];

beforeEach(async () => {
  emu = await startEmulator({ quiet: true });
});
afterEach(async () => {
  await runCleanups(cleanups);
  await emu.close();
});

function client(options: { secretKey?: string } = {}): TencentClient {
  return new TencentClient({
    endpoint: emu.url,
    service: EB_SERVICE,
    version: EB_VERSION,
    region: 'ap-guangzhou',
    credentials: { secretId: EMULATOR_CREDENTIALS.secretId, secretKey: options.secretKey ?? EMULATOR_CREDENTIALS.secretKey, token: null },
    timeoutMs: 2000,
  });
}

const sinkFor = (caller: TencentClient, busId = EB_DEMO_BUS) => new EventBridgeSink({ busId, region: 'ap-guangzhou', source: SOURCE, caller });

/** A memory store whose outbox holds one COMPLETE event for each of `count` agents. */
async function storeWith(count: number, requestId = 'req'): Promise<{ store: MemoryStateStore; events: CloudEvent[] }> {
  const store = new MemoryStateStore();
  const events: CloudEvent[] = [];
  for (let i = 0; i < count; i++) {
    const uuid = uuidOf(1000 + i);
    const event = buildStatusChangedEvent({ storeId: TEST_STORE_ID, source: '/test', uuid, kind: 'process', previous: 'COLLECTING', state: 'COMPLETE', version: 1, observedAt: T0, requestId });
    await store.recordChange({ key: { uuid, kind: 'process' }, expectedVersion: 0, state: 'COMPLETE', requestId, observedAt: T0, nextDue: T0, event });
    events.push(event);
  }
  return { store, events };
}

const drain = (store: StateStore, sink: EventBridgeSink) => drainOutbox(store, [sink], { maxAttempts: 12, now: () => T0, random: () => 0, logger: silentLogger });

describe('the EventBridge sink against the emulator', () => {
  test('puts each event on the bus once, as EventBridge events with the CloudEvent data, type, subject, time and id', async () => {
    const { store, events } = await storeWith(1);
    expect(await drain(store, sinkFor(client()))).toMatchObject({ published: 1, left: 0 });
    const [arrived] = emu.busEvents(EB_DEMO_BUS);
    expect(arrived!.event).toEqual(ebEvent(events[0]!, SOURCE));
    expect(arrived!.event).toMatchObject({ Source: SOURCE, Type: 'com.tencentcloud.cwp.task.status.changed', Subject: events[0]!.subject, Id: events[0]!.id, Time: Date.parse(events[0]!.time) });
    expect(JSON.parse(arrived!.event.Data)).toEqual(events[0]!.data);
  });

  test('25 events go in calls of the API\'s limit: 10, 10 and 5', async () => {
    const { store } = await storeWith(25);
    expect(await drain(store, sinkFor(client()))).toMatchObject({ published: 25, left: 0 });
    const arrived = emu.busEvents(EB_DEMO_BUS);
    const sizes = new Map<string, number>();
    for (const a of arrived) sizes.set(a.requestId, (sizes.get(a.requestId) ?? 0) + 1);
    expect([...sizes.values()].sort((x, y) => y - x)).toEqual([10, 10, 5]);
    expect(EB_MAX_EVENTS_PER_CALL).toBe(10);
    expect(arrived.every((a) => a.batchSize === sizes.get(a.requestId))).toBe(true);
  });

  test('a bad signature is rejected: the events are dead letters naming AuthFailure.SignatureFailure, and nothing arrives', async () => {
    const { store } = await storeWith(2);
    expect(await drain(store, sinkFor(client({ secretKey: 'not-the-key' })))).toMatchObject({ published: 0, dead: 2, left: 0 });
    const letters = await store.listDeadLetters(10);
    expect(letters.every((l) => /AuthFailure\.SignatureFailure/.test(l.reason))).toBe(true);
    expect(emu.busEvents(EB_DEMO_BUS)).toEqual([]);
  });

  test('a missing bus makes dead letters with Tencent\'s reason', async () => {
    const { store } = await storeWith(1);
    const sink = sinkFor(client(), 'eb-nosuchbus');
    expect(await drain(store, sink)).toMatchObject({ dead: 1, left: 0 });
    const [letter] = await store.listDeadLetters(10);
    expect(letter).toMatchObject({ sinkId: 'eb:ap-guangzhou/eb-nosuchbus', attempts: 1 });
    expect(letter!.reason).toMatch(/^eb:ap-guangzhou\/eb-nosuchbus: ResourceNotFound\.EventBus: The event bus eb-nosuchbus does not exist\. \(RequestId [0-9a-f-]+\)$/);
  });

  test('an event over 64 KB is a dead letter before any call; the rest of its batch goes out', async () => {
    const { store: big } = await storeWith(1, 'x'.repeat(70_000));
    const { events } = await storeWith(2);
    for (const e of events) {
      await big.recordChange({ key: { uuid: e.data.uuid, kind: 'port' }, expectedVersion: 0, state: 'COMPLETE', requestId: 'r', observedAt: T0, nextDue: T0, event: { ...e, subject: `${e.data.uuid}/port`, id: randomUUID() } });
    }
    emu.resetStats();
    expect(await drain(big, sinkFor(client()))).toMatchObject({ published: 2, dead: 1, left: 0 });
    expect((await big.listDeadLetters(10))[0]!.reason).toMatch(/event is \d+ bytes, over EventBridge's 65536-byte event limit; not sent/);
    expect(emu.requests().filter((r) => r.action === 'PutEvents')).toHaveLength(1);
  });

  test('calls over PutEvents\' rate limit are throttled, retried, and every event arrives once', async () => {
    await emu.close();
    emu = await startEmulator({ quiet: true, ebRateLimitPerSecond: 2 });
    const { store } = await storeWith(30);
    expect(await drain(store, sinkFor(client()))).toMatchObject({ published: 30, left: 0 });
    const stats = emu.stats().PutEvents!;
    expect(stats.throttled).toBeGreaterThan(0);
    expect(stats.maxInAnyWindow).toBeLessThanOrEqual(2);
    const ids = emu.busEvents(EB_DEMO_BUS).map((a) => a.event.Id);
    expect(new Set(ids).size).toBe(30);
  });

  test.each([
    ['RequestLimitExceeded', true],
    ['LimitExceeded.ResourceLimit', true],
    ['InternalError.System', true],
    ['Bridge.NetworkError', true],
    ['AuthFailure.SignatureFailure', false],
    ['UnauthorizedOperation', false],
    ['ResourceNotFound.EventBus', false],
    ['ResourceNotFound.EventBusNotFound', false],
    ['InvalidParameterValue.EventBusId', false],
    ['InvalidParameterValue.InvalidEvent', false],
  ])('a TencentError %s is %s retry', (code, retry) => {
    expect(ebFailure(new TencentError({ code, message: 'm', requestId: 'rid' }), 'eb:r/b')).toMatchObject({ ok: false, retry, reason: `eb:r/b: ${code}: m (RequestId rid)` });
  });
});

describe('three concurrent sweeps on one Redis store with the EventBridge sink', () => {
  test('put each event on the bus exactly once, in order per subject, in calls of at most 10', async () => {
    const uuids = Array.from({ length: 10 }, (_, i) => uuidOf(300 + i));
    for (const u of uuids) {
      emu.script(u, 'process', [{ atMs: 0, state: 'COLLECTING' }, { atMs: 1500, state: 'COMPLETE' }]);
      emu.script(u, 'port', [{ atMs: 0, state: 'COLLECTING' }, { atMs: 1500, state: 'FAILED' }]);
    }
    const prefix = redisPrefix(cleanups, 'eb');
    const sweeps = [];
    for (let i = 0; i < 3; i++) {
      const store = await redisStore(cleanups, 'eb', prefix);
      // As the runtime wires it: the EventBridge caller paced by a limiter shared through the store.
      const limiter = RedisRateLimiter.onStore(store as RedisStateStore, 20);
      cleanups.push(() => limiter.close());
      const caller = new TencentClient({ endpoint: emu.url, service: EB_SERVICE, version: EB_VERSION, region: 'ap-guangzhou', credentials: { ...EMULATOR_CREDENTIALS, token: null }, timeoutMs: 2000, rateLimiter: limiter });
      const h = harness(emu, store, { WATCH_UUIDS: uuids.join(',') }, [sinkFor(caller)]);
      cleanups.push(h.close);
      sweeps.push(runSweep(h.deps, sweepFor(6000)));
    }
    const summaries = await Promise.all(sweeps);

    const arrived = emu.busEvents(EB_DEMO_BUS);
    const ids = arrived.map((a) => a.event.Id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    expect(summaries.reduce((n, s) => n + s.changed, 0)).toBe(40);
    const states: Record<string, string[]> = {};
    for (const a of arrived) (states[a.event.Subject] ??= []).push((JSON.parse(a.event.Data) as { state: string }).state);
    for (const u of uuids) {
      expect(states[`${u}/process`]).toEqual(['COLLECTING', 'COMPLETE']);
      expect(states[`${u}/port`]).toEqual(['COLLECTING', 'FAILED']);
    }
    expect(arrived.every((a) => a.batchSize <= 10)).toBe(true);
  });
});
