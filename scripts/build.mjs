// npm run build: one CommonJS file per function (dist/poll.js, dist/api.js, minified, source map beside it),
// and dist/scf.zip with both at its root (the maps stay out). Prints each bundle's size, its size without
// the Redis client, which only a Redis state store loads, and the size of that deferred client.
import { build } from 'esbuild';
import { zipSync } from 'fflate';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const FUNCTIONS = ['poll', 'api'];
const outdir = 'dist';
// Files are replaced in place (the zip by a rename), so a reader of dist/ never finds it empty or half written.
mkdirSync(outdir, { recursive: true });

// ioredis is ~60% of each bundle, and only a redis:// STATE_STORE uses it. esbuild already defers *running*
// it (lib/state/index.ts imports ./redis lazily), but V8 still has to *parse* all of it whenever the bundle is
// required: several ms of every cold start, whatever the store. So ioredis is built on its own and shipped
// inside the bundle as data: brotli-compressed, base64 in a plain string literal (V8 only scans it: ~52 KB
// costs well under a ms at import, where 144 KB of code, or even of string, costs several). The first time
// lib/state/redis.ts is evaluated, i.e. when a Redis store is opened, it is decompressed (~3 ms) and compiled
// with vm.compileFunction as a CommonJS module (named `ioredis.js` in stack traces). Still one self-contained
// file per function, and the same ioredis code esbuild would have bundled.
let deferred; // { packed, bytes, stringBytes }: the same for both functions, built once
const deferredIoredis = {
  name: 'deferred-ioredis',
  setup(b) {
    b.onResolve({ filter: /^ioredis$/ }, () => ({ path: 'ioredis', namespace: 'deferred-ioredis' }));
    b.onLoad({ filter: /.*/, namespace: 'deferred-ioredis' }, async () => {
      if (deferred === undefined) {
        const r = await build({
          ...common,
          stdin: { contents: "module.exports = require('ioredis');", resolveDir: process.cwd(), sourcefile: 'ioredis-entry.js' },
          write: false,
        });
        const code = r.outputFiles[0].contents;
        const packed = brotliCompressSync(code, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: code.length } }).toString('base64');
        deferred = { packed, bytes: code.length, stringBytes: packed.length };
      }
      return {
        loader: 'js',
        resolveDir: process.cwd(),
        contents: `// ioredis, built by scripts/build.mjs and stored compressed: see the comment there.
const { brotliDecompressSync } = require('node:zlib');
const { compileFunction } = require('node:vm');
const code = brotliDecompressSync(Buffer.from(${JSON.stringify(deferred.packed)}, 'base64')).toString('utf8');
compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: 'ioredis.js' })
  .call(module.exports, module.exports, require, module, 'ioredis.js', __dirname);`,
      };
    });
  },
};

// The chat robots' code (lib/sinks/chat/build.ts: the four vendors, the wording, the templates) is deferred the
// same way: lib/sinks/chat/index.ts imports it only on a configured robot's first send, so a poll function
// without robots never decompresses, parses or runs it; one with robots pays ~1 ms once, at that first send.
let deferredChat;
const deferChat = {
  name: 'deferred-chat',
  setup(b) {
    b.onResolve({ filter: /^\.\/build$/ }, (args) =>
      args.importer.replace(/\\/g, '/').endsWith('lib/sinks/chat/index.ts') ? { path: 'chat-build', namespace: 'deferred-chat' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'deferred-chat' }, async () => {
      if (deferredChat === undefined) {
        const r = await build({ ...common, entryPoints: ['lib/sinks/chat/build.ts'], write: false });
        const code = r.outputFiles[0].contents;
        const packed = brotliCompressSync(code, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: code.length } }).toString('base64');
        deferredChat = { packed, bytes: code.length, stringBytes: packed.length };
      }
      return {
        loader: 'js',
        resolveDir: process.cwd(),
        contents: `// lib/sinks/chat/build.ts, built by scripts/build.mjs and stored compressed: see the comment there.
const { brotliDecompressSync } = require('node:zlib');
const { compileFunction } = require('node:vm');
const code = brotliDecompressSync(Buffer.from(${JSON.stringify(deferredChat.packed)}, 'base64')).toString('utf8');
compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: 'chat-sinks.js' })
  .call(module.exports, module.exports, require, module, 'chat-sinks.js', __dirname);`,
      };
    });
  },
};

const common = { bundle: true, platform: 'node', target: 'node18', format: 'cjs', minify: true, legalComments: 'none', logLevel: 'warning' };
const sizes = {};
for (const name of FUNCTIONS) {
  const entry = `functions/${name}/index.ts`;
  const result = await build({ ...common, entryPoints: [entry], outfile: path.join(outdir, `${name}.js`), sourcemap: 'external', metafile: true, plugins: [deferredIoredis, deferChat] });
  const bytes = result.metafile.outputs[path.join(outdir, `${name}.js`)].bytes;
  // The same bundle with ioredis left out, to show what everything else costs; and without the whole Redis
  // path (ioredis plus our Redis store and limiter), which only a redis:// STATE_STORE loads, lazily.
  const lean = await build({ ...common, entryPoints: [entry], write: false, external: ['ioredis'], metafile: true, plugins: [deferChat] });
  const leanBytes = lean.outputFiles[0].contents.length;
  const inputs = Object.values(lean.metafile.outputs)[0].inputs;
  const redisModules = ['lib/state/redis.ts', 'lib/ratelimit/redis.ts'].reduce((n, f) => n + (inputs[f]?.bytesInOutput ?? 0), 0);
  sizes[name] = { bytes, withoutRedisClient: leanBytes, withoutRedisPath: leanBytes - redisModules, deferredRedisClient: { bytes: deferred?.bytes ?? 0, shippedAs: deferred?.stringBytes ?? 0 }, deferredChatSinks: { bytes: deferredChat?.bytes ?? 0, shippedAs: deferredChat?.stringBytes ?? 0 } };
}

const files = {};
for (const name of FUNCTIONS) files[`${name}.js`] = [readFileSync(path.join(outdir, `${name}.js`)), { level: 9, mtime: new Date('2026-01-01T00:00:00Z') }];
writeFileSync(path.join(outdir, 'scf.zip.tmp'), zipSync(files));
renameSync(path.join(outdir, 'scf.zip.tmp'), path.join(outdir, 'scf.zip'));
console.log(JSON.stringify({ bundles: sizes, zip: readFileSync(path.join(outdir, 'scf.zip')).length }));
