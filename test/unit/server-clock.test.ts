// How far this machine's clock is from Tencent Cloud's (lib/tencent/clock.ts): the offset from an answer's Date and
// the request's round trip, the verdict it gives, and the TencentClient telling the clock every answer's Date
// (against a real loopback HTTP server, whose Date is the machine's own clock).
import { CLOCK_OFF_MS, CLOCK_SUSPECT_MS, clockVerdict, offsetFromDate, ServerClock } from '../../lib/tencent/clock';
import { apiError, apiSuccess, startCaptureServer, type CaptureServer } from '../helpers/tencent-capture-server';
import { testClient } from '../helpers/tencent-fakes';

const T = Date.UTC(2026, 10, 24, 10, 0, 0);
const httpDate = (ms: number) => new Date(ms).toUTCString();

describe('the offset from an answer\'s Date', () => {
  test('is the server\'s second (its middle) against the middle of the round trip, to the second', () => {
    expect(offsetFromDate(httpDate(T), T - 200, T + 800)).toBe(0);
    expect(offsetFromDate(httpDate(T), T + 600_000, T + 600_300)).toBe(-600_000); // our clock 10 minutes ahead
    expect(offsetFromDate(httpDate(T + 90_000), T, T + 100)).toBe(90_000); // ours 90 s behind
  });

  test('a missing or unreadable Date gives none', () => {
    expect(offsetFromDate(null, T, T)).toBeNull();
    expect(offsetFromDate('yesterday-ish', T, T)).toBeNull();
  });
});

describe('the verdict', () => {
  test.each([
    [0, 'ok'], [CLOCK_SUSPECT_MS, 'ok'], [CLOCK_SUSPECT_MS + 1_000, 'suspect'], [-CLOCK_OFF_MS, 'suspect'], [-(CLOCK_OFF_MS + 1_000), 'off'], [600_000, 'off'],
  ])('an offset of %d ms is %s', (offsetMs, state) => {
    expect(clockVerdict({ offsetMs, at: T })).toEqual({ state, offsetMs });
  });

  test('no reading is unknown', () => {
    expect(clockVerdict(null)).toEqual({ state: 'unknown', offsetMs: null });
  });
});

describe('ServerClock', () => {
  test('a wait for a reading ends with the first one taken after it began', async () => {
    const clock = new ServerClock();
    clock.observe(httpDate(Date.now()), Date.now() - 10_000, Date.now() - 10_000); // before: not this run's
    const since = Date.now();
    const waiting = clock.waitForReading(since, since + 10_000);
    setTimeout(() => clock.observe(httpDate(Date.now() + 300_000), Date.now(), Date.now()), 20);
    expect((await waiting)?.offsetMs).toBeGreaterThanOrEqual(299_000);
  });

  test('with no reading by the end of the wait, it ends with none', async () => {
    const clock = new ServerClock();
    const since = Date.now();
    expect(await clock.waitForReading(since, since + 30)).toBeNull();
  });

  test('an aborted wait ends at once', async () => {
    const controller = new AbortController();
    const clock = new ServerClock();
    const started = Date.now();
    setTimeout(() => controller.abort(), 10);
    expect(await clock.waitForReading(started, started + 60_000, controller.signal)).toBeNull();
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('TencentClient and the clock', () => {
  let server: CaptureServer;
  beforeEach(async () => {
    server = await startCaptureServer();
  });
  afterEach(() => server.close());

  test('every answer tells the clock its Date, an API error as much as a success', async () => {
    const clock = new ServerClock();
    // Our clock 10 minutes ahead of the server's (the real one).
    const client = testClient(server.origin, { clock, now: () => Date.now() + 600_000 });
    server.answer(apiError('AuthFailure.SignatureExpire'));
    await client.call('DescribeProcessTaskStatus', {}).catch(() => undefined);
    expect(clockVerdict(clock.readingSince(0))).toEqual({ state: 'off', offsetMs: expect.any(Number) });
    expect(Math.abs(clock.readingSince(0)!.offsetMs + 600_000)).toBeLessThanOrEqual(2_000);

    const right = new ServerClock();
    server.answer(apiSuccess({ Status: 'COMPLETE' }));
    await testClient(server.origin, { clock: right }).call('DescribeProcessTaskStatus', {});
    expect(clockVerdict(right.readingSince(0)).state).toBe('ok');
  });
});
