// P7: collections started outside the bridge (the console, a script) on agents in COMPLETE: the task shows
// COLLECTING for D seconds, then COMPLETE again. Which share does the bridge notice at all, and how late?
// Fleets of 100 and 1,000 agents, D = 10 s and 60 s, with spare budget (the default) and without
// (CWP_IDLE_RATE=0: a COMPLETE key is checked every POLL_TERMINAL_SECONDS, 600 s).
// Two checks of one key can be no closer than (2 x agents) / 40 s: the goal is that every collection longer
// than that gap is noticed, with p99 delay within 1.5 x gap + 3 s. All configurations run at once, each with
// its own emulator (its own 20/s per action) and store, over repeated 30 s sweeps as the timer runs them.
import { startEmulator, type Emulator } from '../dev/emulator';
import { buildStatusChangedEvent } from '../lib/events';
import { TASK_KINDS, type TaskKind } from '../lib/types';
import { benchRuntime, percentile, RecordingSink, report, round, runTicks } from './common';

interface Case {
  agents: number;
  collectingS: number;
  idle: boolean;
}

const TICK_MS = 30_000;
const COLLECTIONS = 40;

async function runCase(c: Case, seed: number): Promise<Record<string, unknown>> {
  const emulator: Emulator = await startEmulator({ quiet: true });
  const uuids = Array.from({ length: c.agents }, (_, i) => `0000000${(c.agents * 10 + seed) % 10}-0000-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`);
  for (const uuid of uuids) for (const kind of TASK_KINDS) emulator.startTask(uuid, kind, { collectMs: 1 });
  await new Promise((r) => setTimeout(r, 20));
  const runtime = await benchRuntime(emulator, c.idle ? {} : { CWP_IDLE_RATE: '0' });
  const { store, config } = runtime;
  // Steady state: every key COMPLETE, last checked at a random point of the last 600 s, due 600 s after it.
  const t0 = Date.now();
  let random = seed;
  const rnd = () => ((random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const uuid of uuids) await store.putWatch(uuid, ['process', 'port'], t0);
  await store.syncSchedule(uuids.flatMap((uuid) => TASK_KINDS.map((kind) => ({ uuid, kind }))), t0);
  for (const uuid of uuids) {
    for (const kind of TASK_KINDS) {
      const observedAt = t0 - Math.floor(rnd() * 600_000);
      const event = buildStatusChangedEvent({ storeId: 'bench-seed', source: config.eventSource, uuid, kind, previous: null, state: 'COMPLETE', version: 1, observedAt, requestId: 'seed' });
      await store.recordChange({ key: { uuid, kind }, expectedVersion: 0, state: 'COMPLETE', requestId: 'seed', observedAt, nextDue: observedAt + config.sweep.intervals.terminal * 1000, event });
      await store.removeFromOutbox(event.id);
    }
  }
  const gapS = (2 * c.agents) / 40;
  // Long enough for a collection started last to be seen: its start, plus its length, plus twice the gap.
  const totalMs = Math.max(150_000, Math.ceil((60 + c.collectingS + 2 * gapS) / 30) * 30_000);
  const startWindowMs = totalMs - (c.collectingS + 2 * gapS + 10) * 1000;
  const started: Array<{ uuid: string; kind: TaskKind; at: number }> = [];
  const benchStart = Date.now();
  const timers: NodeJS.Timeout[] = [];
  for (let i = 0; i < COLLECTIONS; i++) {
    const uuid = uuids[Math.floor(rnd() * uuids.length)]!;
    const kind: TaskKind = rnd() < 0.5 ? 'process' : 'port';
    const atMs = 5_000 + Math.floor(rnd() * (startWindowMs - 5_000));
    timers.push(setTimeout(() => {
      if (emulator.state(uuid, kind) === 'COLLECTING') return; // already running: not a new collection
      emulator.startTask(uuid, kind, { collectMs: c.collectingS * 1000 });
      started.push({ uuid, kind, at: Date.now() });
    }, atMs));
  }
  const sink = new RecordingSink();
  await runTicks(runtime, [sink], totalMs, TICK_MS);
  for (const t of timers) clearTimeout(t);

  const delays: number[] = [];
  let missed = 0;
  let endSeen = 0;
  for (const s of started) {
    const seen = sink.events.find((e) => e.type === 'com.tencentcloud.cwp.task.status.changed' && e.subject === `${s.uuid}/${s.kind}` && e.data.state === 'COLLECTING' && Date.parse(e.data.observedAt) >= s.at);
    if (!seen) {
      missed++;
      continue;
    }
    delays.push(Date.parse(seen.time) - s.at);
    if (sink.events.some((e) => e.type === 'com.tencentcloud.cwp.task.status.changed' && e.subject === `${s.uuid}/${s.kind}` && e.data.previous === 'COLLECTING' && Date.parse(e.data.observedAt) >= s.at)) endSeen++;
  }
  delays.sort((a, b) => a - b);
  const accepted = emulator.requests().filter((r) => r.outcome === 'accepted' && r.at >= benchStart && r.action.endsWith('TaskStatus')).length;
  await runtime.close();
  await emulator.close();
  return {
    agents: c.agents,
    collectingS: c.collectingS,
    spareBudget: c.idle,
    gapS: round(gapS),
    goalP99S: round(1.5 * gapS + 3),
    mustNoticeAll: c.collectingS > gapS,
    collections: started.length,
    noticedPct: round((100 * (started.length - missed)) / Math.max(1, started.length)),
    endSeenPct: round((100 * endSeen) / Math.max(1, started.length)),
    p50DelayS: round(percentile(delays, 50) / 1000),
    p99DelayS: round(percentile(delays, 99) / 1000),
    statusChecksPerSecond: round(accepted / ((Date.now() - benchStart) / 1000)),
  };
}

export async function p7(): Promise<void> {
  const cases: Case[] = [
    { agents: 100, collectingS: 10, idle: true },
    { agents: 100, collectingS: 60, idle: true },
    { agents: 1000, collectingS: 10, idle: true },
    { agents: 1000, collectingS: 60, idle: true },
    { agents: 100, collectingS: 10, idle: false },
    { agents: 1000, collectingS: 60, idle: false },
  ];
  const results = await Promise.all(cases.map((c, i) => runCase(c, 7 + i)));
  report('P7 outside collections noticed', { tickMs: TICK_MS, cases: results });
}
