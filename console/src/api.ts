// The console's one way to the API: same origin, relative to where the page is served (so an API_BASE_PATH or a
// gateway's prefix needs nothing), the session's token as a bearer token, every failure one ApiError carrying the
// API's own message. The wire shapes of the routes the console reads are below, as lib/http/* answers them (the
// OpenAPI document at /openapi.json describes the same).
import type { Scope } from '../../lib/config/tokens';
import type { CloudEvent, IncidentAgent, Severity } from '../../lib/events/types';
import type { ExpectedPort, ExpectedProcess, IncidentState, IncidentType, Matcher, Weekday } from '../../lib/alerts/types';
import type { AgentCondition } from './agent-state';
import type { MachineInfo, SweepSummary, TaskKind, TaskState, Watch } from '../../lib/types';

export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the request never got an answer. */
    readonly status: number,
    /** The API's error code (`insufficient_scope`, `not_found`, …), or `network` / `bad_answer`. */
    readonly code: string,
    message: string,
    readonly requestId: string | null = null,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * The server answers that it has no such route (404 `no route for …`) or not with that method (405): a part of the
 * console whose API has not landed on this server. Shown as "not available on this server yet", not as an error.
 */
export function isNotAvailable(e: unknown): boolean {
  return e instanceof ApiError && ((e.status === 404 && e.code === 'not_found' && e.message.startsWith('no route for')) || e.code === 'method_not_allowed');
}

/** The page is /…/ui/ (or /…/ui/index.html); the API is the folder above it. */
export function apiUrl(path: string, query: Record<string, string | number | undefined> = {}): string {
  const url = new URL(`../${path.replace(/^\//, '')}`, location.href);
  url.hash = '';
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  return url.toString();
}

const TOKEN_KEY = 'cwp-console-token';

/** The token lives in sessionStorage: this tab only, gone when it closes. */
export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

let onUnauthorized: (e: ApiError) => void = () => {};
/** Called when an answer is 401: the app returns to the login form with the API's message. */
export function whenUnauthorized(f: (e: ApiError) => void): void {
  onUnauthorized = f;
}

const MAX_RETRY_WAIT_S = 5;

export async function call<T>(method: string, path: string, options: { query?: Record<string, string | number | undefined>; body?: unknown; token?: string | null } = {}): Promise<T> {
  const token = options.token === undefined ? tokenStore.get() : options.token;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const init: RequestInit = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (options.body !== undefined) init.body = JSON.stringify(options.body);
  const url = apiUrl(path, options.query);
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch {
      throw new ApiError(0, 'network', 'the API did not answer; check your connection to this function and try again');
    }
    // Over the token's request budget: wait as told (a few seconds at most) and try once more.
    const retryAfter = Number(res.headers.get('retry-after'));
    if (res.status === 429 && attempt === 1 && retryAfter > 0 && retryAfter <= MAX_RETRY_WAIT_S) {
      await new Promise((r) => setTimeout(r, retryAfter * 1000));
      continue;
    }
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      if (res.ok) throw new ApiError(res.status, 'bad_answer', `the API answered ${method} ${path} with something that is not JSON`);
    }
    if (res.ok) return body as T;
    const err = errorOf(res.status, body, retryAfter);
    if (res.status === 401 && token) onUnauthorized(err);
    throw err;
  }
}

function errorOf(status: number, body: unknown, retryAfter: number): ApiError {
  const e = (body as { error?: Record<string, unknown> } | null)?.error;
  if (!e || typeof e.message !== 'string') return new ApiError(status, 'bad_answer', `the API answered HTTP ${status} without an error message`);
  const { code, message, requestId, ...details } = e;
  if (retryAfter > 0) details.retryAfter = retryAfter;
  return new ApiError(status, String(code), message, typeof requestId === 'string' ? requestId : null, details);
}

// ------------------------------------------------------------------------------------------- wire shapes

export interface Whoami {
  name: string;
  scopes: Scope[];
}

export interface Health {
  status: 'ok' | 'degraded' | 'unavailable' | 'config_invalid';
  store?: string;
  durable?: boolean;
  lastSweep: SweepSummary | null;
  discovery?: { listing: number | null; inProgress: boolean; lastCompletedAt: string | null; skippedNoUuid: number; every: string };
  problem?: string | null;
  warnings?: string[];
  /** Set when the store was found emptied, until an admin acknowledges it (POST /v1/store/reset-acknowledged). */
  storeResetAt?: string | null;
  variables?: string[];
  problems?: string[];
}

export interface WatchPage {
  watches: Watch[];
  count: number;
  total: number;
  nextOffset: number | null;
}

export interface TaskView {
  state: TaskState | null;
  since: string | null;
  lastChecked: string | null;
  collecting: boolean;
  snapshotTakenAt: string | null;
}

export interface AgentView {
  uuid: string;
  watch: Watch | null;
  tasks: Partial<Record<TaskKind, TaskView>>;
}

export interface SnapshotView<I> {
  uuid: string;
  kind: TaskKind;
  takenAt: string;
  total: number;
  items: I[];
  baseline: boolean;
  previousTakenAt: string | null;
  changes: { added: I[]; removed: I[] } | null;
}

export interface DeadLetterView {
  eventId: string;
  sinkId: string;
  reason: string;
  attempts: number;
  deadAt: string;
  event: CloudEvent;
}

export interface DeadLetterPage {
  total: number;
  count: number;
  deliveries: DeadLetterView[];
}

/** An incident as GET /v1/incidents lists it and GET /v1/incidents/{key} shows it (lib/http/incidents.ts incidentView). */
export interface IncidentView {
  key: string;
  type: IncidentType;
  state: IncidentState;
  acknowledged: boolean;
  acknowledgedBy?: string;
  acknowledgedAt?: string | null;
  /** The acknowledgement's comment. */
  comment?: string;
  severity: Severity;
  agent: IncidentAgent;
  subject: string;
  kind?: TaskKind;
  port?: number;
  processName?: string;
  summary: string;
  openedAt: string;
  firingAt: string | null;
  resolvedAt: string | null;
  resolvedReason?: string;
  /** Pending only: when it fires unless it resolves first. */
  firesAt?: string | null;
  repeats: number;
  /** The silences and maintenance windows holding it back now. */
  silencedBy?: string[];
  timeline?: Array<{ at: string; what: string; by?: string; comment?: string }>;
}

/** A matcher of a quiet rule: `uuid = …`, `type = …`, `machineIp cidr …` (lib/alerts/types.ts). */
export type { Matcher };

/** GET /v1/silences (lib/http/quiet.ts silenceView). */
export interface SilenceView {
  id: string;
  state: 'active' | 'pending' | 'expired';
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  createdAt: string;
  /** Notifications it held back. */
  heldBack: number;
  lastHeldAt: string | null;
  force?: boolean;
  endedBy?: string;
}

/** GET /v1/maintenance: ALERT_MAINTENANCE's windows (origin `config`, read-only here) and the API's. */
export interface WindowView {
  id: string;
  origin: 'config' | 'api';
  matchers: Matcher[];
  days: Weekday[];
  start: string;
  end: string;
  timezone: string;
  createdBy: string;
  comment: string;
  createdAt?: string | null;
  heldBack: number;
  lastHeldAt: string | null;
}

/** GET /v1/expectations. */
export interface ExpectationView {
  id: string;
  matchers: Matcher[];
  ports: ExpectedPort[];
  processes: ExpectedProcess[];
  createdBy: string;
  comment: string;
  createdAt: string;
  /** Incidents it did not open. */
  hits: number;
  lastHitAt: string | null;
}

/** GET /v1/overview (lib/metrics/overview.ts, shaped by lib/http/overview.ts). */
export interface OverviewView {
  agents: { total: number; byCondition: Record<AgentCondition, number> };
  incidentsFiring: IncidentView[];
  lastSweep: SweepSummary | null;
  outbox: Array<{ sink: string; events: number; oldestAt: string }>;
  deadLetters: Array<{ sink: string; count: number }>;
  discovery: { listing: number | null; inProgress: boolean; lastCompletedAt: string | null; skippedNoUuid: number } | null;
  eventsPerHour: Array<{ hour: string; events: number }>;
  agentsOfflinePerDay: Array<{ day: string; agents: number }>;
  agentsOfflineTruncated: boolean;
}

export type { MachineInfo };
