// One schema for every setting (zod/mini: ~13 KB bundled against ~450 KB for classic zod). `loadConfig` reads
// the environment once and either returns a typed Config or throws a ConfigError listing every problem,
// each naming the variable and the fix.
import * as z from 'zod/mini';
import { isAgentUuid, normalizeUuid } from '../cwp/uuid';
import { TASK_KINDS, type TaskKind } from '../types';
import { CHAT_ENV, parseChatConfig, type ChatConfig } from './chat';
import { EB_ENV, parseEventBridge, type EventBridgeConfig } from './eventbridge';
import { DISCOVER_ALL_REGIONS, discoverKey, parseDiscoverFilters, parseDiscoverTargets, type DiscoverConfig } from './discover';
import { commaList, httpOrigin, int, optionalHttpOrigin, optionalInt, REGION_PATTERN } from './fields';
import { CWP_APIS, type CwpApi } from '../tencent/services';
import { redisUrlProblem } from './redis-url';
import { parseApiTokens, type ApiToken } from './tokens';
import { parseRoutes, ROUTING_ENV, type Routes } from './routing';
import { judgeWebhookUrl } from './webhook-url';

export { isLoopbackUrl, judgeWebhookUrl, type WebhookUrlVerdict } from './webhook-url';
export { DISCOVER_ALL_REGIONS, DISCOVER_ALL_TYPES, type DiscoverConfig, type DiscoverTarget } from './discover';
export { SINK_PREFIXES, type Routes, type SinkPrefix } from './routing';
export type { EventBridgeConfig } from './eventbridge';
export { hasScope, SCOPES, UNNAMED_TOKEN, type ApiToken, type Scope } from './tokens';
export { CHAT_ENV, type ChatConfig, type ChatRobotConfig, type ChatRobotKind } from './chat';

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

/** The settings, grouped by the part that uses them. */
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
  webhook: { urls: string[]; secret: string | null; allowHttp: boolean; timeoutMs: number; concurrency: number };
  cmq: { topic: string | null; queue: string | null };
  /** The EventBridge sink (lib/config/eventbridge.ts); null when EB_EVENT_BUS_ID is unset. */
  eb: EventBridgeConfig | null;
  /** Which events each sink takes (<PREFIX>_MIN_SEVERITY, _KINDS, _STATES, _EVENT_TYPES; lib/config/routing.ts). */
  routes: Routes;
  /** The chat robots (WeCom, DingTalk, Feishu/Lark, Slack; lib/config/chat.ts). */
  chat: ChatConfig;
  delivery: { maxAttempts: number };
  eventSource: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** Environment variable names, as documented in the README. */
export const ENV = [
  'TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY', 'TENCENTCLOUD_SESSION_TOKEN',
  'TENCENTCLOUD_SECRETID', 'TENCENTCLOUD_SECRETKEY', 'TENCENTCLOUD_SESSIONTOKEN',
  'TENCENTCLOUD_REGION', 'CWP_API', 'CWP_ENDPOINT', 'TDMQ_ENDPOINT', 'CWP_RATE_LIMIT', 'TDMQ_RATE_LIMIT', 'TENCENT_TIMEOUT_MS',
  'STATE_STORE', 'WATCH_UUIDS', 'WATCH_KINDS', 'WATCH_DISCOVER', 'WATCH_DISCOVER_FILTERS', 'DISCOVER_EVERY', 'CWP_IDLE_RATE', 'SWEEP_BUDGET_MS', 'SWEEP_MARGIN_MS', 'COLLECT_EVERY',
  'POLL_COLLECTING_SECONDS', 'POLL_OFFLINE_SECONDS', 'POLL_TERMINAL_SECONDS', 'POLL_UNKNOWN_AGENT_SECONDS', 'POLL_UNOBSERVED_SECONDS',
  'API_TOKENS', 'API_BASE_PATH', 'API_RATE_LIMIT', 'API_RATE_BURST', 'MAX_WATCHES', 'WEBHOOK_URLS', 'WEBHOOK_SECRET', 'WEBHOOK_ALLOW_HTTP', 'WEBHOOK_TIMEOUT_MS', 'WEBHOOK_CONCURRENCY',
  'CMQ_TOPIC', 'CMQ_QUEUE', 'DELIVERY_MAX_ATTEMPTS', 'EVENT_SOURCE', 'LOG_LEVEL',
  ...EB_ENV, ...ROUTING_ENV, ...CHAT_ENV,
] as const;


const bool = z._default(z.enum(['true', 'false', '1', '0', ''], { error: 'must be true or false' }), 'false');

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
  DISCOVER_EVERY: z._default(z.string().check(z.refine((v) => parsePeriod(v, 10_000) !== null, { error: 'must be a period of at least 10s such as 10m or 1h (s, m, h, d)' })), '10m'),
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
  WEBHOOK_URLS: z._default(z.string(), ''),
  WEBHOOK_SECRET: z.optional(z.string()),
  WEBHOOK_ALLOW_HTTP: bool,
  WEBHOOK_TIMEOUT_MS: int(100, 60_000, 5_000, 'milliseconds'),
  WEBHOOK_CONCURRENCY: int(1, 256, 16, 'requests'),
  CMQ_TOPIC: z.optional(z.string().check(z.regex(/^[A-Za-z][\w-]{0,63}$/, { error: 'must be a CMQ topic name: a letter, then up to 63 letters, digits, _ or -' }))),
  CMQ_QUEUE: z.optional(z.string().check(z.regex(/^[A-Za-z][\w-]{0,63}$/, { error: 'must be a CMQ queue name: a letter, then up to 63 letters, digits, _ or -' }))),
  DELIVERY_MAX_ATTEMPTS: int(1, 100, 12, 'attempts'),
  EVENT_SOURCE: z.optional(z.string().check(z.minLength(1, { error: 'must not be empty' }))),
  LOG_LEVEL: z._default(z.enum(['debug', 'info', 'warn', 'error'], { error: 'must be debug, info, warn or error' }), 'info'),
});

export type FunctionRole = 'poll' | 'api';

export interface LoadOptions {
  /**
   * The function the config is for. Each function validates only what it uses: a variable owned by the other
   * function (VARIABLE_OWNER) is ignored, as if unset, so a bad API_TOKENS cannot stop the sweep and a bad
   * sink setting cannot stop the API's reads. Shared settings (credentials, endpoints, the state store, the
   * watch list) stop both. Unset: everything is validated (tests, tools).
   */
  role?: FunctionRole;
  /** The api function needs API_TOKENS; the poll function does not. Implied by role 'api'. */
  requireApiTokens?: boolean;
}

/** Variables that only one function reads; every other variable is shared by both. */
export const VARIABLE_OWNER: Partial<Record<(typeof ENV)[number], FunctionRole>> = {
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
  WEBHOOK_URLS: 'poll',
  WEBHOOK_SECRET: 'poll',
  WEBHOOK_ALLOW_HTTP: 'poll',
  WEBHOOK_TIMEOUT_MS: 'poll',
  WEBHOOK_CONCURRENCY: 'poll',
  CMQ_TOPIC: 'poll',
  CMQ_QUEUE: 'poll',
  DELIVERY_MAX_ATTEMPTS: 'poll',
  ...Object.fromEntries([...EB_ENV, ...ROUTING_ENV].map((name) => [name, 'poll'] as const)),
  ...Object.fromEntries(CHAT_ENV.map((name) => [name, 'poll'] as const)),
};

const DURATION_UNITS_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `6h`, `1d` as milliseconds; null when not such a period or shorter than 10 minutes. */
export function parseDuration(v: string): number | null {
  return parsePeriod(v, 600_000);
}

/** `10s`, `30m`, `6h`, `1d` as milliseconds; null when not such a period or shorter than `minMs`. */
export function parsePeriod(v: string, minMs: number): number | null {
  const m = /^(\d{1,6})([smhd])$/.exec(v.trim());
  if (!m) return null;
  const ms = Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
  return ms >= minMs ? ms : null;
}

function parseStateStore(v: string): StateStoreUrl {
  if (v === 'memory:') return { type: 'memory' };
  if (v.startsWith('file:')) return { type: 'file', dir: v.slice('file:'.length) };
  return { type: 'redis', url: v };
}

/** Reads the environment into a Config, or throws a ConfigError naming every bad variable at once. */
export function loadConfig(env: Record<string, string | undefined> = process.env, options: LoadOptions = {}): Config {
  // Empty strings mean unset: SCF consoles and .env files often leave a variable defined but blank.
  const present: Record<string, string> = {};
  for (const name of ENV) {
    const owner = VARIABLE_OWNER[name];
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

  const { tokens: apiTokens, problems: tokenProblems } = parseApiTokens(commaList(present.API_TOKENS));
  problems.push(...tokenProblems);
  if ((options.requireApiTokens || options.role === 'api') && apiTokens.length === 0) {
    problems.push('API_TOKENS: is required by the api function; set one or more bearer tokens, comma separated');
  }

  const allowHttp = e ? e.WEBHOOK_ALLOW_HTTP === 'true' || e.WEBHOOK_ALLOW_HTTP === '1' : false;
  const webhookUrls: string[] = [];
  for (const [i, raw] of commaList(present.WEBHOOK_URLS).entries()) {
    // A hook URL's path or credentials are often its secret: problems name the entry and the origin only.
    const entry = `entry ${i + 1}`;
    const v = judgeWebhookUrl(raw, allowHttp);
    if (v.ok) {
      webhookUrls.push(v.url.toString());
      continue;
    }
    if (v.reason === 'not-a-url') {
      problems.push(`WEBHOOK_URLS: ${entry} is not a URL; use https://host/path`);
      continue;
    }
    const shown = `${entry} (${v.url.protocol}//${v.url.host}/…)`;
    if (v.reason === 'scheme') problems.push(`WEBHOOK_URLS: ${shown} must be https://`);
    else if (v.reason === 'plain-http') problems.push(`WEBHOOK_URLS: ${shown} is plain http to a non-loopback host; use https://, or set WEBHOOK_ALLOW_HTTP=true to accept it`);
    else problems.push(`WEBHOOK_URLS: ${entry} carries credentials in the URL; remove them, the payload is signed with WEBHOOK_SECRET instead`);
  }
  const webhookSecret = present.WEBHOOK_SECRET ?? null;
  if (commaList(present.WEBHOOK_URLS).length > 0 && !webhookSecret) problems.push('WEBHOOK_SECRET: is required when WEBHOOK_URLS is set; use whsec_ followed by base64 of 24 to 64 random bytes');
  if (webhookSecret && !/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/.test(webhookSecret)) {
    problems.push('WEBHOOK_SECRET: must be whsec_ followed by base64 of 24 to 64 random bytes (e.g. "whsec_$(openssl rand -base64 32)")');
  }

  const routing = parseRoutes(present);
  problems.push(...routing.problems);
  const eventBridge = parseEventBridge(present, e?.TENCENTCLOUD_REGION ?? 'ap-guangzhou');
  problems.push(...eventBridge.problems);
  const chat = parseChatConfig(present, allowHttp, problems);

  // The other API's host in CWP_ENDPOINT would answer every action with InvalidAction: say so now.
  const cwpApi: CwpApi = present.CWP_API === 'cwp' ? 'cwp' : 'yunjing';
  const otherApi: CwpApi = cwpApi === 'cwp' ? 'yunjing' : 'cwp';
  if (present.CWP_ENDPOINT !== undefined && new RegExp(`^https?://${otherApi}\\.`, 'i').test(present.CWP_ENDPOINT)) {
    problems.push(`CWP_ENDPOINT: ${present.CWP_ENDPOINT} is the ${otherApi} endpoint but CWP_API is ${cwpApi}; use ${CWP_APIS[cwpApi].endpoint} (or unset CWP_ENDPOINT), or set CWP_API=${otherApi}`);
  }

  if (problems.length > 0 || !e || !secretId || !secretKey) throw new ConfigError(problems.length > 0 ? problems : ['unknown configuration problem']);

  return {
    credentials: { secretId, secretKey, token },
    region: e.TENCENTCLOUD_REGION,
    requestTimeoutMs: e.TENCENT_TIMEOUT_MS,
    cwp: { api: e.CWP_API, endpoint: (e.CWP_ENDPOINT ?? CWP_APIS[e.CWP_API].endpoint).replace(/\/$/, ''), rateLimit: e.CWP_RATE_LIMIT, idleRate: e.CWP_IDLE_RATE ?? e.CWP_RATE_LIMIT },
    tdmq: { endpoint: e.TDMQ_ENDPOINT.replace(/\/$/, ''), rateLimit: e.TDMQ_RATE_LIMIT },
    stateStore: parseStateStore(e.STATE_STORE),
    watch: {
      uuids: [...new Set(watchUuids)],
      kinds: watchKinds,
      discover: discoverTargets.length === 0 ? null : { targets: discoverTargets, spec: present.WATCH_DISCOVER ?? '', everyRegionOf: [...everyRegionOf], filters: discoverFilters, everyMs: parsePeriod(e.DISCOVER_EVERY, 10_000)!, key: discoverKey(discoverTargets, discoverFilters) },
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
    webhook: { urls: webhookUrls, secret: webhookSecret, allowHttp, timeoutMs: e.WEBHOOK_TIMEOUT_MS, concurrency: e.WEBHOOK_CONCURRENCY },
    cmq: { topic: e.CMQ_TOPIC ?? null, queue: e.CMQ_QUEUE ?? null },
    eb: eventBridge.eb,
    routes: routing.routes,
    chat,
    delivery: { maxAttempts: e.DELIVERY_MAX_ATTEMPTS },
    eventSource: e.EVENT_SOURCE ?? `/cwp-task-bridge/${e.TENCENTCLOUD_REGION}`,
    logLevel: e.LOG_LEVEL,
  };
}
