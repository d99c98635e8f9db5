// npm run build: one CommonJS file per function (dist/poll.js, dist/api.js, minified, source map beside it),
// and dist/scf.zip with both at its root (the maps stay out). Prints each bundle's size, its size without
// the Redis client, which only a Redis state store loads, and the size of that deferred client.
import { build } from 'esbuild';
import { zipSync } from 'fflate';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const FUNCTIONS = ['poll', 'api'];
const outdir = 'dist';
// Files are replaced in place (the zip by a rename), so a reader of dist/ never finds it empty or half written.
mkdirSync(outdir, { recursive: true });

// Deferred modules. ioredis alone was ~60% of each bundle, and only a redis:// STATE_STORE uses it; of the three
// state stores a function runs one; the chat robots' code runs only when a robot is configured. esbuild already
// defers *running* a dynamically imported module, but V8 still has to *parse* all of its code whenever the
// bundle is required: several ms of every cold start. So each of these modules is built on its own (bundling
// what it imports, ioredis included for the Redis store) and shipped inside the bundle as data: brotli-
// compressed, base64 in a plain string literal (V8 only scans a string: tens of KB cost well under a ms at
// import, where the same code costs several). The first time the module is imported (lib/state/index.ts opens
// that store, lib/sinks/chat/index.ts sends its first message) it is decompressed (~1-3 ms) and compiled with
// vm.compileFunction as a CommonJS module, named as below in stack traces. Still one self-contained file per
// function. A deferred module has its own copy of what it imports (lib/state/rules.ts, errors.ts; the memory and
// file stores each their lib/state/local/store.ts): nothing relies on class identity across that line
// (isStoreError checks a registered symbol).
const DEFERRED = [
  { file: 'lib/state/redis/store.ts', name: 'redis-store.js', what: 'the Redis state store with ioredis' },
  { file: 'lib/state/local/file.ts', name: 'file-store.js', what: 'the file state store' },
  { file: 'lib/state/local/memory.ts', name: 'memory-store.js', what: 'the memory state store' },
  { file: 'lib/sinks/chat/build.ts', name: 'chat-sinks.js', what: 'the chat robots' },
  { file: 'lib/http/openapi.ts', name: 'openapi.js', what: 'the OpenAPI document (GET /openapi.json)' },
  { file: 'lib/metrics/index.ts', name: 'metrics.js', what: 'GET /metrics and GET /v1/overview' },
];
const packedModules = new Map(); // file -> { packed, bytes, shippedAs }: the same for both functions, built once

async function packModule(file) {
  let p = packedModules.get(file);
  if (p === undefined) {
    const r = await build({ ...common, entryPoints: [file], write: false });
    const code = r.outputFiles[0].contents;
    const packed = brotliCompressSync(code, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: code.length } }).toString('base64');
    p = { packed, bytes: code.length, shippedAs: packed.length };
    packedModules.set(file, p);
  }
  return p;
}

const deferModules = {
  name: 'deferred-modules',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = path.relative(process.cwd(), path.resolve(args.resolveDir, args.path)).replace(/\\/g, '/');
      const d = DEFERRED.find((m) => m.file === `${target}.ts` || m.file === target);
      return d ? { path: d.file, namespace: 'deferred-modules' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'deferred-modules' }, async (args) => {
      const d = DEFERRED.find((m) => m.file === args.path);
      const p = await packModule(d.file);
      return {
        loader: 'js',
        resolveDir: process.cwd(),
        contents: `// ${d.what} (${d.file}), built by scripts/build.mjs and stored compressed: see the comment there.
const { brotliDecompressSync } = require('node:zlib');
const { compileFunction } = require('node:vm');
const code = brotliDecompressSync(Buffer.from(${JSON.stringify(p.packed)}, 'base64')).toString('utf8');
compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: ${JSON.stringify(d.name)} })
  .call(module.exports, module.exports, require, module, ${JSON.stringify(d.name)}, __dirname);`,
      };
    });
  },
};

// The web console (console/, served by the api function under /ui/): built here by console/build.ts (itself
// bundled first, as it is TypeScript) and shipped like a deferred module, in place of lib/console/assets.ts: its
// files as JSON, brotli-compressed, base64 in one string, unpacked the first time /ui/ is asked for. So the api
// function's cold start for an API route parses only a string literal for it, and the bundle needs no esbuild.
const CONSOLE_ASSETS = 'lib/console/assets.ts';
let consolePacked = null; // { packed, bytes, shippedAs, files }

async function packConsole() {
  if (consolePacked) return consolePacked;
  const builder = path.join('.cache', 'console-build.cjs');
  await build({ entryPoints: ['console/build.ts'], outfile: builder, bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', logLevel: 'warning' });
  const { buildConsole } = createRequire(import.meta.url)(path.resolve(builder));
  const files = await buildConsole(process.cwd());
  const json = Buffer.from(JSON.stringify(files), 'utf8');
  const packed = brotliCompressSync(json, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: json.length } }).toString('base64');
  consolePacked = { packed, bytes: json.length, shippedAs: packed.length, files: files.map((f) => f.name) };
  return consolePacked;
}

const consoleAssets = {
  name: 'console-assets',
  setup(b) {
    b.onResolve({ filter: /^\.\/assets$/ }, (args) => {
      const target = path.relative(process.cwd(), path.resolve(args.resolveDir, args.path)).replace(/\\/g, '/');
      return `${target}.ts` === CONSOLE_ASSETS ? { path: CONSOLE_ASSETS, namespace: 'console-assets' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'console-assets' }, async () => {
      const p = await packConsole();
      return {
        loader: 'js',
        resolveDir: process.cwd(),
        contents: `// The web console's files (console/), built by scripts/build.mjs and stored compressed: see the comment there.
const { brotliDecompressSync } = require('node:zlib');
let files = null;
exports.loadConsoleAssets = async () => (files ??= JSON.parse(brotliDecompressSync(Buffer.from(${JSON.stringify(p.packed)}, 'base64')).toString('utf8')));`,
      };
    });
  },
};

const common = { bundle: true, platform: 'node', target: 'node18', format: 'cjs', minify: true, legalComments: 'none', logLevel: 'warning' };
const sizes = {};
for (const name of FUNCTIONS) {
  const entry = `functions/${name}/index.ts`;
  const result = await build({ ...common, entryPoints: [entry], outfile: path.join(outdir, `${name}.js`), sourcemap: 'external', metafile: true, plugins: [deferModules, consoleAssets] });
  const bytes = result.metafile.outputs[path.join(outdir, `${name}.js`)].bytes;
  const redis = packedModules.get('lib/state/redis/store.ts') ?? { bytes: 0, shippedAs: 0 };
  const deferred = Object.fromEntries(DEFERRED.map((d) => [d.name, { bytes: packedModules.get(d.file)?.bytes ?? 0, shippedAs: packedModules.get(d.file)?.shippedAs ?? 0 }]));
  // Without the Redis path: what a function on a file or memory store carries besides the compressed Redis store
  // (ioredis and our Redis code, shipped as one string).
  if (name === 'api') deferred.console = { bytes: consolePacked?.bytes ?? 0, shippedAs: consolePacked?.shippedAs ?? 0 };
  sizes[name] = { bytes, withoutRedisClient: bytes - redis.shippedAs, withoutRedisPath: bytes - redis.shippedAs, deferredRedisClient: { bytes: redis.bytes, shippedAs: redis.shippedAs }, deferred };
}

const files = {};
for (const name of FUNCTIONS) files[`${name}.js`] = [readFileSync(path.join(outdir, `${name}.js`)), { level: 9, mtime: new Date('2026-01-01T00:00:00Z') }];
writeFileSync(path.join(outdir, 'scf.zip.tmp'), zipSync(files));
renameSync(path.join(outdir, 'scf.zip.tmp'), path.join(outdir, 'scf.zip'));
console.log(JSON.stringify({ bundles: sizes, zip: readFileSync(path.join(outdir, 'scf.zip')).length }));
