// The core of the HTTP function: event in, integrated response out. functions/api builds the deps (or gets a
// ConfigError from loadConfig) and calls handleHttp; tests call it with fakes.
import { ConfigError } from '../config';
import { createLogger, type Logger } from '../log';
import type { ScfContext, ScfHttpResponse } from '../scf/types';
import { authenticate } from './auth';
import type { HttpDeps, HttpOptions, RouteContext } from './deps';
import { normalizeEvent } from '../scf/http-event';
import type { HttpRequest } from './request';
import { errorBody, errorResponse, HttpError, jsonResponse } from './respond';
import { methodNotAllowed, notFound } from './router';
import { router } from './routes';

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

async function dispatch(req: HttpRequest, scf: ScfContext | undefined, deps: HttpDeps | ConfigError, options: HttpOptions, logger: Logger): Promise<ScfHttpResponse> {
  const match = router.match(req.method, req.path);
  const publicMatch = (match.kind === 'found' && match.route.public === true) || (match.kind === 'method_not_allowed' && match.public);

  if (isConfigError(deps)) {
    if (match.kind === 'found' && publicMatch) return configHealth(deps, req.requestId);
    if (match.kind === 'method_not_allowed' && publicMatch) throw methodNotAllowed(req.method, req.path, match.allow);
    throw configInvalid(deps);
  }
  // Everything but /healthz needs a token, even to learn that a path does not exist.
  if (!publicMatch) authenticate(req.headers, deps.config.api.tokens);
  if (match.kind === 'not_found') throw notFound(req.path);
  if (match.kind === 'method_not_allowed') throw methodNotAllowed(req.method, req.path, match.allow);

  const ctx: RouteContext = { req, params: match.params, deps, scf, options, now: deps.now ?? Date.now, logger };
  return match.route.handler(ctx);
}

/**
 * Answers one HTTP trigger invocation (API Gateway or Function URL event). Never throws: a bad event is
 * 400/413, an HttpError is its answer, anything else is 500 `internal_error` logged once. Logs one access line
 * per request: method, path (no query), status, ms, requestId.
 */
export async function handleHttp(event: unknown, context: ScfContext | undefined, deps: HttpDeps | ConfigError, options: HttpOptions = {}): Promise<ScfHttpResponse> {
  // process.hrtime, not perf_hooks' performance.now(): same clock, and loading perf_hooks (or touching the
  // global `performance`) costs ~2 ms of every cold start.
  const started = process.hrtime.bigint();
  const logger = isConfigError(deps) ? (options.logger ?? (fallbackLogger ??= createLogger())) : deps.logger;
  const n = normalizeEvent(event, context, options);
  const requestId = n.ok ? n.request.requestId : n.requestId;
  const method = n.ok ? n.request.method : n.method;
  const path = n.ok ? n.request.path : n.path;

  let response: ScfHttpResponse;
  let code: string | null = null;
  try {
    if (!n.ok) throw n.error;
    response = await dispatch(n.request, context, deps, options, logger);
  } catch (e) {
    if (e instanceof HttpError) {
      code = e.code;
      response = errorResponse(e, requestId);
    } else {
      code = 'internal_error';
      const err = e instanceof Error ? { name: e.name, message: e.message } : { name: typeof e, message: String(e) };
      logger.error('unexpected error', { requestId, method, path, error: err });
      response = errorResponse(new HttpError(500, 'internal_error', `an unexpected error occurred; quote request id ${requestId}`), requestId);
    }
  }
  const ms = Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
  const line = { method, path, status: response.statusCode, ms, requestId, ...(code ? { code } : {}) };
  if (response.statusCode >= 500) logger.warn('request', line);
  else logger.info('request', line);
  return response;
}
