// `npm start`: the whole product on one machine, as SCF would run it.
//   - the CWP/TDMQ emulator with demo agents (unless real credentials are set and CWP_ENDPOINT is not),
//   - the api function behind http://127.0.0.1:8080 (each request becomes a Function URL event),
//   - the poll function fired at start and then on the timer cron of serverless.yml (or --every N seconds),
//   - a local webhook receiver that verifies every signature and prints each event.
// Flags: --port N (api), --every N (seconds between ticks), --no-receiver.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { startEmulator } from './emulator';
import { nextCronTime, parseScfCron } from './cron';
import { startLocalReceiver } from './webhook-receiver';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const apiPort = Number(flag('--port') ?? process.env.PORT ?? 8080);
const everySeconds = flag('--every') ? Number(flag('--every')) : null;
const withReceiver = !args.includes('--no-receiver');
const POLL_TIMEOUT_MS = 65_000;

function say(line: string): void {
  process.stdout.write(`[start] ${line}\n`);
}

/** The poll function's timer cron from serverless.yml, so the local schedule is the deployed one. */
function timerCronFromServerlessYml(): string {
  try {
    const yml = readFileSync('serverless.yml', 'utf8');
    const m = /cronExpression:\s*['"]?([^'"\n]+)['"]?/.exec(yml);
    if (m) return m[1]!.trim();
  } catch {
    // no serverless.yml: fall back below
  }
  return '0 */1 * * * * *';
}

async function main(): Promise<void> {
  const env = process.env;
  const useRealApi = Boolean((env.TENCENTCLOUD_SECRET_ID || env.TENCENTCLOUD_SECRETID) && !env.CWP_ENDPOINT);
  let closeEmulator: (() => Promise<void>) | null = null;

  if (!useRealApi) {
    const emulator = await startEmulator({ quiet: true });
    closeEmulator = () => emulator.close();
    const agents = emulator.demo();
    emulator.createTopic('cwp-task-events');
    env.TENCENTCLOUD_SECRET_ID = emulator.credentials.secretId;
    env.TENCENTCLOUD_SECRET_KEY = emulator.credentials.secretKey;
    env.CWP_ENDPOINT = emulator.url;
    env.TDMQ_ENDPOINT = emulator.url;
    env.WATCH_UUIDS ||= agents.join(',');
    env.CMQ_TOPIC ||= 'cwp-task-events';
    say(`emulator on ${emulator.url} with ${agents.length} demo agents (their tasks finish, fail and go offline every few seconds)`);
    say(`CMQ messages: curl -s '${emulator.url}/_emulator/tdmq/messages?topic=cwp-task-events'`);
  } else {
    say(`polling the real CWP API in ${env.TENCENTCLOUD_REGION ?? 'ap-guangzhou'} with your credentials`);
  }

  env.STATE_STORE ||= 'file:.state';
  const token = (env.API_TOKENS ||= `dev-${randomBytes(12).toString('hex')}`).split(',')[0]!;
  let closeReceiver: (() => Promise<void>) | null = null;
  env.WEBHOOK_SECRET ||= `whsec_${randomBytes(32).toString('base64')}`;
  if (withReceiver && !env.WEBHOOK_URLS) {
    const receiver = await startLocalReceiver({ secret: env.WEBHOOK_SECRET });
    closeReceiver = () => receiver.close();
    env.WEBHOOK_URLS = receiver.url;
    say(`webhook receiver on ${receiver.url} (verifies Standard Webhooks signatures)`);
  }

  // Imported only now: the functions read the environment set above when they build their runtime.
  const poll = await import('../functions/poll');
  const api = await import('../functions/api');

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const event = {
        httpMethod: req.method ?? 'GET',
        path: url.pathname,
        headers,
        queryString: Object.fromEntries(url.searchParams),
        body: chunks.length ? Buffer.concat(chunks).toString('utf8') : '',
        isBase64Encoded: false,
      };
      api.main_handler(event, { request_id: randomUUID() }).then(
        (r) => {
          res.writeHead(r.statusCode, r.headers);
          res.end(r.isBase64Encoded ? Buffer.from(r.body, 'base64') : r.body);
        },
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(apiPort, '127.0.0.1', resolve);
  });
  say(`api function on http://127.0.0.1:${apiPort}  (token: ${token})`);
  say(`try: curl -s -H 'Authorization: Bearer ${token}' http://127.0.0.1:${apiPort}/v1/watches`);

  let ticks = 0;
  const tick = () => {
    const requestId = randomUUID();
    const deadline = Date.now() + POLL_TIMEOUT_MS;
    ticks++;
    poll
      .main_handler({ Type: 'Timer', TriggerName: 'local', Time: new Date().toISOString() }, { request_id: requestId, getRemainingTimeInMillis: () => deadline - Date.now(), time_limit_in_ms: POLL_TIMEOUT_MS })
      .catch((e: unknown) => say(`poll failed: ${e instanceof Error ? e.message : String(e)}`));
  };
  const cron = parseScfCron(timerCronFromServerlessYml());
  const scheduleNext = () => {
    const wait = everySeconds !== null ? everySeconds * 1000 : nextCronTime(cron, new Date()).getTime() - Date.now();
    setTimeout(() => {
      tick();
      scheduleNext();
    }, Math.max(100, wait));
  };
  say(everySeconds !== null ? `poll fires now and every ${everySeconds} s` : `poll fires now and on the cron of serverless.yml`);
  tick();
  scheduleNext();

  const shutdown = async () => {
    say(`stopping after ${ticks} tick(s)`);
    server.close();
    await closeReceiver?.();
    await closeEmulator?.();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((e: unknown) => {
  process.stderr.write(`[start] cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
