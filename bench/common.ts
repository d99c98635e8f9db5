// What the benchmarks share: the emulator with its real limits, the real runtime wiring, a recording sink,
// and small statistics helpers. Every benchmark prints one JSON line of figures.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { Emulator } from '../dev/emulator';
import { hasRedisServer, redisDbUrl, startThrowawayRedis } from '../dev/redis-server';
import { createRuntime, type Runtime } from '../lib/runtime';
import { sinkFactory } from '../lib/sinks';
import { runSweep } from '../lib/sweep';
import type { SendResult, Sink } from '../lib/sinks/sink';
import type { CloudEvent } from '../lib/events/types';

/**
 * The benchmarks' Redis: BENCH_REDIS_URL (a database of a server you run), or a throwaway redis-server started
 * for the run (dev/redis-server.ts), so a bench never touches a Redis on 6379. Null if neither can be had.
 */
let benchRedis: Promise<{ url: string; stop: () => Promise<void> } | null> | null = null;

export function benchRedisUrl(): Promise<string | null> {
  benchRedis ??= process.env.BENCH_REDIS_URL
    ? Promise.resolve({ url: process.env.BENCH_REDIS_URL, stop: async () => undefined })
    : hasRedisServer()
      ? startThrowawayRedis().then((r) => ({ url: redisDbUrl(r.url, 15), stop: () => r.stop() }))
      : Promise.resolve(null);
  return benchRedis.then((r) => r?.url ?? null);
}

/** Stops the throwaway Redis, if one was started. */
export async function stopBenchRedis(): Promise<void> {
  const r = await benchRedis;
  benchRedis = null;
  await r?.stop();
}

export class RecordingSink implements Sink {
  readonly concurrency = 64;
  readonly events: CloudEvent[] = [];
  /** `ignoresSilences`: it takes the incident notifications quiet rules hold back too (<P>_IGNORE_SILENCES=true). */
  constructor(readonly id = 'bench-recorder', readonly ignoresSilences?: boolean) {}
  async send(event: CloudEvent): Promise<SendResult> {
    this.events.push(event);
    return { ok: true };
  }
}

/** The poll runtime exactly as the function builds it, pointed at the emulator. */
export function benchRuntime(emulator: Emulator, env: Record<string, string> = {}): Promise<Runtime> {
  return createRuntime('poll', {
    TENCENTCLOUD_SECRET_ID: emulator.credentials.secretId,
    TENCENTCLOUD_SECRET_KEY: emulator.credentials.secretKey,
    CWP_ENDPOINT: emulator.url,
    TDMQ_ENDPOINT: emulator.url,
    STATE_STORE: 'memory:',
    LOG_LEVEL: 'error',
    ...env,
  }, { write: () => undefined, makeSinks: sinkFactory });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export function requestId(): string {
  return randomUUID();
}

export function report(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ bench: name, ...figures }) + '\n');
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** The SCF memory size the memory benchmarks (P5, P6) hold a sweep to. */
export const MEMORY_GOAL_MB = 128;

/** The end of a bench child's memory report: its heap at the end, and its peak RSS against MEMORY_GOAL_MB. */
export function memoryFigures(child: Record<string, unknown>): Record<string, unknown> {
  const peakMb = Number(child.maxRssKb) / 1024;
  return {
    heapUsedAtEndMb: round(Number(child.heapUsedMb)),
    heapLiveAtEndMb: round(Number(child.heapLiveMb)),
    peakRssMb: round(peakMb),
    goalMb: MEMORY_GOAL_MB,
    withinGoal: peakMb < MEMORY_GOAL_MB,
  };
}

/** Deletes every key under `<prefix>:` in the Redis at `url`; returns how many. */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Runs a bundled bench child with only PATH and `env`; resolves its last stdout line, parsed as JSON. */
export function runBenchChild(name: string, file: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`${name} child exited ${code}: ${err || out}`));
      else resolve(JSON.parse(line) as Record<string, unknown>);
    });
  });
}

/**
 * Runs sweeps as the SCF timer does, for `totalMs` from now: a tick every `tickMs` whether or not the previous
 * run has finished, each polling for its whole tick (keepPolling), publishing to `sinks`. Resolves when all end.
 */
export async function runTicks(runtime: Runtime, sinks: Sink[], totalMs: number, tickMs: number): Promise<number> {
  const benchStart = Date.now();
  const runs: Promise<unknown>[] = [];
  for (let tick = 0; tick * tickMs < totalMs; tick++) {
    const tickStart = benchStart + tick * tickMs;
    const wait = tickStart - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    runs.push(runSweep({ ...runtime, sinks }, { requestId: requestId(), pollUntil: tickStart + tickMs, publishUntil: tickStart + tickMs + 1_000, keepPolling: true }));
  }
  await Promise.all(runs);
  return benchStart;
}
