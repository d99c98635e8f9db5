// Builds what a function needs from the configuration, once per SCF instance: warm invocations reuse the
// store connection, the rate limiter and the HTTP keep-alive pool. The Redis client is loaded only when the
// store is Redis (lib/state/index.ts imports it lazily), which keeps the cold start of the other setups small.
// The sinks are passed in by the poll function only (their kinds, whose settings the config then validates too,
// and their factory), so the api function reads no sink setting and its bundle does not carry them. Config
// comes from lib/config/core.ts, not lib/config, which would bring every sink into the api bundle.
import { RequestTally } from '../metrics/requests';
import { ConfigError, loadConfigWith, type Config, type FunctionRole, type SinkSettingsKind } from '../config/core';
import type { CwpPort } from '../cwp/port';
import { CwpClient } from '../cwp/cwp';
import { YunjingClient } from '../cwp/yunjing';
import { CWP_APIS } from '../tencent/services';
import { createLogger, type Logger } from '../log';
import type { RateLimiter } from '../ratelimit/limiter';
import type { RequestBudget } from '../ratelimit/budget';
import type { Sink } from '../sinks/sink';
import type { TencentApi, TencentCaller } from '../tencent/types';
import type { StateStore } from '../state/store';
import { TencentClient } from '../tencent/client';
import { ServerClock } from '../tencent/clock';
import { StoreIdentityWatch } from '../state/identity-watch';
import { openStorage } from './storage';

export interface Runtime {
  config: Config;
  logger: Logger;
  store: StateStore;
  /** The CWP backend (lib/cwp/port.ts). */
  cwp: CwpPort;
  sinks: Sink[];
  /** The api function's per-token request budget (API_RATE_LIMIT, API_RATE_BURST); null for the poll function. */
  tokenBudget: RequestBudget | null;
  /** The store id this instance saw last: a change is a reset (lib/state/identity-watch.ts). */
  identityWatch: StoreIdentityWatch;
  /** The Date readings of every Tencent client of this instance: how far its clock is off (lib/tencent/clock.ts). */
  clock: ServerClock;
  /** This instance's CWP requests not yet written to the store's counters (lib/metrics/requests.ts). */
  requests: RequestTally;
  close(): Promise<void>;
}


/** What a sink factory builds with: the runtime's callers, logger and budgets. */
export interface SinkFactoryDeps {
  /**
   * A TencentClient for one API, with the runtime's credentials and timeout, its calls paced by a rate limiter of
   * `api.rateLimit` shared as widely as the store is; a sink kind asks for the one it needs (CMQ: tdmq, EventBridge: eb).
   */
  tencent(api: TencentApi): TencentCaller;
  logger: Logger;
  /** A request budget shared as widely as the store is (each chat robot's rate limit). */
  budget(ratePerSecond: number, burst: number): RequestBudget;
  /** The state store's id (the chat robots' signed links are bound to it). */
  storeId(): Promise<string>;
}

/**
 * The poll function's sinks (lib/sinks: SINK_KINDS and createSinks): the kinds whose settings the config validates
 * beside the core ones, every problem in one ConfigError, and how the sinks are built from that config.
 */
export interface SinkFactory {
  kinds: readonly SinkSettingsKind[];
  create(config: Config, deps: SinkFactoryDeps): Sink[];
}

export interface RuntimeOptions {
  /** Where log lines go (default stdout). */
  write?: (line: string) => void;
  /** The poll function publishes; the api function does not and passes none. */
  makeSinks?: SinkFactory;
}


export async function createRuntime(role: FunctionRole, env: Record<string, string | undefined> = process.env, options: RuntimeOptions = {}): Promise<Runtime> {
  const { write, makeSinks } = options;
  const config = loadConfigWith(env, makeSinks?.kinds ?? [], { role });
  const logger = createLogger({ level: config.logLevel, base: { fn: role }, ...(write ? { write } : {}) });
  const { store, rateLimiter, requestBudget } = await openStorage(config.stateStore, { history: config.history });
  if (!store.durableAcrossInstances && env.TENCENTCLOUD_RUNENV === 'SCF') {
    logger.warn('STATE_STORE does not survive across SCF instances: changes may be published again and watches lost; use redis:// in production', { store: store.description });
  }
  const limiters: RateLimiter[] = [];
  const limiter = (rate: number) => {
    const l = rateLimiter(rate);
    limiters.push(l);
    return l;
  };
  const clock = new ServerClock();
  const tencent = ({ rateLimit, ...api }: TencentApi) => new TencentClient({ ...api, credentials: config.credentials, timeoutMs: config.requestTimeoutMs, rateLimiter: limiter(rateLimit), clock });
  // The CWP backend CWP_API names: the frozen yunjing API (the default) or the current cwp API.
  const api = CWP_APIS[config.cwp.api];
  // Every CWP request is counted (cwp_bridge_cwp_requests_total), added up here and written in batches.
  const requests = new RequestTally();
  const cwpCaller = new TencentClient({ service: api.service, version: api.version, endpoint: config.cwp.endpoint, region: config.region, credentials: config.credentials, timeoutMs: config.requestTimeoutMs, rateLimiter: limiter(config.cwp.rateLimit), clock, requests });
  const cwp: CwpPort = config.cwp.api === 'cwp' ? new CwpClient(cwpCaller) : new YunjingClient(cwpCaller);
  const sinks = makeSinks ? makeSinks.create(config, { tencent, logger, budget: requestBudget, storeId: async () => (await store.identity(Date.now())).storeId }) : [];
  return {
    config,
    logger,
    store,
    cwp,
    sinks,
    tokenBudget: role === 'api' ? requestBudget(config.api.rateLimit, config.api.rateBurst) : null,
    identityWatch: new StoreIdentityWatch(role),
    clock,
    requests,
    async close() {
      for (const s of sinks) await s.close?.();
      for (const l of limiters) await l.close();
      await store.close();
    },
  };
}

const cached = new Map<FunctionRole, Promise<Runtime>>();

/**
 * The instance-wide runtime of a function. A failed start (bad config, store unreachable) is not cached, so
 * the next invocation tries again after the operator fixes it.
 */
export function getRuntime(role: FunctionRole, makeSinks?: SinkFactory): Promise<Runtime> {
  let p = cached.get(role);
  if (!p) {
    p = createRuntime(role, process.env, makeSinks ? { makeSinks } : {});
    cached.set(role, p);
    p.catch(() => cached.delete(role));
  }
  return p;
}

/** For tests and the local runner: forget the cached runtimes (closing them). */
export async function resetRuntimes(): Promise<void> {
  const all = [...cached.values()];
  cached.clear();
  for (const p of all) {
    try {
      await (await p).close();
    } catch {
      // a runtime that failed to start has nothing to close
    }
  }
}

export { ConfigError, type FunctionRole };
