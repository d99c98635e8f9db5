// P1: one sweep of 2,000 agents x 2 kinds against the emulator with its 20 requests/s per action enforced.
// Figures: checks per second, utilisation of the 40 checks/s budget (accepted API requests over the
// sweep's polling time), and whether every key was checked (no check lost).
// P1q (`npm run bench -- p1q`): the same with 1,000 silences, 1,000 maintenance windows and 1,000 expectations in
// the store, read once by the sweep and matched in memory against every incident write (the fleet's offline agents
// open agent.offline incidents); a tenth of the silences and windows take one of the fleet's agents.
import { startEmulator } from '../dev/emulator';
import type { QuietStoreRules } from './p1-quiet-rules';
import { putQuietRules } from './p1-quiet-rules';
import { runSweep } from '../lib/sweep';
import { benchRuntime, RecordingSink, report, requestId, round } from './common';

export async function p1(agents = 2000, options: { quiet?: QuietStoreRules } = {}): Promise<void> {
  const emulator = await startEmulator({ quiet: true });
  const uuids = emulator.addFleet(agents, { activeFraction: 0.05, offlineFraction: 0.05, collectMs: [60_000, 180_000], seed: 11 });
  const runtime = await benchRuntime(emulator, options.quiet ? { ALERT_OFFLINE_FOR: '0' } : {});
  for (const uuid of uuids) await runtime.store.putWatch(uuid, ['process', 'port'], Date.now());
  if (options.quiet) await putQuietRules(runtime.store, uuids, options.quiet);
  const sink = new RecordingSink();
  const started = Date.now();
  // keepPolling false: the sweep ends when every key has been checked once and nothing else is due.
  const summary = await runSweep({ ...runtime, sinks: [sink] }, { requestId: requestId(), pollUntil: started + 600_000, publishUntil: started + 610_000, keepPolling: false });
  const accepted = emulator.requests().filter((r) => r.outcome === 'accepted').map((r) => r.at);
  const pollSeconds = (Math.max(...accepted) - Math.min(...accepted)) / 1000;
  const checkedKeys = (await Promise.all(uuids.flatMap((u) => [runtime.store.getRecord({ uuid: u, kind: 'process' }), runtime.store.getRecord({ uuid: u, kind: 'port' })]))).filter((r) => r && r.lastChecked !== null).length;
  const stats = emulator.stats();
  report(options.quiet ? 'P1q sweep utilisation with quiet rules' : 'P1 sweep utilisation', {
    agents,
    ...(options.quiet ? { quietRules: options.quiet, ...(await quietFigures(runtime.store)) } : {}),
    keys: agents * 2,
    keysChecked: checkedKeys,
    checksLost: agents * 2 - checkedKeys,
    checks: summary.checked,
    failed: summary.failed,
    throttledByApi: summary.throttled,
    pollSeconds: round(pollSeconds),
    checksPerSecond: round(accepted.length / pollSeconds),
    budgetPerSecond: 40,
    utilisationPct: round((100 * accepted.length) / (pollSeconds * 40)),
    maxAcceptedInAnyWindow: Object.fromEntries(Object.entries(stats).map(([a, s]) => [a, s.maxInAnyWindow])),
    sweepTookMs: summary.tookMs,
  });
  await runtime.close();
  await emulator.close();
}

/** What the quiet rules did in the sweep: incidents open, and how many the silences and windows held back. */
async function quietFigures(store: Awaited<ReturnType<typeof benchRuntime>>['store']): Promise<Record<string, number>> {
  const rules = await store.listQuietRules();
  const open = (await store.listIncidents({ limit: 500, state: 'firing' })).incidents.length;
  return {
    incidentsFiring: open,
    incidentsHeldBack: [...rules.silences, ...rules.windows].reduce((n, r) => n + r.hits, 0),
  };
}
