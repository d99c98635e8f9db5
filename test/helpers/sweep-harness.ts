// Builds a real sweep against the emulator: real config, real TencentClient (TC3 over HTTP), real rate
// limiter for the store, the real backend CWP_API names (yunjing unless the env says cwp, or one a test brings); only
// the sink is a recorder, so tests can see what was published.
import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../lib/config';
import { CwpClient } from '../../lib/cwp/cwp';
import { YunjingClient } from '../../lib/cwp/yunjing';
import { CWP_APIS } from '../../lib/tencent/services';
import { createLogger, type Logger } from '../../lib/log';
import { LocalRateLimiter, RedisRateLimiter } from '../../lib/ratelimit';
import { RedisStateStore } from '../../lib/state/redis/store';
import type { RateLimiter } from '../../lib/ratelimit/limiter';
import type { SendResult, Sink } from '../../lib/sinks/sink';
import type { StateStore } from '../../lib/state/store';
import { runSweep, type SweepDeps, type SweepWindow } from '../../lib/sweep';
import type { SweepSummary } from '../../lib/types';
import { TencentClient } from '../../lib/tencent/client';
import { ServerClock } from '../../lib/tencent/clock';
import { StoreIdentityWatch } from '../../lib/state/identity-watch';
import type { TencentCaller } from '../../lib/tencent/types';
import { EVENT_TYPES, type CloudEvent, type EventType } from '../../lib/events/types';
import type { Emulator } from '../../dev/emulator';
import { statusData } from './events';

/** A sink that keeps every event it is given (and can be told to fail). */
/** Every RecordingSink of the test file, so a suite can check all it published against the JSON Schemas. */
const RECORDING_SINKS: RecordingSink[] = [];

/** Every event any RecordingSink of this test file received. */
export function allRecordedEvents(): CloudEvent[] {
  return RECORDING_SINKS.flatMap((s) => s.events);
}

export class RecordingSink implements Sink {
  readonly id: string;
  readonly concurrency = 8;
  readonly events: CloudEvent[] = [];
  failing = false;
  readonly accepts?: (event: CloudEvent) => boolean;
  /**
   * `types`: the event types it takes. By default every type but incident.changed: the sweep tests written before
   * incidents count the status and results events; a test of incidents asks for them.
   */
  constructor(id = 'recording', types: readonly EventType[] | 'all' = EVENT_TYPES.filter((t) => t !== 'com.tencentcloud.cwp.incident.changed')) {
    this.id = id;
    if (types !== 'all') this.accepts = (event) => types.includes(event.type);
    RECORDING_SINKS.push(this);
  }
  async send(event: CloudEvent): Promise<SendResult> {
    if (this.failing) return { ok: false, retry: true, reason: 'recording sink told to fail' };
    this.events.push(event);
    return { ok: true };
  }
  /** `previous->state` per subject, in the order published. */
  transitions(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const e of this.events) (out[e.subject] ??= []).push(`${statusData(e).previous ?? 'null'}->${statusData(e).state}`);
    return out;
  }
}

export interface Harness {
  deps: SweepDeps;
  config: Config;
  limiter: RateLimiter;
  logLines: string[];
  close(): Promise<void>;
}

/** Builds the CWP backend over the harness's caller: the one CWP_API names unless a test brings another. */
export type BackendFactory = (caller: TencentCaller, config: Config) => SweepDeps['cwp'];

/** The backend the runtime builds for the config (lib/runtime): CWP_API=cwp is CwpClient, else YunjingClient. */
export const configuredBackend: BackendFactory = (caller, config) => (config.cwp.api === 'cwp' ? new CwpClient(caller) : new YunjingClient(caller));

export function harness(emulator: Emulator, store: StateStore, env: Record<string, string>, sinks: Sink[], backend: BackendFactory = configuredBackend): Harness {
  const config = loadConfig({
    TENCENTCLOUD_SECRET_ID: emulator.credentials.secretId,
    TENCENTCLOUD_SECRET_KEY: emulator.credentials.secretKey,
    CWP_ENDPOINT: emulator.url,
    POLL_COLLECTING_SECONDS: '1',
    ...env,
  });
  // As the runtime picks it (lib/runtime/storage.ts): shared through Redis on a Redis store.
  const limiter = store instanceof RedisStateStore ? RedisRateLimiter.onStore(store, config.cwp.rateLimit) : new LocalRateLimiter(config.cwp.rateLimit);
  // As the runtime does (lib/runtime): one clock for the instance's Tencent clients, one watch of the store's id.
  const clock = new ServerClock();
  const api = CWP_APIS[config.cwp.api];
  const caller = new TencentClient({ endpoint: config.cwp.endpoint, service: api.service, version: api.version, region: config.region, credentials: config.credentials, timeoutMs: config.requestTimeoutMs, rateLimiter: limiter, clock });
  const logLines: string[] = [];
  const logger: Logger = createLogger({ level: 'debug', write: (l) => logLines.push(l) });
  return {
    deps: { config, store, cwp: backend(caller, config), sinks, logger, clock, identityWatch: new StoreIdentityWatch('poll') },
    config,
    limiter,
    logLines,
    close: () => limiter.close(),
  };
}

/**
 * Runs rounds of sweeps, all of `harnesses` at once in each round (overlapping timer runs), until `done()` holds
 * (it may read the store), and returns every summary. A round lasts `roundMs`; the whole wait is bounded by `ceilingMs`, generous on
 * purpose: a loaded machine only makes it take more rounds, never fail a check of what was published.
 */
export async function sweepUntil(what: string, harnesses: Harness[], done: () => boolean | Promise<boolean>, { roundMs = 2000, ceilingMs = 90_000 } = {}): Promise<SweepSummary[]> {
  const summaries: SweepSummary[] = [];
  const ceiling = Date.now() + ceilingMs;
  while (!(await done())) {
    if (Date.now() > ceiling) throw new Error(`timed out after ${ceilingMs} ms waiting for ${what}`);
    summaries.push(...(await Promise.all(harnesses.map((h) => runSweep(h.deps, sweepFor(roundMs))))));
  }
  return summaries;
}

export function sweepFor(ms: number, keepPolling = true): SweepWindow {
  const now = Date.now();
  return { requestId: randomUUID(), pollUntil: now + ms, publishUntil: now + ms + 2000, keepPolling };
}

export function uuidOf(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}
