// P6's child: the poll function's sweep in a process of its own, so its peak RSS is the bridge's alone (the
// emulator runs in the parent, bench/p6-full-loop.ts). Builds the poll runtime as the function does
// (createRuntime('poll', env, ...)) from the environment the parent passes (WATCH_UUIDS, COLLECT_EVERY, ...),
// runs runSweep for P6_SWEEP_MS and prints one JSON line of figures.
// On Redis the parent has seeded the store; on memory: the child seeds it from P6_SEEDS_FILE first (seedKeys).
// The log runs at the function's default level (info) into a writer that keeps only the summary line and counts
// warnings, as SCF would take the lines off stdout. The sink keeps each event's type and delivery time only
// (RecordingSink's job without holding every event, which would add to the RSS being measured).
// The file also exports seedKeys, which the parent uses to seed Redis: main runs only when P6_CHILD=1.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildStatusChangedEvent } from '../lib/events';
import { createRuntime } from '../lib/runtime';
import type { SendResult, Sink } from '../lib/sinks/sink';
import type { OutboxPort, ResultsPort, SchedulePort } from '../lib/state/store';
import { runSweep } from '../lib/sweep';
import { liveHeapMbAfterGc } from './heap';
import type { TaskKind } from '../lib/types';
import type { CloudEvent } from '../lib/events/types';

/** One key to seed: COMPLETE since long ago, with its baseline snapshot already stored. */
export interface Seed {
  uuid: string;
  kind: TaskKind;
  /** The baseline SnapshotRecord, encoded as the store keeps it (lib/results/snapshot.ts). */
  encoded: string;
}

/**
 * Puts every key in the state an earlier period's sweeps leave: COMPLETE since `observedAt` (version 1), its
 * collection read (the baseline snapshot stored for version 1, so no read is pending), its status event
 * delivered (removed from the outbox), and due (nextDue = observedAt + the terminal interval, long past).
 */
export async function seedKeys(store: SchedulePort & Pick<OutboxPort, 'removeFromOutbox'> & ResultsPort, seeds: Seed[], observedAt: number, terminalSeconds = 600): Promise<void> {
  await store.syncSchedule(seeds.map(({ uuid, kind }) => ({ uuid, kind })), observedAt);
  const one = async ({ uuid, kind, encoded }: Seed) => {
    const key = { uuid, kind };
    const event = buildStatusChangedEvent({ storeId: 'bench-seed', source: 'p6-seed', uuid, kind, previous: null, state: 'COMPLETE', version: 1, observedAt, requestId: 'seed' });
    if (!(await store.recordChange({ key, expectedVersion: 0, state: 'COMPLETE', requestId: 'seed', observedAt, nextDue: observedAt + terminalSeconds * 1000, event }))) {
      throw new Error(`seeding ${uuid}/${kind}: the key already had a record`);
    }
    await store.removeFromOutbox(event.id);
    if (!(await store.recordSnapshot(key, null, { encoded, takenAt: observedAt + 1_000 }, 1, null))) throw new Error(`seeding ${uuid}/${kind}: a snapshot was already stored`);
  };
  for (let i = 0; i < seeds.length; i += 50) await Promise.all(seeds.slice(i, i + 50).map(one));
}

const STATUS = 'com.tencentcloud.cwp.task.status.changed';

/** Counts events by type and keeps the delivery times of the ports/processes.changed ones. */
class TimingSink implements Sink {
  readonly id = 'p6-recorder';
  readonly concurrency = 64;
  readonly counts: Record<string, number> = {};
  readonly diffTimes: Record<string, number[]> = {};
  /** Status events into COMPLETE: each makes a read pending. */
  completions = 0;
  async send(event: CloudEvent): Promise<SendResult> {
    this.counts[event.type] = (this.counts[event.type] ?? 0) + 1;
    if (event.type === STATUS) {
      if (event.data.state === 'COMPLETE') this.completions++;
    } else (this.diffTimes[event.type] ??= []).push(Date.now());
    return { ok: true };
  }
}

const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

async function main(): Promise<void> {
  const sweepMs = Number(process.env.P6_SWEEP_MS ?? 75_000);
  const sink = new TimingSink();
  let summaryLine: Record<string, unknown> = {};
  const warnings: Record<string, number> = {};
  const warningSamples: Record<string, unknown> = {};
  const write = (line: string) => {
    if (line.includes('"msg":"sweep summary"')) summaryLine = JSON.parse(line) as Record<string, unknown>;
    else if (line.startsWith('{"level":"warn"') || line.startsWith('{"level":"error"')) {
      const { msg, level: _level, time: _time, fn: _fn, requestId: _rid, subject: _subject, ...detail } = JSON.parse(line) as Record<string, unknown> & { msg: string };
      warnings[msg] = (warnings[msg] ?? 0) + 1;
      // One example of each warning's detail, so the figures say what went wrong.
      warningSamples[msg] ??= detail;
    }
  };
  const runtime = await createRuntime('poll', process.env, { write, makeSinks: { kinds: [], create: () => [sink] } });
  const rssAfterRuntimeMb = rssMb();
  if (process.env.P6_SEEDS_FILE) {
    const seeds = readFileSync(process.env.P6_SEEDS_FILE, 'utf8').split('\n').filter((l) => l.length > 0).map((l): Seed => {
      const [uuid, kind, encoded] = l.split('\t') as [string, TaskKind, string];
      return { uuid, kind, encoded };
    });
    await seedKeys(runtime.store, seeds, Number(process.env.P6_SEEDED_AT), runtime.config.sweep.intervals.terminal);
  }
  const rssBeforeSweepMb = rssMb();
  const started = Date.now();
  const summary = await runSweep(
    { config: runtime.config, store: runtime.store, cwp: runtime.cwp, sinks: runtime.sinks, logger: runtime.logger },
    { requestId: randomUUID(), pollUntil: started + sweepMs, publishUntil: started + sweepMs + 3_000, keepPolling: true },
  );
  const usage = process.resourceUsage();
  const mem = process.memoryUsage();
  const heapLiveMb = liveHeapMbAfterGc();
  await runtime.close();
  const diffWindow = (type: string) => {
    const t = sink.diffTimes[type] ?? [];
    return { count: t.length, first: t.length ? Math.min(...t) : null, last: t.length ? Math.max(...t) : null };
  };
  process.stdout.write(JSON.stringify({
    store: runtime.store.description,
    sweepStartedAt: started,
    outcome: summary.outcome,
    error: summary.error,
    checked: summary.checked,
    changed: summary.changed,
    published: summary.published,
    throttled: summary.throttled,
    retried: summary.retried,
    failed: summary.failed,
    dueLeft: summary.dueLeft,
    outboxLeft: summary.outboxLeft,
    sweepMs: summary.tookMs,
    collectionsStarted: summaryLine.collectionsStarted,
    resultsRead: summaryLine.resultsRead,
    resultsChanged: summaryLine.resultsChanged,
    resultReadsFailed: summaryLine.resultReadsFailed,
    conflicts: summaryLine.conflicts,
    warnings,
    warningSamples,
    delivered: sink.counts,
    completionsObserved: sink.completions,
    portsChanged: diffWindow('com.tencentcloud.cwp.ports.changed'),
    processesChanged: diffWindow('com.tencentcloud.cwp.processes.changed'),
    maxRssKb: usage.maxRSS,
    nodeFlags: [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ').trim(),
    rssAfterRuntimeMb,
    rssBeforeSweepMb,
    heapUsedMb: mem.heapUsed / 2 ** 20,
    heapLiveMb,
  }) + '\n');
}

if (process.env.P6_CHILD === '1') {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`p6 child failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
