// `npm start` as a user runs it (node scripts/run-ts.mjs dev/start.ts, which bundles and runs it in a child):
// the demo keeps producing verified events on every run, not only the first, and bad flags or settings stop
// it at once with a message naming them.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ENV } from '../../lib/config';

const ROOT = path.resolve(__dirname, '../..');
const VERIFIED = /^\[receiver\] verified /;
/** A verified event that is a change of state, not a key's first observation (the machine's name, when listed, after the uuid). */
const VERIFIED_CHANGE = /^\[receiver\] verified (info|WARN) \S+( \S+)? \S+\s+(?!\(first\))[A-Z_]+\s+-> [A-Z_]+/;

interface Line {
  /** Milliseconds since the spawn. */
  at: number;
  text: string;
}

interface StartRun {
  child: ChildProcess;
  lines: Line[];
  stderr: () => string;
  /** Resolves once the runner and the start process it runs have both exited (their stdout closed). */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(match: (line: Line) => boolean, withinMs: number): Promise<Line>;
}

/** The test's environment without any setting of the bridge, so a developer's shell cannot change the run. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [...ENV, 'PORT']) delete env[name];
  return { ...env, ...extra };
}

const running = new Set<ChildProcess>();

function spawnStart(args: string[], extraEnv: Record<string, string> = {}): StartRun {
  const startedAt = Date.now();
  // Its own process group: run-ts.mjs waits in spawnSync and forwards no signal, so the test signals the
  // group, as a terminal's Ctrl-C does.
  const child = spawn(process.execPath, ['scripts/run-ts.mjs', 'dev/start.ts', ...args], {
    cwd: ROOT,
    env: cleanEnv(extraEnv),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: Line[] = [];
  const waiters = new Set<(line: Line) => void>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = { at: Date.now() - startedAt, text };
    lines.push(line);
    for (const w of [...waiters]) w(line);
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const waitFor = (match: (line: Line) => boolean, withinMs: number) =>
    new Promise<Line>((resolve, reject) => {
      const seen = lines.find(match);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching line within ${withinMs} ms of the start; stdout:\n${lines.map((l) => l.text).slice(-40).join('\n')}\nstderr:\n${stderr}`));
      }, Math.max(0, withinMs - (Date.now() - startedAt)));
      function check(line: Line) {
        if (!match(line)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(line);
      }
      waiters.add(check);
    });
  return { child, lines, stderr: () => stderr, closed, waitFor };
}

/** Runs to its exit; a run still going after `withinMs` is killed and fails the test (a loop, not an exit). */
async function runToExit(args: string[], extraEnv: Record<string, string> = {}, withinMs = 15_000) {
  const started = Date.now();
  const run = spawnStart(args, extraEnv);
  const timer = setTimeout(() => killGroup(run.child, 'SIGKILL'), withinMs);
  const { code, signal } = await run.closed;
  clearTimeout(timer);
  return { code, signal, tookMs: Date.now() - started, stdout: run.lines.map((l) => l.text).join('\n'), stderr: run.stderr() };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

afterEach(() => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

describe('npm start', () => {
  test('--help lists the flags and exits 0', async () => {
    const r = await runToExit(['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--port N', '--every N', '--no-receiver', '--state DIR', '--sink-preview', '--help']) expect(r.stdout).toContain(flag);
  });

  test('--sink-preview prints each chat robot\'s request body, signed where the vendor signs, and exits 0', async () => {
    const r = await runToExit(['--sink-preview'], {}, 20_000);
    expect(r.code).toBe(0);
    for (const vendor of ['WeCom robot', 'DingTalk robot', 'Feishu bot', 'Slack webhook']) expect(r.stdout).toContain(`[preview] ${vendor}, digest of one sweep`);
    expect(r.stdout).toMatch(/robot\/send\?access_token=%3Ctoken%3E&timestamp=\d{13}&sign=/);
    expect(r.stdout).toMatch(/"sign": "[A-Za-z0-9+/]{43}="/);
    expect(r.stdout).toContain('23 agents went offline');
    expect(r.stdout).not.toContain('poll fires');
  });

  test('--sink-preview with a bad template exits 2 naming it', async () => {
    const r = await runToExit(['--sink-preview'], { SLACK_TEMPLATE: '{{nope}}' }, 20_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SLACK_TEMPLATE: unknown field {{nope}}');
  });

  test.each([
    [['--every', 'abc'], '--every'],
    [['--every', '0'], '--every'],
    [['--port', 'x'], '--port'],
    [['--bogus'], '--bogus'],
    [['--cwp-api', 'cwp2'], '--cwp-api'],
  ])('%j exits 2 at once, naming the flag', async (args, flag) => {
    const r = await runToExit(args, {}, 10_000);
    expect(r).toMatchObject({ code: 2, signal: null });
    expect(r.stderr).toContain(flag);
    expect(r.stdout).not.toContain('poll fires');
  });

  test('a bad configuration exits non-zero listing every bad variable, before the receiver starts', async () => {
    const r = await runToExit(['--port', String(await freePort())], { WEBHOOK_SECRET: 'bad', POLL_TERMINAL_SECONDS: '0' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/WEBHOOK_SECRET: must be whsec_/);
    expect(r.stderr).toMatch(/POLL_TERMINAL_SECONDS: must be a whole number/);
    expect(r.stderr).not.toContain('Base64Coder');
    expect(r.stdout).not.toContain('webhook receiver on');
  });

  test('prints the console\'s URL beside the API\'s URL and token, and the console answers there', async () => {
    const run = spawnStart(['--port', String(await freePort())]);
    const api = await run.waitFor((l) => /\[start\] api function on http:\/\/127\.0\.0\.1:\d+ {2}\(token: \S+\)/.test(l.text), 20_000);
    const line = await run.waitFor((l) => /\[start\] console on http:\/\/127\.0\.0\.1:\d+\/ui\//.test(l.text), 20_000);
    const url = /(http:\/\/\S+\/ui\/)/.exec(line.text)![1]!;
    expect(url.startsWith(/(http:\/\/127\.0\.0\.1:\d+)/.exec(api.text)![1]!)).toBe(true);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    killGroup(run.child, 'SIGTERM');
    await run.closed;
  }, 60_000);

  test('every run shows state changes within 10 s and still shows new ones after 25 s, on fresh state', async () => {
    const stateDirs: string[] = [];
    for (let runNo = 1; runNo <= 2; runNo++) {
      const run = spawnStart(['--port', String(await freePort())]);
      const banner = await run.waitFor((l) => /fresh demo state in /.test(l.text), 10_000);
      const stateDir = /fresh demo state in (\S+?),/.exec(banner.text)![1]!;
      expect(banner.text).toContain('removed at exit');
      stateDirs.push(stateDir);
      expect(run.lines.some((l) => /POLL_TERMINAL_SECONDS=\d+/.test(l.text))).toBe(true);

      const first = await run.waitFor((l) => VERIFIED.test(l.text), 10_000);
      expect(first.at).toBeLessThan(10_000);
      await run.waitFor((l) => VERIFIED_CHANGE.test(l.text), 10_000);
      const late = await run.waitFor((l) => l.at >= 25_000 && VERIFIED_CHANGE.test(l.text), 32_000);
      expect(late.at).toBeGreaterThanOrEqual(25_000);

      killGroup(run.child, 'SIGTERM');
      await run.closed;
      expect(run.lines.some((l) => l.text.startsWith('[start] stopping after'))).toBe(true);
      expect(run.stderr()).toBe('');
      expect(existsSync(stateDir)).toBe(false);
    }
    expect(stateDirs[0]).not.toBe(stateDirs[1]);
  }, 70_000);

  test('--cwp-api cwp runs the demo on the emulator\'s cwp face: its asset scans and the ports they find are published', async () => {
    const run = spawnStart(['--cwp-api', 'cwp', '--port', String(await freePort())]);
    const banner = await run.waitFor((l) => /emulator on .* speaking cwp/.test(l.text), 10_000);
    expect(banner.text).toContain('CWP_API=cwp');
    await run.waitFor((l) => /^\[receiver\] verified info asset scan \d+ .*-> SYNCING/.test(l.text), 30_000);
    await run.waitFor((l) => /^\[receiver\] verified info asset scan \d+ .*-> FINISHED/.test(l.text), 30_000);
    await run.waitFor((l) => /^\[receiver\] verified WARN \S+ port +ports changed: added/.test(l.text), 30_000);
    killGroup(run.child, 'SIGTERM');
    await run.closed;
    expect(run.stderr()).toBe('');
  }, 70_000);
});
