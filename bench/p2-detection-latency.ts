// P2: detection latency, from a task's transition in the emulator to its outbox entry, for ~100 active tasks
// in a 10,000-agent fleet (20,000 keys), with the poller running repeated timer ticks.
// The store starts in steady state, as after earlier ticks: every key holds its current state and is due at
// a random point of its interval, so the cold keys compete for the budget as they would in production.
import { startEmulator } from '../dev/emulator';
import { buildStatusChangedEvent } from '../lib/events';
import { intervalSeconds } from '../lib/sweep/schedule';
import { TASK_KINDS } from '../lib/types';
import { benchRuntime, percentile, RecordingSink, report, round, runTicks } from './common';

export async function p2(agents = 10_000, ticks = 6, tickMs = 15_000): Promise<void> {
  const emulator = await startEmulator({ quiet: true });
  // 0.5% of 20,000 keys = ~100 collections, finishing 5 to 60 s from now.
  const uuids = emulator.addFleet(agents, { activeFraction: 0.005, offlineFraction: 0.02, collectMs: [5_000, 60_000], failFraction: 0.1, seed: 23 });
  const runtime = await benchRuntime(emulator);
  const { store, config } = runtime;
  const t0 = Date.now();
  for (const uuid of uuids) await store.putWatch(uuid, ['process', 'port'], t0);
  await store.syncSchedule(uuids.flatMap((uuid) => TASK_KINDS.map((kind) => ({ uuid, kind }))), t0);
  let active = 0;
  for (const uuid of uuids) {
    for (const kind of TASK_KINDS) {
      const state = emulator.state(uuid, kind);
      if (state === 'COLLECTING') active++;
      const interval = intervalSeconds(state, config.sweep.intervals) * 1000;
      const event = buildStatusChangedEvent({ storeId: 'bench-seed', source: config.eventSource, uuid, kind, previous: null, state, version: 1, observedAt: t0, requestId: 'seed' });
      const nextDue = t0 + Math.floor(Math.random() * interval);
      await store.recordChange({ key: { uuid, kind }, expectedVersion: 0, state, requestId: 'seed', observedAt: t0, nextDue, event });
      await store.removeFromOutbox(event.id);
    }
  }

  const sink = new RecordingSink();
  // As the SCF timer does: a tick fires on schedule whether or not the previous run has finished, and each
  // run polls for its whole tick (serverless.yml: 62 s budget, polling until 60 s, for a 60 s timer).
  const benchStart = await runTicks(runtime, [sink], ticks * tickMs, tickMs);
  const benchEnd = Date.now();

  const observed = new Map<string, number>();
  for (const e of sink.events) {
    if (e.type === 'com.tencentcloud.cwp.task.status.changed' && e.data.previous === 'COLLECTING') observed.set(`${e.subject}|${e.data.state}`, Date.parse(e.data.observedAt));
  }
  const latencies: number[] = [];
  let missed = 0;
  for (const t of emulator.transitions()) {
    if (t.at < benchStart || t.at > benchEnd - 5_000) continue; // leave the last 5 s: a check may still be due
    if (t.state !== 'COMPLETE' && t.state !== 'FAILED') continue;
    const at = observed.get(`${t.uuid}/${t.kind}|${t.state}`);
    if (at === undefined) missed++;
    else latencies.push(at - t.at);
  }
  latencies.sort((a, b) => a - b);
  const accepted = emulator.requests().filter((r) => r.outcome === 'accepted' && r.at >= benchStart).length;
  report('P2 detection latency', {
    agents,
    keys: agents * 2,
    activeTasksAtStart: active,
    transitionsMeasured: latencies.length,
    missed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1],
    collectingIntervalS: config.sweep.intervals.collecting,
    ticks,
    tickMs,
    checksPerSecond: round(accepted / ((benchEnd - benchStart) / 1000)),
  });
  await runtime.close();
  await emulator.close();
}
