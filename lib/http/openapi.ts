// The OpenAPI 3.1 document of the api function (GET /openapi.json, no token). It is data kept beside the router:
// `OPERATIONS` has one entry per route of ROUTES (routes.ts), keyed "METHOD /pattern", with the scope its token
// needs (`x-scope`), its parameters, body and answers. test/unit/openapi.test.ts holds the two to each other both
// ways (same routes, same scopes) and validates the document with an OpenAPI validator.
//
// Documenting a new route is one entry in OPERATIONS: `op({ summary, scope, query?, body?, responses })`, its
// path parameters taken from the pattern. The console's files (`/ui/`, `/ui/{file}`) are answered before the
// router (lib/console/serve.ts), so they are not router routes; they are documented here all the same (they are
// part of what the Function URL answers), marked `x-console: true`, and the test checks them against
// `isConsolePath` instead of the router.
import type { Scope } from '../config/tokens';

type Json = Record<string, unknown>;

/** A route's token requirement, as in ROUTES: public (no token), any valid token, or a scope. */
export type DocScope = Scope | 'any' | 'public';

export interface OperationDoc {
  summary: string;
  description?: string;
  scope: DocScope;
  /** Query parameters: name -> schema (and a description). */
  query?: Record<string, { schema: Json; description?: string }>;
  /** A JSON request body's schema; optional unless `bodyRequired`. */
  body?: Json;
  bodyRequired?: boolean;
  /** An HTML form's body (application/x-www-form-urlencoded) instead of JSON: the signed links' button. */
  form?: Json;
  /** Status -> a response (responses of errors come from `errorResponse`). */
  responses: Record<string, Json>;
  /** Not a router route: answered by the console before the router (lib/console/serve.ts). */
  console?: true;
}

// --------------------------------------------------------------------------------------------- schema helpers

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const str: Json = { type: 'string' };
const int: Json = { type: 'integer' };
const bool: Json = { type: 'boolean' };
const dateTime: Json = { type: 'string', format: 'date-time' };
const nullable = (s: Json): Json => ({ oneOf: [s, { type: 'null' }] });
const array = (items: Json): Json => ({ type: 'array', items });
const obj = (properties: Record<string, Json>, required: string[] = Object.keys(properties)): Json => ({ type: 'object', properties, required });

/** A JSON answer of `schema`. */
const json = (description: string, schema: Json): Json => ({ description, content: { 'application/json': { schema } } });
/** An error envelope answer; the codes it may carry are listed in the description. */
/** An HTML page answer (the signed links' pages). */
const html = (description: string): Json => ({ description, content: { 'text/html': { schema: str } } });
const error = (description: string): Json => ({ description, content: { 'application/json': { schema: ref('Error') } } });

const TOKEN_ERRORS = {
  '401': { $ref: '#/components/responses/Unauthorized' },
  '403': { $ref: '#/components/responses/InsufficientScope' },
  '429': { $ref: '#/components/responses/TooManyRequests' },
  '503': { $ref: '#/components/responses/Unavailable' },
};

// -------------------------------------------------------------------------------------------- the operations

export const OPERATIONS: Record<string, OperationDoc> = {
  'GET /healthz': {
    summary: 'Health: the store, the last sweep, what to fix',
    scope: 'public',
    responses: {
      '200': json('ok, or degraded (the store answers; `problem` says what to fix)', ref('Health')),
      '503': json('unavailable (the store does not answer), or config_invalid (with `variables` and `problems`)', { type: 'object', properties: { status: { enum: ['unavailable', 'config_invalid'] }, error: ref('ErrorDetail') }, required: ['status', 'error'] }),
    },
  },
  'GET /openapi.json': {
    summary: 'This document',
    scope: 'public',
    responses: { '200': json('the OpenAPI 3.1 document of every route', { type: 'object' }) },
  },
  'GET /ui/': {
    summary: 'The web console\'s page',
    description: 'No token: the page holds no data; every call it makes needs one. Served with a strict Content-Security-Policy. `/ui` answers 308 to `ui/`.',
    scope: 'public',
    console: true,
    responses: { '200': { description: 'the page', content: { 'text/html': { schema: str } } }, '304': { description: 'not modified (If-None-Match)' } },
  },
  'GET /ui/{file}': {
    summary: 'One of the console\'s files (hashed names, cached for good)',
    scope: 'public',
    console: true,
    responses: { '200': { description: 'the file', content: { '*/*': { schema: str } } }, '304': { description: 'not modified (If-None-Match)' }, '404': error('not_found: the console has no such file') },
  },
  'GET /v1/whoami': {
    summary: 'The calling token\'s name and scopes',
    scope: 'any',
    responses: { '200': json('the token (never its secret)', obj({ name: str, scopes: array(ref('Scope')) })) },
  },
  'GET /v1/status/{kind}/{uuid}': {
    summary: 'Live state of one collection from CWP',
    scope: 'read',
    responses: {
      '200': json('the state (AGENT_OFFLINE included)', ref('LiveState')),
      '400': error('invalid_kind, invalid_uuid'),
      '404': error('NO_TASK or UNKNOWN_AGENT: the state is in the body beside `error`'),
      '502': error('CWP failed; the Tencent code is passed through'),
    },
  },
  'GET /v1/status/{uuid}': {
    summary: 'Live state of both collections of an agent from CWP',
    scope: 'read',
    responses: {
      '200': json('each kind\'s state or error', obj({ uuid: str, tasks: { type: 'object', additionalProperties: { type: 'object' } } })),
      '400': error('invalid_uuid'),
      '404': error('both kinds failed with 404 (the code shared)'),
    },
  },
  'GET /v1/agents/{uuid}': {
    summary: 'What the store knows of an agent (no CWP call)',
    scope: 'read',
    responses: {
      '200': json('its records and its watch', obj({ uuid: str, watch: nullable(ref('Watch')), tasks: { type: 'object', additionalProperties: ref('Record') } })),
      '400': error('invalid_uuid'),
      '404': error('not_found: neither watched nor recorded'),
    },
  },
  'GET /v1/agents/{uuid}/ports': {
    summary: 'The latest open-port snapshot of an agent, with the last diff',
    scope: 'read',
    responses: { '200': json('the snapshot', ref('Snapshot')), '400': error('invalid_uuid'), '404': error('no_snapshot') },
  },
  'GET /v1/agents/{uuid}/processes': {
    summary: 'The latest process snapshot of an agent, with the last diff',
    scope: 'read',
    responses: { '200': json('the snapshot', ref('Snapshot')), '400': error('invalid_uuid'), '404': error('no_snapshot') },
  },
  'POST /v1/collections/{kind}/{uuid}': {
    summary: 'Start a collection',
    scope: 'write',
    responses: {
      '202': json('started: the key is now COLLECTING', ref('Collection')),
      '400': error('invalid_kind, invalid_uuid'),
      '404': error('unknown_agent'),
      '409': error('already_collecting, not_watched, agent_offline'),
    },
  },
  'POST /v1/collections/{uuid}': {
    summary: 'Start a collection of each kind (or of the kinds in the body)',
    scope: 'write',
    body: ref('KindsBody'),
    responses: {
      '202': json('at least one started', obj({ uuid: str, collections: { type: 'object', additionalProperties: { type: 'object' } } })),
      '400': error('invalid_uuid, invalid_body (naming the field)'),
      '409': error('none started: each kind\'s reason in `collections`'),
    },
  },
  'GET /v1/watches': {
    summary: 'The watch list, a page at a time (WATCH_UUIDS first, then API watches, then discovered machines)',
    scope: 'read',
    query: { limit: { schema: { type: 'integer', minimum: 1, maximum: 1000, default: 500 } }, offset: { schema: { type: 'integer', minimum: 0, default: 0 } } },
    responses: {
      '200': json('a page', obj({ watches: array(ref('Watch')), count: int, total: int, offset: int, limit: int, nextOffset: nullable(int) })),
      '400': error('invalid_limit, invalid_offset'),
    },
  },
  'PUT /v1/watches/{uuid}': {
    summary: 'Watch an agent (or replace its API watch)',
    scope: 'write',
    body: ref('KindsBody'),
    responses: {
      '200': json('replaced', obj({ watch: ref('Watch'), created: bool })),
      '201': json('created', obj({ watch: ref('Watch'), created: bool })),
      '400': error('invalid_uuid, invalid_body (naming the field)'),
      '409': error('watch_from_env, too_many_watches'),
    },
  },
  'DELETE /v1/watches/{uuid}': {
    summary: 'Stop watching an agent (`forget=true`: forget its records and snapshots now)',
    scope: 'write',
    query: { forget: { schema: { type: 'boolean', default: false } } },
    responses: {
      '200': json('deleted (and forgotten)', { type: 'object', properties: { deleted: nullable(str), forgotten: int }, required: ['deleted'] }),
      '400': error('invalid_uuid, invalid_forget'),
      '404': error('not_found: no API watch (and nothing to forget)'),
      '409': error('watch_from_env, watch_discovered'),
    },
  },
  'GET /v1/watches/export': {
    summary: 'The API watches as a backup, a page at a time',
    scope: 'admin',
    query: { limit: { schema: { type: 'integer', minimum: 1 } }, offset: { schema: { type: 'integer', minimum: 0 } } },
    responses: { '200': json('the backup', { type: 'object', properties: { version: { const: 1 }, exportedAt: dateTime, storeId: str, watches: array(ref('Watch')), total: int }, required: ['version', 'exportedAt', 'storeId', 'watches', 'total'] }), '400': error('invalid_limit, invalid_offset') },
  },
  'POST /v1/watches/import': {
    summary: 'Restore API watches from an export (idempotent)',
    scope: 'admin',
    body: { type: 'object', properties: { version: { const: 1 }, watches: array(ref('Watch')) }, required: ['watches'] },
    bodyRequired: true,
    responses: {
      '200': json('restored', obj({ imported: int, unchanged: int, total: int })),
      '400': error('invalid_body naming `watches[i].field`'),
      '409': error('watch_from_env, too_many_watches'),
    },
  },
  'GET /v1/deliveries': {
    summary: 'Dead letters, with their reasons',
    scope: 'read',
    query: { status: { schema: { enum: ['dead'], default: 'dead' } }, limit: { schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } } },
    responses: {
      '200': json('the dead letters', obj({ status: { const: 'dead' }, total: int, count: int, deliveries: array(ref('DeadLetter')) })),
      '400': error('invalid_status, invalid_limit'),
    },
  },
  'DELETE /v1/deliveries': {
    summary: 'Discard dead letters: all (`{}`), by event id, or by sink',
    scope: 'admin',
    body: { type: 'object', properties: { eventIds: array(str), sinkId: str }, additionalProperties: false },
    responses: { '200': json('discarded', obj({ discarded: int })), '400': error('invalid_body (naming the field)'), '404': error('unknown_sink') },
  },
  'POST /v1/deliveries/replay': {
    summary: 'Put dead letters back in the outbox: all (`{}`) or by event id',
    scope: 'admin',
    body: { type: 'object', properties: { eventIds: { type: 'array', items: str, minItems: 1, maxItems: 1000 } }, additionalProperties: false },
    responses: { '202': json('replayed', obj({ replayed: int })), '400': error('invalid_body (naming the field)') },
  },
  'POST /v1/store/reset-acknowledged': {
    summary: 'Acknowledge a recorded reset of the state store',
    scope: 'admin',
    responses: { '200': json('acknowledged (false: there was none)', obj({ acknowledged: bool, reset: nullable({ type: 'object' }) })) },
  },
  'GET /v1/incidents': {
    summary: 'Incidents, newest first',
    scope: 'read',
    query: {
      state: { schema: { enum: ['pending', 'firing', 'resolved'] } },
      type: { schema: str, description: 'an incident type, e.g. agent.offline' },
      uuid: { schema: str },
      limit: { schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
      cursor: { schema: str, description: '`nextCursor` of the previous page' },
    },
    responses: {
      '200': json('a page', obj({ incidents: array(ref('Incident')), nextCursor: nullable(str) })),
      '400': error('invalid_state, invalid_type, invalid_uuid, invalid_limit, invalid_cursor'),
    },
  },
  'GET /v1/incidents/{key}': {
    summary: 'One incident with its timeline',
    scope: 'read',
    responses: { '200': json('the incident', ref('Incident')), '400': error('invalid_key'), '404': error('not_found') },
  },
  'POST /v1/incidents/{key}/ack': {
    summary: 'Acknowledge a firing incident (its repeats stop)',
    scope: 'alerts',
    body: { type: 'object', properties: { by: { type: 'string', minLength: 1, maxLength: 200 }, comment: { type: 'string', maxLength: 2000 } }, required: ['by'], additionalProperties: false },
    bodyRequired: true,
    responses: {
      '200': json('acknowledged (again: no second event)', ref('Incident')),
      '400': error('invalid_key, invalid_body (naming the field)'),
      '404': error('not_found'),
      '409': error('not_firing, conflict'),
    },
  },
  'POST /v1/incidents/{key}/accept': {
    summary: 'Accept a port.opened or process.suspicious incident: it resolves and its port or process is expected on its agent from then on',
    scope: 'alerts',
    body: { type: 'object', properties: { by: { type: 'string', minLength: 1, maxLength: 200 }, comment: { type: 'string', minLength: 1, maxLength: 2000 } }, required: ['by', 'comment'], additionalProperties: false },
    bodyRequired: true,
    responses: {
      '200': json('accepted', obj({ incident: ref('Incident'), expectation: ref('Expectation') })),
      '400': error('invalid_key, invalid_body (naming the field)'),
      '404': error('not_found'),
      '409': error('not_acceptable (another type), not_open (resolved), conflict'),
    },
  },
  'GET /v1/silences': {
    summary: 'Silences, oldest first, with who made them, why, and how many incidents each held back',
    scope: 'read',
    query: { state: { schema: { enum: ['active', 'pending', 'expired'] }, description: 'left out: all' } },
    responses: { '200': json('the silences', obj({ silences: array(ref('Silence')) })), '400': error('invalid_state') },
  },
  'POST /v1/silences': {
    summary: 'Make a silence: matching incidents still open, fire and resolve, but their incident.changed reaches no sink (but those with <P>_IGNORE_SILENCES)',
    scope: 'alerts',
    body: {
      type: 'object',
      properties: { matchers: array(ref('Matcher')), startsAt: dateTime, endsAt: dateTime, createdBy: str, comment: str, force: bool },
      required: ['matchers', 'endsAt', 'createdBy', 'comment'], additionalProperties: false,
    },
    bodyRequired: true,
    responses: {
      '201': json('the silence', ref('Silence')),
      '400': error('invalid_body: every problem listed, each naming its field'),
      '409': error('too_broad: no uuid, machineName, machineIp or tag matcher narrows it (send "force": true to mean it)'),
    },
  },
  'DELETE /v1/silences/{id}': {
    summary: 'End a silence now (what it still holds back and is firing is notified at the next sweep)',
    scope: 'alerts',
    responses: { '200': json('the silence, expired', ref('Silence')), '400': error('invalid_id'), '404': error('not_found') },
  },
  'GET /v1/maintenance': {
    summary: 'Maintenance windows: ALERT_MAINTENANCE\'s (origin config) then the API\'s, each with what it held back',
    scope: 'read',
    responses: { '200': json('the windows', obj({ windows: array(ref('MaintenanceWindow')) })) },
  },
  'POST /v1/maintenance': {
    summary: 'Make a recurring maintenance window: inside it, matching incidents behave as silenced',
    scope: 'alerts',
    body: {
      type: 'object',
      properties: { matchers: array(ref('Matcher')), days: array({ enum: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] }), start: { type: 'string', pattern: '^\\d{2}:\\d{2}$' }, end: { type: 'string', pattern: '^\\d{2}:\\d{2}$' }, timezone: { type: 'string', description: 'an IANA time zone, e.g. Asia/Shanghai' }, createdBy: str, comment: str },
      required: ['matchers', 'days', 'start', 'end', 'timezone', 'createdBy', 'comment'], additionalProperties: false,
    },
    bodyRequired: true,
    responses: { '201': json('the window', ref('MaintenanceWindow')), '400': error('invalid_body: every problem listed, each naming its field') },
  },
  'DELETE /v1/maintenance/{id}': {
    summary: 'Remove a maintenance window',
    scope: 'alerts',
    responses: { '200': json('removed', obj({ deleted: str })), '400': error('invalid_id'), '404': error('not_found'), '409': error('configured: it comes from ALERT_MAINTENANCE') },
  },
  'GET /v1/expectations': {
    summary: 'Expectations (ports and processes expected where their matchers say), each with its hits',
    scope: 'read',
    responses: { '200': json('the expectations', obj({ expectations: array(ref('Expectation')) })) },
  },
  'POST /v1/expectations': {
    summary: 'Make an expectation: a port.opened or process.suspicious it covers opens no incident',
    scope: 'alerts',
    body: {
      type: 'object',
      properties: {
        matchers: array(ref('Matcher')),
        ports: array({ type: 'object', properties: { port: { type: 'integer', minimum: 0, maximum: 65535 }, processName: str }, required: ['port'] }),
        processes: array({ type: 'object', properties: { processName: str, fullPath: str }, required: ['processName'] }),
        createdBy: str, comment: str,
      },
      required: ['matchers', 'createdBy', 'comment'], additionalProperties: false,
    },
    bodyRequired: true,
    responses: { '201': json('the expectation', ref('Expectation')), '400': error('invalid_body: every problem listed, each naming its field') },
  },
  'DELETE /v1/expectations/{id}': {
    summary: 'Remove an expectation',
    scope: 'alerts',
    responses: { '200': json('removed', obj({ deleted: str })), '400': error('invalid_id'), '404': error('not_found') },
  },
  'GET /v1/events': {
    summary: 'The event history, newest first',
    description: 'Every event the bridge published (incident.changed included), kept HISTORY_RETENTION and at most HISTORY_MAX.',
    scope: 'read',
    query: {
      type: { schema: str, description: 'an event type, its full name or the part after com.tencentcloud.cwp. (e.g. incident.changed)' },
      uuid: { schema: str, description: 'the agent' },
      since: { schema: str, description: 'ISO 8601 time or date' },
      until: { schema: str, description: 'ISO 8601 time or date' },
      limit: { schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
      cursor: { schema: str, description: '`nextCursor` of the previous page' },
    },
    responses: {
      '200': json('a page', obj({ events: array({ type: 'object' }), nextCursor: nullable(str) })),
      '400': error('invalid_type, invalid_uuid, invalid_since, invalid_until, invalid_limit, invalid_cursor'),
    },
  },
  'GET /v1/overview': {
    summary: 'One answer for a dashboard: agents by condition, firing incidents, last sweep, outbox, dead letters, discovery, charts',
    scope: 'read',
    responses: {
      '200': json('the overview', obj({
        agents: obj({ total: int, byCondition: { type: 'object' } }), incidentsFiring: array(ref('Incident')), lastSweep: nullable({ type: 'object' }),
        outbox: array(obj({ sink: str, events: int, oldestAt: dateTime })), deadLetters: array(obj({ sink: str, count: int })), discovery: nullable({ type: 'object' }),
        eventsPerHour: array(obj({ hour: dateTime, events: int })), agentsOfflinePerDay: array(obj({ day: str, agents: int })), agentsOfflineTruncated: bool,
      })),
    },
  },
  'GET /metrics': {
    summary: 'Metrics in the Prometheus text format',
    description: 'Gauges of the store (keys, agents offline, incidents, outbox, dead letters, last sweep) and counters kept in the store across instances (events published, deliveries, CWP requests).',
    scope: 'metrics',
    responses: { '200': { description: 'text/plain; version=0.0.4', content: { 'text/plain': { schema: str } } } },
  },
  'GET /v1/links/{token}': {
    summary: 'A signed chat link: the confirmation page (changes nothing)',
    description: 'No bearer token: the link\'s signature (LINK_SECRET) is its authority, bound to one action on one incident of this store for 24 hours. Only the page\'s button (POST) acts, so a link preview changes nothing.',
    scope: 'public',
    responses: {
      '200': html('what the link would do, and its button'),
      '403': html('link_invalid (not signed here, or changed), link_other_store'),
      '404': html('links_off (CONSOLE_URL and LINK_SECRET unset), or no such incident'),
      '410': html('link_expired'),
    },
  },
  'POST /v1/links/{token}': {
    summary: 'A signed chat link: act (acknowledge, or silence for 1 h)',
    description: 'The confirmation page\'s form (optional `by`: who acts, `chat link` when blank). Logged as an audit line with the incident and `via: "link"`.',
    scope: 'public',
    form: { type: 'object', properties: { by: { type: 'string', maxLength: 200 } } },
    responses: {
      '200': html('done'),
      '403': html('link_invalid, link_other_store'),
      '404': html('links_off, or no such incident'),
      '409': html('not_firing'),
      '410': html('link_expired'),
    },
  },
};

// ------------------------------------------------------------------------------------------------ components

const SCHEMAS: Record<string, Json> = {
  Scope: { enum: ['read', 'write', 'alerts', 'metrics', 'admin'] },
  ErrorDetail: { type: 'object', properties: { code: str, message: str, requestId: str, field: str }, required: ['code', 'message', 'requestId'] },
  Error: obj({ error: ref('ErrorDetail') }),
  Health: {
    type: 'object',
    properties: { status: { enum: ['ok', 'degraded'] }, store: str, durable: bool, lastSweep: nullable({ type: 'object' }), problem: nullable(str), warnings: array(str), storeResetAt: dateTime, storeReset: { type: 'object' }, discovery: { type: 'object' } },
    required: ['status', 'store', 'durable', 'lastSweep', 'problem', 'warnings'],
  },
  TaskState: { enum: ['COLLECTING', 'COMPLETE', 'FAILED', 'AGENT_OFFLINE', 'NO_TASK', 'UNKNOWN_AGENT'] },
  Kind: { enum: ['process', 'port'] },
  KindsBody: { type: 'object', properties: { kinds: { type: 'array', items: ref('Kind'), minItems: 1 } }, additionalProperties: false },
  LiveState: obj({ uuid: str, kind: ref('Kind'), state: ref('TaskState'), requestId: str, observedAt: dateTime }),
  Record: {
    type: 'object',
    properties: { state: ref('TaskState'), version: int, since: nullable(dateTime), lastChecked: nullable(dateTime), nextDue: nullable(dateTime), requestId: nullable(str), collecting: bool, snapshotTakenAt: nullable(dateTime) },
    required: ['state', 'version'],
  },
  Watch: { type: 'object', properties: { uuid: str, kinds: array(ref('Kind')), source: { enum: ['env', 'api', 'discovered'] }, addedAt: nullable({}), machine: { type: 'object' } }, required: ['uuid', 'kinds'] },
  Snapshot: {
    type: 'object',
    properties: { uuid: str, kind: ref('Kind'), takenAt: dateTime, total: int, items: array({ type: 'object' }), baseline: bool, previousTakenAt: nullable(dateTime), changes: nullable({ type: 'object' }) },
    required: ['uuid', 'kind', 'takenAt', 'total', 'items'],
  },
  Collection: { type: 'object', properties: { uuid: str, kind: ref('Kind'), started: bool, state: { const: 'COLLECTING' }, previous: nullable(ref('TaskState')), requestId: str, eventId: str }, required: ['uuid', 'kind', 'started', 'state'] },
  DeadLetter: obj({ eventId: str, sinkId: str, reason: str, attempts: int, deadAt: nullable(dateTime), event: { type: 'object' } }),
  Incident: {
    type: 'object',
    properties: {
      key: str, type: str, state: { enum: ['pending', 'firing', 'resolved'] }, acknowledged: bool, acknowledgedBy: str, acknowledgedAt: nullable(dateTime), comment: str,
      severity: { enum: ['info', 'warning'] }, agent: { type: 'object' }, subject: str, summary: str, openedAt: nullable(dateTime), firingAt: nullable(dateTime), resolvedAt: nullable(dateTime),
      repeats: int, eventIds: array(str), timeline: array({ type: 'object' }),
    },
    required: ['key', 'type', 'state', 'acknowledged', 'severity', 'summary'],
  },
  Matcher: {
    type: 'object',
    properties: { name: { enum: ['uuid', 'machineName', 'machineIp', 'tag', 'type', 'kind', 'port', 'processName'] }, value: str, op: { enum: ['=', '!=', 'glob', 'cidr'], default: '=' } },
    required: ['name', 'value'],
  },
  Silence: {
    type: 'object',
    properties: {
      id: str, state: { enum: ['active', 'pending', 'expired'] }, matchers: array(ref('Matcher')), startsAt: dateTime, endsAt: dateTime, createdBy: str, comment: str, createdAt: dateTime,
      heldBack: int, lastHeldAt: nullable(dateTime), force: bool, endedBy: str,
    },
    required: ['id', 'state', 'matchers', 'startsAt', 'endsAt', 'createdBy', 'comment', 'heldBack'],
  },
  MaintenanceWindow: {
    type: 'object',
    properties: {
      id: str, origin: { enum: ['api', 'config'] }, matchers: array(ref('Matcher')), days: array(str), start: str, end: str, timezone: str, createdBy: str, comment: str, createdAt: dateTime,
      heldBack: int, lastHeldAt: nullable(dateTime),
    },
    required: ['id', 'origin', 'matchers', 'days', 'start', 'end', 'timezone', 'createdBy', 'comment', 'heldBack'],
  },
  Expectation: {
    type: 'object',
    properties: { id: str, matchers: array(ref('Matcher')), ports: array({ type: 'object' }), processes: array({ type: 'object' }), createdBy: str, comment: str, createdAt: dateTime, hits: int, lastHitAt: nullable(dateTime) },
    required: ['id', 'matchers', 'createdBy', 'comment', 'hits'],
  },
};

const RESPONSES: Record<string, Json> = {
  Unauthorized: error('missing or wrong token (`WWW-Authenticate: Bearer`)'),
  InsufficientScope: error('insufficient_scope: the token lacks the route\'s scope (`x-scope`)'),
  TooManyRequests: error('the token\'s request budget (API_RATE_LIMIT) is spent; see Retry-After'),
  Unavailable: error('store_unavailable, config_invalid'),
};

/** `{name}` segments of a pattern, in order. */
export function pathParams(pattern: string): string[] {
  return [...pattern.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}

const PARAM_SCHEMAS: Record<string, Json> = {
  uuid: { type: 'string', description: 'an agent Uuid, 8-4-4-4-12 hex' },
  kind: ref('Kind'),
  key: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]{0,254}$', description: 'an incident key' },
  token: { type: 'string', description: 'the signed link as the chat message carries it' },
  id: { type: 'string', description: 'a silence, window or expectation id, as its POST answered' },
};

function operation(method: string, pattern: string, d: OperationDoc): Json {
  const parameters: Json[] = [
    ...pathParams(pattern).map((name) => ({ name, in: 'path', required: true, schema: PARAM_SCHEMAS[name] ?? str })),
    ...Object.entries(d.query ?? {}).map(([name, q]) => ({ name, in: 'query', required: false, schema: q.schema, ...(q.description ? { description: q.description } : {}) })),
  ];
  const needsToken = d.scope !== 'public';
  return {
    operationId: `${method.toLowerCase()}${pattern.replace(/\{(\w+)\}/g, 'By-$1').split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`,
    summary: d.summary,
    ...(d.description ? { description: d.description } : {}),
    'x-scope': d.scope,
    ...(d.console ? { 'x-console': true } : {}),
    security: needsToken ? [{ bearer: [] }] : [],
    ...(parameters.length ? { parameters } : {}),
    ...(d.body ? { requestBody: { required: d.bodyRequired === true, content: { 'application/json': { schema: d.body } } } } : {}),
    ...(d.form ? { requestBody: { required: false, content: { 'application/x-www-form-urlencoded': { schema: d.form } } } } : {}),
    responses: { ...d.responses, ...(needsToken ? TOKEN_ERRORS : {}) },
  };
}

/** "METHOD /pattern" of an OPERATIONS key. */
export function splitOperationKey(key: string): { method: string; pattern: string } {
  const i = key.indexOf(' ');
  return { method: key.slice(0, i), pattern: key.slice(i + 1) };
}

let built: Json | null = null;

/** The whole document (built once, on the first request for it). */
export function openApiDocument(): Json {
  if (built) return built;
  const paths: Record<string, Record<string, Json>> = {};
  for (const [key, d] of Object.entries(OPERATIONS)) {
    const { method, pattern } = splitOperationKey(key);
    (paths[pattern] ??= {})[method.toLowerCase()] = operation(method, pattern, d);
  }
  built = {
    openapi: '3.1.0',
    info: {
      title: 'cwp-task-bridge API',
      version: '1',
      description: 'The api function of cwp-task-bridge (the Function URL). Every route but /healthz, /openapi.json and the console\'s files needs a bearer token of API_TOKENS; `x-scope` names the scope it needs (`any`: any valid token). Errors are `{"error": {"code", "message", "requestId", ...}}`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token of API_TOKENS (name:secret:scopes)' } },
      schemas: SCHEMAS,
      responses: RESPONSES,
    },
  };
  return built;
}
