// P9's child: one poll sweep on the Redis store in a process of its own, so its peak RSS is the bridge's alone
// (the emulator runs in the parent, bench/p9-fleet-scale.ts). Builds the poll runtime as the function does
// (createRuntime('poll', env, ...)) from the environment the parent passes (STATE_STORE, WATCH_DISCOVER, ...),
// runs runSweep for P9_SWEEP_MS and prints one JSON line of figures.
// What it counts, without changing what the sweep does:
// - every command the process sends to Redis (the client's sendCommand), by the store operation that sent it
//   (an AsyncLocalStorage context set around each store call) or, for the shared rate limiter, by its script;
//   a pipeline or MULTI is one round trip carrying several commands, anything else one round trip each;
// - the time of each syncSchedule, and of the whole schedule sync (from the listWatches that starts it to the
//   end of its syncSchedule, the machines read in between), with the RSS right after.
// The log runs at the function's default level (info) into a writer that keeps only the summary line and
// counts warnings, as SCF would take the lines off stdout.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { createRuntime } from '../lib/runtime';
import type { StateStore } from '../lib/state/store';
import { RedisStateStore } from '../lib/state/redis/store';
import { runSweep } from '../lib/sweep';
import { liveHeapMbAfterGc } from './heap';
import { CountingSink } from './counting-sink';

const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

/** What one store operation (or the rate limiter) sent to Redis. */
export interface TrafficFigures {
  /** Calls of the operation (for the rate limiter: script calls). */
  calls: number;
  /** Redis commands sent, each command of a pipeline counted (MULTI and EXEC included). */
  commands: number;
  /** Requests that waited for Redis's answer: one per pipeline or MULTI, one per command otherwise. */
  roundTrips: number;
}

/** Counts what the client sends, by the operation under way (the context) or the script the command runs. */
class RedisTraffic {
  readonly byOperation: Record<string, TrafficFigures> = {};
  readonly context = new AsyncLocalStorage<string>();
  private readonly pipelines = new WeakSet<object>();

  constructor(redis: Redis) {
    // Scripts go out as EVALSHA (EVAL on the connection's first use): name them by their sha.
    const scripts = (redis as unknown as { scriptsSet: Record<string, { sha: string }> }).scriptsSet;
    const scriptOf = (sha: unknown): string => Object.entries(scripts).find(([, s]) => s.sha === sha)?.[0] ?? 'script';
    const send = redis.sendCommand.bind(redis);
    const figures = (name: string) => (this.byOperation[name] ??= { calls: 0, commands: 0, roundTrips: 0 });
    redis.sendCommand = ((command: { name: string; args: unknown[] }, stream?: { isPipeline?: boolean }) => {
      const operation = this.context.getStore();
      const name = operation ?? (command.name === 'evalsha' || command.name === 'eval' ? scriptOf(command.args[0]) : command.name);
      const f = figures(name);
      f.commands++;
      if (stream?.isPipeline) {
        if (!this.pipelines.has(stream)) {
          this.pipelines.add(stream);
          f.roundTrips++;
        }
      } else f.roundTrips++;
      if (!operation) f.calls++;
      return send(command as never, stream as never);
    }) as typeof redis.sendCommand;
  }

  /** One call of a store operation, counted under its name. */
  called(operation: string): void {
    (this.byOperation[operation] ??= { calls: 0, commands: 0, roundTrips: 0 }).calls++;
  }
}

/** One syncSchedule: keys asked for, keys added, how long it took, RSS right after; plus the whole sync's span. */
interface SyncTiming {
  keys: number;
  added: number;
  syncScheduleMs: number;
  /** From the listWatches that starts the sync to the end of this syncSchedule (watches, machines, merge, schedule). */
  wholeSyncMs: number;
  rssAfterMb: number;
}

/** The store as is, with each call counted (and run in its operation's context) and each syncSchedule timed. */
function instrumented(store: StateStore, traffic: RedisTraffic | null, syncs: SyncTiming[]): StateStore {
  const bound = new Map<PropertyKey, unknown>();
  let syncStartedAt: number | null = null;
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = bound.get(prop);
      if (!fn) {
        const method = (value as (...a: unknown[]) => unknown).bind(target);
        const name = String(prop);
        fn = (...args: unknown[]) => {
          traffic?.called(name);
          if (name === 'listWatches') syncStartedAt = Date.now();
          const call = () => method(...args);
          const result = traffic ? traffic.context.run(name, call) : call();
          if (name !== 'syncSchedule') return result;
          const started = Date.now();
          return (result as Promise<number>).then((added) => {
            const ended = Date.now();
            syncs.push({ keys: (args[0] as unknown[]).length, added, syncScheduleMs: ended - started, wholeSyncMs: ended - (syncStartedAt ?? started), rssAfterMb: rssMb() });
            syncStartedAt = null;
            return added;
          });
        };
        bound.set(prop, fn);
      }
      return fn;
    },
  });
}

/**
 * Samples the memory every 200 ms: the sample of the highest RSS (where the peak is, in V8's heap or outside
 * it), and the highest RSS in each 5 s of the sweep (when it is). maxRSS stays the figure; this explains it.
 */
class MemorySampler {
  private readonly timer: NodeJS.Timeout;
  private readonly startedAt = Date.now();
  readonly maxBy5s: number[] = [];
  atPeak = { atS: 0, rssMb: 0, heapTotalMb: 0, heapUsedMb: 0, externalMb: 0, arrayBuffersMb: 0 };

  constructor() {
    this.timer = setInterval(() => this.sample(), 200);
  }

  private sample(): void {
    const m = process.memoryUsage();
    const at = (Date.now() - this.startedAt) / 1000;
    const rss = m.rss / 2 ** 20;
    const bucket = Math.floor(at / 5);
    this.maxBy5s[bucket] = Math.max(this.maxBy5s[bucket] ?? 0, Math.round(rss));
    if (rss > this.atPeak.rssMb) {
      this.atPeak = { atS: Math.round(at * 10) / 10, rssMb: rss, heapTotalMb: m.heapTotal / 2 ** 20, heapUsedMb: m.heapUsed / 2 ** 20, externalMb: m.external / 2 ** 20, arrayBuffersMb: m.arrayBuffers / 2 ** 20 };
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

async function main(): Promise<void> {
  const sweepMs = Number(process.env.P9_SWEEP_MS ?? 60_000);
  const sink = new CountingSink('p9-counter');
  let summaryLine: Record<string, unknown> = {};
  const warnings: Record<string, number> = {};
  const write = (line: string) => {
    if (line.includes('"msg":"sweep summary"')) summaryLine = JSON.parse(line) as Record<string, unknown>;
    else if (line.startsWith('{"level":"warn"') || line.startsWith('{"level":"error"')) {
      const msg = String((JSON.parse(line) as { msg: unknown }).msg);
      warnings[msg] = (warnings[msg] ?? 0) + 1;
    }
  };
  const runtime = await createRuntime('poll', process.env, { write, makeSinks: { kinds: [], create: () => [sink] } });
  if (!(runtime.store instanceof RedisStateStore)) throw new Error(`P9 measures the Redis store; STATE_STORE is ${runtime.store.description}`);
  const rssAfterRuntimeMb = rssMb();
  // P9_COUNT_TRAFFIC=0: no counting, to see what the counting itself costs in RSS and time.
  const traffic = process.env.P9_COUNT_TRAFFIC === '0' ? null : new RedisTraffic(runtime.store.redis);
  const syncs: SyncTiming[] = [];
  const store = instrumented(runtime.store, traffic, syncs);
  const sampler = new MemorySampler();
  const started = Date.now();
  const summary = await runSweep(
    { config: runtime.config, store, cwp: runtime.cwp, sinks: runtime.sinks, logger: runtime.logger },
    { requestId: randomUUID(), pollUntil: started + sweepMs, publishUntil: started + sweepMs + 2_000, keepPolling: true },
  );
  sampler.stop();
  const usage = process.resourceUsage();
  const mem = process.memoryUsage();
  const heapLiveMb = liveHeapMbAfterGc();
  await runtime.close();
  process.stdout.write(JSON.stringify({
    sweepStartedAt: started,
    outcome: summary.outcome,
    error: summary.error,
    checked: summary.checked,
    changed: summary.changed,
    failed: summary.failed,
    throttled: summary.throttled,
    dueLeft: summary.dueLeft,
    outboxLeft: summary.outboxLeft,
    sweepMs: summary.tookMs,
    spareChecks: summaryLine.spareChecks,
    resultsRead: summaryLine.resultsRead,
    discovery: summaryLine.discovery ?? null,
    published: sink.count,
    warnings,
    syncs,
    traffic: traffic?.byOperation ?? null,
    maxRssKb: usage.maxRSS,
    sampledPeak: sampler.atPeak,
    rssMaxBy5sMb: sampler.maxBy5s,
    nodeFlags: [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ').trim(),
    rssAfterRuntimeMb,
    heapUsedMb: mem.heapUsed / 2 ** 20,
    heapLiveMb,
  }) + '\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`p9 child failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
