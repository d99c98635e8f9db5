// The incident routes (lib/alerts): list them (GET /v1/incidents), read one with its timeline (GET
// /v1/incidents/{key}), acknowledge one (POST /v1/incidents/{key}/ack, scope `alerts`). An acknowledgement is an
// incident.changed event in the outbox, sent by the next sweep (the api function has no sinks).
import * as z from 'zod/mini';
import { Quiet } from '../alerts/quiet';
import { acknowledgeIncident } from '../alerts/rules';
import { windowActiveAt } from '../alerts/windows';
import { INCIDENT_STATES, INCIDENT_TYPES, type Incident, type IncidentQuery, type IncidentState, type IncidentType, type TimelineEntry } from '../alerts/types';
import type { ScfHttpResponse } from '../scf/types';
import { BadCursorError, decodeIncidentCursor } from '../state/rules';
import type { RouteContext } from './deps';
import { HttpError, jsonResponse } from './respond';
import { identityOf, storeCall } from './store-call';
import { iso, lazy, parseJsonBody, parseUuid } from './validate';

export const INCIDENT_LIMIT = { min: 1, max: 500, default: 100 };
/** An incident key as the bridge makes them (lib/alerts/rules.ts incidentKey; the schema's pattern). */
const KEY = /^[a-z0-9][a-z0-9.-]{0,254}$/;
/** Attempts at an acknowledgement while the incident changes under it (the sweep fired or repeated it meanwhile). */
const ACK_ATTEMPTS = 3;

function timelineView(t: TimelineEntry) {
  return { ...t, at: iso(t.at) };
}

/**
 * An incident as the API shows it: times as ISO 8601, the compare-and-set revision and the clock's fields left out;
 * `silencedBy`: the silences and maintenance windows that hold it back now (`silencers`), else as the sweep last found.
 */
export function incidentView(i: Incident, withTimeline: boolean, silencers?: string[]) {
  const silencedBy = i.state === 'resolved' ? undefined : silencers ?? i.silencedBy;
  return {
    key: i.key,
    type: i.type,
    state: i.state,
    acknowledged: i.acknowledged,
    ...(i.acknowledgedBy !== undefined ? { acknowledgedBy: i.acknowledgedBy, acknowledgedAt: iso(i.acknowledgedAt ?? null) } : {}),
    ...(i.ackComment !== undefined ? { comment: i.ackComment } : {}),
    severity: i.severity,
    agent: i.agent,
    subject: i.subject,
    ...(i.kind !== undefined ? { kind: i.kind } : {}),
    ...(i.port !== undefined ? { port: i.port } : {}),
    ...(i.processName !== undefined ? { processName: i.processName } : {}),
    ...(i.fullPath !== undefined ? { fullPath: i.fullPath } : {}),
    ...(i.username !== undefined ? { username: i.username } : {}),
    summary: i.summary,
    openedAt: iso(i.openedAt),
    firingAt: iso(i.firingAt),
    resolvedAt: iso(i.resolvedAt),
    ...(i.resolvedReason !== undefined ? { resolvedReason: i.resolvedReason } : {}),
    ...(i.state === 'pending' ? { firesAt: iso(i.fireAt) } : {}),
    ...(i.nextRepeatAt !== null ? { nextRepeatAt: iso(i.nextRepeatAt) } : {}),
    repeats: i.repeats,
    ...(silencedBy && silencedBy.length > 0 ? { silencedBy } : {}),
    eventIds: i.eventIds,
    ...(withTimeline ? { timeline: i.timeline.map(timelineView) } : {}),
  };
}

function oneOf<T extends string>(raw: string | undefined, field: string, known: readonly T[]): T | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!(known as readonly string[]).includes(raw)) {
    throw new HttpError(400, `invalid_${field}`, `${field} must be one of: ${known.join(', ')}`, { details: { field } });
  }
  return raw as T;
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return INCIDENT_LIMIT.default;
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= INCIDENT_LIMIT.min && n <= INCIDENT_LIMIT.max)) {
    throw new HttpError(400, 'invalid_limit', `limit must be a whole number from ${INCIDENT_LIMIT.min} to ${INCIDENT_LIMIT.max} (default ${INCIDENT_LIMIT.default})`, { details: { field: 'limit' } });
  }
  return n;
}

function badCursor(): HttpError {
  return new HttpError(400, 'invalid_cursor', 'cursor is not one this API gave; pass nextCursor of the previous page as it is, or start without it', { details: { field: 'cursor' } });
}

export function parseIncidentKey(raw: string | undefined): string {
  if (raw === undefined || !KEY.test(raw)) {
    throw new HttpError(400, 'invalid_key', 'key is not an incident key; use the key of an incident as GET /v1/incidents lists it (lower-case letters, digits, "." and "-")', { details: { field: 'key' } });
  }
  return raw;
}

/** GET /v1/incidents?state=&type=&uuid=&limit=&cursor=: newest first, `{incidents, nextCursor}` (null at the end). */
export async function listIncidents(ctx: RouteContext): Promise<ScfHttpResponse> {
  const q = ctx.req.query;
  const query: IncidentQuery = { limit: parseLimit(q.limit) };
  const state = oneOf<IncidentState>(q.state, 'state', INCIDENT_STATES);
  const type = oneOf<IncidentType>(q.type, 'type', INCIDENT_TYPES);
  if (state) query.state = state;
  if (type) query.type = type;
  if (q.uuid !== undefined && q.uuid !== '') query.uuid = parseUuid(q.uuid);
  if (q.cursor !== undefined && q.cursor !== '') {
    try {
      decodeIncidentCursor(q.cursor);
    } catch {
      throw badCursor();
    }
    query.cursor = q.cursor;
  }
  let page;
  try {
    page = await storeCall('listIncidents', () => ctx.deps.store.listIncidents(query));
  } catch (e) {
    if (e instanceof BadCursorError) throw badCursor();
    throw e;
  }
  const silencers = await silencersNow(ctx);
  return jsonResponse(200, { incidents: page.incidents.map((i) => incidentView(i, false, silencers(i))), nextCursor: page.nextCursor }, ctx.req.requestId);
}

export async function readIncident(ctx: RouteContext, key: string): Promise<Incident> {
  const incident = await storeCall('getIncident', () => ctx.deps.store.getIncident(key));
  if (!incident) throw new HttpError(404, 'not_found', `no incident ${key} (resolved incidents are kept INCIDENT_RETENTION, 30 days by default)`);
  return incident;
}

/** GET /v1/incidents/{key}: the incident with its timeline (each event and each notification). */
export async function getIncident(ctx: RouteContext): Promise<ScfHttpResponse> {
  const incident = await readIncident(ctx, parseIncidentKey(ctx.params.key));
  return jsonResponse(200, incidentView(incident, true, (await silencersNow(ctx))(incident)), ctx.req.requestId);
}

/**
 * Which silences and maintenance windows hold an incident back now: matched against the quiet rules read once for
 * the request, and those the sweep found (a tag matcher needs the machine listing's tags) that are still in force.
 */
async function silencersNow(ctx: RouteContext): Promise<(i: Incident) => string[]> {
  const now = ctx.now();
  const stored = await storeCall('listQuietRules', () => ctx.deps.store.listQuietRules());
  const rules = { ...stored, windows: [...(ctx.deps.config.alerts.maintenance ?? []).map((w) => ({ ...w, hits: 0, lastHitAt: null })), ...stored.windows] };
  if (rules.silences.length === 0 && rules.windows.length === 0) return () => [];
  const quiet = new Quiet(rules);
  const inForce = new Set([...rules.silences.filter((s) => s.startsAt <= now && now < s.endsAt).map((s) => s.id), ...rules.windows.filter((w) => windowActiveAt(w, now)).map((w) => w.id)]);
  return (i) => (i.state === 'resolved' ? [] : [...new Set([...quiet.silencersOf(i, now), ...(i.silencedBy ?? []).filter((id) => inForce.has(id))])]);
}

const ackBody = lazy(() => z.strictObject({
  by: z.string({ error: 'is required: who acknowledges (a name or an e-mail address)' }).check(z.minLength(1, { error: 'must not be empty' }), z.maxLength(200, { error: 'must be at most 200 characters' })),
  comment: z.optional(z.string({ error: 'must be a string' }).check(z.maxLength(2000, { error: 'must be at most 2000 characters' }))),
}));

/**
 * POST /v1/incidents/{key}/ack, body `{"by", "comment"?}`: 200 with the incident, acknowledged (an incident.changed
 * event with acknowledged: true; repeats stop until it resolves). Acknowledging it again is 200 with no second event;
 * a pending or resolved incident is 409 `not_firing`.
 */
export async function acknowledge(ctx: RouteContext): Promise<ScfHttpResponse> {
  const key = parseIncidentKey(ctx.params.key);
  const body = parseJsonBody(ctx.req, ackBody(), { by: '' });
  if (body.by === '') throw new HttpError(400, 'invalid_body', 'by: is required: who acknowledges (a name or an e-mail address)', { details: { field: 'by' } });
  const { incident } = await acknowledgeByKey(ctx, key, body.by, body.comment);
  return jsonResponse(200, incidentView(incident, true), ctx.req.requestId);
}

/**
 * Acknowledges the incident `key` by `by` (the route above, and a chat link's Acknowledge): the incident after it,
 * and whether this call acknowledged it (false: it already was). 404 `not_found`, 409 `not_firing` or `conflict`.
 */
export async function acknowledgeByKey(ctx: RouteContext, key: string, by: string, comment: string | undefined): Promise<{ incident: Incident; acknowledged: boolean }> {
  const alerts = { storeId: identityOf(ctx).storeId, source: ctx.deps.config.eventSource, settings: ctx.deps.config.alerts };
  for (let attempt = 0; attempt < ACK_ATTEMPTS; attempt++) {
    const incident = await readIncident(ctx, key);
    const w = acknowledgeIncident(alerts, incident, by, comment, ctx.now());
    if (w === 'already_acknowledged') return { incident, acknowledged: false };
    if (w === 'not_firing') {
      const why = incident.state === 'pending' ? `has not fired yet (it fires at ${iso(incident.fireAt)} unless it resolves first)` : `resolved at ${iso(incident.resolvedAt)}`;
      throw new HttpError(409, 'not_firing', `incident ${key} ${why}; only a firing incident can be acknowledged`, { body: { state: incident.state } });
    }
    if (await storeCall('applyIncidents', () => ctx.deps.store.applyIncidents([w]))) return { incident: w.incident, acknowledged: true };
  }
  throw new HttpError(409, 'conflict', `incident ${key} kept changing while it was being acknowledged; try again`);
}
