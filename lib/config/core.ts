// The core settings (zod/mini: ~13 KB bundled against ~450 KB for classic zod) and the one loader of the
// environment: `loadConfigWith` reads it once, the core settings and those of the sink kinds it is handed, and
// either returns a typed Config or throws one ConfigError listing every problem, each naming the variable and the
// fix. The functions come here through lib/runtime: the poll function hands it the sink kinds (lib/sinks/kinds.ts),
// the api function none, so the api function reads no sink setting and its bundle carries no sink code. `loadConfig`
// (index.ts) is this with every sink kind, for tests and tools.
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { isAgentUuid, normalizeUuid } from '../cwp/uuid';
import { TASK_KINDS, type TaskKind } from '../types';
import { INCIDENT_TYPES, type IncidentType, type MaintenanceWindow } from '../alerts/types';
import { checkWindowInput } from '../alerts/quiet-input';
import { DISCOVER_ALL_REGIONS, discoverKey, parseDiscoverFilters, parseDiscoverTargets, type DiscoverConfig } from './discover';
import { commaList, durationSetting, httpOrigin, int, optionalHttpOrigin, optionalInt, parseDurationMs, REGION_PATTERN } from './fields';
import { CWP_APIS, type CwpApi } from '../tencent/services';
import { redisUrlProblem } from './redis-url';
import { parseApiTokens, type ApiToken } from './tokens';
import { parseRoutes, routingVariables, type Routes } from './routing';
import type { SinkSettingsKind } from './sink-kind';
import { LINK_ENV, parseLinkSettings, type LinkSettings } from '../links/settings';

export { DISCOVER_ALL_REGIONS, DISCOVER_ALL_TYPES, type DiscoverConfig, type DiscoverTarget } from './discover';
export { EVERY_EVENT, type EventRoute, type Routes } from './routing';
export { hasScope, SCOPES, UNNAMED_TOKEN, type ApiToken, type Scope } from './tokens';
export type { SinkSettingsInput, SinkSettingsKind } from './sink-kind';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` + problems.map((p) => `  - ${p}`).join('\n'));
  }
}

export type StateStoreUrl = { type: 'memory' } | { type: 'file'; dir: string } | { type: 'redis'; url: string };

/** Seconds until a key is due again, by its state. */
export interface Intervals {
  collecting: number;
  offline: number;
  terminal: number;
  unknownAgent: number;
  unobserved: number;
}

/** One Tencent Cloud API the bridge calls: where, and how many requests per second per action. */
export interface ApiEndpoint {
  endpoint: string;
  rateLimit: number;
}

/** CWP's endpoint, plus the ceiling on status checks spent from spare budget. */
export interface CwpEndpoint extends ApiEndpoint {
  /** CWP_API: the frozen yunjing API (the default) or the current cwp API (lib/cwp/cwp.ts). */
  api: CwpApi;
  /** CWP_IDLE_RATE: status checks per second per action the sweep may make when nothing is due (0: none). */
  idleRate: number;
}

/**
 * The core settings, grouped by the part that uses them, and the routes of the sink kinds loaded with them. Each
 * sink kind's own settings are beside these, under its key (lib/sinks/kind.ts settingsOf reads them).
 */
export interface Config {
  credentials: { secretId: string; secretKey: string; token: string | null };
  region: string;
  /** Deadline of one HTTP call to Tencent Cloud. */
  requestTimeoutMs: number;
  cwp: CwpEndpoint;
  tdmq: ApiEndpoint;
  stateStore: StateStoreUrl;
  /** WATCH_UUIDS, the kinds every watch gets by default, and discovery (WATCH_DISCOVER; null: off). */
  watch: { uuids: string[]; kinds: TaskKind[]; discover: DiscoverConfig | null };
  sweep: {
    /** Caps a sweep's duration below the function's remaining time. */
    budgetMs: number | null;
    /** Kept free at the end of the function's time for publishing and the summary. */
    marginMs: number;
    intervals: Intervals;
    /** COLLECT_EVERY: start a collection of every watched, online agent once per this period; null = off. */
    collectEveryMs: number | null;
  };
  api: {
    /** API_TOKENS: each bearer token with its name and scopes (lib/config/tokens.ts). */
    tokens: ApiToken[];
    /** A prefix the gateway leaves on paths (e.g. a stage), stripped before routing. */
    basePath: string;
    /** Requests per second each token may make (shared across instances through Redis), and the burst above it. */
    rateLimit: number;
    rateBurst: number;
    /** The most watches the API may hold (WATCH_UUIDS not counted). */
    maxWatches: number;
  };
  /**
   * Which events each routing prefix of the loaded sink kinds takes (<PREFIX>_MIN_SEVERITY, _KINDS, _STATES,
   * _EVENT_TYPES; routing.ts). Empty when no sink kind was loaded (the api function).
   */
  routes: Routes;
  delivery: { maxAttempts: number };
  /**
   * What the store forgets, so nothing grows forever: an agent's records and snapshots FORGET_AFTER after it
   * leaves the watch list (0: at the next sweep); dead letters older than DEAD_LETTER_RETENTION or past
   * DEAD_LETTER_MAX per sink, oldest first.
   */
  retention: { forgetAfterMs: number; deadLetterRetentionMs: number; deadLetterMax: number };
  /** Incidents (lib/alerts): when they fire, repeat, and how long resolved ones are kept. */
  alerts: AlertSettings;
  /** The event history (GET /v1/events): HISTORY_RETENTION and HISTORY_MAX. */
  history: { retentionMs: number; max: number };
  eventSource: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** CONSOLE_URL and LINK_SECRET: the signed links of chat messages (lib/links); null: off. */
  links: LinkSettings | null;
}

/** What decides when incidents fire and repeat (lib/alerts/rules.ts), and how long resolved ones are kept. */
export interface AlertSettings {
  /** ALERT_OFFLINE_FOR: an agent.offline incident fires once the agent has been offline this long (0: at once). */
  offlineForMs: number;
  /** ALERT_REPEAT_EVERY: a firing, unacknowledged incident is notified again this often; null: never. */
  repeatEveryMs: number | null;
  /** ALERT_PROCESS_NAMES: process names (exact) that open a process.suspicious incident wherever they run from. */
  processNames: string[];
  /** ALERT_TYPES: the incident types the sweep opens (default all; none: no new incidents, open ones still resolve). */
  types: IncidentType[];
  /** INCIDENT_RETENTION: resolved incidents are purged this long after they resolved. */
  retentionMs: number;
  /** ALERT_MAINTENANCE: the maintenance windows kept in the deployment's settings (beside those made through the API). */
  maintenance?: MaintenanceWindow[];
}


/** The core settings' variables, as documented in the README; each sink kind adds its own (envNames). */
export const CORE_ENV = [
  'TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY', 'TENCENTCLOUD_SESSION_TOKEN',
  'TENCENTCLOUD_SECRETID', 'TENCENTCLOUD_SECRETKEY', 'TENCENTCLOUD_SESSIONTOKEN',
  'TENCENTCLOUD_REGION', 'CWP_API', 'CWP_ENDPOINT', 'TDMQ_ENDPOINT', 'CWP_RATE_LIMIT', 'TDMQ_RATE_LIMIT', 'TENCENT_TIMEOUT_MS',
  'STATE_STORE', 'WATCH_UUIDS', 'WATCH_KINDS', 'WATCH_DISCOVER', 'WATCH_DISCOVER_FILTERS', 'DISCOVER_EVERY', 'CWP_IDLE_RATE', 'SWEEP_BUDGET_MS', 'SWEEP_MARGIN_MS', 'COLLECT_EVERY',
  'POLL_COLLECTING_SECONDS', 'POLL_OFFLINE_SECONDS', 'POLL_TERMINAL_SECONDS', 'POLL_UNKNOWN_AGENT_SECONDS', 'POLL_UNOBSERVED_SECONDS',
  'API_TOKENS', 'API_BASE_PATH', 'API_RATE_LIMIT', 'API_RATE_BURST', 'MAX_WATCHES', 'DELIVERY_MAX_ATTEMPTS', 'EVENT_SOURCE', 'LOG_LEVEL',
  'FORGET_AFTER', 'DEAD_LETTER_RETENTION', 'DEAD_LETTER_MAX',
  'ALERT_OFFLINE_FOR', 'ALERT_REPEAT_EVERY', 'ALERT_PROCESS_NAMES', 'ALERT_TYPES', 'INCIDENT_RETENTION', 'ALERT_MAINTENANCE',
  'HISTORY_RETENTION', 'HISTORY_MAX',
  ...LINK_ENV,
] as const;

const envSchema = z.object({
  TENCENTCLOUD_SECRET_ID: z.optional(z.string()),
  TENCENTCLOUD_SECRET_KEY: z.optional(z.string()),
  TENCENTCLOUD_SESSION_TOKEN: z.optional(z.string()),
  TENCENTCLOUD_SECRETID: z.optional(z.string()),
  TENCENTCLOUD_SECRETKEY: z.optional(z.string()),
  TENCENTCLOUD_SESSIONTOKEN: z.optional(z.string()),
  TENCENTCLOUD_REGION: z._default(z.string().check(z.regex(REGION_PATTERN, { error: 'must be a region such as ap-guangzhou' })), 'ap-guangzhou'),
  CWP_API: z._default(z.enum(['yunjing', 'cwp'], { error: 'must be yunjing (the frozen API, the default) or cwp (the current one)' }), 'yunjing'),
  // Unset: the chosen API's own endpoint (CWP_APIS), set after parsing.
  CWP_ENDPOINT: optionalHttpOrigin(CWP_APIS.yunjing.endpoint),
  TDMQ_ENDPOINT: httpOrigin('https://tdmq.tencentcloudapi.com'),
  CWP_RATE_LIMIT: int(1, 1000, 20, 'requests per second per action'),
  TDMQ_RATE_LIMIT: int(1, 1000, 20, 'requests per second per action'),
  TENCENT_TIMEOUT_MS: int(100, 60_000, 5_000, 'milliseconds'),
  STATE_STORE: z._default(z.string().check(z.refine((v) => v === 'memory:' || /^file:.+/.test(v) || /^rediss?:\/\/.+/.test(v), {
    error: 'must be memory:, file:<dir> or redis://host:port/db',
  })), 'file:.state'),
  WATCH_UUIDS: z._default(z.string(), ''),
  WATCH_KINDS: z._default(z.string(), 'process,port'),
  WATCH_DISCOVER: z._default(z.string(), ''),
  WATCH_DISCOVER_FILTERS: z._default(z.string(), ''),
  DISCOVER_EVERY: z._default(z.string().check(z.refine((v) => parseDurationMs(v, { minMs: 10_000 }) !== null, { error: 'must be a period of at least 10s such as 10m or 1h (s, m, h, d)' })), '10m'),
  CWP_IDLE_RATE: optionalInt(0, 1000, 'status checks per second per action'),
  SWEEP_BUDGET_MS: optionalInt(1_000, 900_000, 'milliseconds'),
  SWEEP_MARGIN_MS: int(0, 60_000, 3_000, 'milliseconds'),
  COLLECT_EVERY: z._default(z.string().check(z.refine((v) => v === 'off' || parseDuration(v) !== null, { error: 'must be a period of at least 10m such as 30m, 6h or 1d (s, m, h, d), or off' })), 'off'),
  POLL_COLLECTING_SECONDS: int(1, 3_600, 3, 'seconds'),
  POLL_OFFLINE_SECONDS: int(1, 86_400, 60, 'seconds'),
  POLL_TERMINAL_SECONDS: int(1, 86_400, 600, 'seconds'),
  POLL_UNKNOWN_AGENT_SECONDS: int(1, 86_400, 1_800, 'seconds'),
  POLL_UNOBSERVED_SECONDS: int(1, 3_600, 30, 'seconds'),
  API_TOKENS: z._default(z.string(), ''),
  API_BASE_PATH: z._default(z.string().check(z.regex(/^(\/[\w.~-]+)*\/?$/, { error: 'must be a path prefix such as /release, or empty' })), ''),
  API_RATE_LIMIT: int(1, 10_000, 10, 'requests per second per token'),
  API_RATE_BURST: int(1, 100_000, 50, 'requests'),
  MAX_WATCHES: int(0, 1_000_000, 1_000, 'watches'),
  DELIVERY_MAX_ATTEMPTS: int(1, 100, 12, 'attempts'),
  FORGET_AFTER: durationSetting('7d', { zeroMeans: 'to forget at once' }),
  DEAD_LETTER_RETENTION: durationSetting('14d', { minMs: 1_000 }),
  DEAD_LETTER_MAX: int(1, 1_000_000, 10_000, 'dead letters per sink'),
  EVENT_SOURCE: z.optional(z.string().check(z.minLength(1, { error: 'must not be empty' }))),
  LOG_LEVEL: z._default(z.enum(['debug', 'info', 'warn', 'error'], { error: 'must be debug, info, warn or error' }), 'info'),
  ALERT_OFFLINE_FOR: durationSetting('2m', { zeroMeans: 'to fire at once' }),
  ALERT_REPEAT_EVERY: durationSetting('4h', { zeroMeans: 'never to repeat' }),
  ALERT_PROCESS_NAMES: z._default(z.string(), ''),
  ALERT_TYPES: z._default(z.string(), ''),
  ALERT_MAINTENANCE: z._default(z.string(), ''),
  INCIDENT_RETENTION: durationSetting('30d', { minMs: 60_000 }),
  // Shared by both functions: each appends events (the api function's acknowledgements) and trims as it appends.
  HISTORY_RETENTION: durationSetting('7d', { minMs: 60_000 }),
  HISTORY_MAX: int(1, 10_000_000, 200_000, 'events'),
});

export type FunctionRole = 'poll' | 'api';

export interface LoadOptions {
  /**
   * The function the config is for. Each function validates only what it uses: a variable owned by the other
   * function (variableOwners) is ignored, as if unset, so a bad API_TOKENS cannot stop the sweep and a bad
   * sink setting cannot stop the API's reads. Shared settings (credentials, endpoints, the state store, the
   * watch list) stop both. Unset: everything is validated (tests, tools).
   */
  role?: FunctionRole;
  /** The api function needs API_TOKENS; the poll function does not. Implied by role 'api'. */
  requireApiTokens?: boolean;
}

/** Core variables that only one function reads; every other core variable is shared by both. */
export const CORE_VARIABLE_OWNER: Partial<Record<(typeof CORE_ENV)[number], FunctionRole>> = {
  API_TOKENS: 'api',
  API_BASE_PATH: 'api',
  API_RATE_LIMIT: 'api',
  API_RATE_BURST: 'api',
  MAX_WATCHES: 'api',
  TDMQ_RATE_LIMIT: 'poll',
  WATCH_DISCOVER_FILTERS: 'poll',
  CWP_IDLE_RATE: 'poll',
  SWEEP_BUDGET_MS: 'poll',
  COLLECT_EVERY: 'poll',
  SWEEP_MARGIN_MS: 'poll',
  POLL_OFFLINE_SECONDS: 'poll',
  POLL_TERMINAL_SECONDS: 'poll',
  POLL_UNKNOWN_AGENT_SECONDS: 'poll',
  POLL_UNOBSERVED_SECONDS: 'poll',
  DELIVERY_MAX_ATTEMPTS: 'poll',
  FORGET_AFTER: 'poll',
  DEAD_LETTER_RETENTION: 'poll',
  DEAD_LETTER_MAX: 'poll',
  // Incidents are opened, fired, repeated and purged by the sweep; the api function only reads and acknowledges them.
  ALERT_OFFLINE_FOR: 'poll',
  ALERT_REPEAT_EVERY: 'poll',
  ALERT_PROCESS_NAMES: 'poll',
  ALERT_TYPES: 'poll',
  INCIDENT_RETENTION: 'poll',
};

/** The variables of these sink kinds: each kind's own, then the routing variables of every prefix. */
export function sinkVariables(kinds: readonly SinkSettingsKind[]): string[] {
  return [...kinds.flatMap((k) => k.variables), ...routingVariables(kinds.flatMap((k) => k.prefixes))];
}

/** Every variable read with these sink kinds: the core ones, then the kinds'. */
export function envNames(kinds: readonly SinkSettingsKind[]): string[] {
  return [...CORE_ENV, ...sinkVariables(kinds)];
}

/** Which function alone reads each variable, with these sink kinds: every sink variable is the poll function's. */
export function variableOwners(kinds: readonly SinkSettingsKind[]): Readonly<Record<string, FunctionRole>> {
  const owners: Record<string, FunctionRole> = {};
  for (const [name, owner] of Object.entries(CORE_VARIABLE_OWNER)) if (owner) owners[name] = owner;
  for (const name of sinkVariables(kinds)) owners[name] = 'poll';
  return owners;
}

/** `30m`, `6h`, `1d` as milliseconds; null when not such a period or shorter than 10 minutes. */
export function parseDuration(v: string): number | null {
  return parseDurationMs(v, { minMs: 600_000 });
}

/**
 * ALERT_MAINTENANCE: a JSON list of maintenance windows, each as POST /v1/maintenance takes it; every problem of
 * every window is listed. Each gets a stable id from what it says (`cfg-<hash>`), so it is the same across restarts.
 */
function parseMaintenanceSetting(raw: string | undefined, problems: string[]): MaintenanceWindow[] {
  if (raw === undefined) return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    problems.push('ALERT_MAINTENANCE: is not valid JSON; use a JSON list of windows, e.g. [{"matchers":[{"name":"machineName","value":"db-*","op":"glob"}],"days":["Sun"],"start":"02:00","end":"04:00","timezone":"Asia/Shanghai","createdBy":"ops","comment":"patching"}]');
    return [];
  }
  if (!Array.isArray(list)) {
    problems.push('ALERT_MAINTENANCE: must be a JSON list of windows ([...]), each {"matchers", "days", "start", "end", "timezone", "createdBy", "comment"}');
    return [];
  }
  const out: MaintenanceWindow[] = [];
  list.forEach((raw, i) => {
    const { value, problems: found } = checkWindowInput(raw, `[${i}]`);
    for (const p of found) problems.push(`ALERT_MAINTENANCE: ${p.field}: ${p.message}`);
    if (found.length === 0) out.push({ ...value, id: `cfg-${createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12)}`, createdAt: 0, origin: 'config' });
  });
  return out;
}

/** ALERT_TYPES: unset, every incident type; `none`, none; else the types listed, each one known. */
function parseAlertTypes(raw: string | undefined, problems: string[]): IncidentType[] {
  if (raw === undefined) return [...INCIDENT_TYPES];
  if (raw.trim() === 'none') return [];
  const given = commaList(raw);
  const unknown = given.filter((t) => !(INCIDENT_TYPES as readonly string[]).includes(t));
  if (given.length === 0 || unknown.length > 0) {
    problems.push(`ALERT_TYPES: ${given.length === 0 ? 'names no incident type' : `${unknown.map((t) => `"${t}"`).join(', ')} ${unknown.length === 1 ? 'is not an incident type' : 'are not incident types'}`}; use ${INCIDENT_TYPES.join(', ')} (comma separated), none, or leave it unset for all`);
    return [];
  }
  return INCIDENT_TYPES.filter((t) => given.includes(t));
}

function parseStateStore(v: string): StateStoreUrl {
  if (v === 'memory:') return { type: 'memory' };
  if (v.startsWith('file:')) return { type: 'file', dir: v.slice('file:'.length) };
  return { type: 'redis', url: v };
}

/**
 * Reads the environment into a Config with the settings of `kinds` beside the core ones, or throws one ConfigError
 * naming every bad variable at once, core and sink alike.
 */
export function loadConfigWith(env: Record<string, string | undefined>, kinds: readonly SinkSettingsKind[], options: LoadOptions = {}): Config {
  // Empty strings mean unset: SCF consoles and .env files often leave a variable defined but blank.
  const present: Record<string, string> = {};
  const owners = variableOwners(kinds);
  for (const name of envNames(kinds)) {
    const owner = owners[name];
    if (options.role && owner && owner !== options.role) continue; // the other function's setting
    const v = env[name];
    if (v !== undefined && v.trim() !== '') present[name] = v.trim();
  }
  const parsed = z.safeParse(envSchema, present);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.success ? parsed.data : null;

  const secretId = present.TENCENTCLOUD_SECRET_ID ?? present.TENCENTCLOUD_SECRETID;
  const secretKey = present.TENCENTCLOUD_SECRET_KEY ?? present.TENCENTCLOUD_SECRETKEY;
  const token = present.TENCENTCLOUD_SESSION_TOKEN ?? present.TENCENTCLOUD_SESSIONTOKEN ?? null;
  if (!secretId) problems.push('TENCENTCLOUD_SECRET_ID: is required (or TENCENTCLOUD_SECRETID, which SCF sets for a function with an execution role)');
  if (!secretKey) problems.push('TENCENTCLOUD_SECRET_KEY: is required (or TENCENTCLOUD_SECRETKEY, which SCF sets for a function with an execution role)');

  const redisProblem = present.STATE_STORE && /^rediss?:/i.test(present.STATE_STORE) ? redisUrlProblem(present.STATE_STORE) : null;
  if (redisProblem) problems.push(`STATE_STORE: ${redisProblem}`);

  const watchUuids: string[] = [];
  for (const raw of commaList(present.WATCH_UUIDS)) {
    if (isAgentUuid(raw)) watchUuids.push(normalizeUuid(raw));
    else problems.push(`WATCH_UUIDS: "${raw}" is not an agent Uuid; use the 8-4-4-4-12 hex form, e.g. 6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1`);
  }
  const watchKinds: TaskKind[] = [];
  for (const k of commaList(present.WATCH_KINDS ?? 'process,port')) {
    if ((TASK_KINDS as readonly string[]).includes(k)) {
      if (!watchKinds.includes(k as TaskKind)) watchKinds.push(k as TaskKind);
    } else problems.push(`WATCH_KINDS: "${k}" is not a task kind; use process, port or both (comma separated)`);
  }
  if (present.WATCH_KINDS !== undefined && watchKinds.length === 0 && commaList(present.WATCH_KINDS).length === 0) {
    problems.push('WATCH_KINDS: names no kind; use process, port or both');
  }

  const everyRegionOf = new Set<string>();
  const discoverTargets = parseDiscoverTargets(present.WATCH_DISCOVER ?? '', problems, (type) => {
    everyRegionOf.add(type);
    return DISCOVER_ALL_REGIONS;
  });
  const discoverFilters = parseDiscoverFilters(present.WATCH_DISCOVER_FILTERS ?? '', problems);
  if (present.WATCH_DISCOVER_FILTERS !== undefined && discoverTargets.length === 0 && !present.WATCH_DISCOVER) {
    problems.push('WATCH_DISCOVER_FILTERS: is set but WATCH_DISCOVER is not; set WATCH_DISCOVER (e.g. CVM:ap-guangzhou) or unset the filters');
  }
  // Judged on the raw values, so it is reported beside the other problems (the parsed settings exist only without any).
  const idleRate = Number(present.CWP_IDLE_RATE);
  const rateLimit = present.CWP_RATE_LIMIT === undefined ? 20 : Number(present.CWP_RATE_LIMIT);
  if (present.CWP_IDLE_RATE !== undefined && Number.isInteger(idleRate) && Number.isInteger(rateLimit) && idleRate > rateLimit) {
    problems.push(`CWP_IDLE_RATE: ${idleRate} is above CWP_RATE_LIMIT (${rateLimit}); spare checks cannot go past the rate limit, use at most ${rateLimit}`);
  }

  const alertTypes = parseAlertTypes(present.ALERT_TYPES, problems);
  const links = parseLinkSettings(present, problems);
  const maintenance = parseMaintenanceSetting(present.ALERT_MAINTENANCE, problems);

  const { tokens: apiTokens, problems: tokenProblems } = parseApiTokens(commaList(present.API_TOKENS));
  problems.push(...tokenProblems);
  if ((options.requireApiTokens || options.role === 'api') && apiTokens.length === 0) {
    problems.push('API_TOKENS: is required by the api function; set one or more bearer tokens, comma separated');
  }

  // The sink kinds' settings, then the routes of all their prefixes: problems listed beside the core ones.
  const sinkSettings: Record<string, unknown> = {};
  for (const kind of kinds) sinkSettings[kind.key] = kind.settings({ present, region: e?.TENCENTCLOUD_REGION ?? 'ap-guangzhou', problems });
  const routing = parseRoutes(present, kinds.flatMap((k) => k.prefixes));
  problems.push(...routing.problems);

  // The other API's host in CWP_ENDPOINT would answer every action with InvalidAction: say so now.
  const cwpApi: CwpApi = present.CWP_API === 'cwp' ? 'cwp' : 'yunjing';
  const otherApi: CwpApi = cwpApi === 'cwp' ? 'yunjing' : 'cwp';
  if (present.CWP_ENDPOINT !== undefined && new RegExp(`^https?://${otherApi}\\.`, 'i').test(present.CWP_ENDPOINT)) {
    problems.push(`CWP_ENDPOINT: ${present.CWP_ENDPOINT} is the ${otherApi} endpoint but CWP_API is ${cwpApi}; use ${CWP_APIS[cwpApi].endpoint} (or unset CWP_ENDPOINT), or set CWP_API=${otherApi}`);
  }

  if (problems.length > 0 || !e || !secretId || !secretKey) throw new ConfigError(problems.length > 0 ? problems : ['unknown configuration problem']);

  const config: Config = {
    credentials: { secretId, secretKey, token },
    region: e.TENCENTCLOUD_REGION,
    requestTimeoutMs: e.TENCENT_TIMEOUT_MS,
    cwp: { api: e.CWP_API, endpoint: (e.CWP_ENDPOINT ?? CWP_APIS[e.CWP_API].endpoint).replace(/\/$/, ''), rateLimit: e.CWP_RATE_LIMIT, idleRate: e.CWP_IDLE_RATE ?? e.CWP_RATE_LIMIT },
    tdmq: { endpoint: e.TDMQ_ENDPOINT.replace(/\/$/, ''), rateLimit: e.TDMQ_RATE_LIMIT },
    stateStore: parseStateStore(e.STATE_STORE),
    watch: {
      uuids: [...new Set(watchUuids)],
      kinds: watchKinds,
      discover: discoverTargets.length === 0 ? null : { targets: discoverTargets, spec: present.WATCH_DISCOVER ?? '', everyRegionOf: [...everyRegionOf], filters: discoverFilters, everyMs: parseDurationMs(e.DISCOVER_EVERY, { minMs: 10_000 })!, key: discoverKey(discoverTargets, discoverFilters) },
    },
    sweep: {
      budgetMs: e.SWEEP_BUDGET_MS ?? null,
      marginMs: e.SWEEP_MARGIN_MS,
      collectEveryMs: e.COLLECT_EVERY === 'off' ? null : parseDuration(e.COLLECT_EVERY),
      intervals: {
        collecting: e.POLL_COLLECTING_SECONDS,
        offline: e.POLL_OFFLINE_SECONDS,
        terminal: e.POLL_TERMINAL_SECONDS,
        unknownAgent: e.POLL_UNKNOWN_AGENT_SECONDS,
        unobserved: e.POLL_UNOBSERVED_SECONDS,
      },
    },
    api: { tokens: apiTokens, basePath: e.API_BASE_PATH.replace(/\/$/, ''), rateLimit: e.API_RATE_LIMIT, rateBurst: e.API_RATE_BURST, maxWatches: e.MAX_WATCHES },
    routes: routing.routes,
    delivery: { maxAttempts: e.DELIVERY_MAX_ATTEMPTS },
    retention: {
      forgetAfterMs: parseDurationMs(e.FORGET_AFTER, { allowZero: true })!,
      deadLetterRetentionMs: parseDurationMs(e.DEAD_LETTER_RETENTION)!,
      deadLetterMax: e.DEAD_LETTER_MAX,
    },
    alerts: {
      offlineForMs: parseDurationMs(e.ALERT_OFFLINE_FOR, { allowZero: true })!,
      repeatEveryMs: parseDurationMs(e.ALERT_REPEAT_EVERY, { allowZero: true }) || null,
      processNames: [...new Set(commaList(e.ALERT_PROCESS_NAMES))],
      types: alertTypes,
      retentionMs: parseDurationMs(e.INCIDENT_RETENTION, { minMs: 60_000 })!,
      maintenance,
    },
    history: { retentionMs: parseDurationMs(e.HISTORY_RETENTION, { minMs: 60_000 })!, max: e.HISTORY_MAX },
    eventSource: e.EVENT_SOURCE ?? `/cwp-task-bridge/${e.TENCENTCLOUD_REGION}`,
    logLevel: e.LOG_LEVEL,
    links,
  };
  for (const kind of kinds) {
    // A kind whose key is a core setting's (or another kind's) would overwrite it: a wiring bug, not a setting.
    if (Object.hasOwn(config, kind.key)) throw new Error(`sink kind key "${kind.key}" is taken; give the ${kind.prefixes.join('/')} kind another key`);
    Object.assign(config, { [kind.key]: sinkSettings[kind.key] });
  }
  return config;
}
