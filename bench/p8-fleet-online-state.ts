// P8: status requests spent on offline agents in a 10,000-agent fleet (10% offline, 1% collecting), before and
// after bulk online state; and discovery of the 10,000 machines (requests, seconds).
// Before: the agents are API watches; an AGENT_OFFLINE key is checked every POLL_OFFLINE_SECONDS (60 s).
// After: WATCH_DISCOVER lists the machines (100 a request); a machine listed OFFLINE has its keys parked, so
// only the listing (one request per 100 machines, every DISCOVER_EVERY) looks at it again.
// Each run starts in steady state (every key holds its state, due at a random point of its interval, checked
// once that long ago) and runs repeated 30 s sweeps; request counts per hour are extrapolated from the run.
import { startEmulator } from '../dev/emulator';
import { buildStatusChangedEvent } from '../lib/events';
import { intervalSeconds } from '../lib/sweep/schedule';
import { TASK_KINDS } from '../lib/types';
import { benchRuntime, RecordingSink, report, round, runTicks } from './common';

const TICK_MS = 30_000;
const STATUS_ACTIONS = new Set(['DescribeProcessTaskStatus', 'DescribeOpenPortTaskStatus']);

async function runCase(discover: boolean, agents: number, runMs: number): Promise<Record<string, unknown>> {
  const emulator = await startEmulator({ quiet: true });
  const uuids = emulator.addFleet(agents, { activeFraction: 0.01, offlineFraction: 0.1, collectMs: [60_000, 300_000], seed: 41, machines: { regions: ['ap-guangzhou'] } });
  const offline = new Set(uuids.filter((u) => emulator.state(u, 'process') === 'AGENT_OFFLINE'));
  const runtime = await benchRuntime(emulator, discover ? { WATCH_DISCOVER: 'CVM:ap-guangzhou' } : {});
  const { store, config } = runtime;
  const t0 = Date.now();
  if (!discover) for (const uuid of uuids) await store.putWatch(uuid, ['process', 'port'], t0);
  else {
    // As after an earlier listing: every machine known (listing 1), the next listing due at the first sweep.
    const listed = emulator.machines().filter((m) => m.Uuid !== '');
    await store.putMachines(listed.map((m) => ({
      uuid: m.Uuid, name: String(m.MachineName), ip: String(m.MachineIp), tags: [], type: 'CVM', region: 'ap-guangzhou',
      status: m.MachineStatus === 'ONLINE' ? 'ONLINE' as const : 'OFFLINE' as const, firstSeenAt: t0 - 600_000, lastSeenAt: t0 - 600_000, seenInListing: 1,
    })));
    await store.saveDiscovery({ listing: 2, target: 0, offset: 0, targetsKey: config.watch.discover!.key, startedAt: null, lastCompletedAt: t0 - 600_000, skippedNoUuid: 0, lastSkippedNoUuid: 0 }, null);
  }
  await store.syncSchedule(uuids.flatMap((uuid) => TASK_KINDS.map((kind) => ({ uuid, kind }))), t0);
  for (const uuid of uuids) {
    for (const kind of TASK_KINDS) {
      const state = emulator.state(uuid, kind);
      const interval = intervalSeconds(state, config.sweep.intervals) * 1000;
      const nextDue = t0 + Math.floor(Math.random() * interval);
      const event = buildStatusChangedEvent({ storeId: 'bench-seed', source: config.eventSource, uuid, kind, previous: null, state, version: 1, observedAt: nextDue - interval, requestId: 'seed' });
      await store.recordChange({ key: { uuid, kind }, expectedVersion: 0, state, requestId: 'seed', observedAt: nextDue - interval, nextDue, event });
      await store.removeFromOutbox(event.id);
    }
  }
  const benchStart = await runTicks(runtime, [new RecordingSink()], runMs, TICK_MS);
  const hours = (Date.now() - benchStart) / 3_600_000;
  const log = emulator.requests().filter((r) => r.at >= benchStart && r.outcome === 'accepted');
  const status = log.filter((r) => STATUS_ACTIONS.has(r.action));
  const onOffline = status.filter((r) => offline.has(r.uuid ?? '')).length;
  const listing = log.filter((r) => r.action === 'DescribeMachines');
  // Steady state after the listing: the requests once the first listing is done.
  const listedBy = listing.length > 0 ? listing[listing.length - 1]!.at : benchStart;
  const steadyHours = (Date.now() - listedBy) / 3_600_000;
  const steadyOnOffline = status.filter((r) => r.at > listedBy && offline.has(r.uuid ?? '')).length;
  await runtime.close();
  await emulator.close();
  return {
    discover,
    agents,
    offlineAgents: offline.size,
    runS: round((Date.now() - benchStart) / 1000),
    statusRequestsPerHour: Math.round(status.length / hours),
    onOfflineAgentsPerHour: Math.round(onOffline / hours),
    onOfflineAgentsPerHourAfterListing: Math.round(steadyOnOffline / steadyHours),
    onOtherAgentsPerHour: Math.round((status.length - onOffline) / hours),
    listingRequests: listing.length,
    // DISCOVER_EVERY 10 min: six listings an hour.
    listingRequestsPerHour: discover ? listing.length * 6 : 0,
    listingSeconds: listing.length > 0 ? round((listing[listing.length - 1]!.at - listing[0]!.at) / 1000) : 0,
  };
}

export async function p8(agents = 10_000, runMs = 120_000): Promise<void> {
  const before = await runCase(false, agents, runMs);
  const after = await runCase(true, agents, runMs);
  const saving = 1 - (after.onOfflineAgentsPerHour as number) / Math.max(1, before.onOfflineAgentsPerHour as number);
  report('P8 bulk online state', {
    before,
    after,
    savingOnOfflinePct: round(100 * saving),
    otherAgentsGainPerHour: (after.onOtherAgentsPerHour as number) - (before.onOtherAgentsPerHour as number),
  });
}
