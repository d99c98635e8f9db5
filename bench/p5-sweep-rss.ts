// P5: peak RSS of a sweep over 10,000 agents (20,000 keys); goal < 128 MB (the SCF memory size).
// The sweep runs in a child process (bench/p5-child.ts, bundled with esbuild as scripts/run-ts.mjs does) and
// the emulator in this one, so only the bridge's memory counts: the child's process.resourceUsage().maxRSS.
// A full pass over 20,000 keys at 40 checks/s takes ~500 s; the sweep is bounded to a budget (20 s), with
// every key watched and scheduled, which is what the memory holds. Run once per store: memory:, and Redis
// (BENCH_REDIS_URL, or db 15 of a throwaway redis-server started for the run; the keys it creates, prefix cwp-bridge, are deleted before and after).
// The child runs with no node flags and no NODE_OPTIONS (nodeFlags in the output says so), as the deployed
// function does: the figures are what SCF's default Node settings give. Phases, RSS in MB: rssAfterRuntimeMb
// (createRuntime done), rssAfterWatchSetupMb (the bench stored 10,000 watches: setup, not the function's work),
// rssAfterScheduleMb (the sweep's syncSchedule of 20,000 keys done), then the peak of the whole child;
// heapUsedAtEndMb includes garbage not yet collected, heapLiveAtEndMb is after a full GC.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { startEmulator } from '../dev/emulator';
import { benchRedisUrl, deleteRedisPrefix, memoryFigures, report, round, runBenchChild } from './common';

const PREFIX = 'cwp-bridge';

export async function p5(agents = 10_000, budgetMs = 20_000): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cwp-p5-'));
  const childFile = path.join(process.cwd(), '.cache', 'p5-child.cjs');
  await build({ entryPoints: [path.join(process.cwd(), 'bench/p5-child.ts')], outfile: childFile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', logLevel: 'warning' });
  const emulator = await startEmulator({ quiet: true });
  try {
    const uuids = emulator.addFleet(agents, { activeFraction: 0.05, offlineFraction: 0.05, collectMs: [30_000, 120_000], seed: 5 });
    const uuidsFile = path.join(dir, 'uuids.txt');
    writeFileSync(uuidsFile, uuids.join('\n') + '\n');
    const redisUrl = await benchRedisUrl();
    for (const stateStore of redisUrl ? ['memory:', redisUrl] : ['memory:']) {
      const redis = stateStore.startsWith('redis://');
      if (redis) await deleteRedisPrefix(stateStore, PREFIX);
      try {
        const r = await runBenchChild('p5', childFile, {
          TENCENTCLOUD_SECRET_ID: emulator.credentials.secretId,
          TENCENTCLOUD_SECRET_KEY: emulator.credentials.secretKey,
          CWP_ENDPOINT: emulator.url,
          STATE_STORE: stateStore,
          LOG_LEVEL: 'error',
          P5_UUIDS_FILE: uuidsFile,
          P5_BUDGET_MS: String(budgetMs),
        });
        report('P5 sweep peak RSS', {
          store: r.store,
          agents,
          keys: r.keys,
          budgetMs,
          checked: r.checked,
          changed: r.changed,
          published: r.published,
          failed: r.failed,
          dueLeft: r.dueLeft,
          sweepMs: r.sweepMs,
          nodeFlags: r.nodeFlags || 'none',
          rssAfterRuntimeMb: round(Number(r.rssAfterRuntimeMb)),
          rssAfterWatchSetupMb: round(Number(r.rssAfterWatchSetupMb)),
          rssBeforeSweepMb: round(Number(r.rssBeforeSweepMb)),
          rssAfterScheduleMb: round(Number(r.rssAfterScheduleMb)),
          ...memoryFigures(r),
        });
      } finally {
        if (redis) await deleteRedisPrefix(stateStore, PREFIX);
      }
    }
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
