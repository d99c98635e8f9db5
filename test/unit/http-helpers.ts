// Shared by test/unit/http-*.test.ts: the real SCF fixture events (copied and modified), a memory store, a
// scripted fake CWP, a config and a logger that records its lines.
import { loadConfig, type Config } from '../../lib/config';
import { TencentError } from '../../lib/errors';
import { handleHttp, type HttpDeps, type HttpOptions } from '../../lib/http';
import { createLogger, type Logger } from '../../lib/log';
import { MemoryStateStore } from '../../lib/state/local/memory';
import type { CallOptions } from '../../lib/tencent/types';
import type { TaskKind, TaskObservation, TaskState } from '../../lib/types';
import type { ScfContext, ScfHttpResponse } from '../../lib/scf/types';

import { loadFixture } from '../helpers/fixtures';

export const fixture = loadFixture;

export const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
export const ENV_UUID = '11111111-2222-4333-8444-555555555555';
export const TOKEN = 'tok-aaaaaaaaaaaaaaaaaaaaaaaa';
export const TOKEN2 = 'tok-bbbbbbbbbbbbbbbbbbbbbbbb';
export const SECRET_KEY = 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE';
export const NOW = Date.UTC(2026, 10, 24, 10, 0, 0);

export interface EventInit {
  headers?: Record<string, string>;
  body?: string | null;
  isBase64Encoded?: boolean;
  query?: Record<string, string>;
  /** Adds `Authorization: Bearer TOKEN` unless false. */
  auth?: boolean;
}

/** The API Gateway fixture, re-aimed. Header names keep the gateway's mixed case. */
export function apigwEvent(method: string, urlPath: string, init: EventInit = {}): Record<string, unknown> {
  const e = fixture('scf-apigw-event.json') as Record<string, any>;
  e.httpMethod = method;
  e.requestContext.httpMethod = method;
  e.path = urlPath;
  e.headers = { ...e.headers, ...(init.auth === false ? {} : { Authorization: `Bearer ${TOKEN}` }), ...init.headers };
  e.body = init.body === undefined ? null : init.body;
  e.isBase64Encoded = init.isBase64Encoded ?? false;
  e.queryStringParameters = init.query ?? {};
  e.queryString = init.query ?? {};
  return e;
}

/** The Function URL fixture, re-aimed. Header names lower-case, as the Function URL sends them. */
export function urlEvent(method: string, urlPath: string, init: EventInit = {}): Record<string, unknown> {
  const e = fixture('scf-function-url-event.json') as Record<string, any>;
  e.httpMethod = method;
  e.path = urlPath;
  e.headers = { ...e.headers, ...(init.auth === false ? {} : { authorization: `Bearer ${TOKEN}` }), ...init.headers };
  e.body = init.body === undefined ? null : init.body;
  if (init.isBase64Encoded !== undefined) e.isBase64Encoded = init.isBase64Encoded;
  e.queryString = init.query ?? {};
  return e;
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    TENCENTCLOUD_SECRET_ID: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
    TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
    API_TOKENS: `${TOKEN},${TOKEN2}`,
    WATCH_UUIDS: ENV_UUID,
    STATE_STORE: 'memory:',
    ...env,
  });
}

export type Script = TaskState | Error | ((kind: TaskKind, uuid: string, options: CallOptions) => Promise<TaskObservation>);

/** A fake CwpClient: per kind, a state to observe, an error to throw, or a function. Records its calls. */
export function fakeCwp(script: Partial<Record<TaskKind, Script>> = {}) {
  const calls: Array<{ kind: TaskKind; uuid: string; options: CallOptions }> = [];
  const cwp: HttpDeps['cwp'] & { calls: typeof calls } = {
    calls,
    async getTaskStatus(kind: TaskKind, uuid: string, options: CallOptions = {}): Promise<TaskObservation> {
      calls.push({ kind, uuid, options });
      const s = script[kind] ?? 'COMPLETE';
      if (typeof s === 'function') return s(kind, uuid, options);
      if (s instanceof Error) throw s;
      return { uuid: uuid.toLowerCase(), kind, state: s, requestId: `req-${kind}`, observedAt: NOW };
    },
    /** Starts a collection: fails with the kind's script when that is an Error, else answers a request id. */
    async createTask(kind: TaskKind, uuid: string, options: CallOptions = {}): Promise<{ requestId: string }> {
      calls.push({ kind, uuid, options });
      const s = script[kind];
      if (s instanceof Error) throw s;
      return { requestId: `create-${kind}` };
    },
  };
  return cwp;
}

export function tencentError(code: string, init: { retryAfterSeconds?: number; message?: string } = {}): TencentError {
  return new TencentError({ code, message: init.message ?? `${code} happened`, requestId: 'tc-req-1', retryAfterSeconds: init.retryAfterSeconds ?? null });
}

export function recordingLogger(): { logger: Logger; lines: Array<Record<string, any>> } {
  const lines: Array<Record<string, any>> = [];
  return { logger: createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) }), lines };
}

export interface Harness {
  deps: HttpDeps;
  store: MemoryStateStore;
  cwp: ReturnType<typeof fakeCwp>;
  lines: Array<Record<string, any>>;
  call(event: unknown, context?: ScfContext, options?: HttpOptions): Promise<Reply>;
}

export interface Reply extends ScfHttpResponse {
  json: any;
}

export function harness(init: { script?: Partial<Record<TaskKind, Script>>; env?: Record<string, string>; deps?: Partial<HttpDeps> } = {}): Harness {
  const store = new MemoryStateStore();
  const cwp = fakeCwp(init.script);
  const { logger, lines } = recordingLogger();
  const deps: HttpDeps = { config: testConfig(init.env), store, cwp, logger, now: () => NOW, ...init.deps };
  return {
    deps,
    store,
    cwp,
    lines,
    call: async (event, context = { request_id: 'scf-req-1' }, options) => reply(await handleHttp(event, context, deps, options)),
  };
}

export function reply(r: ScfHttpResponse): Reply {
  return { ...r, json: JSON.parse(r.body) };
}
