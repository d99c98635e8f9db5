// P11: new ports across a fleet, yunjing against cwp, in one run. 10,000 hosts with 40 open ports each, found by
// discovery and seeded as after earlier sweeps (every port key COMPLETE for 11 minutes with its baseline snapshot,
// so COLLECT_EVERY=10m has this period's collection due for every host); then 15 new ports appear on 15 hosts. How
// many requests and how many seconds until all 15 are published as ports.changed:
// - yunjing: one collection per host (CreateOpenPortTask as each key is checked, its status until COMPLETE, then
//   DescribeOpenPorts), within the 20/s budget of each action;
// - cwp: one ScanAsset for the period's hosts, SyncAssetScan until FINISHED, then the account's inventory newest
//   first (DescribeAssetPortInfoList by FirstTime, desc: the 15 new ports lead it) and a full read of those 15 hosts.
// Both on the emulator (one per case, in this process), a memory store, the poll runtime as the function builds it,
// sweeps every minute as the timer fires them. The emulator collects a host in 3 s and scans the fleet in 3 s.
import { startEmulator, type Emulator } from '../dev/emulator';
import { buildStatusChangedEvent } from '../lib/events';
import type { BridgeEvent } from '../lib/events/types';
import { sortItems } from '../lib/results/items';
import { encodeSnapshotRecord } from '../lib/results/snapshot';
import type { SendResult, Sink } from '../lib/sinks/sink';
import { runSweep } from '../lib/sweep';
import { benchRuntime, report, requestId, round } from './common';

const TICK_MS = 60_000;
const NEW_PORTS = 15;
const COLLECT_MS = 3_000;
/** A case that has not published every change by then is reported as such. */
const CEILING_MS = 45 * 60_000;

/** A sink that notes when each ports.changed arrives. */
class ArrivalSink implements Sink {
  readonly id = 'bench-arrivals';
  readonly concurrency = 64;
  readonly changed = new Map<string, number>();
  events = 0;
  async send(event: BridgeEvent): Promise<SendResult> {
    this.events++;
    if (event.type === 'com.tencentcloud.cwp.ports.changed' && !this.changed.has(event.data.uuid)) this.changed.set(event.data.uuid, Date.now());
    return { ok: true };
  }
}

/** Every host listed and scheduled, every port key COMPLETE since 11 minutes ago with its ports as the baseline. */
async function seed(emulator: Emulator, runtime: Awaited<ReturnType<typeof benchRuntime>>, uuids: string[]): Promise<void> {
  const { store, config } = runtime;
  const t0 = Date.now();
  const since = t0 - 11 * 60_000;
  const machines = emulator.machines();
  await store.putMachines(machines.map((m) => ({
    uuid: String(m.Uuid), quuid: String(m.Quuid), name: String(m.MachineName), ip: String(m.MachineIp), tags: [], type: 'CVM', region: 'ap-guangzhou',
    status: 'ONLINE' as const, firstSeenAt: since, lastSeenAt: since, seenInListing: 1,
  })));
  // The listing was done a moment ago: not due in the bench's window.
  await store.saveDiscovery({ listing: 2, target: 0, offset: 0, targetsKey: config.watch.discover!.key, startedAt: null, lastCompletedAt: t0, skippedNoUuid: 0, lastSkippedNoUuid: 0 }, null);
  const keys = uuids.map((uuid) => ({ uuid, kind: 'port' as const }));
  await store.syncSchedule(keys, t0);
  for (const key of keys) {
    const event = buildStatusChangedEvent({ storeId: 'bench-seed', source: config.eventSource, ...key, previous: null, state: 'COMPLETE', version: 1, observedAt: since, requestId: 'seed' });
    await store.recordChange({ key, expectedVersion: 0, state: 'COMPLETE', requestId: 'seed', observedAt: since, nextDue: t0, event });
    await store.removeFromOutbox(event.id);
    const items = sortItems('port', emulator.hostOf(key.uuid).ports.map((p) => ({ port: p.port, pid: p.pid, processName: p.processName })));
    // Taken after the fleet's first collection, as a read of it would have been.
    const takenAt = t0;
    const encoded = encodeSnapshotRecord({ latest: { uuid: key.uuid, kind: 'port', takenAt, forVersion: 1, requestId: 'seed', items }, previousTakenAt: null, lastDiff: null });
    await store.recordSnapshot(key, null, { encoded, takenAt }, 1, null);
  }
}

export async function runCase(api: 'yunjing' | 'cwp', hosts: number, ports: number): Promise<Record<string, unknown>> {
  const emulator = await startEmulator({ quiet: true, defaultCollectMs: COLLECT_MS, scanMs: COLLECT_MS });
  const uuids = emulator.addFleet(hosts, { kinds: ['port'], activeFraction: 0, offlineFraction: 0, processes: 16, ports, seed: 11, machines: { regions: ['ap-guangzhou'] } });
  // The fleet's first collection is a few seconds old when the baselines are taken (CWP's times have whole seconds).
  await new Promise((r) => setTimeout(r, 3_000));
  const runtime = await benchRuntime(emulator, { CWP_API: api, WATCH_DISCOVER: 'CVM:ap-guangzhou', WATCH_KINDS: 'port', COLLECT_EVERY: '10m' });
  await seed(emulator, runtime, uuids);

  // 15 hosts, spread over the fleet, each opens one new port.
  const changed = Array.from({ length: NEW_PORTS }, (_, i) => uuids[Math.floor(((i + 0.5) * hosts) / NEW_PORTS)]!);
  changed.forEach((uuid, i) => emulator.openPort(uuid, { port: 50_000 + i, pid: emulator.hostOf(uuid).processes[1]!.pid, processName: 'backdoor' }));
  emulator.resetStats();
  const sink = new ArrivalSink();
  const start = Date.now();
  const runs: Promise<unknown>[] = [];
  for (let tick = 0; sink.changed.size < NEW_PORTS && Date.now() - start < CEILING_MS; tick++) {
    const tickStart = start + tick * TICK_MS;
    runs.push(runSweep({ ...runtime, sinks: [sink] }, { requestId: requestId(), pollUntil: tickStart + TICK_MS, publishUntil: tickStart + TICK_MS + 1_000, keepPolling: true }));
    while (sink.changed.size < NEW_PORTS && Date.now() < tickStart + TICK_MS) await new Promise((r) => setTimeout(r, 200));
  }
  const last = Math.max(...sink.changed.values());
  const found = changed.filter((u) => sink.changed.has(u)).length;
  const until = emulator.requests().filter((r) => r.at <= last && r.outcome === 'accepted');
  const byAction: Record<string, number> = {};
  for (const r of until) byAction[r.action] = (byAction[r.action] ?? 0) + 1;
  const stats = emulator.stats();
  const maxPerSecond = Math.max(...Object.values(stats).map((s) => s.maxInAnyWindow));
  // Let the sweeps still running end at their deadlines (the rest of the fleet), then close.
  await Promise.allSettled(runs);
  await runtime.close();
  await emulator.close();
  return {
    api,
    hosts,
    portsPerHost: ports,
    newPortsPublished: `${found}/${NEW_PORTS}`,
    secondsUntilAllPublished: found === NEW_PORTS ? round((last - start) / 1000) : null,
    secondsUntilFirst: round((Math.min(...sink.changed.values()) - start) / 1000),
    requestsUntilAllPublished: until.length,
    requestsByAction: byAction,
    maxAcceptedPerActionPerSecond: maxPerSecond,
    throttled: Object.values(stats).reduce((n, s) => n + s.throttled, 0),
  };
}

export async function p11(hosts = 10_000, ports = 40): Promise<void> {
  const cwp = await runCase('cwp', hosts, ports);
  const yunjing = await runCase('yunjing', hosts, ports);
  report('P11 new ports across the fleet', {
    cwp,
    yunjing,
    requestsRatio: round((yunjing.requestsUntilAllPublished as number) / Math.max(1, cwp.requestsUntilAllPublished as number)),
    secondsRatio: yunjing.secondsUntilAllPublished && cwp.secondsUntilAllPublished ? round((yunjing.secondsUntilAllPublished as number) / (cwp.secondsUntilAllPublished as number)) : null,
  });
}
