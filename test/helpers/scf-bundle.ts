// The shipped bundles as SCF runs them: dist/scf.zip (built by `npm run build` when it is missing or older
// than the sources), unzipped into a temp dir, and each invocation in a fresh child process that requires
// `<dir>/<fn>.js` and awaits `main_handler(event, context)`. The child is asynchronous, so an emulator or a
// webhook receiver in the test process keeps serving while it runs.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';

const execFileAsync = promisify(execFile);

export const ROOT = path.join(__dirname, '../..');
export const ZIP_PATH = path.join(ROOT, 'dist', 'scf.zip');

/** What the bundles are built from: a zip older than any of these is stale. */
const SOURCES = ['functions', 'lib', 'console', 'scripts/build.mjs', 'package.json', 'package-lock.json'];

function newestMtime(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

/** Runs `npm run build` when dist/scf.zip is missing or older than its sources; says whether it built. */
export async function ensureBuilt(): Promise<{ built: boolean; ms: number }> {
  const started = Date.now();
  const sourcesAt = Math.max(...SOURCES.map((s) => path.join(ROOT, s)).filter(existsSync).map(newestMtime));
  if (existsSync(ZIP_PATH) && statSync(ZIP_PATH).mtimeMs >= sourcesAt) return { built: false, ms: 0 };
  await execFileAsync('npm', ['run', 'build'], { cwd: ROOT, env: process.env, timeout: 120_000 });
  return { built: true, ms: Date.now() - started };
}

/** Unzips `zip` into `dir` and returns the entry names, as written in the zip. */
export function unzipInto(zip: Uint8Array, dir: string): string[] {
  const files = unzipSync(zip);
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(files)) {
    if (name.endsWith('/')) continue;
    const target = path.join(dir, name);
    if (!target.startsWith(dir + path.sep)) throw new Error(`zip entry escapes the target dir: ${name}`);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, data);
  }
  return Object.keys(files);
}

export interface ChildInvocation {
  /** The unzipped bundle dir. */
  dir: string;
  /** `api` or `poll`: requires `<dir>/<fn>.js`. */
  fn: 'api' | 'poll';
  event: unknown;
  /** Fields of the SCF context; `remainingMs` becomes getRemainingTimeInMillis counting down in the child. */
  context: { request_id: string; function_name?: string; remainingMs?: number };
  /** The child's whole environment (nothing is inherited but PATH). */
  env: Record<string, string>;
  timeoutMs?: number;
}

export interface ChildResult {
  /** What main_handler resolved to, or null when it threw. */
  result: unknown;
  /** The message when main_handler threw. */
  error: string | null;
  /** The function's stdout, line by line (its logs). */
  lines: string[];
  stderr: string;
  ms: number;
}

// The child: build an SCF-like context, call main_handler, write its result to a file (stdout is the
// function's own), and end the process soon after, as SCF would freeze it.
const CHILD_SCRIPT = `
const fs = require('node:fs');
const [modulePath, eventPath, contextPath, resultPath] = process.argv.slice(1);
const event = JSON.parse(fs.readFileSync(eventPath, 'utf8'));
const c = JSON.parse(fs.readFileSync(contextPath, 'utf8'));
const end = Date.now() + (c.remainingMs ?? 3000);
const context = {
  request_id: c.request_id,
  function_name: c.function_name,
  function_version: '$LATEST',
  namespace: 'default',
  memory_limit_in_mb: 128,
  time_limit_in_ms: c.remainingMs ?? 3000,
  tencentcloud_region: 'ap-guangzhou',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, end - Date.now()),
};
const mod = require(modulePath);
Promise.resolve()
  .then(() => mod.main_handler(event, context))
  .then((result) => ({ result, error: null }), (e) => ({ result: null, error: e instanceof Error ? e.message : String(e) }))
  .then((out) => {
    fs.writeFileSync(resultPath, JSON.stringify(out));
    setTimeout(() => process.exit(0), 1500).unref();
  });
`;

let seq = 0;

export async function invokeInChild(inv: ChildInvocation): Promise<ChildResult> {
  const id = `${process.pid}-${++seq}`;
  const work = path.join(inv.dir, '..', `invocations`);
  mkdirSync(work, { recursive: true });
  const eventPath = path.join(work, `${id}-event.json`);
  const contextPath = path.join(work, `${id}-context.json`);
  const resultPath = path.join(work, `${id}-result.json`);
  writeFileSync(eventPath, JSON.stringify(inv.event));
  writeFileSync(contextPath, JSON.stringify(inv.context));
  const started = Date.now();
  const { stdout, stderr } = await execFileAsync(
    process.execPath,
    ['-e', CHILD_SCRIPT, path.join(inv.dir, `${inv.fn}.js`), eventPath, contextPath, resultPath],
    { cwd: work, env: { PATH: process.env.PATH ?? '', ...inv.env }, timeout: inv.timeoutMs ?? 20_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const out = JSON.parse(readFileSync(resultPath, 'utf8')) as { result: unknown; error: string | null };
  return { ...out, lines: stdout.split('\n').filter((l) => l.length > 0), stderr, ms: Date.now() - started };
}
