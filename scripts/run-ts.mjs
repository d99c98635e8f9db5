// Runs a TypeScript entry point (dev/start.ts, bench/run.ts) on plain Node 20: esbuild bundles it
// to .cache/ with node_modules left external, then Node runs the result. Arguments pass through.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <entry.ts> [args...]');
  process.exit(2);
}
const outfile = path.join('.cache', path.basename(entry).replace(/\.ts$/, '') + '.cjs');
await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', sourcemap: 'inline', logLevel: 'warning' });
const run = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...args], { stdio: 'inherit' });
process.exit(run.status ?? 1);
