// P3: cold start of the shipped bundles: their size (with and without the Redis path) and the time Node
// takes to load each one, measured as `node -e "require('./dist/x.js')"` against `node -e 0` (the median of
// many alternating runs, so the machine's noise hits both alike).
import { execFileSync, spawnSync } from 'node:child_process';
import { median, report, round } from './common';

function timeMs(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export async function p3(runs = 31): Promise<void> {
  const built = JSON.parse(execFileSync(process.execPath, ['scripts/build.mjs'], { encoding: 'utf8' }).trim().split('\n').pop()!) as {
    bundles: Record<string, { bytes: number; withoutRedisClient: number; withoutRedisPath: number }>;
    zip: number;
  };
  const samples: Record<string, number[]> = { bare: [], poll: [], api: [] };
  for (let i = 0; i < runs; i++) {
    samples.bare!.push(timeMs(['-e', '0']));
    samples.poll!.push(timeMs(['-e', "require('./dist/poll.js')"]));
    samples.api!.push(timeMs(['-e', "require('./dist/api.js')"]));
  }
  const bare = median(samples.bare!);
  const figures: Record<string, unknown> = { runs, nodeBareMs: round(bare), zipBytes: built.zip };
  for (const name of ['poll', 'api']) {
    const b = built.bundles[name]!;
    figures[name] = {
      bytes: b.bytes,
      bytesWithoutRedisClient: b.withoutRedisClient,
      bytesWithoutRedisPath: b.withoutRedisPath,
      importMs: round(median(samples[name]!) - bare),
    };
  }
  report('P3 cold start', figures);
}
