// The full loop's routes: start collections (POST /v1/collections/...) and read back what they found
// (GET /v1/agents/{uuid}/ports, /processes). A started collection puts its key in COLLECTING at once, with its
// status.changed event, so the sweep checks it in the hot lane and sees its end.
import { isTencentError } from '../errors';
import { buildStatusChangedEvent } from '../events';
import { decodeSnapshotRecord } from '../results/snapshot';
import type { ScfHttpResponse } from '../scf/types';
import { nextDueAt } from '../sweep/schedule';
import { TASK_KINDS, type TaskKind } from '../types';
import type { RouteContext } from './deps';
import { errorBody, HttpError, jsonResponse } from './respond';
import { identityOf, storeCall } from './store-call';
import { upstreamError } from './upstream';
import { iso, kindsBody, parseJsonBody, parseKind, parseUuid } from './validate';


type Started = { status: 202; body: Record<string, unknown> } | { status: number; error: HttpError };

/** Starts one collection, or says why not: never a second task on a key already COLLECTING. */
async function startOne(ctx: RouteContext, kind: TaskKind, uuid: string): Promise<Started> {
  const { store, cwp, config } = ctx.deps;
  const key = { uuid, kind };
  const watched = config.watch.uuids.includes(uuid) || (await storeCall('getWatch', () => store.getWatch(uuid))) !== null
    || (config.watch.discover !== null && (await storeCall('getMachine', () => store.getMachine(uuid))) !== null);
  if (!watched) {
    return { status: 409, error: new HttpError(409, 'not_watched', `${uuid} is not watched, so the bridge would not see the collection end; PUT /v1/watches/${uuid} first (or add it to WATCH_UUIDS, or let WATCH_DISCOVER find it)`, { details: { field: 'uuid' } }) };
  }
  const rec = await storeCall('getRecord', () => store.getRecord(key));
  if (rec?.state === 'COLLECTING') {
    return { status: 409, error: new HttpError(409, 'already_collecting', `a ${kind} collection of ${uuid} is already running (since ${iso(rec.since)}); its end will be published`, { body: { uuid, kind, state: 'COLLECTING' } }) };
  }
  const signal = AbortSignal.timeout(10_000);
  let requestId: string;
  try {
    ({ requestId } = await cwp.createTask(kind, uuid, { signal, deadline: Date.now() + 10_000 }));
  } catch (e) {
    // An error that implies a state (the agent is offline, or unknown) is why the start was refused.
    if (isTencentError(e) && e.row.state !== null) {
      const status = e.row.state === 'UNKNOWN_AGENT' ? 404 : 409;
      return { status, error: new HttpError(status, e.row.state === 'UNKNOWN_AGENT' ? 'unknown_agent' : 'agent_offline', `${kind} collection of ${uuid} not started: ${e.row.meaning} (${e.code})`, { details: { upstreamRequestId: e.requestId } }) };
    }
    const err = upstreamError(e, signal);
    return { status: err.status, error: err };
  }
  const now = ctx.now();
  const version = rec?.version ?? 0;
  const event = buildStatusChangedEvent({ storeId: identityOf(ctx).storeId, source: config.eventSource, uuid, kind, previous: rec?.state ?? null, state: 'COLLECTING', version: version + 1, observedAt: now, requestId });
  const recorded = await storeCall('recordChange', () => store.recordChange({
    key, expectedVersion: version, state: 'COLLECTING', requestId, observedAt: now, nextDue: nextDueAt('COLLECTING', now, config.sweep.intervals), event,
  }));
  return { status: 202, body: { uuid, kind, started: true, state: 'COLLECTING', previous: rec?.state ?? null, requestId, ...(recorded ? { eventId: event.id } : {}) } };
}

/** POST /v1/collections/{kind}/{uuid}: 202 with the key's state, or the reason it was not started. */
export async function startCollection(ctx: RouteContext): Promise<ScfHttpResponse> {
  const kind = parseKind(ctx.params.kind);
  const uuid = parseUuid(ctx.params.uuid);
  const r = await startOne(ctx, kind, uuid);
  if ('error' in r) throw r.error;
  return jsonResponse(202, r.body, ctx.req.requestId);
}

/**
 * POST /v1/collections/{uuid}, optional body `{"kinds": [...]}` (default both): 202 when at least one started,
 * each kind's outcome listed; when none started and all failed alike, that status.
 */
export async function startCollections(ctx: RouteContext): Promise<ScfHttpResponse> {
  const uuid = parseUuid(ctx.params.uuid);
  const body = parseJsonBody(ctx.req, kindsBody(), {});
  const kinds = [...new Set(body.kinds ?? TASK_KINDS)];
  const results = await Promise.all(kinds.map((k) => startOne(ctx, k, uuid)));
  const collections: Record<string, unknown> = {};
  kinds.forEach((k, i) => {
    const r = results[i]!;
    collections[k] = 'error' in r ? { started: false, error: { ...r.error.details, code: r.error.code, message: r.error.message, status: r.status } } : r.body;
  });
  const anyStarted = results.some((r) => r.status === 202);
  const first = results[0]!;
  if (!anyStarted && results.every((r) => r.status === first.status) && 'error' in first) {
    return jsonResponse(first.status, { uuid, collections, ...errorBody(first.error.code, kinds.map((k, i) => `${k}: ${(results[i] as { error: HttpError }).error.message}`).join('; '), ctx.req.requestId) }, ctx.req.requestId);
  }
  return jsonResponse(anyStarted ? 202 : 409, { uuid, collections }, ctx.req.requestId);
}

/** GET /v1/agents/{uuid}/ports and /processes: the latest snapshot, when it was taken, and what changed. */
export function agentResults(kind: TaskKind) {
  return async (ctx: RouteContext): Promise<ScfHttpResponse> => {
    const uuid = parseUuid(ctx.params.uuid);
    const stored = await storeCall('getSnapshot', () => ctx.deps.store.getSnapshot({ uuid, kind }));
    if (!stored) {
      throw new HttpError(404, 'no_snapshot', `no ${kind} collection of ${uuid} has been read yet; POST /v1/collections/${kind}/${uuid} starts one`);
    }
    const { latest, previousTakenAt, lastDiff } = decodeSnapshotRecord(stored.encoded);
    return jsonResponse(200, {
      uuid, kind, takenAt: iso(latest.takenAt), total: latest.items.length, items: latest.items,
      baseline: lastDiff === null, previousTakenAt: iso(previousTakenAt),
      changes: lastDiff,
    }, ctx.req.requestId);
  };
}
