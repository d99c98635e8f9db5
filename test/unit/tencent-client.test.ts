// TencentClient against a real loopback HTTP server: what it sends, how it reads every kind of answer, and how
// it retries by the error table without ever passing the caller's deadline.
import { createServer } from 'node:net';
import { TencentError, TRANSPORT_CODES } from '../../lib/errors';
import { fullJitterBackoffMs, signTc3, type CallStats } from '../../lib/tencent';
import { apiError, apiSuccess, json, startCaptureServer, type CaptureServer } from '../helpers/tencent-capture-server';
import { RecordingLimiter, TEST_CREDENTIALS, TEST_TOKEN, testClient } from '../helpers/tencent-fakes';
import { waitFor } from '../helpers/wait';

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const ACTION = 'DescribeProcessTaskStatus';
const serverError = { status: 500, headers: { 'Content-Type': 'text/html' }, body: '<html><body>502 Bad Gateway</body></html>' };
/** A RequestLimitExceeded* answer, with a Retry-After header when given. */
const throttled = (code = 'RequestLimitExceeded', retryAfter?: string) =>
  json({ Response: { Error: { Code: code, Message: 'slow down' }, RequestId: 'req-throttled' } }, 200, retryAfter === undefined ? {} : { 'Retry-After': retryAfter });

let server: CaptureServer;
beforeEach(async () => {
  server = await startCaptureServer();
});
afterEach(() => server.close());

/** The TencentError a call rejects with (fails the test if it resolves or throws anything else). */
async function failure(promise: Promise<unknown>): Promise<TencentError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(TencentError);
  return outcome.error as TencentError;
}

const newStats = (): CallStats => ({ retried: 0, throttled: 0 });

describe('the request', () => {
  test('is a POST to / with the JSON payload and the JSON content type', async () => {
    await testClient(server.origin).call(ACTION, { Uuid: UUID });
    const [req] = server.requests;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/');
    expect(req!.body).toBe(JSON.stringify({ Uuid: UUID }));
    expect(req!.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  test('carries action, version, region, and the clock\'s time in seconds', async () => {
    await testClient(server.origin, { now: () => 1_764_000_000_999, region: 'ap-shanghai' }).call(ACTION, {});
    const { headers } = server.requests[0]!;
    expect(headers['x-tc-action']).toBe(ACTION);
    expect(headers['x-tc-version']).toBe('2018-02-28');
    expect(headers['x-tc-region']).toBe('ap-shanghai');
    expect(headers['x-tc-timestamp']).toBe('1764000000');
  });

  test('is signed for the endpoint hostname (no port) and the configured service', async () => {
    const now = 1_764_000_000_000;
    await testClient(server.origin, { now: () => now }).call(ACTION, { Uuid: UUID });
    const { headers, body } = server.requests[0]!;
    const expected = signTc3({ ...TEST_CREDENTIALS, service: 'yunjing', host: '127.0.0.1', payload: body, timestamp: now / 1000 });
    expect(headers.authorization).toBe(expected.authorization);
    expect(headers.host).toBe(`127.0.0.1:${server.port}`);
  });

  test('has no X-TC-Token without a session token', async () => {
    await testClient(server.origin).call(ACTION, {});
    expect(server.requests[0]!.headers).not.toHaveProperty('x-tc-token');
  });

  test('has X-TC-Token with a session token', async () => {
    await testClient(server.origin, { credentials: { ...TEST_CREDENTIALS, token: TEST_TOKEN } }).call(ACTION, {});
    expect(server.requests[0]!.headers['x-tc-token']).toBe(TEST_TOKEN);
  });
});

describe('reading the answer', () => {
  test('a success resolves with the Response without RequestId, and the RequestId', async () => {
    server.answer(apiSuccess({ Status: 'COMPLETE' }, 'req-1'));
    await expect(testClient(server.origin).call(ACTION, {})).resolves.toEqual({ response: { Status: 'COMPLETE' }, requestId: 'req-1' });
  });

  test('an API error rejects with its code, message and RequestId', async () => {
    server.answer(apiError('FailedOperation.AgentOffline', 'The agent is offline.', 'req-2'));
    const error = await failure(testClient(server.origin).call(ACTION, {}));
    expect(error).toMatchObject({ code: 'FailedOperation.AgentOffline', message: 'The agent is offline.', requestId: 'req-2', action: ACTION, upstreamStatus: 200 });
    expect(error.row.state).toBe('AGENT_OFFLINE');
  });

  test('an API error under a non-2xx HTTP status still takes its code from the body', async () => {
    server.answer(json({ Response: { Error: { Code: 'InvalidParameter.InvalidFormat', Message: 'bad Uuid' }, RequestId: 'req-3' } }, 400));
    const error = await failure(testClient(server.origin).call(ACTION, {}));
    expect(error).toMatchObject({ code: 'InvalidParameter.InvalidFormat', requestId: 'req-3', upstreamStatus: 400 });
  });

  test('a non-2xx status without an API error is Bridge.UpstreamHttpError with the status', async () => {
    server.answer(serverError);
    const error = await failure(testClient(server.origin, { maxAttempts: 1 }).call(ACTION, {}));
    expect(error).toMatchObject({ code: TRANSPORT_CODES.httpStatus, upstreamStatus: 500 });
  });

  test('a 200 that is not JSON is Bridge.BadResponseBody', async () => {
    server.answer({ body: 'OK' });
    const error = await failure(testClient(server.origin, { maxAttempts: 1 }).call(ACTION, {}));
    expect(error).toMatchObject({ code: TRANSPORT_CODES.badBody, upstreamStatus: 200 });
  });

  test('JSON without a Response object is Bridge.EmptyResponse', async () => {
    server.answer(json({}));
    const error = await failure(testClient(server.origin, { maxAttempts: 1 }).call(ACTION, {}));
    expect(error.code).toBe(TRANSPORT_CODES.emptyBody);
  });

  test('a Response without RequestId is Bridge.BadResponseBody', async () => {
    server.answer(json({ Response: { Status: 'COMPLETE' } }));
    const error = await failure(testClient(server.origin, { maxAttempts: 1 }).call(ACTION, {}));
    expect(error.code).toBe(TRANSPORT_CODES.badBody);
  });

  test('a connection reset is Bridge.NetworkError', async () => {
    server.answer({ reset: true });
    const error = await failure(testClient(server.origin, { maxAttempts: 1 }).call(ACTION, {}));
    expect(error.code).toBe(TRANSPORT_CODES.network);
  });

  test('a refused connection is Bridge.NetworkError naming the system error', async () => {
    const error = await failure(testClient(`http://127.0.0.1:${await closedPort()}`, { maxAttempts: 1 }).call(ACTION, {}));
    expect(error.code).toBe(TRANSPORT_CODES.network);
    expect(error.message).toContain('ECONNREFUSED');
  });

  test('no answer within timeoutMs is Bridge.Timeout', async () => {
    server.answer({ hang: true });
    const started = Date.now();
    const error = await failure(testClient(server.origin, { maxAttempts: 1, timeoutMs: 100 }).call(ACTION, {}));
    expect(error.code).toBe(TRANSPORT_CODES.timeout);
    expect(error.message).toContain('within 100 ms');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  test('Retry-After in seconds is kept on the error', async () => {
    server.answer({ status: 503, headers: { 'Retry-After': '7' }, body: 'busy' });
    const error = await failure(testClient(server.origin, { maxAttempts: 1 }).call(ACTION, {}));
    expect(error).toMatchObject({ code: TRANSPORT_CODES.httpStatus, upstreamStatus: 503, retryAfterSeconds: 7 });
  });

  test('Retry-After as an HTTP date is kept as the seconds until then', async () => {
    const now = Date.UTC(2026, 10, 24, 10, 0, 0);
    server.answer({ status: 503, headers: { 'Retry-After': new Date(now + 30_000).toUTCString() }, body: 'busy' });
    const error = await failure(testClient(server.origin, { maxAttempts: 1, now: () => now }).call(ACTION, {}));
    expect(error.retryAfterSeconds).toBe(30);
  });
});

describe('the operation deadline', () => {
  test('an aborted operation signal ends a hanging attempt at once with Bridge.Timeout saying the deadline passed', async () => {
    server.answer({ hang: true });
    const deadline = new AbortController();
    const call = failure(testClient(server.origin, { timeoutMs: 5_000 }).call(ACTION, {}, { signal: deadline.signal }));
    // The deadline passes while the attempt hangs: once the server holds the request, not after a fixed time.
    await waitFor('the request to reach the server', () => server.requests.length === 1, 10_000);
    const aborted = Date.now();
    deadline.abort(new Error('deadline'));
    const error = await call;
    expect(error.code).toBe(TRANSPORT_CODES.timeout);
    expect(error.message).toContain('deadline passed');
    expect(Date.now() - aborted).toBeLessThan(1_000);
    expect(server.requests).toHaveLength(1);
  });

  test('an already aborted signal sends nothing', async () => {
    const error = await failure(testClient(server.origin).call(ACTION, {}, { signal: AbortSignal.abort() }));
    expect(error.message).toContain('deadline passed');
    expect(server.requests).toHaveLength(0);
  });

  test('a deadline already past sends nothing', async () => {
    const now = 1_000_000;
    const error = await failure(testClient(server.origin, { now: () => now }).call(ACTION, {}, { deadline: now }));
    expect(error.code).toBe(TRANSPORT_CODES.timeout);
    expect(server.requests).toHaveLength(0);
  });

  test('a backoff that would end after the deadline is not started: the last error comes back at once', async () => {
    server.answer(apiError('InternalError', 'oops', 'req-internal'));
    const now = Date.now();
    // random 1 makes the first backoff the full 100 ms; the deadline is 50 ms away.
    const started = Date.now();
    const error = await failure(testClient(server.origin, { random: () => 1 }).call(ACTION, {}, { deadline: now + 50 }));
    expect(error).toMatchObject({ code: 'InternalError', requestId: 'req-internal' });
    expect(server.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(50);
  });

  test('the operation signal ends a backoff sleep early', async () => {
    server.answer(serverError);
    const controller = new AbortController();
    const started = Date.now();
    const call = testClient(server.origin, { random: () => 1, maxAttempts: 10 }).call(ACTION, {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    const error = await failure(call);
    expect(error.message).toContain('deadline passed');
    expect(error.message).toContain(TRANSPORT_CODES.httpStatus);
    expect(Date.now() - started).toBeLessThan(100);
    expect(server.requests).toHaveLength(1);
  });

  test('the operation signal ends a rate-limiter wait', async () => {
    const limiter = new RecordingLimiter();
    limiter.acquireWaits = new Promise(() => {});
    const error = await failure(testClient(server.origin, { rateLimiter: limiter }).call(ACTION, {}, { signal: AbortSignal.timeout(30) }));
    expect(error.code).toBe(TRANSPORT_CODES.timeout);
    expect(server.requests).toHaveLength(0);
  });
});

describe('retries follow the error table', () => {
  test('never: an invalid request is tried once', async () => {
    server.answer(apiError('InvalidParameter.InvalidFormat'));
    const stats = newStats();
    await failure(testClient(server.origin).call(ACTION, {}, { stats }));
    expect(server.requests).toHaveLength(1);
    expect(stats).toEqual({ retried: 0, throttled: 0 });
  });

  test('bounded: an upstream fault is tried maxAttempts times in all', async () => {
    server.answer(apiError('InternalError'));
    const stats = newStats();
    const error = await failure(testClient(server.origin, { maxAttempts: 4 }).call(ACTION, {}, { stats }));
    expect(error.code).toBe('InternalError');
    expect(server.requests).toHaveLength(4);
    expect(stats).toEqual({ retried: 3, throttled: 0 });
  });

  test('bounded: the default is 3 attempts', async () => {
    server.answer({ reset: true });
    await failure(testClient(server.origin).call(ACTION, {}));
    expect(server.requests).toHaveLength(3);
  });

  test('bounded: a fault then a success resolves, counting one retry', async () => {
    server.answer(serverError, apiSuccess({ Status: 'COLLECTING' }));
    const stats = newStats();
    await expect(testClient(server.origin).call(ACTION, {}, { stats })).resolves.toMatchObject({ response: { Status: 'COLLECTING' } });
    expect(stats).toEqual({ retried: 1, throttled: 0 });
  });

  test('bounded: the backoff waits random() * 100 ms, then * 200 ms', async () => {
    server.answer(apiError('InternalError'));
    await failure(testClient(server.origin, { random: () => 0.9 }).call(ACTION, {}));
    const [first, second, third] = server.requests.map((r) => r.receivedAt);
    expect(second! - first!).toBeGreaterThanOrEqual(90 - 5);
    expect(third! - second!).toBeGreaterThanOrEqual(180 - 5);
    expect(third! - first!).toBeLessThan(270 + 200);
  });

  test('full jitter: uniform up to base * 2^n, capped', () => {
    expect(fullJitterBackoffMs(0, 100, 2_000, () => 1)).toBe(100);
    expect(fullJitterBackoffMs(3, 100, 2_000, () => 1)).toBe(800);
    expect(fullJitterBackoffMs(10, 100, 2_000, () => 1)).toBe(2_000);
    expect(fullJitterBackoffMs(10, 100, 2_000, () => 0.25)).toBe(500);
    expect(fullJitterBackoffMs(5, 250, 4_000, () => 0)).toBe(0);
  });

  test('backoff: a throttled answer pauses the limiter for Retry-After, then retries', async () => {
    server.answer(throttled('RequestLimitExceeded', '0'), apiSuccess({ Status: 'COMPLETE' }));
    const limiter = new RecordingLimiter();
    const stats = newStats();
    await testClient(server.origin, { rateLimiter: limiter }).call(ACTION, {}, { stats });
    expect(limiter.paused).toEqual([{ action: ACTION, ms: 0 }]);
    expect(stats).toEqual({ retried: 1, throttled: 1 });
  });

  test('backoff: Retry-After seconds become the pause in milliseconds', async () => {
    server.answer(throttled('RequestLimitExceeded.UinLimitExceeded', '2'));
    const controller = new AbortController();
    const limiter = new RecordingLimiter();
    // Abort as soon as the pause is asked for: what matters is the pause, not sitting through 2 s.
    limiter.pause = async (action, ms) => {
      limiter.paused.push({ action, ms });
      controller.abort();
    };
    const error = await failure(testClient(server.origin, { rateLimiter: limiter }).call(ACTION, {}, { signal: controller.signal }));
    expect(limiter.paused).toEqual([{ action: ACTION, ms: 2_000 }]);
    expect(error.message).toContain('deadline passed');
  });

  test('backoff: without Retry-After the pause is jittered from 250 ms, doubling', async () => {
    server.answer(throttled('RequestLimitExceeded.IPLimitExceeded'), throttled('RequestLimitExceeded.IPLimitExceeded'), apiSuccess({}));
    const limiter = new RecordingLimiter();
    await testClient(server.origin, { rateLimiter: limiter, random: () => 0.1 }).call(ACTION, {});
    expect(limiter.paused.map((p) => p.ms)).toEqual([25, 50]);
  });

  test('backoff: gives up after maxThrottledAttempts, counting every throttled answer', async () => {
    server.answer(throttled('RequestLimitExceeded', '0'));
    const stats = newStats();
    const error = await failure(testClient(server.origin, { maxThrottledAttempts: 3 }).call(ACTION, {}, { stats }));
    expect(error.code).toBe('RequestLimitExceeded');
    expect(server.requests).toHaveLength(3);
    expect(stats).toEqual({ retried: 2, throttled: 3 });
  });

  test('backoff: the default is 6 attempts', async () => {
    server.answer(throttled('RequestLimitExceeded', '0'));
    await failure(testClient(server.origin).call(ACTION, {}));
    expect(server.requests).toHaveLength(6);
  });

  test('resign-once: SignatureExpire is retried at once, signed afresh with a new timestamp', async () => {
    server.answer(apiError('AuthFailure.SignatureExpire'), apiSuccess({ Status: 'COMPLETE' }));
    let clock = 1_764_000_000_000;
    const stats = newStats();
    await testClient(server.origin, { now: () => (clock += 1_000) }).call(ACTION, {}, { stats });
    const [first, second] = server.requests;
    expect(Number(second!.headers['x-tc-timestamp'])).toBeGreaterThan(Number(first!.headers['x-tc-timestamp']));
    expect(second!.headers.authorization).not.toBe(first!.headers.authorization);
    expect(stats).toEqual({ retried: 1, throttled: 0 });
  });

  test('resign-once: a second SignatureExpire rejects', async () => {
    server.answer(apiError('AuthFailure.SignatureExpire'));
    const error = await failure(testClient(server.origin).call(ACTION, {}));
    expect(error.code).toBe('AuthFailure.SignatureExpire');
    expect(server.requests).toHaveLength(2);
  });

  test('auth failures other than SignatureExpire are not retried', async () => {
    server.answer(apiError('AuthFailure.SecretIdNotFound'));
    await failure(testClient(server.origin).call(ACTION, {}));
    expect(server.requests).toHaveLength(1);
  });

  test('every attempt takes a rate-limiter token for its action first', async () => {
    server.answer(serverError, serverError, apiSuccess({}));
    const limiter = new RecordingLimiter();
    const signal = AbortSignal.timeout(5_000);
    await testClient(server.origin, { rateLimiter: limiter }).call(ACTION, {}, { signal });
    expect(limiter.acquired).toEqual([1, 2, 3].map(() => ({ action: ACTION, signal })));
  });

  test('stats add up across mixed failures', async () => {
    server.answer(throttled('RequestLimitExceeded', '0'), { reset: true }, apiSuccess({}));
    const stats = newStats();
    await testClient(server.origin).call(ACTION, {}, { stats });
    expect(stats).toEqual({ retried: 2, throttled: 1 });
  });
});

describe('secrets', () => {
  test('no error message or log line carries the secret key or the session token', async () => {
    const credentials = { ...TEST_CREDENTIALS, token: TEST_TOKEN };
    const answers = [serverError, { body: 'not json' }, json({}), { reset: true as const }, apiError('AuthFailure.SignatureFailure')];
    const errors: TencentError[] = [];
    for (const answer of answers) {
      server.answer(answer);
      errors.push(await failure(testClient(server.origin, { credentials, maxAttempts: 1 }).call(ACTION, {})));
    }
    server.answer({ hang: true });
    errors.push(await failure(testClient(server.origin, { credentials, timeoutMs: 50, maxAttempts: 1 }).call(ACTION, {})));
    errors.push(await failure(testClient(server.origin, { credentials }).call(ACTION, {}, { signal: AbortSignal.abort() })));
    for (const error of errors) {
      const text = `${error.message} ${String(error)} ${JSON.stringify(error.toLog())}`;
      expect(text).not.toContain(TEST_CREDENTIALS.secretKey);
      expect(text).not.toContain(TEST_TOKEN);
    }
  });
});

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('construction', () => {
  test.each([
    [{ maxAttempts: 0 }],
    [{ maxThrottledAttempts: 1.5 }],
    [{ timeoutMs: 0 }],
  ])('rejects nonsense limits %j at once', (overrides) => {
    expect(() => testClient('http://127.0.0.1:1', overrides)).toThrow(RangeError);
  });
});
