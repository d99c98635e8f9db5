// Builds what a function needs from the configuration, once per SCF instance: warm invocations reuse the
// store connection, the rate limiter and the HTTP keep-alive pool. The Redis client is loaded only when the
// store is Redis (lib/state/index.ts imports it lazily), which keeps the cold start of the other setups small.
// The sinks are passed in by the poll function only, so the api bundle does not carry them.
import { ConfigError, loadConfig, type Config, type FunctionRole } from '../config';
import type { CwpPort } from '../cwp/port';
import { CwpClient } from '../cwp/cwp';
import { YunjingClient } from '../cwp/yunjing';
import { CWP_APIS, EB_SERVICE, EB_VERSION, TDMQ_SERVICE, TDMQ_VERSION } from '../tencent/services';
import { createLogger, type Logger } from '../log';
import type { RateLimiter } from '../ratelimit/limiter';
import type { RequestBudget } from '../ratelimit/budget';
import type { Sink } from '../sinks/sink';
import type { TencentCaller } from '../tencent/types';
import type { StateStore } from '../state/store';
import { TencentClient } from '../tencent/client';
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
  close(): Promise<void>;
}


/**
 * Builds the sinks from the config (lib/sinks createSinks); `tdmq` is a client for TDMQ, or null if no CMQ is set;
 * `eb` one for EventBridge (in the bus's region), or null if EB_EVENT_BUS_ID is unset; `budget` a request budget
 * shared as widely as the store is (each chat robot's rate limit).
 */
export type SinkFactory = (config: Config, deps: { tdmq: TencentCaller | null; eb: TencentCaller | null; logger: Logger; budget: (ratePerSecond: number, burst: number) => RequestBudget }) => Sink[];

export interface RuntimeOptions {
  /** Where log lines go (default stdout). */
  write?: (line: string) => void;
  /** The poll function publishes; the api function does not and passes none. */
  makeSinks?: SinkFactory;
}


export async function createRuntime(role: FunctionRole, env: Record<string, string | undefined> = process.env, options: RuntimeOptions = {}): Promise<Runtime> {
  const { write, makeSinks } = options;
  const config = loadConfig(env, { role });
  const logger = createLogger({ level: config.logLevel, base: { fn: role }, ...(write ? { write } : {}) });
  const { store, rateLimiter, requestBudget } = await openStorage(config.stateStore);
  if (!store.durableAcrossInstances && env.TENCENTCLOUD_RUNENV === 'SCF') {
    logger.warn('STATE_STORE does not survive across SCF instances: changes may be published again and watches lost; use redis:// in production', { store: store.description });
  }
  const limiters: RateLimiter[] = [];
  const limiter = (rate: number) => {
    const l = rateLimiter(rate);
    limiters.push(l);
    return l;
  };
  const common = { region: config.region, credentials: config.credentials, timeoutMs: config.requestTimeoutMs };
  // The CWP backend CWP_API names: the frozen yunjing API (the default) or the current cwp API.
  const api = CWP_APIS[config.cwp.api];
  const cwpCaller = new TencentClient({ ...common, endpoint: config.cwp.endpoint, service: api.service, version: api.version, rateLimiter: limiter(config.cwp.rateLimit) });
  const cwp: CwpPort = config.cwp.api === 'cwp' ? new CwpClient(cwpCaller) : new YunjingClient(cwpCaller);
  const needsTdmq = makeSinks !== undefined && (config.cmq.topic !== null || config.cmq.queue !== null);
  const tdmq = needsTdmq ? new TencentClient({ ...common, endpoint: config.tdmq.endpoint, service: TDMQ_SERVICE, version: TDMQ_VERSION, rateLimiter: limiter(config.tdmq.rateLimit) }) : null;
  const eb = makeSinks !== undefined && config.eb !== null
    ? new TencentClient({ ...common, region: config.eb.region, endpoint: config.eb.endpoint, service: EB_SERVICE, version: EB_VERSION, rateLimiter: limiter(config.eb.rateLimit) })
    : null;
  const sinks = makeSinks ? makeSinks(config, { tdmq, eb, logger, budget: requestBudget }) : [];
  return {
    config,
    logger,
    store,
    cwp,
    sinks,
    tokenBudget: role === 'api' ? requestBudget(config.api.rateLimit, config.api.rateBurst) : null,
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
