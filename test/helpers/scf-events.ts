// SCF trigger events for end-to-end tests, built from the real fixtures (test/fixtures): an API Gateway
// event and a Function URL event for the same HTTP request, the timer event, and an SCF-like context.
import { randomUUID } from 'node:crypto';
import { loadFixture } from './fixtures';
import type { ScfContext, ScfHttpResponse } from '../../lib/scf/types';

export { FIXTURES_DIR } from './fixtures';
const fixture = loadFixture;

type Json = Record<string, unknown>;

export const APIGW_FIXTURE = fixture<Json>('scf-apigw-event.json');
export const FUNCTION_URL_FIXTURE = fixture<Json>('scf-function-url-event.json');
export const TIMER_FIXTURE = fixture<Json>('scf-timer-event.json');

/** One HTTP request, independent of the trigger that carries it. */
export interface HttpCall {
  method: string;
  /** Without the query. */
  path: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: string | null;
}

export type TriggerShape = 'apigw' | 'function-url';
export const TRIGGER_SHAPES: readonly TriggerShape[] = ['apigw', 'function-url'];

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * The API Gateway fixture with this request's method, path, headers (added to the fixture's, in the case the
 * caller wrote them), query (both `queryStringParameters` and `queryString`) and body; a fresh
 * requestContext.requestId unless one is given.
 */
export function apigwEvent(call: HttpCall, requestId: string = randomUUID()): Json {
  const e = clone(APIGW_FIXTURE);
  const rc = e.requestContext as Json;
  rc.httpMethod = call.method;
  rc.path = call.path;
  rc.requestId = requestId;
  e.httpMethod = call.method;
  e.path = call.path;
  e.headers = { ...(e.headers as Json), ...(call.headers ?? {}) };
  e.queryStringParameters = { ...(call.query ?? {}) };
  e.queryString = { ...(call.query ?? {}) };
  e.pathParameters = {};
  e.body = call.body ?? null;
  return e;
}

/** The Function URL fixture with this request: lower-case headers, `queryString`, a matching content-length. */
export function functionUrlEvent(call: HttpCall): Json {
  const e = clone(FUNCTION_URL_FIXTURE);
  const headers: Record<string, string> = { ...(e.headers as Record<string, string>) };
  delete headers['content-length'];
  for (const [k, v] of Object.entries(call.headers ?? {})) headers[k.toLowerCase()] = v;
  if (call.body !== undefined && call.body !== null) headers['content-length'] = String(Buffer.byteLength(call.body));
  e.headers = headers;
  e.httpMethod = call.method;
  e.path = call.path;
  e.queryString = { ...(call.query ?? {}) };
  e.body = call.body ?? '';
  return e;
}

export function eventFor(shape: TriggerShape, call: HttpCall, requestId?: string): Json {
  return shape === 'apigw' ? apigwEvent(call, requestId) : functionUrlEvent(call);
}

/** An SCF-like context; `remainingMs` counts down from now when given. */
export function scfContext(options: { requestId?: string; functionName?: string; remainingMs?: number } = {}): ScfContext {
  const ctx: ScfContext = {
    request_id: options.requestId ?? randomUUID(),
    memory_limit_in_mb: 128,
    tencentcloud_region: 'ap-guangzhou',
    callbackWaitsForEmptyEventLoop: true,
  };
  if (options.functionName !== undefined) ctx.function_name = options.functionName;
  if (options.remainingMs !== undefined) {
    const end = Date.now() + options.remainingMs;
    ctx.time_limit_in_ms = options.remainingMs;
    ctx.getRemainingTimeInMillis = () => Math.max(0, end - Date.now());
  }
  return ctx;
}

/** The integrated response with its body parsed. */
export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: any;
  raw: ScfHttpResponse;
}

export function parseResponse(r: ScfHttpResponse): ParsedResponse {
  return { status: r.statusCode, headers: r.headers, body: JSON.parse(r.body), raw: r };
}

/**
 * A response body with what legitimately differs between two invocations removed: request ids (ours and
 * Tencent's), observation and record times. What remains must be equal for the same request.
 */
export function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (['requestId', 'upstreamRequestId', 'observedAt', 'lastChecked', 'nextDue', 'since', 'addedAt', 'ms'].includes(k)) continue;
    out[k] = comparable(v);
  }
  return out;
}
