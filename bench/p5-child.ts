// P5's child: one poll sweep in a process of its own, so its peak RSS is the bridge's alone (the emulator runs
// in the parent). Builds the poll runtime as the function does (createRuntime('poll', env, ...)) from the
// environment the parent passes, with a counting sink (no console output, nothing retained), loads the
// watches from P5_UUIDS_FILE (10,000 uuids would exceed the OS's limit for one environment variable), runs
// runSweep for P5_BUDGET_MS, and prints one JSON line of figures.
// Phase markers (RSS at that moment, MB): after the runtime is built, after the bench's own setup (10,000
// putWatch calls: not the function's work), right after the sweep's syncSchedule (the store is wrapped to take
// the reading), and before the sweep. After maxRSS is read, a full GC gives the live heap at the end.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRuntime } from '../lib/runtime';
import type { StateStore } from '../lib/state/store';
import { runSweep } from '../lib/sweep';
import { liveHeapMbAfterGc } from './heap';
import { CountingSink } from './counting-sink';

const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

/** The store as is, except that `onSynced` runs when syncSchedule has finished. */
function afterSync(store: StateStore, onSynced: () => void): StateStore {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'syncSchedule') {
        return async (...args: Parameters<StateStore['syncSchedule']>) => {
          const added = await target.syncSchedule(...args);
          onSynced();
          return added;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = bound.get(prop);
      if (!fn) bound.set(prop, (fn = (value as (...a: unknown[]) => unknown).bind(target)));
      return fn;
    },
  });
}

async function main(): Promise<void> {
  const uuids = readFileSync(process.env.P5_UUIDS_FILE!, 'utf8').split('\n').filter((u) => u.length > 0);
  const budgetMs = Number(process.env.P5_BUDGET_MS ?? 20_000);
  const sink = new CountingSink('p5-counter');
  const runtime = await createRuntime('poll', process.env, { write: () => undefined, makeSinks: { kinds: [], create: () => [sink] } });
  const rssAfterRuntimeMb = rssMb();
  const t0 = Date.now();
  for (const uuid of uuids) await runtime.store.putWatch(uuid, ['process', 'port'], t0);
  const rssAfterWatchSetupMb = rssMb();
  let rssAfterScheduleMb = NaN;
  const store = afterSync(runtime.store, () => (rssAfterScheduleMb = rssMb()));
  const rssBeforeSweepMb = rssMb();
  const started = Date.now();
  const summary = await runSweep(
    { config: runtime.config, store, cwp: runtime.cwp, sinks: runtime.sinks, logger: runtime.logger },
    { requestId: randomUUID(), pollUntil: started + budgetMs, publishUntil: started + budgetMs + 2_000, keepPolling: true },
  );
  const usage = process.resourceUsage();
  const mem = process.memoryUsage();
  const heapLiveMb = liveHeapMbAfterGc();
  await runtime.close();
  process.stdout.write(JSON.stringify({
    store: runtime.store.description,
    watches: uuids.length,
    keys: uuids.length * 2,
    outcome: summary.outcome,
    checked: summary.checked,
    changed: summary.changed,
    published: sink.count,
    failed: summary.failed,
    dueLeft: summary.dueLeft,
    outboxLeft: summary.outboxLeft,
    sweepMs: summary.tookMs,
    maxRssKb: usage.maxRSS,
    nodeFlags: [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ').trim(),
    rssAfterRuntimeMb,
    rssAfterWatchSetupMb,
    rssBeforeSweepMb,
    rssAfterScheduleMb,
    heapUsedMb: mem.heapUsed / 2 ** 20,
    heapLiveMb,
  }) + '\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`p5 child failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
