// The poll function as a killable child process: functions/poll/index.ts bundled once with esbuild (cjs, node,
// everything bundled, ioredis included), then each run is `node -e` requiring the bundle and awaiting
// main_handler(timerEvent, context). The child is asynchronous, so the emulator and the webhook receiver in
// the test process keep serving while it runs, and the test can SIGKILL it at any moment.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { buildSync } from 'esbuild';
import type { SweepSummary } from '../../lib/types';

const ROOT = path.join(__dirname, '../..');

/** Bundles the poll function into `dir`/poll.js and returns its path. */
export function buildPollBundle(dir: string): string {
  const outfile = path.join(dir, 'poll.js');
  buildSync({
    entryPoints: [path.join(ROOT, 'functions/poll/index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'silent',
  });
  return outfile;
}

// argv: [node, bundle, remainingMs, requestId]. The summary goes out on one marked line, then the child exits
// (the runtime's Redis connection and keep-alive sockets would keep it alive, as they do in a warm SCF instance).
const CHILD = `
const [bundle, remainingMs, requestId] = process.argv.slice(1);
const { main_handler } = require(bundle);
const end = Date.now() + Number(remainingMs);
main_handler({ Type: 'Timer', TriggerName: 'crash-test', Time: new Date().toISOString() }, { request_id: requestId, getRemainingTimeInMillis: () => end - Date.now() })
  .then((s) => { process.stdout.write('CRASH_SUMMARY ' + JSON.stringify(s) + '\\n', () => process.exit(0)); },
        (e) => { process.stderr.write(String(e && e.stack || e) + '\\n', () => process.exit(1)); });
`;

export interface PollChild {
  child: ChildProcess;
  /** Everything the child wrote so far (log lines, the summary line). */
  output(): string;
  /** Resolves when the child exits: its exit code (null when killed) and signal, and the summary if it printed one. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; summary: SweepSummary | null }>;
}

/**
 * Starts one invocation of the poll function. `env` is the child's whole environment (PATH is added); `clockOffsetMs`
 * sets the child's clock that far off (test/helpers/clock-offset.js, preloaded).
 */
export function startPollChild(bundle: string, env: Record<string, string>, remainingMs: number, options: { clockOffsetMs?: number } = {}): PollChild {
  const preload = options.clockOffsetMs === undefined ? [] : ['--require', path.join(__dirname, 'clock-offset.js')];
  const offsetEnv = options.clockOffsetMs === undefined ? {} : { TEST_CLOCK_OFFSET_MS: String(options.clockOffsetMs) };
  const child = spawn(process.execPath, [...preload, '-e', CHILD, bundle, String(remainingMs), randomUUID()], {
    env: { PATH: process.env.PATH ?? '', ...env, ...offsetEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; summary: SweepSummary | null }>((resolve) => {
    child.on('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith('CRASH_SUMMARY '));
      resolve({ code, signal, summary: line ? (JSON.parse(line.slice('CRASH_SUMMARY '.length)) as SweepSummary) : null });
    });
  });
  return { child, output: () => out, exited };
}

export { waitFor } from './wait';
