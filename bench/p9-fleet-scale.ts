// P9: how the cost grows with the fleet, on Redis: 1,000, 10,000 and 50,000 agents (2 kinds each), found by
// discovery (WATCH_DISCOVER lists the emulator's machines, 100 a request), as a large fleet is watched.
// Goals: peak RSS under 128 MB at 50,000 agents, and store round trips per check flat as the fleet grows.
// For each fleet size, on a fresh emulator (in this process) and an empty store (BENCH_REDIS_URL, or db 15 of a
// throwaway redis-server; the keys under cwp-bridge are deleted before and after), two sweeps, each in a child
// process of its own (bench/p9-child.ts) with the V8 heap Node gives the 128 MB function (FUNCTION_HEAP), as
// SCF runs them a minute apart:
// - cold: the first sweep; nothing is known, so it lists the whole fleet and schedules every key (all new);
// - warm: the next sweep; the listing is not due (DISCOVER_EVERY, 10 min), every key is already scheduled.
// Per sweep: peak RSS (the child's maxRSS); the time of each syncSchedule (the cold sweep syncs twice: at its
// start, with no machine known yet, and after the listing, with every key new); the Redis commands and round
// trips the child sent, per status check (checked + failed), and by the store operation that sent them.
// After each sweep: Redis's used_memory over the empty store's, per agent, and MEMORY USAGE of the keys by type.
// The emulator's fleet: 5% of keys collecting (30-120 s), 5% of agents offline, as in P5.
import { loadavg } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import Redis from 'ioredis';
import { startEmulator } from '../dev/emulator';
import { benchRedisUrl, deleteRedisPrefix, MEMORY_GOAL_MB, memoryFigures, report, round, runBenchChild } from './common';
import type { TrafficFigures } from './p9-child';

const PREFIX = 'cwp-bridge';
const STATUS_ACTIONS = new Set(['DescribeProcessTaskStatus', 'DescribeOpenPortTaskStatus']);
/**
 * Store operations a status check makes (take due or spare keys, record what it found, re-read on a conflict,
 * wait for the next due key), and the shared rate limiter's scripts, which every request to CWP runs. The
 * other operations are the sweep's own: the schedule sync, the listing, publishing, the summary.
 */
const PER_CHECK = new Set(['claimDueKeys', 'claimIdleKeys', 'recordCheck', 'recordChange', 'getRecord', 'releaseClaims', 'nextDueAt', 'cwpRateAcquire', 'cwpRatePause']);

/**
 * Node sizes V8's heap from the memory the process may use (a container's limit: src/api/environment.cc passes
 * uv_get_constrained_memory to V8's ConfigureDefaults). Under the function's 128 MB that is 1 MB semi-spaces and
 * a 256 MB old-generation limit (heap_size_limit 259 MB); this 24 GB machine gets 16 MB and 4 GB, so its young
 * generation alone can hold 48 MB of garbage and old-space garbage is collected much later. These flags give the
 * child the heap it has in the function (checked: the same heap_size_limit and new space as a process under a
 * 128 MB memory limit). P9_HEAP=host runs with this machine's defaults instead, as P5 and P6 do.
 */
const FUNCTION_HEAP = '--max-semi-space-size=1 --max-old-space-size=256';

const loadNow = (): number => round(loadavg()[0]!, 2);

/** Redis's used_memory, in bytes. */
async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/** MEMORY USAGE (exact: SAMPLES 0) of every key under the prefix, summed by its type (the part after `<prefix>:`). */
async function bytesByKeyType(redis: Redis): Promise<Record<string, { keys: number; bytes: number }>> {
  const out: Record<string, { keys: number; bytes: number }> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const p = redis.pipeline();
    for (const k of keys) p.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
    const sizes = (await p.exec()) ?? [];
    keys.forEach((k, i) => {
      const type = k.slice(PREFIX.length + 1).split(':')[0]!;
      const t = (out[type] ??= { keys: 0, bytes: 0 });
      t.keys++;
      t.bytes += Number(sizes[i]?.[1] ?? 0);
    });
  } while (cursor !== '0');
  return out;
}

/** The figures of one sweep: its child's report, the emulator's requests during it, and the traffic per check. */
function sweepFigures(child: Record<string, unknown>, requests: Array<{ at: number; action: string; outcome: string }>, loadBefore: number): Record<string, unknown> {
  const started = Number(child.sweepStartedAt);
  const during = requests.filter((r) => r.at >= started && r.outcome === 'accepted');
  const checks = Number(child.checked) + Number(child.failed);
  const traffic = child.traffic as Record<string, TrafficFigures>;
  const sum = (only?: Set<string>) => {
    const t = { commands: 0, roundTrips: 0 };
    for (const [op, f] of Object.entries(traffic)) {
      if (only && !only.has(op)) continue;
      t.commands += f.commands;
      t.roundTrips += f.roundTrips;
    }
    return t;
  };
  const all = sum();
  const perCheck = sum(PER_CHECK);
  const per = (n: number) => (checks > 0 ? round(n / checks, 2) : null);
  // Largest first, as [calls, commands, roundTrips], so the line stays readable.
  const byOperation = Object.fromEntries(Object.entries(traffic).sort((a, b) => b[1].commands - a[1].commands).map(([op, f]) => [op, [f.calls, f.commands, f.roundTrips]]));
  const syncs = (child.syncs as Array<Record<string, number>>).map((s) => ({ ...s, rssAfterMb: round(s.rssAfterMb!) }));
  return {
    loadBefore,
    sweepMs: child.sweepMs,
    outcome: child.outcome,
    checked: child.checked,
    failed: child.failed,
    changed: child.changed,
    spareChecks: child.spareChecks,
    resultsRead: child.resultsRead,
    dueLeft: child.dueLeft,
    statusRequests: during.filter((r) => STATUS_ACTIONS.has(r.action)).length,
    listingRequests: during.filter((r) => r.action === 'DescribeMachines').length,
    discovery: child.discovery,
    warnings: child.warnings,
    syncs,
    commandsPerCheck: per(all.commands),
    roundTripsPerCheck: per(all.roundTrips),
    // Only the operations of the checks themselves and the rate limiter (PER_CHECK): what a check costs.
    checkPathCommandsPerCheck: per(perCheck.commands),
    checkPathRoundTripsPerCheck: per(perCheck.roundTrips),
    redisCommands: all.commands,
    redisRoundTrips: all.roundTrips,
    byOperation,
    nodeFlags: child.nodeFlags || 'none',
    rssAfterRuntimeMb: round(Number(child.rssAfterRuntimeMb)),
    // Where the peak is: the 200 ms sample of the highest RSS (seconds into the sweep; V8 heap, outside it).
    sampledPeak: Object.fromEntries(Object.entries(child.sampledPeak as Record<string, number>).map(([k, v]) => [k, round(v)])),
    rssMaxBy5sMb: child.rssMaxBy5sMb,
    ...memoryFigures(child),
  };
}

async function runFleet(agents: number, sweepMs: number, childFile: string, redisUrl: string): Promise<Record<string, unknown>> {
  const setupStarted = Date.now();
  const emulator = await startEmulator({ quiet: true });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    emulator.addFleet(agents, { activeFraction: 0.05, offlineFraction: 0.05, collectMs: [30_000, 120_000], seed: 9, machines: { regions: ['ap-guangzhou'] } });
    await deleteRedisPrefix(redisUrl, PREFIX);
    const emptyBytes = await usedMemory(redis);
    const env = {
      TENCENTCLOUD_SECRET_ID: emulator.credentials.secretId,
      TENCENTCLOUD_SECRET_KEY: emulator.credentials.secretKey,
      CWP_ENDPOINT: emulator.url,
      STATE_STORE: redisUrl,
      WATCH_DISCOVER: 'CVM:ap-guangzhou',
      P9_SWEEP_MS: String(sweepMs),
      ...(process.env.P9_HEAP === 'host' ? {} : { NODE_OPTIONS: FUNCTION_HEAP }),
    };
    const setupS = round((Date.now() - setupStarted) / 1000);
    const sweeps: Record<string, unknown> = {};
    const redisAfter: Record<string, unknown> = {};
    for (const phase of ['cold', 'warm']) {
      const loadBefore = loadNow();
      const child = await runBenchChild('p9', childFile, env);
      sweeps[phase] = sweepFigures(child, emulator.requests(), loadBefore);
      const used = (await usedMemory(redis)) - emptyBytes;
      const byType = await bytesByKeyType(redis);
      redisAfter[phase] = {
        usedMemoryBytesPerAgent: Math.round(used / agents),
        keys: Object.values(byType).reduce((a, t) => a + t.keys, 0),
        // MEMORY USAGE per agent, by key type (rec: a key's record, one hash per key; machines: one hash for all; ...).
        bytesPerAgentByType: Object.fromEntries(Object.entries(byType).sort((a, b) => b[1].bytes - a[1].bytes).map(([type, t]) => [type, round(t.bytes / agents)])),
      };
    }
    return { agents, keys: agents * 2, heap: env.NODE_OPTIONS ? `as in the 128 MB function (${env.NODE_OPTIONS})` : 'this machine\'s defaults', setupS, ...sweeps, redis: redisAfter, loadAfter: loadNow() };
  } finally {
    await deleteRedisPrefix(redisUrl, PREFIX).catch(() => undefined);
    redis.disconnect();
    await emulator.close();
  }
}

export async function p9(sizes = [1_000, 10_000, 50_000], sweepMs = 60_000): Promise<void> {
  const started = Date.now();
  const redisUrl = await benchRedisUrl();
  if (!redisUrl) throw new Error('P9 measures the Redis store: install redis-server or set BENCH_REDIS_URL');
  const childFile = path.join(process.cwd(), '.cache', 'p9-child.cjs');
  await build({ entryPoints: [path.join(process.cwd(), 'bench/p9-child.ts')], outfile: childFile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', logLevel: 'warning' });
  const results: Array<Record<string, unknown>> = [];
  for (const agents of sizes) {
    const r = await runFleet(agents, sweepMs, childFile, redisUrl);
    report('P9 fleet scale', r);
    results.push(r);
  }
  // The goals, side by side over the sizes.
  const of = (phase: string, field: string) => results.map((r) => (r[phase] as Record<string, unknown>)[field]);
  const peaks = results.map((r) => Math.max(Number((r.cold as Record<string, unknown>).peakRssMb), Number((r.warm as Record<string, unknown>).peakRssMb)));
  report('P9 fleet scale: goals', {
    agents: sizes,
    peakRssMb: peaks,
    goalMb: MEMORY_GOAL_MB,
    withinGoal: peaks.map((p) => p < MEMORY_GOAL_MB),
    coldSyncMs: results.map((r) => ((r.cold as Record<string, unknown>).syncs as Array<Record<string, number>>).map((s) => s.wholeSyncMs)),
    warmSyncMs: results.map((r) => ((r.warm as Record<string, unknown>).syncs as Array<Record<string, number>>).map((s) => s.wholeSyncMs)),
    warmRoundTripsPerCheck: of('warm', 'roundTripsPerCheck'),
    warmCheckPathRoundTripsPerCheck: of('warm', 'checkPathRoundTripsPerCheck'),
    coldRoundTripsPerCheck: of('cold', 'roundTripsPerCheck'),
    redisBytesPerAgent: results.map((r) => ((r.redis as Record<string, Record<string, unknown>>).warm!.usedMemoryBytesPerAgent)),
    benchS: round((Date.now() - started) / 1000),
  });
}
