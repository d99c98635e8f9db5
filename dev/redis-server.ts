// A throwaway redis-server for the test suite and the benchmarks: a free loopback port, no persistence, its
// own temp dir, stopped (and the dir removed) when done. It never touches a Redis the user runs on 6379.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ThrowawayRedis {
  /** redis://127.0.0.1:PORT (no database number: callers add /N). */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** The one line shown when neither REDIS_URL nor redis-server is available. */
export const MISSING_REDIS_MESSAGE =
  'redis-server not found on PATH: install the redis-server package (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis), or set REDIS_URL=redis://host:port to use a running server';

/** The server binary: `redis-server` on PATH. */
export const REDIS_SERVER = 'redis-server';

export function hasRedisServer(command = REDIS_SERVER): boolean {
  const r = spawnSync(command, ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

/** Starts redis-server on a free port; rejects if it is not installed or does not answer within 5 s. */
export async function startThrowawayRedis(command = REDIS_SERVER): Promise<ThrowawayRedis> {
  if (!hasRedisServer(command)) throw new Error(MISSING_REDIS_MESSAGE);
  const dir = mkdtempSync(path.join(tmpdir(), 'cwp-redis-'));
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      command,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', '', '--daemonize', 'no'],
      { stdio: 'ignore' },
    );
    let exited = false;
    child.once('exit', () => (exited = true));
    const deadline = Date.now() + 5_000;
    while (!exited && Date.now() < deadline && !(await answersPing(port))) await new Promise((r) => setTimeout(r, 50));
    if (exited) continue; // the port was taken between freePort and listen: try another
    if (!(await answersPing(port))) {
      child.kill('SIGKILL');
      break;
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      async stop() {
        if (!exited) {
          const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          child.kill('SIGTERM');
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, 3_000)))]);
          clearTimeout(timer);
          if (!exited) child.kill('SIGKILL');
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error('redis-server did not start on a free loopback port within 5 s');
}

/** `redis://host:port` + database number, keeping any credentials and query of the base URL. */
export function redisDbUrl(base: string, db: number): string {
  const u = new URL(base);
  u.pathname = `/${db}`;
  return u.toString();
}
