// Builds a real sweep against the emulator: real config, real TencentClient (TC3 over HTTP), real rate
// limiter for the store, real CwpClient; only the sink is a recorder, so tests can see what was published.
import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../lib/config';
import { CWP_SERVICE, CWP_VERSION, CwpClient } from '../../lib/cwp/client';
import { createLogger, type Logger } from '../../lib/log';
import { LocalRateLimiter, RedisRateLimiter } from '../../lib/ratelimit';
import { RedisStateStore } from '../../lib/state/redis/store';
import type { RateLimiter } from '../../lib/ratelimit/limiter';
import type { SendResult, Sink } from '../../lib/sinks/sink';
import type { StateStore } from '../../lib/state/store';
import type { SweepDeps, SweepWindow } from '../../lib/sweep';
import { TencentClient } from '../../lib/tencent/client';
import type { CloudEvent } from '../../lib/events/types';
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
  constructor(id = 'recording') {
    this.id = id;
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

export function harness(emulator: Emulator, store: StateStore, env: Record<string, string>, sinks: Sink[]): Harness {
  const config = loadConfig({
    TENCENTCLOUD_SECRET_ID: emulator.credentials.secretId,
    TENCENTCLOUD_SECRET_KEY: emulator.credentials.secretKey,
    CWP_ENDPOINT: emulator.url,
    POLL_COLLECTING_SECONDS: '1',
    ...env,
  });
  // As the runtime picks it (lib/runtime/storage.ts): shared through Redis on a Redis store.
  const limiter = store instanceof RedisStateStore ? RedisRateLimiter.onStore(store, config.cwp.rateLimit) : new LocalRateLimiter(config.cwp.rateLimit);
  const caller = new TencentClient({ endpoint: config.cwp.endpoint, service: CWP_SERVICE, version: CWP_VERSION, region: config.region, credentials: config.credentials, timeoutMs: config.requestTimeoutMs, rateLimiter: limiter });
  const logLines: string[] = [];
  const logger: Logger = createLogger({ level: 'debug', write: (l) => logLines.push(l) });
  return {
    deps: { config, store, cwp: new CwpClient(caller), sinks, logger },
    config,
    limiter,
    logLines,
    close: () => limiter.close(),
  };
}

export function sweepFor(ms: number, keepPolling = true): SweepWindow {
  const now = Date.now();
  return { requestId: randomUUID(), pollUntil: now + ms, publishUntil: now + ms + 2000, keepPolling };
}

export function uuidOf(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}
