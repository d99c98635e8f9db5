// The Tencent Cloud API 3.0 client: one signed POST per attempt (on node:http(s), see http.ts), deadlines through AbortSignal,
// retries decided by the error table, and every failure (API, HTTP, body, network, deadline) as a TencentError.
// It imports nothing heavy: SCF cold starts pay for every module loaded here.
import { TencentError, TRANSPORT_CODES } from '../errors';
import type { RateLimiter } from '../ratelimit/limiter';
import type { ServerClock } from './clock';
import { JSON_CONTENT_TYPE, signTc3 } from './sign';
import { abortableSleep, anySignal } from '../util/abort';
import { describeNetworkError, parseRetryAfter } from '../util/wire';
import { nodePost, type PostFn } from './http';
import type { CallOptions, CallStats, TencentCaller, TencentCredentials, TencentResult } from './types';

export interface TencentClientOptions {
  /** The origin, e.g. `https://yunjing.tencentcloudapi.com` or `http://127.0.0.1:8080`. */
  endpoint: string;
  /** The service in the credential scope, e.g. `yunjing` or `tdmq`. */
  service: string;
  /** The API version, e.g. `2018-02-28`. */
  version: string;
  region: string;
  credentials: TencentCredentials;
  /** The limit of one HTTP attempt, body included. */
  timeoutMs: number;
  rateLimiter?: RateLimiter;
  /** Attempts in all for upstream faults (retry policy `bounded`). Default 3. */
  maxAttempts?: number;
  /** Attempts in all for RequestLimitExceeded* answers (retry policy `backoff`). Default 6. */
  maxThrottledAttempts?: number;
  /** Epoch milliseconds; signs X-TC-Timestamp and plans backoffs against `deadline`. */
  now?: () => number;
  /** The transport (tests; Node's global fetch fits too). Default: nodePost (http.ts), which leaves less garbage per call than fetch. */
  fetch?: PostFn;
  /** In [0, 1); drives the backoff jitter. */
  random?: () => number;
  /** Told the `Date` of every answer, so the runtime knows how far this machine's clock is from Tencent Cloud's. */
  clock?: ServerClock;
  /** Told the outcome of every request (`ok` or the error code): cwp_bridge_cwp_requests_total (lib/metrics). */
  requests?: RequestCounter;
}

/** Counts requests by action and result; the runtime adds them up and writes them to the store in batches. */
export interface RequestCounter {
  count(action: string, result: string): void;
}

/** Backoff for upstream faults (`bounded`). */
export const BOUNDED_BACKOFF = { baseMs: 100, capMs: 2_000 } as const;
/** Backoff for throttling (`backoff`) when the answer has no Retry-After. */
export const THROTTLED_BACKOFF = { baseMs: 250, capMs: 4_000 } as const;

/**
 * "Full jitter": a uniform wait in [0, min(cap, base * 2^retryIndex)), so that many clients that failed together
 * do not come back together. `retryIndex` is 0 for the first retry.
 */
export function fullJitterBackoffMs(retryIndex: number, baseMs: number, capMs: number, random: () => number): number {
  return random() * Math.min(capMs, baseMs * 2 ** retryIndex);
}

export class TencentClient implements TencentCaller {
  private readonly url: string;
  /**
   * The host in the signature. The official SDK signs the URL's hostname, without the port (its sign3 writes
   * `host:${new URL(url).hostname}`), while its Host header carries the port; we sign the same way so that
   * our Authorization equals the SDK's for every endpoint (test/contract/signer-vs-sdk.test.ts). For the real
   * endpoints (https, default port) hostname and host are the same string.
   */
  private readonly signedHost: string;
  private readonly fetchImpl: PostFn;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly maxThrottledAttempts: number;

  constructor(private readonly options: TencentClientOptions) {
    const url = new URL('/', options.endpoint);
    this.url = url.href;
    this.signedHost = url.hostname;
    this.fetchImpl = options.fetch ?? nodePost;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.maxAttempts = atLeastOne(options.maxAttempts ?? 3, 'maxAttempts');
    this.maxThrottledAttempts = atLeastOne(options.maxThrottledAttempts ?? 6, 'maxThrottledAttempts');
    if (!(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) throw new RangeError(`timeoutMs must be a positive number, got ${options.timeoutMs}`);
  }

  async call<T>(action: string, payload: Record<string, unknown>, options: CallOptions = {}): Promise<TencentResult<T>> {
    const { signal, deadline } = options;
    const stats: CallStats = options.stats ?? { retried: 0, throttled: 0 };
    const body = JSON.stringify(payload);
    const limiter = this.options.rateLimiter;
    let lastError: TencentError | null = null;
    let boundedFailures = 0;
    let throttledAnswers = 0;
    let resigned = false;

    for (;;) {
      if (signal?.aborted || (deadline !== undefined && this.now() >= deadline)) throw deadlinePassed(action, lastError);
      if (limiter) await this.untilAborted(limiter.acquire(action, signal), action, signal, lastError);

      let error: TencentError;
      try {
        const answer = (await this.attempt(action, body, signal)) as TencentResult<T>;
        this.options.requests?.count(action, 'ok');
        return answer;
      } catch (e) {
        if (!(e instanceof TencentError)) throw e;
        error = e;
        this.options.requests?.count(action, e.code);
      }
      if (signal?.aborted) throw deadlinePassed(action, error);
      lastError = error;

      let delayMs: number;
      switch (error.row.retry) {
        case 'never':
          throw error;
        case 'resign-once':
          // Clock skew: a fresh timestamp is the whole fix, so retry at once; a second expiry means our clock is wrong.
          if (resigned) throw error;
          resigned = true;
          delayMs = 0;
          break;
        case 'bounded':
          boundedFailures += 1;
          if (boundedFailures >= this.maxAttempts) throw error;
          delayMs = error.retryAfterSeconds !== null
            ? error.retryAfterSeconds * 1000
            : fullJitterBackoffMs(boundedFailures - 1, BOUNDED_BACKOFF.baseMs, BOUNDED_BACKOFF.capMs, this.random);
          break;
        case 'backoff':
          throttledAnswers += 1;
          stats.throttled += 1;
          if (throttledAnswers >= this.maxThrottledAttempts) throw error;
          delayMs = error.retryAfterSeconds !== null
            ? error.retryAfterSeconds * 1000
            : fullJitterBackoffMs(throttledAnswers - 1, THROTTLED_BACKOFF.baseMs, THROTTLED_BACKOFF.capMs, this.random);
          break;
      }

      // A backoff that cannot end before the deadline only wastes the time left: give up with what we know.
      if (deadline !== undefined && this.now() + delayMs > deadline) throw error;
      if (error.row.retry === 'backoff' && limiter) {
        // Tell the shared bucket too, so other callers of this action slow down with us.
        await this.untilAborted(limiter.pause(action, delayMs), action, signal, error);
      }
      stats.retried += 1;
      if (delayMs > 0) await this.untilAborted(abortableSleep(delayMs, signal), action, signal, error);
    }
  }

  /** One signed HTTP attempt, signed afresh (new timestamp), answered or failed as one TencentError. */
  private async attempt(action: string, body: string, operationSignal: AbortSignal | undefined): Promise<TencentResult<unknown>> {
    const { credentials } = this.options;
    const timestamp = Math.floor(this.now() / 1000);
    const { authorization } = signTc3({
      secretId: credentials.secretId,
      secretKey: credentials.secretKey,
      service: this.options.service,
      host: this.signedHost,
      payload: body,
      timestamp,
      contentType: JSON_CONTENT_TYPE,
    });
    const headers: Record<string, string> = {
      'Content-Type': JSON_CONTENT_TYPE,
      Authorization: authorization,
      'X-TC-Action': action,
      'X-TC-Version': this.options.version,
      'X-TC-Timestamp': String(timestamp),
      'X-TC-Region': this.options.region,
    };
    if (credentials.token) headers['X-TC-Token'] = credentials.token;

    // A timer cleared when the attempt ends, rather than AbortSignal.timeout: that one's timer and registry entry
    // outlive the attempt (timeoutMs), keeping its signal and listeners out of the young generation.
    const attemptTimer = new AbortController();
    const attemptTimeout = attemptTimer.signal;
    const timer = setTimeout(() => attemptTimer.abort(new Error('attempt timeout')), this.options.timeoutMs);
    const combined = anySignal([attemptTimeout, operationSignal]);
    const signal = combined.signal;
    let status: number;
    let retryAfterSeconds: number | null;
    let text: string;
    const sentAt = this.now();
    try {
      const res = await this.fetchImpl(this.url, { method: 'POST', headers, body, signal });
      this.options.clock?.observe(res.headers.get('date'), sentAt, this.now());
      status = res.status;
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.now());
      retryAfterSeconds = retryAfterMs === undefined ? null : Math.ceil(retryAfterMs / 1000);
      text = await res.text();
    } catch (cause) {
      if (operationSignal?.aborted) throw deadlinePassed(action, null, cause);
      if (attemptTimeout.aborted) {
        throw new TencentError({ code: TRANSPORT_CODES.timeout, message: `${action}: no answer from ${this.signedHost} within ${this.options.timeoutMs} ms`, action, cause });
      }
      throw new TencentError({ code: TRANSPORT_CODES.network, message: `${action}: the request to ${this.signedHost} failed (${describeNetworkError(cause)})`, action, cause });
    } finally {
      clearTimeout(timer);
      combined.dispose();
    }
    return parseAnswer(action, status, text, retryAfterSeconds);
  }

  /** Waits for `work`, but never past the operation signal. */
  private async untilAborted<T>(work: Promise<T>, action: string, signal: AbortSignal | undefined, lastError: TencentError | null): Promise<T> {
    if (!signal) return work;
    if (signal.aborted) throw deadlinePassed(action, lastError);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(deadlinePassed(action, lastError));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, aborted]);
    } catch (e) {
      // A limiter rejects with the signal's reason when it aborts: report that as the deadline, like the rest.
      if (signal.aborted) throw deadlinePassed(action, lastError);
      throw e;
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }
}

/** The answer of one attempt, read as the API 3.0 envelope `{Response: {..., RequestId} | {Error, RequestId}}`. */
function parseAnswer(action: string, status: number, text: string, retryAfterSeconds: number | null): TencentResult<unknown> {
  const common = { action, upstreamStatus: status, retryAfterSeconds };
  let json: unknown;
  let isJson = true;
  try {
    json = JSON.parse(text);
  } catch {
    isJson = false;
  }
  const response = isJson && isObject(json) && isObject(json.Response) ? json.Response : null;
  const requestId = response && typeof response.RequestId === 'string' ? response.RequestId : null;

  // An API error is the API's answer whatever the HTTP status: its code is what the table knows.
  if (response && isObject(response.Error) && typeof response.Error.Code === 'string') {
    const message = typeof response.Error.Message === 'string' ? response.Error.Message : response.Error.Code;
    throw new TencentError({ code: response.Error.Code, message, requestId, ...common });
  }
  if (status < 200 || status > 299) {
    throw new TencentError({ code: TRANSPORT_CODES.httpStatus, message: `${action}: HTTP ${status} without an API error`, requestId, ...common });
  }
  if (!isJson) {
    throw new TencentError({ code: TRANSPORT_CODES.badBody, message: `${action}: the answer is not JSON (${text.length} characters)`, ...common });
  }
  if (!response) {
    throw new TencentError({ code: TRANSPORT_CODES.emptyBody, message: `${action}: the answer has no Response object`, ...common });
  }
  if (requestId === null || 'Error' in response) {
    throw new TencentError({ code: TRANSPORT_CODES.badBody, message: `${action}: the Response has no RequestId or a malformed Error`, requestId, ...common });
  }
  const { RequestId: _requestId, ...rest } = response;
  return { response: rest, requestId };
}

function deadlinePassed(action: string, lastError: TencentError | null, cause?: unknown): TencentError {
  const after = lastError ? ` (last error: ${lastError.code})` : '';
  return new TencentError({
    code: TRANSPORT_CODES.timeout,
    message: `${action}: the operation's deadline passed${after}`,
    action,
    requestId: lastError?.requestId ?? null,
    cause: lastError ?? cause,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function atLeastOne(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be an integer >= 1, got ${value}`);
  return value;
}
