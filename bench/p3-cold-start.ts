// P3: cold start of the shipped bundles: their size (with and without the Redis path, and the size of the
// Redis client they carry compressed) and the time Node takes to load each one, measured as
// `node -e "require('./dist/x.js')"` against `node -e 0` (the median of many alternating runs, so the
// machine's noise hits both alike). Import time alone flatters a bundle that defers its start-up work to the
// first call, so the api function is also timed through its first invocation: require dist/api.js and await
// main_handler on a Function URL `GET /healthz`, with a memory: store and, when Redis answers, a redis:// one
// (which loads ioredis; /healthz only reads, so it writes no key).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { benchRedisUrl, median, report, round } from './common';

interface Built {
  bundles: Record<string, { bytes: number; withoutRedisClient: number; withoutRedisPath: number; deferredRedisClient: { bytes: number; shippedAs: number } }>;
  zip: number;
}

interface Run {
  /** Wall time of the whole `node` process. */
  wallMs: number;
  /** Measured inside it, around the require (and the first call): no process start-up noise. */
  inProcessMs: number;
}

function run(source: string, env: NodeJS.ProcessEnv): Run {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', source], { stdio: ['ignore', 'ignore', 'pipe'], env, encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
  const m = /P3 ([\d.]+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`node -e ${source.slice(0, 60)}… failed (exit ${r.status}): ${r.stderr.slice(0, 300)}`);
  return { wallMs, inProcessMs: Number(m[1]) };
}

const clock = 'const t0 = process.hrtime.bigint(); const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;';
const BARE = `${clock} process.stderr.write('P3 ' + ms());`;
const importOf = (fn: string) => `${clock} require('./dist/${fn}.js'); process.stderr.write('P3 ' + ms());`;

/** Requires the api bundle and awaits one GET /healthz (the Function URL fixture). */
function firstCallOfApi(): string {
  // The repo's copy of the documented Function URL event (test/fixtures/README.md); `npm run bench` runs at the root.
  const fixture = JSON.parse(readFileSync(path.join('test', 'fixtures', 'scf-function-url-event.json'), 'utf8')) as Record<string, unknown>;
  delete fixture._source;
  const headers = { ...(fixture.headers as Record<string, string>) };
  delete headers['content-length'];
  const event = { ...fixture, headers, httpMethod: 'GET', path: '/healthz', queryString: {}, body: '' };
  const context = { request_id: 'p3-cold-start', function_name: 'cwp-task-bridge-api', memory_limit_in_mb: 128 };
  return `${clock} require('./dist/api.js').main_handler(${JSON.stringify(event)}, ${JSON.stringify(context)})
    .then((r) => { process.stderr.write('P3 ' + ms()); process.exit(r.statusCode === 200 ? 0 : 3); }, () => process.exit(4));`;
}

function apiEnv(store: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    STATE_STORE: store,
    API_TOKENS: 'p3-cold-start-token-0123456789abcdef',
    TENCENTCLOUD_SECRET_ID: 'AKIDp3coldstart',
    TENCENTCLOUD_SECRET_KEY: 'p3-cold-start-secret-key',
  };
}

export async function p3(runs = 31): Promise<void> {
  const built = JSON.parse(execFileSync(process.execPath, ['scripts/build.mjs'], { encoding: 'utf8' }).trim().split('\n').pop()!) as Built;
  const first = firstCallOfApi();
  const memoryEnv = apiEnv('memory:');
  const redisUrl = await benchRedisUrl();
  const cases: Record<string, () => Run> = {
    bare: () => run(BARE, memoryEnv),
    poll: () => run(importOf('poll'), memoryEnv),
    api: () => run(importOf('api'), memoryEnv),
    apiFirst: () => run(first, memoryEnv),
  };
  if (redisUrl) {
    const redisEnv = apiEnv(redisUrl);
    cases.apiFirstRedis = () => run(first, redisEnv);
    try {
      cases.apiFirstRedis();
    } catch {
      delete cases.apiFirstRedis; // Redis does not answer: those figures are null
    }
  }

  const samples: Record<string, Run[]> = {};
  for (let i = 0; i < runs; i++) for (const [name, once] of Object.entries(cases)) (samples[name] ??= []).push(once());
  const bare = median(samples.bare!.map((r) => r.wallMs));
  // Over the bare start (wall clock, the P3 goal's measure), and as measured inside the process.
  const over = (name: string): number | null => (samples[name] ? round(median(samples[name]!.map((r) => r.wallMs)) - bare) : null);
  const inside = (name: string): number | null => (samples[name] ? round(median(samples[name]!.map((r) => r.inProcessMs))) : null);
  const figures: Record<string, unknown> = { runs, nodeBareMs: round(bare), zipBytes: built.zip };
  for (const name of ['poll', 'api']) {
    const b = built.bundles[name]!;
    figures[name] = {
      bytes: b.bytes,
      bytesWithoutRedisClient: b.withoutRedisClient,
      bytesWithoutRedisPath: b.withoutRedisPath,
      redisClientBytes: b.deferredRedisClient.bytes,
      redisClientShippedBytes: b.deferredRedisClient.shippedAs,
      importMs: over(name),
      importInProcessMs: inside(name),
      ...(name === 'api'
        ? {
            importAndFirstHealthzMs: over('apiFirst'),
            importAndFirstHealthzInProcessMs: inside('apiFirst'),
            importAndFirstHealthzRedisMs: over('apiFirstRedis'),
            importAndFirstHealthzRedisInProcessMs: inside('apiFirstRedis'),
          }
        : {}),
    };
  }
  report('P3 cold start', figures);
}
