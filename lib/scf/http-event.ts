// The SCF adapter of the HTTP core: one HttpRequest (lib/http/request.ts) from either HTTP trigger SCF can send:
// - API Gateway (test/fixtures/scf-apigw-event.json): `requestContext` (with requestId and stage), `httpMethod`,
//   `path`, headers in any case, `queryStringParameters` (declared ones) and `queryString` (all), `body`,
//   `isBase64Encoded`;
// - Function URL (test/fixtures/scf-function-url-event.json): `httpMethod`, `path`, lower-case `headers`,
//   `queryString`, `body`, maybe `isBase64Encoded`.
import { randomUUID } from 'node:crypto';
import { HttpError } from '../http/respond';
import type { HttpRequest } from '../http/request';
import type { ScfContext } from './types';

export type { HttpRequest } from '../http/request';

export interface EventOptions {
  /** A prefix the gateway leaves on every path (e.g. '/release'), stripped before routing. */
  basePath?: string;
  /** Largest body accepted, in bytes after base64 decoding. Default 64 KiB. */
  maxBodyBytes?: number;
}

export const MAX_BODY_BYTES = 64 * 1024;

export type NormalizedEvent =
  | { ok: true; request: HttpRequest }
  /** What could be read of a bad event, for the error answer and the access log. */
  | { ok: false; error: HttpError; requestId: string; method: string; path: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** The request id of an invocation: the gateway's, else SCF's, else a fresh one. Never throws. */
export function requestIdOf(event: unknown, context?: ScfContext): string {
  if (isRecord(event) && isRecord(event.requestContext) && nonEmpty(event.requestContext.requestId)) return event.requestContext.requestId;
  if (context && nonEmpty(context.request_id)) return context.request_id;
  return randomUUID();
}

/** '/release/' -> '/release'; '' or '/' -> '' (no base path). */
export function normalizeBasePath(basePath: string | undefined): string {
  if (!basePath) return '';
  let p = basePath.trim();
  if (!p.startsWith('/')) p = '/' + p;
  p = p.replace(/\/+$/, '');
  return p;
}

/** The routing path: no query, the base path stripped when present, no trailing slash. */
export function normalizePath(raw: string, basePath?: string): string {
  let p = raw;
  const q = p.indexOf('?');
  if (q >= 0) p = p.slice(0, q);
  if (!p.startsWith('/')) p = '/' + p;
  const base = normalizeBasePath(basePath);
  if (base && (p === base || p.startsWith(base + '/'))) p = p.slice(base.length);
  p = p.replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

function headerValue(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    const parts = v.filter((x): x is string => typeof x === 'string');
    return parts.length > 0 ? parts.join(', ') : null;
  }
  return null;
}

export function normalizeHeaders(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(raw)) return out;
  for (const [k, v] of Object.entries(raw)) {
    const value = headerValue(v);
    if (value === null) continue;
    const key = k.toLowerCase();
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  }
  return out;
}

function addQuery(out: Record<string, string>, raw: unknown): void {
  if (typeof raw === 'string') {
    for (const [k, v] of new URLSearchParams(raw.startsWith('?') ? raw.slice(1) : raw)) out[k] = v;
    return;
  }
  if (!isRecord(raw)) return;
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (Array.isArray(v) && v.length > 0) {
      const last = v[v.length - 1];
      if (typeof last === 'string') out[k] = last;
    }
  }
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function decodeBody(event: Record<string, unknown>, maxBytes: number): string | null {
  const raw = event.body;
  if (raw === undefined || raw === null) return null;
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (isRecord(raw) || Array.isArray(raw)) text = JSON.stringify(raw); // some test consoles send parsed JSON
  else throw new HttpError(400, 'invalid_body', `body must be a string, got ${typeof raw}`);

  const flagged = event.isBase64Encoded === true || event.isBase64Encoded === 'true';
  if (!flagged) {
    if (Buffer.byteLength(text, 'utf8') > maxBytes) throw tooLarge(maxBytes);
    return text;
  }
  const compact = text.replace(/\s+/g, '');
  // Reject before decoding what cannot fit once decoded.
  if (compact.length > Math.ceil(maxBytes / 3) * 4 + 4) throw tooLarge(maxBytes);
  if (!BASE64.test(compact) || compact.length % 4 === 1) {
    throw new HttpError(400, 'invalid_body', 'body is flagged isBase64Encoded but is not valid base64');
  }
  const bytes = Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
  if (bytes.length > maxBytes) throw tooLarge(maxBytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'invalid_body', 'body is not valid UTF-8 once base64-decoded');
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'payload_too_large', `body is larger than ${maxBytes} bytes`);
}

/** Reads either trigger's event; a bad event becomes a 400/413 HttpError, never an exception. */
export function normalizeEvent(event: unknown, context?: ScfContext, options: EventOptions = {}): NormalizedEvent {
  const requestId = requestIdOf(event, context);
  const fail = (error: HttpError, method = '-', path = '-'): NormalizedEvent => ({ ok: false, error, requestId, method, path });

  if (!isRecord(event)) {
    return fail(new HttpError(400, 'invalid_event', `the event is not an HTTP trigger event (got ${event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event}); missing httpMethod and path`));
  }
  const rc = isRecord(event.requestContext) ? event.requestContext : null;
  const methodRaw = nonEmpty(event.httpMethod) ? event.httpMethod : rc && nonEmpty(rc.httpMethod) ? rc.httpMethod : null;
  const pathRaw = typeof event.path === 'string' ? event.path : null;
  const missing = [methodRaw === null ? 'httpMethod' : null, pathRaw === null ? 'path' : null].filter((x): x is string => x !== null);
  if (methodRaw === null || pathRaw === null) {
    return fail(new HttpError(400, 'invalid_event', `the event is not an HTTP trigger event: missing ${missing.join(' and ')}`));
  }
  const method = methodRaw.toUpperCase();
  const path = normalizePath(pathRaw, options.basePath);

  const query: Record<string, string> = {};
  addQuery(query, event.queryStringParameters);
  addQuery(query, event.queryString);

  let body: string | null;
  try {
    body = decodeBody(event, options.maxBodyBytes ?? MAX_BODY_BYTES);
  } catch (e) {
    if (e instanceof HttpError) return fail(e, method, path);
    throw e;
  }
  return {
    ok: true,
    request: { method, path, headers: normalizeHeaders(event.headers), query, body, requestId, trigger: rc ? 'apigw' : 'function-url' },
  };
}
