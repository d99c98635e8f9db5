// The outbox drain, against MemoryStateStore and scripted in-process sinks, and its backoff arithmetic.
import { getEventListeners } from 'node:events';
import { loadConfig } from '../../lib/config';
import { createLogger, silentLogger } from '../../lib/log';
import { createSinks } from '../../lib/sinks';
import { ConsoleSink } from '../../lib/sinks/console';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, DeliveryRun, backoffCeilingMs, backoffMs, drainOutbox, retryDelayMs, sinkLabel, type DrainOptions } from '../../lib/sinks/deliver';
import type { BatchSink, SendResult, Sink } from '../../lib/sinks/sink';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { enqueue, T0 } from '../helpers/outbox-fixtures';
import type { CloudEvent } from '../../lib/events/types';

const UUID_A = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const UUID_B = '0f2e8a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b';


type Answer = (event: CloudEvent, call: number) => SendResult | Promise<SendResult>;

/** An in-process sink that answers by script and records what it was sent, and how many sends overlapped. */
class ScriptedSink implements Sink {
  readonly sent: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(readonly id: string, private readonly answer: Answer = () => ({ ok: true }), readonly concurrency = 1) {}
  async send(event: CloudEvent): Promise<SendResult> {
    this.sent.push(event.id);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.answer(event, this.sent.length);
    } finally {
      this.inFlight--;
    }
  }
}

const retry = (reason = 'HTTP 503'): SendResult => ({ ok: false, retry: true, reason });
const deferred = (retryAfterMs = 500): SendResult => ({ ok: false, retry: true, deferred: true, reason: 'no room in the rate limit', retryAfterMs });

/** An agent Uuid per number, for outboxes of many subjects. */
const uuidOf = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

type BatchAnswer = (events: CloudEvent[], call: number) => SendResult[] | Promise<SendResult[]>;

/** A batch sink that answers by script and records each batch it was handed (event ids, in order). */
class ScriptedBatchSink implements BatchSink {
  readonly batches: string[][] = [];
  constructor(readonly id: string, readonly maxBatch: number, private readonly answer: BatchAnswer = (events) => events.map(() => ({ ok: true })), readonly concurrency = 1) {}
  get sent(): string[] {
    return this.batches.flat();
  }
  async send(): Promise<SendResult> {
    throw new Error('a batch sink is sent batches');
  }
  async sendBatch(events: CloudEvent[]): Promise<SendResult[]> {
    this.batches.push(events.map((e) => e.id));
    return this.answer(events, this.batches.length);
  }
}

function opts(clock: { t: number }, extra: Partial<DrainOptions> = {}): DrainOptions {
  return { maxAttempts: 12, now: () => clock.t, random: () => 0, logger: silentLogger, ...extra };
}

describe('backoff', () => {
  test('the ceiling doubles from 10 s and stops at 15 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 20].map(backoffCeilingMs)).toEqual([10, 20, 40, 80, 160, 320, 640, 900, 900, 900].map((s) => s * 1000));
    expect(BACKOFF_BASE_MS).toBe(10_000);
    expect(BACKOFF_CAP_MS).toBe(900_000);
  });

  test('each wait lies between 75 % and 100 % of its ceiling', () => {
    expect(backoffMs(3, () => 0)).toBe(30_000);
    expect(backoffMs(3, () => 1)).toBe(40_000);
    expect(backoffMs(3, () => 0.5)).toBe(35_000);
  });

  test('with the default 12 attempts, the 11 waits add up to more than an hour even at their shortest', () => {
    const waits = (r: number) => Array.from({ length: 11 }, (_, i) => backoffMs(i + 1, () => r)).reduce((a, b) => a + b, 0);
    expect(waits(0)).toBeGreaterThan(3600_000);
    expect(waits(0)).toBe(3_652_500);
    expect(waits(1)).toBe(4_870_000);
  });

  test('a longer Retry-After wins over the backoff, a shorter one does not', () => {
    expect(retryDelayMs(1, 120_000, () => 0)).toBe(120_000);
    expect(retryDelayMs(1, 1_000, () => 0)).toBe(7_500);
    expect(retryDelayMs(1, undefined, () => 1)).toBe(10_000);
  });
});

describe('console sink', () => {
  test('writes each event as one JSON line and succeeds', async () => {
    const lines: string[] = [];
    const sink = new ConsoleSink((l) => lines.push(l));
    const store = new MemoryStateStore();
    const [e1, e2] = await enqueue(store, UUID_A, 'process', ['COLLECTING', 'COMPLETE']);
    await expect(sink.send(e1!, new AbortController().signal)).resolves.toEqual({ ok: true });
    await sink.send(e2!, new AbortController().signal);
    expect(sink.id).toBe('console');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
    expect(JSON.parse(lines[1]!)).toEqual(e2);
  });

  test('a writer that throws means retry, not a lost event', async () => {
    const sink = new ConsoleSink(() => {
      throw new Error('EPIPE');
    });
    const store = new MemoryStateStore();
    const [e1] = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    await expect(sink.send(e1!, new AbortController().signal)).resolves.toMatchObject({ ok: false, retry: true });
  });
});

describe('drainOutbox', () => {
  test('a delivered event leaves the outbox and counts as published', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING', 'COMPLETE']);
    const sink = new ScriptedSink('s');
    const r = await drainOutbox(store, [sink], opts({ t: T0 }));
    expect(r).toEqual({ published: 2, retried: 0, deferred: 0, dead: 0, left: 0, disabled: [] });
    expect(await store.countOutbox()).toBe(0);
  });

  test('a failed attempt is recorded with its reason and next try, and is not retried before then', async () => {
    const store = new MemoryStateStore();
    const [e] = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    let fail = true;
    const sink = new ScriptedSink('s', () => (fail ? retry('HTTP 503') : { ok: true }));
    const clock = { t: T0 };
    expect(await drainOutbox(store, [sink], opts(clock))).toMatchObject({ published: 0, retried: 1, left: 1 });
    const [entry] = await store.listOutbox(10);
    expect(entry!.deliveries.s).toEqual({ status: 'pending', attempts: 1, nextAttemptAt: T0 + 7_500, lastError: 'HTTP 503', finishedAt: null });

    fail = false;
    clock.t = T0 + 7_499;
    await drainOutbox(store, [sink], opts(clock));
    expect(sink.sent).toEqual([e!.id]);
    clock.t = T0 + 7_500;
    expect(await drainOutbox(store, [sink], opts(clock))).toMatchObject({ published: 1, left: 0 });
    expect(sink.sent).toEqual([e!.id, e!.id]);
  });

  test('after the last attempt the event becomes a dead letter with the last reason', async () => {
    const store = new MemoryStateStore();
    const [e] = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    const sink = new ScriptedSink('s', () => retry('HTTP 503'));
    const clock = { t: T0 };
    for (let i = 0; i < 3; i++) {
      await drainOutbox(store, [sink], opts(clock, { maxAttempts: 3 }));
      clock.t += BACKOFF_CAP_MS;
    }
    expect(sink.sent).toHaveLength(3);
    expect(await store.countOutbox()).toBe(0);
    const [letter] = await store.listDeadLetters(10);
    expect(letter).toMatchObject({ sinkId: 's', attempts: 3, reason: 'gave up after 3 attempts; last: HTTP 503' });
    expect(letter!.event).toEqual(e);
  });

  test('a permanent refusal is a dead letter at once', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    const sink = new ScriptedSink('s', () => ({ ok: false, retry: false, reason: 'HTTP 400: bad' }));
    expect(await drainOutbox(store, [sink], opts({ t: T0 }))).toMatchObject({ dead: 1, left: 0 });
    expect((await store.listDeadLetters(10))[0]).toMatchObject({ sinkId: 's', attempts: 1, reason: 'HTTP 400: bad' });
  });

  test('a sink that throws is retried, not fatal to the drain', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    const sink = new ScriptedSink('s', () => {
      throw new Error('boom');
    });
    expect(await drainOutbox(store, [sink], opts({ t: T0 }))).toMatchObject({ retried: 1, left: 1 });
  });

  test('a later event of a subject waits while an earlier one is pending on that sink; other subjects go on', async () => {
    const store = new MemoryStateStore();
    const [a1, a2] = await enqueue(store, UUID_A, 'process', ['COLLECTING', 'COMPLETE']);
    const [b1] = await enqueue(store, UUID_B, 'process', ['COLLECTING']);
    const sink = new ScriptedSink('s', (e) => (e.id === a1!.id ? retry() : { ok: true }));
    const clock = { t: T0 };
    await drainOutbox(store, [sink], opts(clock));
    expect(sink.sent).toEqual([a1!.id, b1!.id]);

    // Still not due: a2 keeps waiting behind it.
    await drainOutbox(store, [sink], opts(clock));
    expect(sink.sent).toEqual([a1!.id, b1!.id]);

    clock.t += BACKOFF_BASE_MS;
    const ok = new ScriptedSink('s');
    await drainOutbox(store, [ok], opts(clock));
    expect(ok.sent).toEqual([a1!.id, a2!.id]);
  });

  test('a dead event does not hold back the next event of its subject', async () => {
    const store = new MemoryStateStore();
    const [a1, a2] = await enqueue(store, UUID_A, 'process', ['COLLECTING', 'COMPLETE']);
    const sink = new ScriptedSink('s', (e) => (e.id === a1!.id ? { ok: false, retry: false, reason: 'HTTP 422' } : { ok: true }));
    expect(await drainOutbox(store, [sink], opts({ t: T0 }))).toMatchObject({ published: 1, dead: 1, left: 0 });
    expect(sink.sent).toEqual([a1!.id, a2!.id]);
  });

  test('delivery state is per sink: a down sink never makes the up sink see an event twice', async () => {
    const store = new MemoryStateStore();
    const events = await enqueue(store, UUID_A, 'port', ['COLLECTING', 'COMPLETE']);
    const up = new ScriptedSink('up');
    let down = true;
    const flaky = new ScriptedSink('flaky', () => (down ? retry('connection refused') : { ok: true }));
    const clock = { t: T0 };
    for (let i = 0; i < 4; i++) {
      await drainOutbox(store, [up, flaky], opts(clock));
      clock.t += BACKOFF_CAP_MS;
    }
    down = false;
    expect(await drainOutbox(store, [up, flaky], opts(clock))).toMatchObject({ left: 0 });
    expect(up.sent).toEqual(events.map((e) => e.id));
    expect(flaky.sent.slice(-2)).toEqual(events.map((e) => e.id));
  });

  test('two drains at once on one store send each event to a sink once', async () => {
    const store = new MemoryStateStore();
    const events: CloudEvent[] = [];
    for (let i = 0; i < 10; i++) events.push(...(await enqueue(store, `0f2e8a3b-1c4d-4e5f-8a9b-0c1d2e3f4c${String(i).padStart(2, '0')}`, 'process', ['COLLECTING', 'COMPLETE'])));
    const slow = async (): Promise<SendResult> => {
      await new Promise((r) => setTimeout(r, 3));
      return { ok: true };
    };
    const a = new ScriptedSink('s', slow, 4);
    const b = new ScriptedSink('s', slow, 4);
    const [ra, rb] = await Promise.all([drainOutbox(store, [a], opts({ t: T0 })), drainOutbox(store, [b], opts({ t: T0 }))]);
    const sent = [...a.sent, ...b.sent];
    expect(new Set(sent).size).toBe(sent.length);
    expect(ra.published + rb.published).toBe(sent.length);
    // Whatever one drain left behind a claim of the other, the next drain finishes.
    await drainOutbox(store, [a], opts({ t: T0 + 1 }));
    expect(new Set([...a.sent, ...b.sent])).toEqual(new Set(events.map((e) => e.id)));
    expect(a.sent.length + b.sent.length).toBe(events.length);
    expect(await store.countOutbox()).toBe(0);
  });

  test('a claim left by a crashed drain holds the delivery off until its lease ends', async () => {
    const store = new MemoryStateStore();
    const [e] = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    expect(await store.claimDelivery(e!.id, 's', T0, 60_000)).toBe(true);
    const sink = new ScriptedSink('s');
    await drainOutbox(store, [sink], opts({ t: T0 + 59_999 }));
    expect(sink.sent).toEqual([]);
    expect(await drainOutbox(store, [sink], opts({ t: T0 + 60_000 }))).toMatchObject({ published: 1, left: 0 });
  });

  test('an entry with targets goes only to those sinks', async () => {
    const store = new MemoryStateStore();
    const [e] = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    const a = new ScriptedSink('a', () => ({ ok: false, retry: false, reason: 'HTTP 400' }));
    const b = new ScriptedSink('b');
    await drainOutbox(store, [a, b], opts({ t: T0 }));
    expect(await store.replayDeadLetters(null, T0)).toBe(1);
    const a2 = new ScriptedSink('a');
    const b2 = new ScriptedSink('b');
    expect(await drainOutbox(store, [a2, b2], opts({ t: T0 }))).toMatchObject({ published: 1, left: 0 });
    expect(a2.sent).toEqual([e!.id]);
    expect(b2.sent).toEqual([]);
  });

  test('a replayed letter for a sink that is no longer configured goes back to the dead letters', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    await drainOutbox(store, [new ScriptedSink('gone', () => ({ ok: false, retry: false, reason: 'HTTP 404' }))], opts({ t: T0 }));
    await store.replayDeadLetters(null, T0);
    const other = new ScriptedSink('other');
    expect(await drainOutbox(store, [other], opts({ t: T0 }))).toMatchObject({ dead: 1, left: 0 });
    expect(other.sent).toEqual([]);
    expect((await store.listDeadLetters(10))[0]).toMatchObject({ sinkId: 'gone', reason: 'sink gone is not configured in this run' });
  });

  test('nothing is sent at or after the deadline, and nothing when the signal is aborted', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    const sink = new ScriptedSink('s');
    expect(await drainOutbox(store, [sink], opts({ t: T0 }, { deadline: T0 }))).toMatchObject({ published: 0, left: 1 });
    const ac = new AbortController();
    ac.abort();
    expect(await drainOutbox(store, [sink], opts({ t: T0 }, { signal: ac.signal }))).toMatchObject({ published: 0, left: 1 });
    expect(sink.sent).toEqual([]);
  });

  test('an attempt cut short by the caller\'s signal is not counted against the sink', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    const ac = new AbortController();
    const sink = new ScriptedSink('s', () => {
      ac.abort();
      return retry('aborted');
    });
    expect(await drainOutbox(store, [sink], opts({ t: T0 }, { signal: ac.signal }))).toMatchObject({ retried: 1, left: 1 });
    const [entry] = await store.listOutbox(1);
    expect(entry!.deliveries.s).toEqual({ status: 'pending', attempts: 0, nextAttemptAt: T0, lastError: null, finishedAt: null });
  });

  test('a disabled sink gets no more sends in this drain, nor in later drains of the same run', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    await enqueue(store, UUID_B, 'process', ['COLLECTING']);
    const gone = new ScriptedSink('gone', () => ({ ok: false, retry: false, reason: '410', disable: true }));
    const other = new ScriptedSink('other');
    const run = new DeliveryRun();
    const r = await drainOutbox(store, [gone, other], opts({ t: T0 }, { run }));
    expect(r).toMatchObject({ published: 2, dead: 1, left: 1, disabled: ['gone'] });
    expect(gone.sent).toHaveLength(1);
    await drainOutbox(store, [gone, other], opts({ t: T0 }, { run }));
    expect(gone.sent).toHaveLength(1);
  });

  test('sends to one sink never exceed its concurrency', async () => {
    const store = new MemoryStateStore();
    for (let i = 0; i < 12; i++) await enqueue(store, `0f2e8a3b-1c4d-4e5f-8a9b-0c1d2e3f4a${String(i).padStart(2, '0')}`, 'process', ['COLLECTING']);
    const sink = new ScriptedSink('s', async () => {
      await new Promise((r) => setTimeout(r, 5));
      return { ok: true };
    }, 3);
    expect(await drainOutbox(store, [sink], opts({ t: T0 }))).toMatchObject({ published: 12, left: 0 });
    expect(sink.maxInFlight).toBe(3);
  });

  test('sends in flight listen on a drain-local signal: the caller\'s signal carries one listener, none after', async () => {
    const store = new MemoryStateStore();
    for (let i = 0; i < 20; i++) await enqueue(store, `0f2e8a3b-1c4d-4e5f-8a9b-0c1d2e3f4b${String(i).padStart(2, '0')}`, 'process', ['COLLECTING']);
    const caller = new AbortController();
    let most = 0;
    const listening: Sink = {
      id: 'l',
      concurrency: 16,
      send: async (_e, signal) => {
        const onAbort = () => undefined;
        signal.addEventListener('abort', onAbort);
        most = Math.max(most, getEventListeners(caller.signal, 'abort').length);
        await new Promise((r) => setTimeout(r, 5));
        signal.removeEventListener('abort', onAbort);
        return { ok: true };
      },
    };
    expect(await drainOutbox(store, [listening], opts({ t: T0 }, { signal: caller.signal }))).toMatchObject({ published: 20 });
    expect(most).toBe(1);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  test('pages through an outbox larger than the batch, past entries that stay pending', async () => {
    const store = new MemoryStateStore();
    const events: CloudEvent[] = [];
    for (let i = 0; i < 7; i++) events.push(...(await enqueue(store, `0f2e8a3b-1c4d-4e5f-8a9b-0c1d2e3f4a${String(i).padStart(2, '0')}`, 'port', ['COLLECTING'])));
    const stuck = new Set([events[0]!.id, events[1]!.id]);
    const sink = new ScriptedSink('s', (e) => (stuck.has(e.id) ? retry() : { ok: true }));
    const r = await drainOutbox(store, [sink], opts({ t: T0 }, { batchSize: 2 }));
    expect(r).toMatchObject({ published: 5, retried: 2, left: 2 });
    expect(new Set(sink.sent)).toEqual(new Set(events.map((e) => e.id)));
  });

  test('a retried failure is a warn once per event and sink per run, then debug, naming the hook by origin only', async () => {
    const store = new MemoryStateStore();
    const [a1] = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    const [b1] = await enqueue(store, UUID_B, 'process', ['COLLECTING']);
    const records: Array<{ level: string; msg: string; eventId?: string; sink?: string; attempts?: number }> = [];
    const logger = createLogger({ level: 'debug', write: (l) => records.push(JSON.parse(l)) });
    const hook = new ScriptedSink('webhook:https://hooks.example.com/services/T000/SECRETPATH?token=abc', () => retry('connection failed: ECONNREFUSED'), 2);
    const queue = new ScriptedSink('cmq-queue:q', () => retry('HTTP 503'));
    const retries = (from = 0) => records.slice(from).filter((r) => r.msg === 'delivery failed; will retry');
    const warned = (from = 0) => retries(from).filter((r) => r.level === 'warn').map((r) => `${r.eventId} ${r.sink}`).sort();
    const hookLabel = sinkLabel(hook.id);
    const everyPair = [`${a1!.id} ${hookLabel}`, `${a1!.id} cmq-queue:q`, `${b1!.id} ${hookLabel}`, `${b1!.id} cmq-queue:q`].sort();

    // One run (a sweep): its drains share one DeliveryRun. Three failed attempts of each pair, one warn each.
    const clock = { t: T0 };
    const run = new DeliveryRun();
    for (let i = 0; i < 3; i++) {
      await drainOutbox(store, [hook, queue], opts(clock, { logger, run }));
      clock.t += BACKOFF_CAP_MS;
    }
    expect(hook.sent).toHaveLength(6);
    expect(warned()).toEqual(everyPair);
    expect(retries().filter((r) => r.level === 'debug')).toHaveLength(8);
    expect(retries().filter((r) => r.level === 'warn').every((r) => r.attempts === 1)).toBe(true);

    // The next run warns again, once per pair.
    let from = records.length;
    await drainOutbox(store, [hook, queue], opts(clock, { logger, run: new DeliveryRun() }));
    expect(warned(from)).toEqual(everyPair);
    clock.t += BACKOFF_CAP_MS;

    // A drain without a run is a run of its own.
    from = records.length;
    await drainOutbox(store, [hook, queue], opts(clock, { logger }));
    expect(warned(from)).toEqual(everyPair);

    const logged = JSON.stringify(records);
    expect(logged).not.toMatch(/SECRETPATH|token=abc|services/);
    expect(hookLabel).toMatch(/^webhook:https:\/\/hooks\.example\.com\/…#[0-9a-f]{8}$/);
  });

  test('with no sinks nothing leaves the outbox', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    expect(await drainOutbox(store, [], opts({ t: T0 }))).toMatchObject({ left: 1 });
  });

  test('a sink that throws an error quoting its URL: the stored and the logged reason show neither the URL nor its path', async () => {
    const store = new MemoryStateStore();
    const hookUrl = 'https://hooks.example.com/services/T000/SECRETPATH?token=abc123456';
    const [e1] = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    const records: string[] = [];
    const logger = createLogger({ level: 'debug', write: (l) => records.push(l) });
    const hook = new ScriptedSink(`webhook:${hookUrl}`, () => {
      throw new Error(`request to ${hookUrl} failed (Cannot POST /services/T000/SECRETPATH?token=abc123456)`);
    });
    const clock = { t: T0 };
    expect(await drainOutbox(store, [hook], opts(clock, { logger, maxAttempts: 2 }))).toMatchObject({ retried: 1 });
    const pending = (await store.listOutbox(1))[0]!.deliveries[hook.id]!;
    expect(pending.lastError).toBe(`${sinkLabel(hook.id)} failed: request to … failed (Cannot POST …)`);
    clock.t += BACKOFF_CAP_MS;
    expect(await drainOutbox(store, [hook], opts(clock, { logger, maxAttempts: 2 }))).toMatchObject({ dead: 1 });
    const [letter] = await store.listDeadLetters(10);
    expect(letter).toMatchObject({ sinkId: hook.id, attempts: 2 }); // the store keeps the full id
    expect(letter!.event.id).toBe(e1!.id);
    expect(letter!.reason).not.toMatch(/SECRETPATH|token=|abc123456|services/);
    expect(records.length).toBeGreaterThan(0);
    expect(records.join('\n')).not.toMatch(/SECRETPATH|token=|abc123456|services/);
  });

  test('logs name a webhook by origin and hash, never by its full URL', () => {
    const label = sinkLabel('webhook:https://hooks.slack.com/services/T000/B000/SECRETPATH');
    expect(label).toMatch(/^webhook:https:\/\/hooks\.slack\.com\/…#[0-9a-f]{8}$/);
    expect(sinkLabel('cmq-topic:alerts')).toBe('cmq-topic:alerts');
  });
});

describe('drainOutbox: deferred sends', () => {
  test('a deferred send is not an attempt: attempts unchanged, due after retryAfterMs, counted as deferred', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    const sink = new ScriptedSink('s', () => deferred(500));
    expect(await drainOutbox(store, [sink], opts({ t: T0 }))).toMatchObject({ published: 0, retried: 0, deferred: 1, dead: 0, left: 1 });
    const [entry] = await store.listOutbox(10);
    expect(entry!.deliveries.s).toEqual({ status: 'pending', attempts: 0, nextAttemptAt: T0 + 500, lastError: null, finishedAt: null });
  });

  test('a deferred event is due again after retryAfterMs, not before', async () => {
    const store = new MemoryStateStore();
    const [e] = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    let room = false;
    const sink = new ScriptedSink('s', () => (room ? { ok: true } : deferred(500)));
    const clock = { t: T0 };
    await drainOutbox(store, [sink], opts(clock));
    room = true;
    clock.t = T0 + 499;
    await drainOutbox(store, [sink], opts(clock));
    expect(sink.sent).toEqual([e!.id]);
    clock.t = T0 + 500;
    expect(await drainOutbox(store, [sink], opts(clock))).toMatchObject({ published: 1, left: 0 });
  });

  test('a deferred event holds back the later events of its subject on that sink; other subjects go on', async () => {
    const store = new MemoryStateStore();
    const [a1] = await enqueue(store, UUID_A, 'process', ['COLLECTING', 'COMPLETE']);
    const [b1] = await enqueue(store, UUID_B, 'process', ['COLLECTING']);
    const sink = new ScriptedSink('s', (e) => (e.id === a1!.id ? deferred() : { ok: true }));
    expect(await drainOutbox(store, [sink], opts({ t: T0 }))).toMatchObject({ published: 1, deferred: 1, left: 2 });
    expect(sink.sent).toEqual([a1!.id, b1!.id]);
  });

  test('deferrals never use up the attempts: no dead letter however often a sink defers', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    let deferrals = 3;
    const sink = new ScriptedSink('s', () => (deferrals-- > 0 ? deferred(100) : { ok: true }));
    const clock = { t: T0 };
    for (let i = 0; i < 4; i++, clock.t += 100) await drainOutbox(store, [sink], opts(clock, { maxAttempts: 1 }));
    expect(await store.listDeadLetters(10)).toEqual([]);
    expect(await store.countOutbox()).toBe(0);
    expect(sink.sent).toHaveLength(4);
  });
});

describe('drainOutbox: routing (Sink.accepts)', () => {
  const warningsOnly = (sink: ScriptedSink): ScriptedSink => Object.assign(sink, { accepts: (e: CloudEvent) => e.data.severity === 'warning' });

  test('an event a sink does not accept is never sent there; the entry leaves when the accepting sinks are done', async () => {
    const store = new MemoryStateStore();
    const [collecting, failed] = await enqueue(store, UUID_A, 'process', ['COLLECTING', 'FAILED']);
    const all = new ScriptedSink('all');
    const alerts = warningsOnly(new ScriptedSink('alerts'));
    expect(await drainOutbox(store, [all, alerts], opts({ t: T0 }))).toMatchObject({ published: 3, left: 0 });
    expect(all.sent).toEqual([collecting!.id, failed!.id]);
    expect(alerts.sent).toEqual([failed!.id]);
  });

  test('a filtered event does not keep its entry alive while the sink that filters it is down', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    const down = warningsOnly(new ScriptedSink('alerts', () => retry('connection refused')));
    expect(await drainOutbox(store, [new ScriptedSink('all'), down], opts({ t: T0 }))).toMatchObject({ published: 1, retried: 0, left: 0 });
    expect(down.sent).toEqual([]);
  });

  test('an entry no sink accepts leaves the outbox at once, with no dead letter', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    const only = warningsOnly(new ScriptedSink('alerts'));
    expect(await drainOutbox(store, [only], opts({ t: T0 }))).toMatchObject({ published: 0, dead: 0, left: 0 });
    expect(only.sent).toEqual([]);
    expect(await store.listDeadLetters(10)).toEqual([]);
  });

  test('a replayed dead letter goes to its target sink even when that sink no longer accepts it', async () => {
    const store = new MemoryStateStore();
    const [e] = await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    await drainOutbox(store, [new ScriptedSink('s', () => ({ ok: false, retry: false, reason: 'HTTP 400' }))], opts({ t: T0 }));
    await store.replayDeadLetters(null, T0);
    const now = warningsOnly(new ScriptedSink('s'));
    expect(await drainOutbox(store, [now], opts({ t: T0 }))).toMatchObject({ published: 1, left: 0 });
    expect(now.sent).toEqual([e!.id]);
  });
});

describe('drainOutbox: batch sinks', () => {
  const refuse: SendResult = { ok: false, retry: false, reason: 'too big' };

  test('a batch carries at most maxBatch events', async () => {
    const store = new MemoryStateStore();
    for (let i = 0; i < 25; i++) await enqueue(store, uuidOf(i), 'process', ['COLLECTING']);
    const sink = new ScriptedBatchSink('b', 10);
    expect(await drainOutbox(store, [sink], opts({ t: T0 }))).toMatchObject({ published: 25, left: 0 });
    expect(sink.batches.map((b) => b.length)).toEqual([10, 10, 5]);
  });

  test('each result is applied to its own event: delivered, retried and dead in one batch', async () => {
    const store = new MemoryStateStore();
    const events: CloudEvent[] = [];
    for (let i = 0; i < 3; i++) events.push(...(await enqueue(store, uuidOf(i), 'process', ['COLLECTING'])));
    const sink = new ScriptedBatchSink('b', 10, () => [{ ok: true }, retry('HTTP 503'), refuse]);
    expect(await drainOutbox(store, [sink], opts({ t: T0 }))).toMatchObject({ published: 1, retried: 1, dead: 1, left: 1 });
    const [left] = await store.listOutbox(10);
    expect(left!.event.id).toBe(events[1]!.id);
    expect(left!.deliveries.b).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 503' });
    expect((await store.listDeadLetters(10)).map((d) => [d.event.id, d.reason])).toEqual([[events[2]!.id, 'too big']]);
  });

  test('consecutive events of one subject share a batch, in outbox order', async () => {
    const store = new MemoryStateStore();
    const events = await enqueue(store, UUID_A, 'process', ['COLLECTING', 'COMPLETE', 'COLLECTING', 'FAILED']);
    const sink = new ScriptedBatchSink('b', 10);
    await drainOutbox(store, [sink], opts({ t: T0 }));
    expect(sink.batches).toEqual([events.map((e) => e.id)]);
  });

  test('a subject longer than maxBatch goes on in the next batch, in order, never in two batches at once', async () => {
    const store = new MemoryStateStore();
    const events = await enqueue(store, UUID_A, 'process', ['COLLECTING', 'COMPLETE', 'COLLECTING', 'FAILED', 'COLLECTING']);
    let inFlight = 0;
    let maxInFlight = 0;
    const sink = new ScriptedBatchSink('b', 2, async (batch) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return batch.map(() => ({ ok: true }));
    }, 4);
    expect(await drainOutbox(store, [sink], opts({ t: T0 }))).toMatchObject({ published: 5, left: 0 });
    expect(sink.batches).toEqual([[events[0]!.id, events[1]!.id], [events[2]!.id, events[3]!.id], [events[4]!.id]]);
    expect(maxInFlight).toBe(1);
  });

  test('an ok after a failed earlier event of its subject is not recorded: it is sent again after its predecessor', async () => {
    const store = new MemoryStateStore();
    const [a1, a2] = await enqueue(store, UUID_A, 'process', ['COLLECTING', 'COMPLETE']);
    let fail = true;
    const sink = new ScriptedBatchSink('b', 10, (batch) => batch.map((e) => (fail && e.id === a1!.id ? retry() : { ok: true })));
    const clock = { t: T0 };
    expect(await drainOutbox(store, [sink], opts(clock))).toMatchObject({ published: 0, retried: 1, left: 2 });
    const entries = await store.listOutbox(10);
    expect(entries.find((e) => e.event.id === a2!.id)!.deliveries.b).toMatchObject({ status: 'pending', attempts: 0 });

    fail = false;
    clock.t += BACKOFF_BASE_MS;
    expect(await drainOutbox(store, [sink], opts(clock))).toMatchObject({ published: 2, left: 0 });
    expect(sink.batches).toEqual([[a1!.id, a2!.id], [a1!.id, a2!.id]]);
  });

  test('a batch the sink defers is not an attempt for any of its events', async () => {
    const store = new MemoryStateStore();
    for (let i = 0; i < 3; i++) await enqueue(store, uuidOf(i), 'process', ['COLLECTING']);
    const sink = new ScriptedBatchSink('b', 10, (batch) => batch.map(() => deferred(1_000)));
    expect(await drainOutbox(store, [sink], opts({ t: T0 }))).toMatchObject({ published: 0, retried: 0, deferred: 3, left: 3 });
    for (const entry of await store.listOutbox(10)) expect(entry.deliveries.b).toMatchObject({ attempts: 0, nextAttemptAt: T0 + 1_000 });
  });

  test('a batch sink that throws, or answers the wrong number of results, has every event of the batch retried', async () => {
    for (const answer of [() => Promise.reject(new Error('boom')), () => [{ ok: true } as SendResult]]) {
      const store = new MemoryStateStore();
      for (let i = 0; i < 3; i++) await enqueue(store, uuidOf(i), 'process', ['COLLECTING']);
      expect(await drainOutbox(store, [new ScriptedBatchSink('b', 10, answer)], opts({ t: T0 }))).toMatchObject({ published: 0, retried: 3, left: 3 });
    }
  });

  test('a 410 in a batch disables the sink: no later batch in this drain', async () => {
    const store = new MemoryStateStore();
    for (let i = 0; i < 4; i++) await enqueue(store, uuidOf(i), 'process', ['COLLECTING']);
    const sink = new ScriptedBatchSink('b', 2, (batch) => batch.map(() => ({ ok: false, retry: false, reason: 'HTTP 410', disable: true })));
    expect(await drainOutbox(store, [sink], opts({ t: T0 }))).toMatchObject({ dead: 2, left: 2, disabled: ['b'] });
    expect(sink.batches).toHaveLength(1);
  });

  test('an event another drain has claimed is left out of the batch, with the rest of its subject', async () => {
    const store = new MemoryStateStore();
    const [a1] = await enqueue(store, UUID_A, 'process', ['COLLECTING', 'COMPLETE']);
    const [b1] = await enqueue(store, UUID_B, 'process', ['COLLECTING']);
    await store.claimDelivery(a1!.id, 'b', T0, 60_000);
    const sink = new ScriptedBatchSink('b', 10);
    expect(await drainOutbox(store, [sink], opts({ t: T0 }))).toMatchObject({ published: 1, left: 2 });
    expect(sink.batches).toEqual([[b1!.id]]);
  });

  test('concurrent drains on one store never send one (event, sink) twice in batch mode', async () => {
    const store = new MemoryStateStore();
    const events: CloudEvent[] = [];
    for (let i = 0; i < 20; i++) events.push(...(await enqueue(store, uuidOf(i), 'process', ['COLLECTING', 'COMPLETE'])));
    const slow: BatchAnswer = async (batch) => {
      await new Promise((r) => setImmediate(r));
      return batch.map(() => ({ ok: true }));
    };
    const drains = [0, 1, 2].map(() => new ScriptedBatchSink('b', 3, slow, 2));
    await Promise.all(drains.map((sink) => drainOutbox(store, [sink], opts({ t: T0 }))));
    const sent = drains.flatMap((d) => d.sent);
    expect(new Set(sent).size).toBe(sent.length);
    // Whatever a drain left behind another's claim, a later drain finishes, still without a second send.
    const last = new ScriptedBatchSink('b', 3);
    await drainOutbox(store, [last], opts({ t: T0 + 1 }));
    const all = [...sent, ...last.sent];
    expect(all.sort()).toEqual(events.map((e) => e.id).sort());
    expect(await store.countOutbox()).toBe(0);
  });
});

describe('createSinks', () => {
  const base = { TENCENTCLOUD_SECRET_ID: 'AKIDtest', TENCENTCLOUD_SECRET_KEY: 'key' };
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const tdmq = { call: async () => ({ response: {}, requestId: 'r' }) } as never;

  test('with nothing configured, the console sink alone', () => {
    const lines: string[] = [];
    const sinks = createSinks(loadConfig(base), { tdmq: null, logger: silentLogger, consoleWrite: (l) => lines.push(l) });
    expect(sinks.map((s) => s.id)).toEqual(['console']);
  });

  test('a webhook per URL, then the CMQ topic and queue, and no console', () => {
    const config = loadConfig({ ...base, WEBHOOK_URLS: 'https://a.example.com/h, https://b.example.com/h', WEBHOOK_SECRET: secret, WEBHOOK_CONCURRENCY: '5', CMQ_TOPIC: 'cwp-events', CMQ_QUEUE: 'cwp-queue' });
    const sinks = createSinks(config, { tdmq, logger: silentLogger });
    expect(sinks.map((s) => s.id)).toEqual(['webhook:https://a.example.com/h', 'webhook:https://b.example.com/h', 'cmq-topic:cwp-events', 'cmq-queue:cwp-queue']);
    expect(sinks[0]!.concurrency).toBe(5);
  });

  test('the sinks line of the log names each webhook by origin and hash only', () => {
    const records: Array<{ msg: string; sinks?: string[] }> = [];
    const logger = createLogger({ level: 'info', write: (l) => records.push(JSON.parse(l)) });
    const urls = ['https://hooks.slack.com/services/T000/B000/SECRETPATH', 'https://a.example.com/h?key=SECRETKEY'];
    createSinks(loadConfig({ ...base, WEBHOOK_URLS: urls.join(','), WEBHOOK_SECRET: secret, CMQ_TOPIC: 'cwp-events' }), { tdmq, logger });
    const line = records.find((r) => r.msg === 'sinks');
    expect(line?.sinks).toEqual([sinkLabel(`webhook:${urls[0]}`), sinkLabel(`webhook:${urls[1]}`), 'cmq-topic:cwp-events']);
    expect(line?.sinks?.[0]).toMatch(/^webhook:https:\/\/hooks\.slack\.com\/…#[0-9a-f]{8}$/);
    expect(JSON.stringify(records)).not.toMatch(/SECRET|services/);
  });

  test('a URL listed twice is one sink', () => {
    const config = loadConfig({ ...base, WEBHOOK_URLS: 'https://a.example.com/h,https://a.example.com/h', WEBHOOK_SECRET: secret });
    expect(createSinks(config, { tdmq: null, logger: silentLogger }).map((s) => s.id)).toEqual(['webhook:https://a.example.com/h']);
  });

  test('EB_EVENT_BUS_ID adds the EventBridge sink, named by region and bus, a batch sink of 10', () => {
    const sinks = createSinks(loadConfig({ ...base, EB_EVENT_BUS_ID: 'eb-abcd1234', EB_REGION: 'ap-shanghai' }), { tdmq: null, eb: tdmq, logger: silentLogger });
    expect(sinks.map((s) => s.id)).toEqual(['eb:ap-shanghai/eb-abcd1234']);
    expect((sinks[0] as unknown as { maxBatch: number }).maxBatch).toBe(10);
  });

  test('EventBridge configured without its caller is a wiring error', () => {
    expect(() => createSinks(loadConfig({ ...base, EB_EVENT_BUS_ID: 'eb-abcd1234' }), { tdmq: null, logger: silentLogger })).toThrow(/no EventBridge caller/);
  });

  test('a sink with routing settings accepts only what they let through; one without takes everything', async () => {
    const config = loadConfig({ ...base, WEBHOOK_URLS: 'https://a.example.com/h', WEBHOOK_SECRET: secret, WEBHOOK_MIN_SEVERITY: 'warning', CMQ_TOPIC: 't' });
    const [webhook, cmq] = createSinks(config, { tdmq, logger: silentLogger });
    const store = new MemoryStateStore();
    const [info, warning] = await enqueue(store, UUID_A, 'process', ['COMPLETE', 'FAILED']);
    expect([webhook!.accepts?.(info!), webhook!.accepts?.(warning!)]).toEqual([false, true]);
    expect(cmq!.accepts).toBeUndefined();
  });

  test('CMQ configured without a TDMQ caller is a wiring error, not a silently missing sink', () => {
    expect(() => createSinks(loadConfig({ ...base, CMQ_QUEUE: 'q' }), { tdmq: null, logger: silentLogger })).toThrow(/no TDMQ caller/);
  });
});

describe('drainOutbox: the clock (DrainOptions.clock) and when the next attempt is due', () => {
  /** A sink that checks timestamps, as a webhook receiver does. */
  class TimestampedSink extends ScriptedSink {
    readonly checksTimestamps = true;
  }

  test('with the clock off, a sink that checks timestamps gets nothing, its deliveries untouched; the other sinks are sent to', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING', 'COMPLETE']);
    const hook = new TimestampedSink('hook');
    const plain = new ScriptedSink('console');
    const r = await drainOutbox(store, [hook, plain], opts({ t: T0 }, { clock: { state: 'off', offsetMs: -600_000 } }));
    expect(hook.sent).toEqual([]);
    expect(plain.sent).toHaveLength(2);
    expect(r).toMatchObject({ published: 2, dead: 0, heldForClock: 2, left: 2 });
    for (const e of await store.listOutbox(10)) expect(e.deliveries.hook).toBeUndefined();
    expect(await store.countDeadLetters()).toBe(0);
  });

  test('with the clock suspect, a refusal by a sink that checks timestamps is retried, not dead; by another sink, dead', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    const refuse = (): SendResult => ({ ok: false, retry: false, reason: 'HTTP 400: timestamp too old' });
    const hook = new TimestampedSink('hook', refuse);
    const other = new ScriptedSink('other', refuse);
    const r = await drainOutbox(store, [hook, other], opts({ t: T0 }, { clock: { state: 'suspect', offsetMs: 90_000 } }));
    expect(r).toMatchObject({ retried: 1, dead: 1, left: 1 });
    expect((await store.listDeadLetters(10)).map((l) => l.sinkId)).toEqual(['other']);
    expect((await store.listOutbox(10))[0]!.deliveries.hook).toMatchObject({ status: 'pending', attempts: 0, lastError: expect.stringContaining('clock may be off') });
  });

  test('an unknown clock is suspect too', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    const hook = new TimestampedSink('hook', () => ({ ok: false, retry: false, reason: 'HTTP 400' }));
    expect(await drainOutbox(store, [hook], opts({ t: T0 }, { clock: { state: 'unknown', offsetMs: null } }))).toMatchObject({ retried: 1, dead: 0 });
  });

  test('the drain says when the earliest delivery it left pending comes due: a retry, or one not due yet', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    const sink = new ScriptedSink('s', () => retry());
    const clock = { t: T0 };
    expect(await drainOutbox(store, [sink], opts(clock))).toMatchObject({ retried: 1, nextAttemptAt: T0 + 7_500 });
    clock.t = T0 + 1_000;
    expect(await drainOutbox(store, [sink], opts(clock))).toMatchObject({ retried: 0, nextAttemptAt: T0 + 7_500 });
  });

  test('a drain that leaves nothing pending says no next attempt', async () => {
    const store = new MemoryStateStore();
    await enqueue(store, UUID_A, 'process', ['COLLECTING']);
    expect((await drainOutbox(store, [new ScriptedSink('s')], opts({ t: T0 }))).nextAttemptAt).toBeUndefined();
  });
});
