// npm run build: one CommonJS file per function (dist/poll.js, dist/api.js, minified, source map beside it),
// and dist/scf.zip with both at its root (the maps stay out). Prints each bundle's size, and its size without
// the Redis client, which only a Redis state store loads.
import { build } from 'esbuild';
import { zipSync } from 'fflate';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const FUNCTIONS = ['poll', 'api'];
const outdir = 'dist';
// Files are replaced in place (the zip by a rename), so a reader of dist/ never finds it empty or half written.
mkdirSync(outdir, { recursive: true });

const common = { bundle: true, platform: 'node', target: 'node18', format: 'cjs', minify: true, legalComments: 'none', logLevel: 'warning' };
const sizes = {};
for (const name of FUNCTIONS) {
  const entry = `functions/${name}/index.ts`;
  const result = await build({ ...common, entryPoints: [entry], outfile: path.join(outdir, `${name}.js`), sourcemap: 'external', metafile: true });
  const bytes = result.metafile.outputs[path.join(outdir, `${name}.js`)].bytes;
  // The same bundle with ioredis left out, to show what everything else costs; and without the whole Redis
  // path (ioredis plus our Redis store and limiter), which only a redis:// STATE_STORE loads, lazily.
  const lean = await build({ ...common, entryPoints: [entry], write: false, external: ['ioredis'], metafile: true });
  const leanBytes = lean.outputFiles[0].contents.length;
  const inputs = Object.values(lean.metafile.outputs)[0].inputs;
  const redisModules = ['lib/state/redis.ts', 'lib/ratelimit/redis.ts'].reduce((n, f) => n + (inputs[f]?.bytesInOutput ?? 0), 0);
  sizes[name] = { bytes, withoutRedisClient: leanBytes, withoutRedisPath: leanBytes - redisModules };
}

const files = {};
for (const name of FUNCTIONS) files[`${name}.js`] = [readFileSync(path.join(outdir, `${name}.js`)), { level: 9, mtime: new Date('2026-01-01T00:00:00Z') }];
writeFileSync(path.join(outdir, 'scf.zip.tmp'), zipSync(files));
renameSync(path.join(outdir, 'scf.zip.tmp'), path.join(outdir, 'scf.zip'));
console.log(JSON.stringify({ bundles: sizes, zip: readFileSync(path.join(outdir, 'scf.zip')).length }));
