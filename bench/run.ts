// npm run bench [-- p1 p1q p2 p3 p4 p5 p6 p7 p8 p9 p10 p11 history]: runs the named benchmarks (all by default), each printing one JSON line.
import { p1 } from './p1-sweep-utilisation';
import { THOUSAND_EACH } from './p1-quiet-rules';
import { p2 } from './p2-detection-latency';
import { p3 } from './p3-cold-start';
import { p4 } from './p4-delivery-throughput';
import { p5 } from './p5-sweep-rss';
import { p6 } from './p6-full-loop';
import { p7 } from './p7-outside-collections';
import { p8 } from './p8-fleet-online-state';
import { p9 } from './p9-fleet-scale';
import { p10 } from './p10-alert-day';
import { p11 } from './p11-new-ports';
import { history } from './history-search';
import { stopBenchRedis } from './common';

const all: Record<string, () => Promise<void>> = { p1: () => p1(), p1q: () => p1(2000, { quiet: THOUSAND_EACH }), p2: () => p2(), p3: () => p3(), p4: () => p4(), p5: () => p5(), p6: () => p6(), p7: () => p7(), p8: () => p8(), p9: () => p9(), p10: () => p10(), p11: () => p11(), history: () => history() };

async function main(): Promise<void> {
  const chosen = process.argv.slice(2).map((a) => a.toLowerCase());
  const names = chosen.length ? chosen : Object.keys(all);
  for (const name of names) {
    const run = all[name];
    if (!run) throw new Error(`unknown benchmark "${name}"; choose from ${Object.keys(all).join(', ')}`);
    await run();
  }
  await stopBenchRedis();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
