// The routes of the HTTP function (the README's HTTP API table). Each handler returns a response or throws an HttpError;
// anything else thrown is an unexpected exception (500, logged once by the handler).
import * as z from 'zod/mini';
import type { DeadLetter, KeyRecord, KnownState, StoreReset, SweepSummary, TaskKind, Watch } from '../types';
import type { ScfHttpResponse } from '../scf/types';
import { TASK_KINDS } from '../types';
import { redactSinkSecrets, sinkLabel } from '../util/redact';
import { readAllWatches, readWatch } from '../sweep/watchlist';
import type { RouteContext } from './deps';
import { errorBody, HttpError, jsonResponse, safeMessage } from './respond';
import { Router, type Route } from './router';
import { storeCall } from './store-call';
import { agentResults, startCollection, startCollections } from './collections';
import { acknowledgeStoreReset, discardDeliveries, exportWatches, importWatches, resetProblem } from './store-routes';
import { acknowledge, getIncident, listIncidents } from './incidents';
import { searchEvents } from './history';
import { metrics } from './metrics';
import { overview } from './overview';
import { acceptIncident, createExpectation, createSilence, createWindow, deleteExpectation, deleteWindow, endSilence, listExpectations, listSilences, listWindows } from './quiet';
import { observationOutcome, statusDeadlineMs, upstreamError } from './upstream';
import { iso, kindsBody, lazy, parseJsonBody, parseKind, parseUuid, parseWholeNumber } from './validate';
import { actOnLink, showLink } from './links';

export type RouteHandler = (ctx: RouteContext) => Promise<ScfHttpResponse>;

const ok = (ctx: RouteContext, status: number, body: unknown, headers: Record<string, string> = {}) => jsonResponse(status, body, ctx.req.requestId, headers);

// ---------------------------------------------------------------------------------------------- /healthz

const SWEEP_PROBLEM: Record<Exclude<SweepSummary['outcome'], 'ok'>, string> = {
  auth: 'the last sweep stopped: Tencent Cloud rejected the credentials (AuthFailure/UnauthorizedOperation); fix TENCENTCLOUD_SECRET_ID/KEY or the role\'s permissions',
  clock: 'the function\'s clock is off Tencent Cloud\'s: over 4 minutes, nothing is sent to the sinks that check timestamps (the events wait in the outbox); over 5 minutes CWP refuses the signatures (AuthFailure.SignatureExpire); set it right (NTP)',
  store_reset: 'the last sweep found the state store reset (see storeReset)',
  busy: 'another process held this file store\'s sweep lease (use redis:// to run several poll processes)',
  gone: 'the last sweep stopped: CWP does not offer the action or API version the bridge calls (retired, or the wrong endpoint)',
  failing: 'every check of the last sweep failed',
  store: 'the last sweep stopped: the state store failed',
  error: 'the last sweep stopped on an unexpected error',
};

/**
 * 200 `ok`: the store answers and the last sweep (if any) ran to its end.
 * 200 `degraded`: the store answers but the last sweep's outcome was not ok (auth, store, error): this
 *   function can still serve, so it is not down, but `problem` says what the operator must fix.
 * 503 `unavailable`: the store does not answer its ping.
 */
export async function healthz(ctx: RouteContext): Promise<ScfHttpResponse> {
  const { store } = ctx.deps;
  let lastSweep: SweepSummary | null;
  let reset: StoreReset | null;
  try {
    await store.ping();
    [lastSweep, reset] = await Promise.all([store.getLastSweep(), store.getReset()]);
  } catch (e) {
    const message = safeMessage(`the state store did not answer: ${e instanceof Error ? e.message : String(e)}`);
    return ok(ctx, 503, { status: 'unavailable', store: store.description, durable: store.durableAcrossInstances, lastSweep: null, ...errorBody('store_unavailable', message, ctx.req.requestId) });
  }
  // A reset is a problem from when it is noticed until an operator acknowledges it (the stored reset, not the
  // outcome of the sweep that noticed it, which would otherwise keep /healthz degraded after the acknowledgement).
  const bad = lastSweep !== null && lastSweep.outcome !== 'ok' && lastSweep.outcome !== 'store_reset';
  const sweepProblem = bad ? `${SWEEP_PROBLEM[lastSweep!.outcome as Exclude<SweepSummary['outcome'], 'ok'>]}${lastSweep!.error ? `: ${safeMessage(lastSweep!.error)}` : ''}` : null;
  const problems = [reset ? resetProblem(reset) : null, sweepProblem].filter((p): p is string => p !== null);
  const problem = problems.length > 0 ? problems.join('; and ') : null;
  // Inside SCF (the context names the function), a store that does not survive across instances loses state.
  const warnings = ctx.scf?.function_name && !store.durableAcrossInstances
    ? [`STATE_STORE ${store.description} does not survive across SCF instances: states, watches and dead letters can be lost; use redis:// in production`]
    : [];
  const discovery = await discoveryHealth(ctx, warnings);
  return ok(ctx, 200, {
    status: bad || reset ? 'degraded' : 'ok',
    store: store.description,
    durable: store.durableAcrossInstances,
    ...(reset ? { storeResetAt: iso(reset.at), storeReset: { ...reset, at: iso(reset.at) } } : {}),
    lastSweep: lastSweep && { ...lastSweep, error: lastSweep.error === null ? null : safeMessage(lastSweep.error) },
    ...(discovery ? { discovery } : {}),
    problem,
    warnings,
  });
}

/**
 * With WATCH_DISCOVER: where the listing is. A listing that has not completed for three DISCOVER_EVERY periods
 * is a warning (DescribeMachines failing or retired: the log's 'discovery' lines say which); parked agents are
 * then checked by status calls again once their horizon passes.
 */
async function discoveryHealth(ctx: RouteContext, warnings: string[]) {
  const discover = ctx.deps.config.watch.discover;
  if (!discover) return null;
  const cursor = await ctx.deps.store.getDiscovery();
  const last = cursor?.lastCompletedAt ?? null;
  const startedAt = cursor?.startedAt ?? null;
  // Stalled: no listing completed for three periods (counted from the first listing's start until one has).
  const since = last ?? startedAt;
  if (since !== null && ctx.now() - since > 3 * discover.everyMs) warnings.push(`discovery (WATCH_DISCOVER) has not completed a listing for over ${Math.round((3 * discover.everyMs) / 60_000)} min; see the poll function's 'discovery' log lines`);
  return {
    listing: cursor?.listing ?? null,
    inProgress: startedAt !== null,
    lastCompletedAt: last === null ? null : new Date(last).toISOString(),
    skippedNoUuid: cursor?.lastSkippedNoUuid ?? 0,
    every: `${Math.round(discover.everyMs / 1000)}s`,
  };
}

// ------------------------------------------------------------------------------------------- /v1/status

/**
 * The options of a live CWP call: an AbortSignal for the deadline, and the same deadline as epoch ms (wall
 * clock, as the Tencent client plans its backoffs) so the client does not start a backoff it cannot finish.
 */
function liveCallOptions(ctx: RouteContext): { signal: AbortSignal; deadline: number } {
  const ms = statusDeadlineMs(ctx.scf, ctx.options.statusDeadlineMs);
  return { signal: AbortSignal.timeout(ms), deadline: Date.now() + ms };
}

/**
 * What the sweep last recorded of a key, for a backend that infers the live state from it (cwp: a collection the
 * bridge started is COLLECTING until the account's scan ends). Best effort: a live call does not fail with the store.
 */
async function knownState(ctx: RouteContext, uuid: string, kind: TaskKind): Promise<KnownState | undefined> {
  const rec = await ctx.deps.store.getRecord({ uuid, kind }).catch(() => null);
  return rec ? { state: rec.state, since: rec.since } : undefined;
}

export async function statusOfKind(ctx: RouteContext): Promise<ScfHttpResponse> {
  const kind = parseKind(ctx.params.kind);
  const uuid = parseUuid(ctx.params.uuid);
  const call = liveCallOptions(ctx);
  let outcome;
  try {
    outcome = observationOutcome(await ctx.deps.cwp.getTaskStatus(kind, uuid, call, await knownState(ctx, uuid, kind)));
  } catch (e) {
    throw upstreamError(e, call.signal);
  }
  if (outcome instanceof HttpError) throw outcome;
  return ok(ctx, outcome.status, outcome.body);
}

interface KindResult {
  status: number;
  code: string | null;
  message: string | null;
  retryAfter: number | null;
  entry: Record<string, unknown>;
}

/**
 * Both kinds, concurrently, under one deadline. Each entry is a state (`{state, requestId, observedAt}`) or
 * an error (`{error: {code, message, status, ...}}`). The answer is 200 unless both kinds came out non-2xx
 * with the same HTTP status: then that status (e.g. 404 for an unknown agent, 429, 502), with an error
 * envelope whose code is the shared code, or `upstream_error` if the codes differ. Mixed outcomes are 200:
 * the caller reads each entry.
 */
export async function statusOfAgent(ctx: RouteContext): Promise<ScfHttpResponse> {
  if ((TASK_KINDS as readonly string[]).includes(ctx.params.uuid ?? '')) {
    throw new HttpError(400, 'invalid_uuid', `missing uuid: use /v1/status/${ctx.params.uuid}/{uuid}, or /v1/status/{uuid} for both kinds`, { details: { field: 'uuid' } });
  }
  const uuid = parseUuid(ctx.params.uuid);
  const call = liveCallOptions(ctx);
  const one = async (kind: TaskKind): Promise<KindResult> => {
    let outcome;
    try {
      outcome = observationOutcome(await ctx.deps.cwp.getTaskStatus(kind, uuid, call, await knownState(ctx, uuid, kind)));
    } catch (e) {
      const err = upstreamError(e, call.signal);
      const ra = err.headers['retry-after'];
      return {
        status: err.status,
        code: err.code,
        message: err.message,
        retryAfter: ra === undefined ? null : Number(ra),
        entry: { error: { ...err.details, code: err.code, message: err.message, status: err.status } },
      };
    }
    if (outcome instanceof HttpError) {
      const { state, requestId, observedAt } = outcome.body as Record<string, unknown>;
      return { status: outcome.status, code: outcome.code, message: outcome.message, retryAfter: null, entry: { state, requestId, observedAt } };
    }
    const { state, requestId, observedAt } = outcome.body;
    return { status: outcome.status, code: null, message: null, retryAfter: null, entry: { state, requestId, observedAt } };
  };
  const results = await Promise.all(TASK_KINDS.map(one));
  const tasks: Record<string, Record<string, unknown>> = {};
  TASK_KINDS.forEach((k, i) => (tasks[k] = results[i]!.entry));
  const body = { uuid, tasks };

  const first = results[0]!;
  const sameFailure = first.status >= 300 && results.every((r) => r.status === first.status);
  if (!sameFailure) return ok(ctx, 200, body);
  const codes = new Set(results.map((r) => r.code));
  const code = codes.size === 1 && first.code !== null ? first.code : 'upstream_error';
  const message = TASK_KINDS.map((k, i) => `${k}: ${results[i]!.message}`).join('; ');
  const retryAfters = results.map((r) => r.retryAfter).filter((n): n is number => n !== null);
  const headers: Record<string, string> = retryAfters.length > 0 ? { 'retry-after': String(Math.max(...retryAfters)) } : {};
  return ok(ctx, first.status, { ...body, ...errorBody(code, message, ctx.req.requestId) }, headers);
}

// --------------------------------------------------------------------------------------------- /v1/agents

function recordView(r: KeyRecord) {
  return { state: r.state, version: r.version, since: iso(r.since), lastChecked: iso(r.lastChecked), nextDue: iso(r.nextDue), requestId: r.requestId };
}

/** Last known states from the store; no CWP call. 404 when the agent is neither known nor watched. */
export async function agent(ctx: RouteContext): Promise<ScfHttpResponse> {
  const uuid = parseUuid(ctx.params.uuid);
  const records = await storeCall('getRecordsForAgent', () => ctx.deps.store.getRecordsForAgent(uuid));
  const watch = await storeCall('getWatch', () => readWatch(ctx.deps.config.watch, ctx.deps.store, uuid));
  if (records.length === 0 && watch === null) {
    throw new HttpError(404, 'not_found', `agent ${uuid} is not watched and has no recorded state`);
  }
  const tasks: Record<string, ReturnType<typeof recordView> & { collecting: boolean; snapshotTakenAt: string | null }> = {};
  for (const r of records) {
    const snapshot = await storeCall('getSnapshot', () => ctx.deps.store.getSnapshot({ uuid, kind: r.kind }));
    tasks[r.kind] = { ...recordView(r), collecting: r.state === 'COLLECTING', snapshotTakenAt: iso(snapshot?.takenAt ?? null) };
  }
  return ok(ctx, 200, { uuid, watch, tasks });
}

// -------------------------------------------------------------------------------------------- /v1/watches

/**
 * The watch list exactly as the sweep polls it: WATCH_UUIDS first (source env), then the API's watches, then
 * with WATCH_DISCOVER the machines found (source discovered, with their machine details); an agent in both env
 * and API shows as env with the union of their kinds.
 */
function allWatches(ctx: RouteContext): Promise<Watch[]> {
  return storeCall('listWatches', () => readAllWatches(ctx.deps.config.watch, ctx.deps.store));
}

function discoveredConflict(uuid: string): HttpError {
  return new HttpError(409, 'watch_discovered', `${uuid} is watched because WATCH_DISCOVER lists its machine; it is unwatched when two listings no longer have it. Narrow WATCH_DISCOVER or WATCH_DISCOVER_FILTERS to stop watching it (a PUT makes it an API watch, which wins over discovery)`);
}

function envConflict(uuid: string, verb: string): HttpError {
  return new HttpError(409, 'watch_from_env', `${uuid} is watched through the WATCH_UUIDS environment variable; ${verb} it there (and WATCH_KINDS), not through the API`);
}

export const WATCH_PAGE = { max: 1000, default: 500 };

/** One page of the watch list: `?limit=` 1..1000 (default 500) from `?offset=` (default 0); `nextOffset` null at the end. */
export async function listWatches(ctx: RouteContext): Promise<ScfHttpResponse> {
  const limit = parseWholeNumber(ctx.req.query.limit, 'limit', 1, WATCH_PAGE.max, WATCH_PAGE.default);
  const offset = parseWholeNumber(ctx.req.query.offset, 'offset', 0, Number.MAX_SAFE_INTEGER, 0);
  const all = await allWatches(ctx);
  const watches = all.slice(offset, offset + limit);
  const nextOffset = offset + watches.length < all.length ? offset + watches.length : null;
  return ok(ctx, 200, { watches, count: watches.length, total: all.length, offset, limit, nextOffset });
}


/** 201 when new, 200 when it replaced an API watch; 409 for an agent in WATCH_UUIDS. */
export async function putWatch(ctx: RouteContext): Promise<ScfHttpResponse> {
  const uuid = parseUuid(ctx.params.uuid);
  if (ctx.deps.config.watch.uuids.includes(uuid)) throw envConflict(uuid, 'change');
  const body = parseJsonBody(ctx.req, kindsBody(), {});
  const kinds = [...new Set(body.kinds ?? ctx.deps.config.watch.kinds)];
  // O(1) in the number of watches: one lookup and one count, never the whole list.
  const existed = (await storeCall('getWatch', () => ctx.deps.store.getWatch(uuid))) !== null;
  if (!existed) {
    const { maxWatches } = ctx.deps.config.api;
    const count = await storeCall('countWatches', () => ctx.deps.store.countWatches());
    if (count >= maxWatches) {
      throw new HttpError(409, 'too_many_watches', `the API already holds ${count} watches, the most MAX_WATCHES (${maxWatches}) allows; delete some, or raise MAX_WATCHES`, { details: { field: 'uuid', maxWatches } });
    }
  }
  const watch = await storeCall('putWatch', () => ctx.deps.store.putWatch(uuid, kinds, ctx.now()));
  return ok(ctx, existed ? 200 : 201, { watch, created: !existed });
}

/**
 * 200 `{deleted}`; 404 if there is no API watch; 409 for an agent in WATCH_UUIDS, or one only discovery watches.
 * `?forget=true` also forgets what the store keeps of the agent at once (records, snapshots, pending reads), not
 * FORGET_AFTER later; it answers `{deleted, forgotten}` (deleted null for an agent no longer watched but still
 * remembered), and 404 only when there was neither a watch nor anything to forget.
 */
export async function deleteWatch(ctx: RouteContext): Promise<ScfHttpResponse> {
  const uuid = parseUuid(ctx.params.uuid);
  const forget = parseBoolean(ctx.req.query.forget, 'forget');
  if (ctx.deps.config.watch.uuids.includes(uuid)) throw envConflict(uuid, 'remove');
  const deleted = await storeCall('deleteWatch', () => ctx.deps.store.deleteWatch(uuid));
  if (!deleted && ctx.deps.config.watch.discover && (await storeCall('getMachine', () => ctx.deps.store.getMachine(uuid)))) throw discoveredConflict(uuid);
  if (!forget) {
    if (!deleted) throw new HttpError(404, 'not_found', `no API watch for ${uuid}`);
    return ok(ctx, 200, { deleted: uuid });
  }
  const forgotten = await storeCall('forgetAgent', () => ctx.deps.store.forgetAgent(uuid));
  if (!deleted && forgotten === 0) throw new HttpError(404, 'not_found', `no API watch for ${uuid}, and nothing recorded of it to forget`);
  return ok(ctx, 200, { deleted: deleted ? uuid : null, forgotten });
}

/** `true` or `false` (default false); anything else is 400 naming the parameter. */
function parseBoolean(raw: string | undefined, field: string): boolean {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new HttpError(400, `invalid_${field}`, `${field} must be true or false`, { details: { field } });
}

// ----------------------------------------------------------------------------------------- /v1/deliveries

export const DELIVERY_LIMIT = { min: 1, max: 500, default: 100 };
const DELIVERY_STATUSES = ['dead'] as const;

function parseLimit(raw: string | undefined): number {
  return parseWholeNumber(raw, 'limit', DELIVERY_LIMIT.min, DELIVERY_LIMIT.max, DELIVERY_LIMIT.default);
}

/**
 * A dead letter as any token holder may see it: a webhook's URL is a credential (a token in its path or query),
 * so `sinkId` is its label (origin and a short hash, as in the logs), and the reason is scrubbed of the URL too
 * (letters written before receivers' bodies were scrubbed may still quote it). Replay goes by event id.
 */
function deadLetterView(l: DeadLetter) {
  return { eventId: l.event.id, sinkId: sinkLabel(l.sinkId), reason: redactSinkSecrets(l.reason, l.sinkId), attempts: l.attempts, deadAt: iso(l.deadAt), event: l.event };
}

/** `?status=dead` (the default, and the only list shown) with `limit` 1..500 (default 100). */
export async function listDeliveries(ctx: RouteContext): Promise<ScfHttpResponse> {
  const status = ctx.req.query.status ?? 'dead';
  if (!(DELIVERY_STATUSES as readonly string[]).includes(status)) {
    throw new HttpError(400, 'invalid_status', `status must be one of: ${DELIVERY_STATUSES.join(', ')}`, { details: { field: 'status' } });
  }
  const limit = parseLimit(ctx.req.query.limit);
  const [letters, total] = await storeCall('listDeadLetters', () => Promise.all([ctx.deps.store.listDeadLetters(limit), ctx.deps.store.countDeadLetters()]));
  return ok(ctx, 200, { status, total, count: letters.length, deliveries: letters.map(deadLetterView) });
}

const replayBody = lazy(() => z.strictObject({
  eventIds: z.optional(
    z.array(z.string().check(z.minLength(1, { error: 'must be a non-empty event id' })), { error: 'must be an array of event ids' })
      .check(z.minLength(1, { error: 'must name at least one event; send {} to replay every dead letter' }), z.maxLength(1000, { error: 'must name at most 1000 events' })),
  ),
}));

/** Body `{}` (or none) = every dead letter; `{"eventIds": [...]}` = those. 202 `{replayed: n}`. */
export async function replayDeliveries(ctx: RouteContext): Promise<ScfHttpResponse> {
  const body = parseJsonBody(ctx.req, replayBody(), {});
  const ids = body.eventIds ? [...new Set(body.eventIds)] : null;
  const replay = ctx.deps.replayDeadLetters ?? ((eventIds: string[] | null, now: number) => ctx.deps.store.replayDeadLetters(eventIds, now));
  const replayed = await storeCall('replayDeadLetters', () => replay(ids, ctx.now()));
  return ok(ctx, 202, { replayed });
}

// ----------------------------------------------------------------------------------------------- /v1/whoami

/**
 * The calling token's name and scopes, for any valid token: how the console learns what to offer (a read-only
 * token sees no write action). Never the token itself.
 */
export async function whoami(ctx: RouteContext): Promise<ScfHttpResponse> {
  const caller = ctx.caller!;
  return ok(ctx, 200, { name: caller.name, scopes: caller.scopes });
}

// ------------------------------------------------------------------------------------------- /openapi.json

/**
 * The OpenAPI document of every route (openapi.ts). Public: it describes the API and holds no data. Loaded on the
 * first request for it (a deferred module of the api bundle, scripts/build.mjs), so an API route's cold start
 * does not parse it.
 */
export async function openApiResponse(requestId: string): Promise<ScfHttpResponse> {
  return jsonResponse(200, (await import('./openapi')).openApiDocument(), requestId);
}

export const openApi = (ctx: RouteContext): Promise<ScfHttpResponse> => openApiResponse(ctx.req.requestId);

// ---------------------------------------------------------------------------------------------- the table

export const HEALTHZ_PATH = '/healthz';
export const OPENAPI_PATH = '/openapi.json';

export const ROUTES: readonly Route<RouteHandler>[] = [
  { method: 'GET', pattern: HEALTHZ_PATH, public: true, handler: healthz },
  { method: 'GET', pattern: OPENAPI_PATH, public: true, handler: openApi },
  { method: 'GET', pattern: '/v1/whoami', scope: 'any', handler: whoami },
  { method: 'GET', pattern: '/v1/status/{kind}/{uuid}', scope: 'read', handler: statusOfKind },
  { method: 'GET', pattern: '/v1/status/{uuid}', scope: 'read', handler: statusOfAgent },
  { method: 'GET', pattern: '/v1/agents/{uuid}', scope: 'read', handler: agent },
  { method: 'GET', pattern: '/v1/agents/{uuid}/ports', scope: 'read', handler: agentResults('port') },
  { method: 'GET', pattern: '/v1/agents/{uuid}/processes', scope: 'read', handler: agentResults('process') },
  { method: 'POST', pattern: '/v1/collections/{kind}/{uuid}', scope: 'write', handler: startCollection },
  { method: 'POST', pattern: '/v1/collections/{uuid}', scope: 'write', handler: startCollections },
  { method: 'GET', pattern: '/v1/watches', scope: 'read', handler: listWatches },
  { method: 'PUT', pattern: '/v1/watches/{uuid}', scope: 'write', handler: putWatch },
  { method: 'DELETE', pattern: '/v1/watches/{uuid}', scope: 'write', handler: deleteWatch },
  { method: 'GET', pattern: '/v1/watches/export', scope: 'admin', handler: exportWatches },
  { method: 'POST', pattern: '/v1/watches/import', scope: 'admin', handler: importWatches },
  { method: 'GET', pattern: '/v1/deliveries', scope: 'read', handler: listDeliveries },
  { method: 'DELETE', pattern: '/v1/deliveries', scope: 'admin', handler: discardDeliveries },
  { method: 'POST', pattern: '/v1/deliveries/replay', scope: 'admin', handler: replayDeliveries },
  { method: 'POST', pattern: '/v1/store/reset-acknowledged', scope: 'admin', handler: acknowledgeStoreReset },
  { method: 'GET', pattern: '/v1/incidents', scope: 'read', handler: listIncidents },
  { method: 'GET', pattern: '/v1/incidents/{key}', scope: 'read', handler: getIncident },
  { method: 'POST', pattern: '/v1/incidents/{key}/ack', scope: 'alerts', handler: acknowledge },
  { method: 'GET', pattern: '/v1/events', scope: 'read', handler: searchEvents },
  { method: 'GET', pattern: '/metrics', scope: 'metrics', handler: metrics },
  { method: 'GET', pattern: '/v1/overview', scope: 'read', handler: overview },
  { method: 'GET', pattern: '/v1/links/{token}', public: true, handler: showLink },
  { method: 'POST', pattern: '/v1/links/{token}', public: true, handler: actOnLink },
  { method: 'POST', pattern: '/v1/incidents/{key}/accept', scope: 'alerts', handler: acceptIncident },
  { method: 'GET', pattern: '/v1/silences', scope: 'read', handler: listSilences },
  { method: 'POST', pattern: '/v1/silences', scope: 'alerts', handler: createSilence },
  { method: 'DELETE', pattern: '/v1/silences/{id}', scope: 'alerts', handler: endSilence },
  { method: 'GET', pattern: '/v1/maintenance', scope: 'read', handler: listWindows },
  { method: 'POST', pattern: '/v1/maintenance', scope: 'alerts', handler: createWindow },
  { method: 'DELETE', pattern: '/v1/maintenance/{id}', scope: 'alerts', handler: deleteWindow },
  { method: 'GET', pattern: '/v1/expectations', scope: 'read', handler: listExpectations },
  { method: 'POST', pattern: '/v1/expectations', scope: 'alerts', handler: createExpectation },
  { method: 'DELETE', pattern: '/v1/expectations/{id}', scope: 'alerts', handler: deleteExpectation },
];

export const router = new Router<RouteHandler>(ROUTES);
