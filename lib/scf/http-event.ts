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

/** Deepest a body that arrives already parsed (an object, not a string) may be nested. */
export const MAX_BODY_DEPTH = 64;

export type NormalizedEvent =
  | { ok: true; request: HttpRequest }
  /**
   * What could be read of a bad event, for the error answer and the access log. `request` (its body null) is
   * there when only the body was bad: the handler authenticates and routes that request before it answers
   * `error`, so a bad body never tells an unauthenticated caller anything about a route.
   */
  | { ok: false; error: HttpError; requestId: string; method: string; path: string; request?: HttpRequest };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
/** A request id we can put in a response header and a log line as it is: 1-128 printable ASCII characters. */
const usableId = (v: unknown): v is string => typeof v === 'string' && /^[\x21-\x7e]{1,128}$/.test(v);

/** The request id of an invocation: the gateway's, else SCF's, else a fresh one. Never throws. */
export function requestIdOf(event: unknown, context?: ScfContext): string {
  try {
    if (isRecord(event) && isRecord(event.requestContext) && usableId(event.requestContext.requestId)) return event.requestContext.requestId;
  } catch {
    // an event whose requestContext cannot be read: normalizeEvent answers it
  }
  try {
    if (context && usableId(context.request_id)) return context.request_id;
  } catch {
    // likewise
  }
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

/** An empty map without a prototype: a header or query name such as `constructor` or `__proto__` is just a name. */
const emptyMap = (): Record<string, string> => Object.create(null) as Record<string, string>;

export function normalizeHeaders(raw: unknown): Record<string, string> {
  const out = emptyMap();
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

const invalidBody = (message: string): HttpError => new HttpError(400, 'invalid_body', message, { details: { field: 'body' } });

/**
 * A body that arrives already parsed (some test consoles send JSON that way) as the JSON text the routes
 * read. Walked first, without recursion and with bounds, because JSON.stringify itself throws on what an
 * event can hold (nesting deep enough to overflow the stack, a cycle, a bigint): deeper than MAX_BODY_DEPTH
 * or a cycle is 400 `invalid_body`, more than `maxBytes` of JSON is 413, both as soon as they are seen.
 */
function parsedBodyText(raw: object, maxBytes: number): string {
  const onPath = new Set<object>();
  const stack: Array<{ value: unknown; depth: number } | { leave: object }> = [{ value: raw, depth: 1 }];
  // A lower bound of the size of the JSON in bytes, to stop as soon as it is too large; the exact size is
  // checked once it is text.
  let size = 0;
  while (stack.length > 0) {
    const item = stack.pop()!;
    if ('leave' in item) {
      onPath.delete(item.leave);
      continue;
    }
    const { value, depth } = item;
    if (typeof value === 'bigint') throw invalidBody('body holds a bigint, which JSON cannot represent');
    if (typeof value === 'string') size += value.length + 2; // UTF-8 takes at least a byte per UTF-16 unit
    else if (typeof value !== 'object' || value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') size += 1;
    else {
      if (depth > MAX_BODY_DEPTH) throw invalidBody(`body is nested deeper than ${MAX_BODY_DEPTH} levels`);
      if (onPath.has(value)) throw invalidBody('body is not JSON: it contains itself');
      onPath.add(value);
      stack.push({ leave: value });
      size += 2;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length && size <= maxBytes; i++) {
          if (i > 0) size += 1;
          stack.push({ value: value[i], depth: depth + 1 });
        }
      } else {
        let members = 0;
        for (const key of Object.keys(value)) {
          if (size > maxBytes) break;
          const v = (value as Record<string, unknown>)[key];
          // JSON.stringify leaves out a member whose value is undefined, a function or a symbol.
          if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
          size += key.length + 3 + (members++ > 0 ? 1 : 0); // "key": and the comma before it
          stack.push({ value: v, depth: depth + 1 });
        }
      }
    }
    if (size > maxBytes) throw tooLarge(maxBytes);
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(raw);
  } catch {
    throw invalidBody('body is an object that JSON cannot represent');
  }
  if (text === undefined) throw invalidBody('body is an object that JSON cannot represent');
  return text;
}

function decodeBody(event: Record<string, unknown>, maxBytes: number): string | null {
  const raw = event.body;
  if (raw === undefined || raw === null) return null;
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (typeof raw === 'object') text = parsedBodyText(raw, maxBytes);
  else throw invalidBody(`body must be a string, got ${typeof raw}`);

  const flagged = event.isBase64Encoded === true || event.isBase64Encoded === 'true';
  if (!flagged) {
    if (Buffer.byteLength(text, 'utf8') > maxBytes) throw tooLarge(maxBytes);
    return text;
  }
  const compact = text.replace(/\s+/g, '');
  // Reject before decoding what cannot fit once decoded.
  if (compact.length > Math.ceil(maxBytes / 3) * 4 + 4) throw tooLarge(maxBytes);
  if (!BASE64.test(compact) || compact.length % 4 === 1) {
    throw invalidBody('body is flagged isBase64Encoded but is not valid base64');
  }
  const bytes = Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
  if (bytes.length > maxBytes) throw tooLarge(maxBytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidBody('body is not valid UTF-8 once base64-decoded');
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'payload_too_large', `body is larger than ${maxBytes} bytes`, { details: { field: 'body' } });
}

/**
 * Reads either trigger's event; a bad event becomes a 400/413 HttpError, never an exception, whatever the
 * event is (not an object, getters that throw, a body JSON cannot represent…).
 */
export function normalizeEvent(event: unknown, context?: ScfContext, options: EventOptions = {}): NormalizedEvent {
  const requestId = requestIdOf(event, context);
  try {
    return readEvent(event, requestId, options);
  } catch {
    return { ok: false, error: new HttpError(400, 'invalid_event', 'the event could not be read as an HTTP trigger event'), requestId, method: '-', path: '-' };
  }
}

function readEvent(event: unknown, requestId: string, options: EventOptions): NormalizedEvent {
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

  const query = emptyMap();
  addQuery(query, event.queryStringParameters);
  addQuery(query, event.queryString);
  const trailingSlash = /\/$/.test(pathRaw.split('?')[0]!);
  const request: HttpRequest = { method, path, trailingSlash, headers: normalizeHeaders(event.headers), query, body: null, requestId, trigger: rc ? 'apigw' : 'function-url' };

  try {
    request.body = decodeBody(event, options.maxBodyBytes ?? MAX_BODY_BYTES);
  } catch (e) {
    const error = e instanceof HttpError ? e : invalidBody('body could not be read');
    return { ok: false, error, requestId, method, path, request };
  }
  return { ok: true, request };
}
