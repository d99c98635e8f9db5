// Every answer of the HTTP function is built here: JSON, the SCF integrated-response form, our request id in
// `x-request-id`, and errors in one envelope `{"error": {"code", "message", "requestId"}}`. Error bodies are
// built from a code and a message only, never from an Error object, so no stack can leak into a response.
import type { ScfHttpResponse } from '../scf/types';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export interface HttpErrorOptions {
  /** Extra response headers (`Allow`, `WWW-Authenticate`, `Retry-After`). */
  headers?: Record<string, string>;
  /** Extra fields beside `error` in the body (e.g. the state of a 404 status answer). */
  body?: Record<string, unknown>;
  /** Extra fields inside `error` (e.g. `field`, `upstreamRequestId`). */
  details?: Record<string, unknown>;
}

/** An error that becomes an HTTP answer as it is: the status, our code, a message safe to show. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
  readonly details: Record<string, unknown>;
  constructor(readonly status: number, readonly code: string, message: string, options: HttpErrorOptions = {}) {
    super(message);
    this.headers = options.headers ?? {};
    this.body = options.body ?? {};
    this.details = options.details ?? {};
  }
}

export interface ErrorBody {
  error: { code: string; message: string; requestId: string; [k: string]: unknown };
}

export function errorBody(code: string, message: string, requestId: string, more: Record<string, unknown> = {}): ErrorBody {
  return { error: { ...more, code, message, requestId } };
}

export function jsonResponse(statusCode: number, body: unknown, requestId: string, headers: Record<string, string> = {}): ScfHttpResponse {
  return {
    isBase64Encoded: false,
    statusCode,
    headers: { 'content-type': JSON_CONTENT_TYPE, 'cache-control': 'no-store', ...lowerKeys(headers), 'x-request-id': requestId },
    body: JSON.stringify(body),
  };
}

export function errorResponse(err: HttpError, requestId: string): ScfHttpResponse {
  return jsonResponse(err.status, { ...err.body, ...errorBody(err.code, err.message, requestId, err.details) }, requestId, err.headers);
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

const MAX_MESSAGE = 300;

/**
 * A message from elsewhere (a store, an upstream) made safe to show: credentials in URLs masked
 * (`redis://user:pass@host` -> `redis://***@host`), one line, at most 300 characters.
 */
export function safeMessage(message: string): string {
  const s = message.replace(/\/\/[^\s/@]*@/g, '//***@').replace(/\s+/g, ' ').trim();
  return s.length > MAX_MESSAGE ? s.slice(0, MAX_MESSAGE - 1) + '…' : s;
}
