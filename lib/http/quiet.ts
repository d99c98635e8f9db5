// The quiet-rule routes (lib/alerts/quiet.ts): silences (POST, GET, DELETE /v1/silences), maintenance windows
// (/v1/maintenance, with ALERT_MAINTENANCE's listed read-only) and expectations (/v1/expectations), and accepting a
// port or process incident (POST /v1/incidents/{key}/accept: resolved, and expected on its agent from then on).
// Writes take scope `alerts`, lists `read`; every write leaves the handler's audit line with the token's name, and
// one line here naming the rule.
import { randomUUID } from 'node:crypto';
import { expectationForIncident } from '../alerts/expectations';
import { isTooBroad } from '../alerts/matchers';
import { checkExpectationInput, checkSilenceInput, checkWindowInput, type InputProblem } from '../alerts/quiet-input';
import { resolveIncident } from '../alerts/rules';
import type { Expectation, MaintenanceWindow, QuietKind, QuietRules, Silence } from '../alerts/types';
import { NotSecret } from '../log';
import type { ScfHttpResponse } from '../scf/types';
import type { RouteContext } from './deps';
import { incidentView, parseIncidentKey, readIncident } from './incidents';
import { HttpError, jsonResponse } from './respond';
import { identityOf, storeCall } from './store-call';
import { iso } from './validate';

export type SilenceState = 'active' | 'pending' | 'expired';
export const SILENCE_STATES: readonly SilenceState[] = ['active', 'pending', 'expired'];

/** A rule id as this API makes them (a UUID), or ALERT_MAINTENANCE's `cfg-<hash>`. */
const RULE_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|cfg-[0-9a-f]{12})$/;

function parseRuleId(raw: string | undefined, what: string): string {
  if (raw === undefined || !RULE_ID.test(raw)) throw new HttpError(400, 'invalid_id', `id is not the id of a ${what}; use the id its POST answered, or as its GET lists it`, { details: { field: 'id' } });
  return raw;
}

/** The JSON body, or 400 naming `body`. */
function jsonBody(ctx: RouteContext): unknown {
  if (ctx.req.body === null || ctx.req.body.trim() === '') throw new HttpError(400, 'invalid_body', 'body is required: a JSON object', { details: { field: 'body' } });
  try {
    return JSON.parse(ctx.req.body);
  } catch {
    throw new HttpError(400, 'invalid_body', 'body is not valid JSON', { details: { field: 'body' } });
  }
}

/** 400 `invalid_body` naming the first problem's field, with every problem listed. */
function refuse(problems: readonly InputProblem[]): never {
  const first = problems[0]!;
  throw new HttpError(400, 'invalid_body', `${first.field}: ${first.message}`, { details: { field: first.field }, body: { problems } });
}

/** The line each quiet-rule write leaves beside the handler's audit line: which rule, by which token. */
function auditRule(ctx: RouteContext, what: string, kind: QuietKind, id: string, extra: Record<string, unknown> = {}): void {
  ctx.logger.info(what, { requestId: ctx.req.requestId, token: new NotSecret(ctx.caller?.name ?? ''), kind, id, ...extra });
}

export function silenceState(s: Pick<Silence, 'startsAt' | 'endsAt'>, now: number): SilenceState {
  if (now >= s.endsAt) return 'expired';
  return now < s.startsAt ? 'pending' : 'active';
}

function silenceView(s: QuietRules['silences'][number], now: number) {
  return {
    id: s.id, state: silenceState(s, now), matchers: s.matchers, startsAt: iso(s.startsAt), endsAt: iso(s.endsAt), createdBy: s.createdBy, comment: s.comment,
    createdAt: iso(s.createdAt), heldBack: s.hits, lastHeldAt: iso(s.lastHitAt), ...(s.force ? { force: true } : {}), ...(s.endedBy !== undefined ? { endedBy: s.endedBy } : {}),
  };
}

function windowView(w: QuietRules['windows'][number]) {
  return {
    id: w.id, origin: w.origin, matchers: w.matchers, days: w.days, start: w.start, end: w.end, timezone: w.timezone, createdBy: w.createdBy, comment: w.comment,
    ...(w.origin === 'api' ? { createdAt: iso(w.createdAt) } : {}), heldBack: w.hits, lastHeldAt: iso(w.lastHitAt),
  };
}

function expectationView(e: QuietRules['expectations'][number]) {
  return { id: e.id, matchers: e.matchers, ports: e.ports, processes: e.processes, createdBy: e.createdBy, comment: e.comment, createdAt: iso(e.createdAt), hits: e.hits, lastHitAt: iso(e.lastHitAt) };
}

const rulesOf = (ctx: RouteContext) => storeCall('listQuietRules', () => ctx.deps.store.listQuietRules());

// --------------------------------------------------------------------------------------------- silences

/**
 * POST /v1/silences: 201 with the silence. One whose matchers leave every watched agent in (no uuid, machineName,
 * machineIp or tag matcher narrows it) is 409 `too_broad` unless the body says `"force": true`.
 */
export async function createSilence(ctx: RouteContext): Promise<ScfHttpResponse> {
  const now = ctx.now();
  const { value, problems } = checkSilenceInput(jsonBody(ctx), now);
  if (problems.length > 0) refuse(problems);
  if (isTooBroad(value.matchers) && !value.force) {
    throw new HttpError(409, 'too_broad', 'these matchers leave every watched agent in: add a uuid, machineName, machineIp or tag matcher that narrows it (machineName glob * does not), or say "force": true to silence every agent', { details: { field: 'matchers' } });
  }
  const silence: Silence = { id: randomUUID(), matchers: value.matchers, startsAt: value.startsAt, endsAt: value.endsAt, createdBy: value.createdBy, comment: value.comment, createdAt: now, ...(value.force ? { force: true } : {}) };
  await storeCall('putQuietRule', () => ctx.deps.store.putQuietRule('silence', silence));
  auditRule(ctx, 'silence created', 'silence', silence.id, { createdBy: silence.createdBy, endsAt: iso(silence.endsAt), ...(value.force ? { force: true } : {}) });
  return jsonResponse(201, silenceView({ ...silence, hits: 0, lastHitAt: null, endNoticed: false }, now), ctx.req.requestId);
}

/** GET /v1/silences?state=active|pending|expired: `{silences}`, oldest first, each with who, why and what it held back. */
export async function listSilences(ctx: RouteContext): Promise<ScfHttpResponse> {
  const raw = ctx.req.query.state;
  if (raw !== undefined && raw !== '' && !(SILENCE_STATES as readonly string[]).includes(raw)) {
    throw new HttpError(400, 'invalid_state', `state must be one of: ${SILENCE_STATES.join(', ')} (or left out for all)`, { details: { field: 'state' } });
  }
  const now = ctx.now();
  const silences = (await rulesOf(ctx)).silences.filter((s) => !raw || silenceState(s, now) === raw);
  return jsonResponse(200, { silences: silences.map((s) => silenceView(s, now)) }, ctx.req.requestId);
}

/** DELETE /v1/silences/{id}: ends it now (it stays listed, expired); what it held back and still fires is notified by the next sweep. */
export async function endSilence(ctx: RouteContext): Promise<ScfHttpResponse> {
  const id = parseRuleId(ctx.params.id, 'silence');
  const by = ctx.caller?.name ?? '';
  const now = ctx.now();
  const s = await storeCall('endSilence', () => ctx.deps.store.endSilence(id, now, by));
  if (!s) throw new HttpError(404, 'not_found', `no silence ${id}`);
  auditRule(ctx, 'silence ended', 'silence', id, { heldBack: s.hits });
  return jsonResponse(200, silenceView(s, now), ctx.req.requestId);
}

// ---------------------------------------------------------------------------------- maintenance windows

/** POST /v1/maintenance: 201 with the window. */
export async function createWindow(ctx: RouteContext): Promise<ScfHttpResponse> {
  const { value, problems } = checkWindowInput(jsonBody(ctx));
  if (problems.length > 0) refuse(problems);
  const w: MaintenanceWindow = { id: randomUUID(), ...value, createdAt: ctx.now(), origin: 'api' };
  await storeCall('putQuietRule', () => ctx.deps.store.putQuietRule('window', w));
  auditRule(ctx, 'maintenance window created', 'window', w.id, { createdBy: w.createdBy });
  return jsonResponse(201, windowView({ ...w, hits: 0, lastHitAt: null }), ctx.req.requestId);
}

/** GET /v1/maintenance: `{windows}`, ALERT_MAINTENANCE's first (origin `config`), then the API's. */
export async function listWindows(ctx: RouteContext): Promise<ScfHttpResponse> {
  const configured = (ctx.deps.config.alerts.maintenance ?? []).map((w) => ({ ...w, hits: 0, lastHitAt: null }));
  const windows = [...configured, ...(await rulesOf(ctx)).windows];
  return jsonResponse(200, { windows: windows.map(windowView) }, ctx.req.requestId);
}

/** DELETE /v1/maintenance/{id}: removes an API window; one of ALERT_MAINTENANCE is 409 `configured`. */
export async function deleteWindow(ctx: RouteContext): Promise<ScfHttpResponse> {
  const id = parseRuleId(ctx.params.id, 'maintenance window');
  if ((ctx.deps.config.alerts.maintenance ?? []).some((w) => w.id === id)) {
    throw new HttpError(409, 'configured', `maintenance window ${id} comes from ALERT_MAINTENANCE; remove it there and redeploy`);
  }
  if (!(await storeCall('deleteQuietRule', () => ctx.deps.store.deleteQuietRule('window', id)))) throw new HttpError(404, 'not_found', `no maintenance window ${id}`);
  auditRule(ctx, 'maintenance window deleted', 'window', id);
  return jsonResponse(200, { deleted: id }, ctx.req.requestId);
}

// -------------------------------------------------------------------------------------------- expectations

async function putExpectation(ctx: RouteContext, e: Expectation, what: string): Promise<void> {
  await storeCall('putQuietRule', () => ctx.deps.store.putQuietRule('expectation', e));
  auditRule(ctx, what, 'expectation', e.id, { createdBy: e.createdBy });
}

/** POST /v1/expectations: 201 with the expectation. */
export async function createExpectation(ctx: RouteContext): Promise<ScfHttpResponse> {
  const { value, problems } = checkExpectationInput(jsonBody(ctx));
  if (problems.length > 0) refuse(problems);
  const e: Expectation = { id: randomUUID(), ...value, createdAt: ctx.now() };
  await putExpectation(ctx, e, 'expectation created');
  return jsonResponse(201, expectationView({ ...e, hits: 0, lastHitAt: null }), ctx.req.requestId);
}

/** GET /v1/expectations: `{expectations}`, each with its hits (incidents it did not open) and lastHitAt. */
export async function listExpectations(ctx: RouteContext): Promise<ScfHttpResponse> {
  return jsonResponse(200, { expectations: (await rulesOf(ctx)).expectations.map(expectationView) }, ctx.req.requestId);
}

/** DELETE /v1/expectations/{id}: removes it. */
export async function deleteExpectation(ctx: RouteContext): Promise<ScfHttpResponse> {
  const id = parseRuleId(ctx.params.id, 'expectation');
  if (!(await storeCall('deleteQuietRule', () => ctx.deps.store.deleteQuietRule('expectation', id)))) throw new HttpError(404, 'not_found', `no expectation ${id}`);
  auditRule(ctx, 'expectation deleted', 'expectation', id);
  return jsonResponse(200, { deleted: id }, ctx.req.requestId);
}

/** Attempts at resolving an accepted incident while it changes under it. */
const ACCEPT_ATTEMPTS = 3;

/**
 * POST /v1/incidents/{key}/accept, body `{"by", "comment"}`: a port.opened or process.suspicious incident, pending or
 * firing, resolves (reason `accepted`; told if its firing was) and an expectation of its port or process on its
 * agent is made, so the next collection that lists it opens nothing. 200 `{incident, expectation}`; another type is
 * 409 `not_acceptable`, a resolved one 409 `not_open`.
 */
export async function acceptIncident(ctx: RouteContext): Promise<ScfHttpResponse> {
  const key = parseIncidentKey(ctx.params.key);
  const raw = jsonBody(ctx) as Record<string, unknown>;
  const problems: InputProblem[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) problems.push({ field: 'body', message: 'must be a JSON object {"by", "comment"}' });
  else {
    for (const k of Object.keys(raw)) if (k !== 'by' && k !== 'comment') problems.push({ field: k, message: 'is not a field here; use by, comment' });
    if (typeof raw.by !== 'string' || raw.by.trim() === '' || raw.by.length > 200) problems.push({ field: 'by', message: 'is required: who accepts (a name or an e-mail address, at most 200 characters)' });
    if (typeof raw.comment !== 'string' || raw.comment.trim() === '' || raw.comment.length > 2000) problems.push({ field: 'comment', message: 'is required: why the port or process is expected (at most 2000 characters)' });
  }
  if (problems.length > 0) refuse(problems);
  const by = (raw.by as string).trim();
  const comment = (raw.comment as string).trim();
  const alerts = { storeId: identityOf(ctx).storeId, source: ctx.deps.config.eventSource, settings: ctx.deps.config.alerts };
  for (let attempt = 0; attempt < ACCEPT_ATTEMPTS; attempt++) {
    const incident = await readIncident(ctx, key);
    if (incident.type !== 'port.opened' && incident.type !== 'process.suspicious') {
      throw new HttpError(409, 'not_acceptable', `incident ${key} is ${incident.type}; only port.opened and process.suspicious incidents can be accepted (acknowledge others with POST /v1/incidents/{key}/ack, or silence them)`, { body: { type: incident.type } });
    }
    if (incident.state === 'resolved') throw new HttpError(409, 'not_open', `incident ${key} resolved at ${iso(incident.resolvedAt)}; make an expectation with POST /v1/expectations instead`, { body: { state: incident.state } });
    const now = ctx.now();
    const w = resolveIncident(alerts, incident, 'accepted', now, null);
    if (!(await storeCall('applyIncidents', () => ctx.deps.store.applyIncidents([w])))) continue;
    const expectation = expectationForIncident(incident, randomUUID(), by, comment, now);
    await putExpectation(ctx, expectation, 'incident accepted');
    return jsonResponse(200, { incident: incidentView(w.incident, true), expectation: expectationView({ ...expectation, hits: 0, lastHitAt: null }) }, ctx.req.requestId);
  }
  throw new HttpError(409, 'conflict', `incident ${key} kept changing while it was being accepted; try again`);
}
