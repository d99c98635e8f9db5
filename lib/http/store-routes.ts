// The routes that look after the store itself (admin): backing up and restoring the API watches (a reset store
// loses them), acknowledging a reset, and discarding dead letters. /healthz words a reset here too (resetProblem).
import * as z from 'zod/mini';
import { isAgentUuid, normalizeUuid } from '../cwp/uuid';
import type { ScfHttpResponse } from '../scf/types';
import { TASK_KINDS, type StoreReset, type TaskKind, type Watch } from '../types';
import { sinkLabel } from '../util/redact';
import type { RouteContext } from './deps';
import { HttpError, jsonResponse } from './respond';
import { identityOf, storeCall } from './store-call';
import { iso, lazy, parseJsonBody, parseWholeNumber, UUID_FORM } from './validate';

/** The most watches one import takes (a body is at most 64 KiB anyway: about 700 watches). */
const IMPORT_MAX = 10_000;

/** What /healthz says of a reset until it is acknowledged: what was lost, and what to do. */
export function resetProblem(reset: StoreReset): string {
  const { lost } = reset;
  const counted = [
    lost.apiWatches !== null ? `${lost.apiWatches} API watches` : 'the API watches',
    lost.outbox !== null ? `${lost.outbox} events waiting in the outbox (never delivered)` : 'the events waiting in the outbox (never delivered)',
    lost.deadLetters !== null ? `${lost.deadLetters} dead letters` : 'the dead letters',
  ];
  return `the state store was reset at ${iso(reset.at)} (store id ${reset.previousStoreId} is gone, now ${reset.storeId}; noticed by the ${reset.noticedBy} function): `
    + `lost are ${counted.join(', ')}, every key's last state (each is observed afresh, as previous null, with new event ids) and the snapshots (the next collection of each agent is a baseline). `
    + 'Restore the API watches with POST /v1/watches/import (the body of your last GET /v1/watches/export), then POST /v1/store/reset-acknowledged. '
    + 'Give Redis persistence (appendonly yes) so that a restart keeps the state (docs/deploy.md, Redis persistence and resets)';
}

/** POST /v1/store/reset-acknowledged: clears the recorded reset; 200 `{acknowledged, reset}` (false and null when there was none). */
export async function acknowledgeStoreReset(ctx: RouteContext): Promise<ScfHttpResponse> {
  const reset = await storeCall('acknowledgeReset', () => ctx.deps.store.acknowledgeReset());
  if (reset) ctx.logger.info('store reset acknowledged', { requestId: ctx.req.requestId, storeId: reset.storeId, resetAt: iso(reset.at) });
  return jsonResponse(200, { acknowledged: reset !== null, reset: reset && { ...reset, at: iso(reset.at) } }, ctx.req.requestId);
}

// ----------------------------------------------------------------------------------------- watches backup

/** An exported watch: what putWatch needs to put it back as it was. */
interface ExportedWatch {
  uuid: string;
  kinds: TaskKind[];
  addedAt: number | null;
}

/**
 * GET /v1/watches/export: the API watches (not WATCH_UUIDS, not discovered ones), as a body POST /v1/watches/import
 * takes: `{version: 1, exportedAt, storeId, watches: [{uuid, kinds, addedAt}], total}`. With `?limit=` (1..1000)
 * and `?offset=`, one page of them and `nextOffset`: each page is a body import takes, under its 64 KiB.
 */
export async function exportWatches(ctx: RouteContext): Promise<ScfHttpResponse> {
  const paged = ctx.req.query.limit !== undefined || ctx.req.query.offset !== undefined;
  const limit = parseWholeNumber(ctx.req.query.limit, 'limit', 1, 1_000, 500);
  const offset = parseWholeNumber(ctx.req.query.offset, 'offset', 0, Number.MAX_SAFE_INTEGER, 0);
  const all = await storeCall('listWatches', () => ctx.deps.store.listWatches());
  const page = paged ? all.slice(offset, offset + limit) : all;
  const watches: ExportedWatch[] = page.map((w) => ({ uuid: w.uuid, kinds: [...w.kinds], addedAt: w.addedAt }));
  const nextOffset = paged ? (offset + page.length < all.length ? offset + page.length : null) : undefined;
  return jsonResponse(200, {
    version: 1, exportedAt: new Date(ctx.now()).toISOString(), storeId: identityOf(ctx).storeId, watches, total: all.length, ...(paged ? { nextOffset } : {}),
  }, ctx.req.requestId);
}

/** What an export's body may hold at its top level; anything else is a mistake, named. */
const IMPORT_FIELDS = new Set(['version', 'exportedAt', 'storeId', 'watches', 'total', 'nextOffset']);

/**
 * The body of POST /v1/watches/import, checked by hand (the api bundle carries only the zod it already needs): the
 * first problem is a 400 naming the field, `watches[i].uuid` and the like.
 */
function parseImportBody(raw: string | null): ExportedWatch[] {
  const bad = (field: string, message: string) => new HttpError(400, 'invalid_body', `${field}: ${message}`, { details: { field } });
  let body: unknown;
  try {
    body = JSON.parse(raw ?? '');
  } catch {
    throw bad('body', 'is not JSON; send the body GET /v1/watches/export answers');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('body', 'must be the body GET /v1/watches/export answers: {"version": 1, "watches": [...]}');
  const top = body as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!IMPORT_FIELDS.has(key)) throw bad(key, 'is not a field of an export');
  if (top.version !== 1) throw bad('version', 'must be 1 (the version GET /v1/watches/export writes)');
  if (!Array.isArray(top.watches)) throw bad('watches', 'must be an array of watches');
  if (top.watches.length > IMPORT_MAX) throw bad('watches', `must hold at most ${IMPORT_MAX} watches; import in parts`);
  return top.watches.map((w: unknown, i): ExportedWatch => {
    const at = `watches[${i}]`;
    if (typeof w !== 'object' || w === null || Array.isArray(w)) throw bad(at, 'must be an object {uuid, kinds, addedAt}');
    const entry = w as Record<string, unknown>;
    for (const key of Object.keys(entry)) if (key !== 'uuid' && key !== 'kinds' && key !== 'addedAt') throw bad(`${at}.${key}`, 'is not a field of a watch');
    if (typeof entry.uuid !== 'string' || !isAgentUuid(entry.uuid)) throw bad(`${at}.uuid`, `must be an agent Uuid (${UUID_FORM})`);
    if (!Array.isArray(entry.kinds) || entry.kinds.length === 0) throw bad(`${at}.kinds`, 'must name at least one kind: process, port');
    entry.kinds.forEach((k: unknown, j) => {
      if (!(TASK_KINDS as readonly unknown[]).includes(k)) throw bad(`${at}.kinds[${j}]`, 'must be process or port');
    });
    const addedAt = entry.addedAt ?? null;
    if (addedAt !== null && !(typeof addedAt === 'number' && Number.isInteger(addedAt) && addedAt >= 0)) throw bad(`${at}.addedAt`, 'must be whole epoch milliseconds, or null');
    return { uuid: normalizeUuid(entry.uuid), kinds: [...new Set(entry.kinds as TaskKind[])], addedAt };
  });
}

const sameKinds = (a: readonly TaskKind[], b: readonly TaskKind[]): boolean => new Set(a).size === new Set(b).size && a.every((k) => b.includes(k));

/**
 * POST /v1/watches/import: puts back the API watches of an export (or one page of it). Every entry is checked before
 * anything is written (400 naming `watches[i].field`; 409 for an agent in WATCH_UUIDS, or past MAX_WATCHES with how
 * many fit). Idempotent: a watch already there with the same kinds is unchanged; the kinds of one that differs are
 * replaced; a new one keeps its addedAt. 200 `{imported, unchanged, total}`.
 */
export async function importWatches(ctx: RouteContext): Promise<ScfHttpResponse> {
  const entries = parseImportBody(ctx.req.body);
  const { config } = ctx.deps;
  const firstAt = new Map<string, number>();
  entries.forEach((w, i) => {
    const first = firstAt.get(w.uuid);
    if (first !== undefined) throw new HttpError(400, 'invalid_body', `watches[${i}].uuid: ${w.uuid} is listed twice (also watches[${first}])`, { details: { field: `watches[${i}].uuid` } });
    firstAt.set(w.uuid, i);
    if (config.watch.uuids.includes(w.uuid)) {
      throw new HttpError(409, 'watch_from_env', `watches[${i}].uuid: ${w.uuid} is watched through WATCH_UUIDS; leave it out of the import (or out of WATCH_UUIDS)`, { details: { field: `watches[${i}].uuid` } });
    }
  });
  const existing = new Map<string, Watch>((await storeCall('listWatches', () => ctx.deps.store.listWatches())).map((w) => [w.uuid, w]));
  const fresh = entries.filter((w) => !existing.has(w.uuid)).length;
  const { maxWatches } = config.api;
  if (existing.size + fresh > maxWatches) {
    const room = Math.max(0, maxWatches - existing.size);
    throw new HttpError(409, 'too_many_watches', `the import adds ${fresh} new watches to the ${existing.size} the API holds; MAX_WATCHES (${maxWatches}) leaves room for ${room}. Nothing was imported; raise MAX_WATCHES or import fewer`, { details: { maxWatches, room } });
  }
  let imported = 0;
  let unchanged = 0;
  for (const w of entries) {
    const had = existing.get(w.uuid);
    if (had && sameKinds(had.kinds, w.kinds)) {
      unchanged++;
      continue;
    }
    // putWatch keeps the first addedAt of a watch it replaces, and takes this one for a new watch: the backup's.
    await storeCall('putWatch', () => ctx.deps.store.putWatch(w.uuid, w.kinds, w.addedAt ?? ctx.now()));
    imported++;
  }
  const total = await storeCall('countWatches', () => ctx.deps.store.countWatches());
  return jsonResponse(200, { imported, unchanged, total }, ctx.req.requestId);
}

// ------------------------------------------------------------------------------------------- dead letters

const discardBody = lazy(() => z.strictObject({
  eventIds: z.optional(
    z.array(z.string().check(z.minLength(1, { error: 'must be a non-empty event id' })), { error: 'must be an array of event ids' })
      .check(z.minLength(1, { error: 'must name at least one event; send {} to discard every dead letter' }), z.maxLength(1000, { error: 'must name at most 1000 events' })),
  ),
  sinkId: z.optional(z.string({ error: 'must be a sink as GET /v1/deliveries shows it (sinkId)' }).check(z.minLength(1, { error: 'must be a sink as GET /v1/deliveries shows it (sinkId)' }))),
}));

/**
 * DELETE /v1/deliveries: discards dead letters for good. Body `{}` (or none) = all; `{"eventIds": [...]}` = those
 * events' letters; `{"sinkId": "..."}` = one sink's, the sink named as GET /v1/deliveries shows it (its label: a
 * hook's origin and hash, never its URL). 200 `{discarded}`; 404 for a sinkId no dead letter has.
 */
export async function discardDeliveries(ctx: RouteContext): Promise<ScfHttpResponse> {
  const body = parseJsonBody(ctx.req, discardBody(), {});
  if (body.eventIds && body.sinkId !== undefined) {
    throw new HttpError(400, 'invalid_body', 'body: give eventIds or sinkId, not both (or {} for every dead letter)', { details: { field: 'body' } });
  }
  const { store } = ctx.deps;
  let discarded: number;
  if (body.sinkId !== undefined) {
    const wanted = body.sinkId;
    const sinks = await storeCall('deadLetterSinks', () => store.deadLetterSinks());
    const sinkIds = sinks.filter((id) => sinkLabel(id) === wanted);
    if (sinkIds.length === 0) {
      throw new HttpError(404, 'unknown_sink', `no dead letter is for the sink ${JSON.stringify(wanted.slice(0, 200))}; sinks with dead letters: ${sinks.map((id) => sinkLabel(id)).join(', ') || 'none'}`, { details: { field: 'sinkId' } });
    }
    discarded = await storeCall('discardDeadLetters', () => store.discardDeadLetters({ sinkIds }));
  } else {
    discarded = await storeCall('discardDeadLetters', () => store.discardDeadLetters(body.eventIds ? { eventIds: [...new Set(body.eventIds)] } : null));
  }
  return jsonResponse(200, { discarded }, ctx.req.requestId);
}
