// The core of the HTTP function: event in, integrated response out. functions/api builds the deps (or gets a
// ConfigError from loadConfig) and calls handleHttp; tests call it with fakes.
import { ConfigError } from '../config/core';
import { createLogger, NotSecret, type Logger } from '../log';
import type { ScfContext, ScfHttpResponse } from '../scf/types';
import type { ApiToken } from '../config/tokens';
import { authenticate, requireScope, spendTokenBudget } from './auth';
import type { HttpDeps, HttpOptions, RouteContext } from './deps';
import { normalizeEvent, requestIdOf } from '../scf/http-event';
import type { HttpRequest } from './request';
import { errorBody, errorResponse, HttpError, JSON_CONTENT_TYPE, jsonResponse, safeMessage } from './respond';
import { badlyEncoded, methodNotAllowed, notFound } from './router';
import { HEALTHZ_PATH, OPENAPI_PATH, openApiResponse, router } from './routes';
import { LINK_PATH } from '../links/signed-link';
import { isConsolePath, serveConsole } from '../console/serve';
import { isStoreError } from '../state/errors';
import type { StoreIdentity } from '../types';

export function isConfigError(v: unknown): v is ConfigError {
  return v instanceof ConfigError || (v instanceof Error && v.name === 'ConfigError' && Array.isArray((v as { problems?: unknown }).problems));
}

/** The variable names a ConfigError is about (`WATCH_UUIDS: "x" is not …` -> WATCH_UUIDS), in order, once each. */
export function configVariables(err: ConfigError): string[] {
  const names: string[] = [];
  for (const p of err.problems) {
    const m = /^([A-Z][A-Z0-9_]*):/.exec(p);
    if (m && !names.includes(m[1]!)) names.push(m[1]!);
  }
  return names;
}

/** The problems with every quoted value hidden: the variable and the rule stay, the value does not. */
export function redactedProblems(err: ConfigError): string[] {
  return err.problems.map((p) => p.replace(/"[^"]*"/g, '"…"'));
}

function configInvalid(err: ConfigError): HttpError {
  const vars = configVariables(err);
  return new HttpError(503, 'config_invalid', `the function's configuration is invalid${vars.length ? ` (${vars.join(', ')})` : ''}; see GET /healthz and the function's log`);
}

function configHealth(err: ConfigError, requestId: string): ScfHttpResponse {
  const e = configInvalid(err);
  return jsonResponse(503, { status: 'config_invalid', variables: configVariables(err), problems: redactedProblems(err), ...errorBody(e.code, e.message, requestId) }, requestId);
}

let fallbackLogger: Logger | null = null;

/** Who made the request, once the token is checked: what the audit line names. */
interface Caller {
  caller: ApiToken | null;
}

/** Methods that change nothing: every other one is a write, and gets an audit line. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * One readable request: route, authenticate, then everything that depends on the request's content. The order
 * is the point: until the caller has a token, every path but /healthz gets the same answer (401), whatever
 * its method, its encoding or its body. Only then come a bad body (`bodyError`, 400/413), a badly encoded
 * path parameter (400), 404 and 405, and the route itself.
 */
async function dispatch(req: HttpRequest, bodyError: HttpError | null, scf: ScfContext | undefined, deps: HttpDeps | ConfigError, options: HttpOptions, logger: Logger, who: Caller): Promise<ScfHttpResponse> {
  // The console's page and files hold no data: no token, and served even when the config is invalid.
  if (isConsolePath(req.path)) return serveConsole(req);
  const match = router.match(req.method, req.path);
  const publicMatch = (match.kind === 'found' && match.route.public === true) || (match.kind === 'method_not_allowed' && match.public);

  if (isConfigError(deps)) {
    if (!publicMatch) throw configInvalid(deps);
    if (bodyError) throw bodyError;
    if (match.kind === 'method_not_allowed') throw methodNotAllowed(req.method, req.path, match.allow);
    // The API's description needs no configuration; any other public route but /healthz says what is wrong.
    if (match.kind === 'found' && match.route.pattern === OPENAPI_PATH) return openApiResponse(req.requestId);
    if (match.kind === 'found' && match.route.pattern !== HEALTHZ_PATH) throw configInvalid(deps);
    return configHealth(deps, req.requestId);
  }
  // Everything but /healthz needs a token, even to learn that a path does not exist.
  let caller: ApiToken | null = null;
  if (!publicMatch) {
    caller = authenticate(req.headers, deps.config.api.tokens);
    who.caller = caller;
    if (deps.tokenBudget) await spendTokenBudget(req.headers, deps.tokenBudget, deps.config.api.rateLimit);
    // A token without the route's scope learns nothing about the body it sent: 403 comes before 400.
    if (match.kind === 'found' && match.route.scope !== undefined && match.route.scope !== 'any') requireScope(caller, match.route.scope);
  }
  if (bodyError) throw bodyError;
  if (match.kind === 'not_found') throw notFound(req.path);
  if (match.badParam !== null) throw badlyEncoded(match.badParam);
  if (match.kind === 'method_not_allowed') throw methodNotAllowed(req.method, req.path, match.allow);

  const now = deps.now ?? Date.now;
  const identity = await storeIdentity(deps, now(), logger, match.route.public === true);
  const ctx: RouteContext = { req, params: match.params, deps, scf, options, now, logger, caller, identity };
  return match.route.handler(ctx);
}

/**
 * The store's identity for this request (one round trip), compared with the one this instance saw last, so a reset
 * store is noticed by whichever function looks first. A store that does not answer is a 503 here, except on
 * /healthz (`lenient`), which reports it itself.
 */
async function storeIdentity(deps: HttpDeps, now: number, logger: Logger, lenient: boolean): Promise<StoreIdentity | null> {
  try {
    return deps.identityWatch ? (await deps.identityWatch.check(deps.store, now, logger)).identity : await deps.store.identity(now);
  } catch (e) {
    if (lenient) return null;
    if (!isStoreError(e)) throw e;
    throw new HttpError(503, 'store_unavailable', safeMessage(`the state store failed (identity): ${e.message}`));
  }
}

/** `/v1/links/<token>` as `/v1/links/…`. */
function redactLinkToken(path: string): string {
  return path.startsWith(`${LINK_PATH}/`) ? `${LINK_PATH}/…` : path;
}

/** What a method or path looks like in the access log: at most 512 characters. */
function forLog(s: string): string {
  return s.length > 512 ? s.slice(0, 511) + '…' : s;
}

/** The name and message of something thrown, for the log; never throws itself. */
function describeThrown(e: unknown): { name: string; message: string } {
  try {
    return e instanceof Error ? { name: String(e.name), message: String(e.message) } : { name: typeof e, message: String(e) };
  } catch {
    return { name: typeof e, message: '(cannot be shown)' };
  }
}

function internalError(requestId: string): HttpError {
  return new HttpError(500, 'internal_error', `an unexpected error occurred; quote request id ${requestId}`);
}

/**
 * The answer when even answering failed (a logger that throws, a body that cannot be serialised): built by
 * hand from constants, so it cannot fail in turn.
 */
function lastResort(context: ScfContext | undefined): ScfHttpResponse {
  let requestId: string;
  try {
    requestId = requestIdOf(undefined, context);
  } catch {
    requestId = 'unknown';
  }
  return {
    isBase64Encoded: false,
    statusCode: 500,
    headers: { 'content-type': JSON_CONTENT_TYPE, 'cache-control': 'no-store', 'x-request-id': requestId },
    body: JSON.stringify(errorBody('internal_error', `an unexpected error occurred; quote request id ${requestId}`, requestId)),
  };
}

/**
 * Answers one HTTP trigger invocation (API Gateway or Function URL event). Never throws nor rejects, whatever
 * `event` is: a bad event is 400/413, an HttpError is its answer, anything else is 500 `internal_error` logged
 * once. Logs one access line per request: method, path (no query), status, ms, requestId.
 */
export async function handleHttp(event: unknown, context: ScfContext | undefined, deps: HttpDeps | ConfigError, options: HttpOptions = {}): Promise<ScfHttpResponse> {
  try {
    return await answer(event, context, deps, options);
  } catch {
    return lastResort(context);
  }
}

async function answer(event: unknown, context: ScfContext | undefined, deps: HttpDeps | ConfigError, options: HttpOptions): Promise<ScfHttpResponse> {
  // process.hrtime, not perf_hooks' performance.now(): same clock, and loading perf_hooks (or touching the
  // global `performance`) costs ~2 ms of every cold start.
  const started = process.hrtime.bigint();
  const logger = isConfigError(deps) ? (options.logger ?? (fallbackLogger ??= createLogger())) : deps.logger;
  const n = normalizeEvent(event, context, options);
  const requestId = n.ok ? n.request.requestId : n.requestId;
  const method = forLog(n.ok ? n.request.method : n.method);
  // A signed link's token is a credential for a day: the access log shows its route, not the token.
  const path = forLog(redactLinkToken(n.ok ? n.request.path : n.path));

  let response: ScfHttpResponse;
  let code: string | null = null;
  const who: Caller = { caller: null };
  try {
    if (n.ok) response = await dispatch(n.request, null, context, deps, options, logger, who);
    else if (n.request) response = await dispatch(n.request, n.error, context, deps, options, logger, who);
    else throw n.error;
  } catch (e) {
    if (e instanceof HttpError) {
      code = e.code;
      response = errorResponse(e, requestId);
    } else {
      code = 'internal_error';
      try {
        logger.error('unexpected error', { requestId, method, path, error: describeThrown(e) });
      } catch {
        // a logger that fails must not turn the 500 into a rejection
      }
      response = errorResponse(internalError(requestId), requestId);
    }
  }
  const ms = Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
  const line = { method, path, status: response.statusCode, ms, requestId, ...(code ? { code } : {}) };
  try {
    if (response.statusCode >= 500) logger.warn('request', line);
    else logger.info('request', line);
    // Every write by a known caller, allowed or refused, once: who (the token's name, never the token), what, and how it ended.
    if (who.caller && !READ_METHODS.has(method)) logger.info('audit', { token: new NotSecret(who.caller.name), method, path, status: response.statusCode, requestId });
  } catch {
    // the answer stands without its access line
  }
  return response;
}
