// SCF HTTP trigger (API Gateway with integrated response, or a Function URL). Thin on purpose: build the
// runtime once per instance, hand the event to lib/http, return its integrated response.
import { randomUUID } from 'node:crypto';
import { handleHttp } from '../../lib/http';
import { errorResponse, HttpError } from '../../lib/http/respond';
import { ConfigError, getRuntime } from '../../lib/runtime';
import type { ScfContext, ScfHttpResponse } from '../../lib/scf/types';

/**
 * A prefix the gateway leaves on paths (e.g. the stage, `/release`), stripped before routing. Read here as
 * well as in lib/config, because it must apply even when the rest of the config is invalid.
 */
const basePath = (process.env.API_BASE_PATH ?? '').trim().replace(/\/$/, '');

export async function main_handler(event: unknown, context?: ScfContext): Promise<ScfHttpResponse> {
  let runtime;
  try {
    runtime = await getRuntime('api');
  } catch (e) {
    // A bad config is answered by lib/http (503 config_invalid; /healthz lists the variables).
    if (e instanceof ConfigError) return handleHttp(event, context, e, { basePath });
    // Anything else at start-up is the state store being unreachable: say so, without details of the URL.
    const requestId = context?.request_id ?? randomUUID();
    process.stdout.write(JSON.stringify({ level: 'error', time: new Date().toISOString(), msg: 'api cannot start', requestId, error: e instanceof Error ? e.message : String(e) }) + '\n');
    return errorResponse(new HttpError(503, 'store_unavailable', 'the state store cannot be reached; see the function log'), requestId);
  }
  const response = await handleHttp(event, context, {
    config: runtime.config, store: runtime.store, cwp: runtime.cwp, logger: runtime.logger, identityWatch: runtime.identityWatch, ...(runtime.tokenBudget ? { tokenBudget: runtime.tokenBudget } : {}),
  }, { basePath });
  // A request that called CWP (a live status, a collection) adds its count to the store's counters; others cost nothing.
  if (runtime.requests.pending) await runtime.requests.flush(runtime.store).catch(() => undefined);
  return response;
}
