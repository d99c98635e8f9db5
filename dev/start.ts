// `npm start`: the whole product on one machine, as SCF would run it.
//   - the CWP/TDMQ emulator with demo agents (unless real credentials are set and CWP_ENDPOINT is not), polled
//     with short POLL_* intervals (dev/emulator/demo.ts DEMO_POLL_SECONDS; only those the user has not set) so
//     that the demo's 15 s cycle keeps producing events,
//   - the api function behind http://127.0.0.1:8080 (each request becomes a Function URL event), and its web
//     console at http://127.0.0.1:8080/ui/,
//   - the poll function fired at start and then on the timer cron of serverless.yml (or --every N seconds),
//   - a local webhook receiver that verifies every signature and prints each event.
// State: the emulator demo gets a fresh temp dir per run, removed at exit (STATE_STORE is ignored), so demo
// watches never reach a store that a run with real credentials uses; with real credentials it is STATE_STORE,
// or file:.state. --state overrides both.
// Flags (`npm start -- --help`):
//   --port N       the api function's port (default $PORT, else 8080; 0 picks a free one)
//   --every N      fire the poll function every N seconds (1-3600) instead of on the cron
//   --no-receiver  no local receiver (deliver to WEBHOOK_URLS, or to the console sink)
//   --state DIR    keep state in DIR across runs (or a STATE_STORE URL: memory:, file:DIR, redis://...)
//   --cwp-api API  yunjing (default: CWP_API, else yunjing) or cwp: the CWP API the bridge calls (the emulator speaks both)
//   --sink-preview print a few demo events as each chat robot would receive them (WeCom, DingTalk, Feishu,
//                  Slack: the request bodies, signed with demo secrets at a fixed time) and exit
//   -h, --help     print the flags and exit
// A bad flag exits 2; a bad configuration exits 1 after listing every problem (lib/config), before anything
// is started.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../lib/config';
import { startEmulator } from './emulator';
import { DEMO_CYCLE_MS, DEMO_POLL_SECONDS } from './emulator/demo';
import { nextCronTime, parseScfCron } from './cron';
import { startLocalReceiver } from './webhook-receiver';
import { serveFunctionUrl } from './function-url-server';

/** Names of the demo agents' machines in the emulator's listing, and one more machine, listed OFFLINE. */
const DEMO_MACHINE_NAMES = ['web-01', 'web-02', 'batch-01', 'batch-02', 'legacy-01'];
const DEMO_OFFLINE_MACHINE = '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9';

const USAGE = `usage: npm start -- [flags]    (or: node scripts/run-ts.mjs dev/start.ts [flags])

  --port N       the api function's port on 127.0.0.1 (default: $PORT, else 8080; 0 picks a free port)
  --every N      fire the poll function every N seconds (1 to 3600) instead of on the cron of serverless.yml
  --no-receiver  start no local webhook receiver (events go to WEBHOOK_URLS, or to the console)
  --state DIR    keep the state in DIR across runs; also takes a STATE_STORE URL (memory:, file:DIR, redis://...).
                 Default with the emulator: a fresh temp dir per run, removed at exit (STATE_STORE is ignored);
                 with real credentials: STATE_STORE, else file:.state
  --cwp-api API  the CWP API to call: yunjing (the frozen one, the default) or cwp (the current one, whose asset
                 scan replaces yunjing's tasks); sets CWP_API. The emulator speaks both; with cwp it also scans the
                 demo hosts every cycle
  --sink-preview print demo events as each chat robot would receive them (WeCom, DingTalk, Feishu, Slack) and exit;
                 WECOM_TEMPLATE, DINGTALK_TEMPLATE, FEISHU_TEMPLATE, SLACK_TEMPLATE change the single-event wording
  -h, --help     print this and exit
`;

/** A bad command line: exit code 2, as for any CLI usage error. */
class UsageError extends Error {}

interface StartFlags {
  help: boolean;
  apiPort: number;
  everySeconds: number | null;
  withReceiver: boolean;
  /** --state as given: a directory or a STATE_STORE URL. */
  state: string | null;
  sinkPreview: boolean;
  /** --cwp-api: CWP_API for this run; null: the environment's, else yunjing. */
  cwpApi: 'yunjing' | 'cwp' | null;
}

const VALUE_FLAGS = ['--port', '--every', '--state', '--cwp-api'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];
const isValueFlag = (name: string): name is ValueFlag => (VALUE_FLAGS as readonly string[]).includes(name);

function wholeNumber(text: string, min: number, max: number, name: string, unit: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name}: "${text}" is not ${unit} from ${min} to ${max}`);
  return n;
}

function parseFlags(argv: string[], env: NodeJS.ProcessEnv): StartFlags {
  if (argv.includes('--help') || argv.includes('-h')) return { help: true, apiPort: 0, everySeconds: null, withReceiver: true, state: null, sinkPreview: false, cwpApi: null };
  const values = new Map<ValueFlag, string>();
  let withReceiver = true;
  let sinkPreview = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (name === '--sink-preview') {
      if (eq > 0) throw new UsageError('--sink-preview takes no value');
      sinkPreview = true;
      continue;
    }
    if (name === '--no-receiver') {
      if (eq > 0) throw new UsageError('--no-receiver takes no value');
      withReceiver = false;
      continue;
    }
    if (!isValueFlag(name)) throw new UsageError(arg.startsWith('-') ? `unknown flag ${name}` : `unexpected argument "${arg}"`);
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      // `--every --no-receiver` is a missing value, not an odd one.
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
      i++;
    }
    if (value.trim() === '') throw new UsageError(`${name} needs a value`);
    values.set(name, value);
  }
  const port = values.get('--port');
  const envPort = env.PORT?.trim() ? env.PORT : undefined;
  const every = values.get('--every');
  const cwpApi = values.get('--cwp-api');
  if (cwpApi !== undefined && cwpApi.trim() !== 'yunjing' && cwpApi.trim() !== 'cwp') throw new UsageError(`--cwp-api: "${cwpApi}" is not a CWP API; use yunjing or cwp`);
  return {
    help: false,
    apiPort:
      port !== undefined ? wholeNumber(port, 0, 65_535, '--port', 'a port')
      : envPort !== undefined ? wholeNumber(envPort, 0, 65_535, 'PORT', 'a port')
      : 8080,
    everySeconds: every !== undefined ? wholeNumber(every, 1, 3_600, '--every', 'a whole number of seconds') : null,
    withReceiver,
    state: values.get('--state') ?? null,
    sinkPreview,
    cwpApi: cwpApi === undefined ? null : (cwpApi.trim() as 'yunjing' | 'cwp'),
  };
}

/** Demo secrets and a fixed clock for --sink-preview, so its output is the same on every run (the README shows it). */
const PREVIEW_AT = Date.parse('2026-11-24T10:00:05Z');
const PREVIEW_ROBOTS = [
  { kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>', secret: null },
  { kind: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=<token>', secret: 'SECdemo0123456789abcdef0123456789abcdef' },
  { kind: 'feishu', url: 'https://open.feishu.cn/open-apis/bot/v2/hook/<token>', secret: 'demo-feishu-secret' },
  { kind: 'slack', url: 'https://hooks.slack.com/services/<T>/<B>/<token>', secret: null },
] as const;

/**
 * --sink-preview: three demo cases (an agent offline, its ports changed, and a sweep in which 23 agents went
 * offline and 2 collections failed, as a digest), rendered and signed exactly as each chat sink sends them.
 * The chat code is loaded only here, as in the poll function.
 */
async function printSinkPreview(env: NodeJS.ProcessEnv): Promise<void> {
  const { buildStatusChangedEvent, buildResultsChangedEvent } = await import('../lib/events');
  const { vendorOf } = await import('../lib/sinks/chat/build');
  const { digestPlan } = await import('../lib/sinks/chat/chat-sink');
  const { eventFields, singleMessage } = await import('../lib/sinks/chat/message');
  const { compileTemplate } = await import('../lib/sinks/chat/template');
  const at = Date.parse('2026-11-24T10:00:00Z');
  const agent = (i: number) => `6b6cd843-6bc1-4011-a74c-${(0xdc3fd26a7dd1 + i).toString(16)}`;
  const machine = (i: number) => ({ machineName: `web-${String(i + 1).padStart(2, '0')}`, machineIp: `10.0.1.${11 + i}` });
  const status = (i: number, state: 'AGENT_OFFLINE' | 'FAILED') => {
    const e = buildStatusChangedEvent({ storeId: 'sink-preview', source: '/cwp-task-bridge/ap-guangzhou', uuid: agent(i), kind: 'process', previous: 'COLLECTING', state, version: 2, observedAt: at + i * 150, requestId: `demo-${i}` });
    Object.assign(e.data, machine(i));
    return e;
  };
  const ports = buildResultsChangedEvent({ storeId: 'sink-preview',
    source: '/cwp-task-bridge/ap-guangzhou', uuid: agent(0), kind: 'port',
    added: [{ port: 6379, pid: 3021, processName: 'redis-server' }], removed: [{ port: 80, pid: 911, processName: 'nginx' }],
    addedCount: 1, removedCount: 1, total: 12, truncated: false, takenAt: at, previousTakenAt: at - 600_000, requestId: 'demo-ports', forVersion: 3,
  });
  Object.assign(ports.data, machine(0));
  const sweep = [...Array.from({ length: 23 }, (_, i) => status(i, 'AGENT_OFFLINE')), status(30, 'FAILED'), status(31, 'FAILED')];
  for (const robot of PREVIEW_ROBOTS) {
    const vendor = vendorOf(robot);
    const source = env[`${robot.kind.toUpperCase()}_TEMPLATE`]?.trim();
    const compiled = source ? compileTemplate(source) : null;
    if (compiled && !compiled.ok) throw new UsageError(`${robot.kind.toUpperCase()}_TEMPLATE: ${compiled.problems.join('; ')}`);
    const single = (e: typeof ports | ReturnType<typeof status>) => singleMessage(e, compiled?.ok ? compiled.template.render(eventFields(e)) : undefined);
    const cases = [
      ['one event', single(status(0, 'AGENT_OFFLINE'))],
      ['ports changed', single(ports)],
      ['digest of one sweep (25 events, no room for one message each)', digestPlan(sweep, (m) => vendor.fits(m))[0]!.message],
    ] as const;
    for (const [what, message] of cases) {
      const req = vendor.request(robot.url, vendor.render(message), PREVIEW_AT);
      process.stdout.write(`[preview] ${vendor.name}, ${what}: POST ${req.url}
${JSON.stringify(JSON.parse(req.body), null, 2)}

`);
    }
  }
}

/** --state's value as a STATE_STORE: a store URL as it is, anything else a directory for the file store. */
function stateStoreOf(state: string): string {
  return state === 'memory:' || /^(file:|rediss?:\/\/)/.test(state) ? state : `file:${state}`;
}

/** Every configuration problem either function would refuse to start with, each once. */
function configProblems(env: NodeJS.ProcessEnv): string[] {
  const problems = new Set<string>();
  for (const role of ['poll', 'api'] as const) {
    try {
      loadConfig(env, { role });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (const p of e.problems) problems.add(p);
    }
  }
  return [...problems];
}

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

/**
 * Removes a directory from an exit handler. A sweep's write that was already under way (the file store's lock
 * or temp file) can land after a first pass has emptied it, so a failed pass is repeated, after a short
 * synchronous pause: at exit no callback runs any more, so nothing starts another write.
 */
function removeDirAtExit(dir: string): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let pass = 1; ; pass++) {
    try {
      rmSync(dir, { recursive: true, force: true });
      return;
    } catch (e) {
      if (pass >= 5) {
        process.stderr.write(`[start] could not remove ${dir}: ${e instanceof Error ? e.message : String(e)}\n`);
        return;
      }
      Atomics.wait(pause, 0, 0, 20 * pass);
    }
  }
}

const POLL_TIMEOUT_MS = 65_000;
/** Stands in for the local receiver's URL while validating: the receiver starts only once the config is good. */
const RECEIVER_URL_PLACEHOLDER = 'http://127.0.0.1/hooks/cwp';
/** A shutdown that waits longer than this (a send in flight to a stuck receiver) exits anyway. */
const SHUTDOWN_GRACE_MS = 3_000;

async function main(): Promise<void> {
  let flags: StartFlags;
  try {
    flags = parseFlags(process.argv.slice(2), process.env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`[start] ${e.message}\n[start] npm start -- --help lists the flags\n`);
    process.exit(2);
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (flags.sinkPreview) {
    try {
      await printSinkPreview(process.env);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      process.stderr.write(`[start] ${e.message}\n`);
      process.exit(2);
    }
    process.exit(0);
  }

  const env = process.env;
  if (flags.cwpApi !== null) env.CWP_API = flags.cwpApi;
  const onCwp = env.CWP_API?.trim() === 'cwp';
  const useRealApi = Boolean((env.TENCENTCLOUD_SECRET_ID || env.TENCENTCLOUD_SECRETID) && !env.CWP_ENDPOINT);
  const banner: string[] = [];
  let closeEmulator: (() => Promise<void>) | null = null;

  if (!useRealApi) {
    const emulator = await startEmulator({ quiet: true });
    closeEmulator = () => emulator.close();
    // On cwp the emulator also scans the demo hosts every cycle, as someone pressing the console's scan button.
    const agents = emulator.demo({ scans: onCwp });
    emulator.createTopic('cwp-task-events');
    env.TENCENTCLOUD_SECRET_ID = emulator.credentials.secretId;
    env.TENCENTCLOUD_SECRET_KEY = emulator.credentials.secretKey;
    env.CWP_ENDPOINT = emulator.url;
    env.TDMQ_ENDPOINT = emulator.url;
    env.WATCH_UUIDS ||= agents.join(',');
    env.CMQ_TOPIC ||= 'cwp-task-events';
    // The machine listing too (WATCH_DISCOVER): names and IPs in the events, and one machine listed OFFLINE,
    // recorded AGENT_OFFLINE from the listing without a status call.
    DEMO_MACHINE_NAMES.forEach((name, i) => agents[i] && emulator.addMachine({ uuid: agents[i], name, ip: `10.0.1.${11 + i}` }));
    emulator.addMachine({ uuid: DEMO_OFFLINE_MACHINE, name: 'db-01', ip: '10.0.2.21' });
    emulator.setMachineStatus(DEMO_OFFLINE_MACHINE, 'OFFLINE');
    env.WATCH_DISCOVER ||= 'CVM:ap-guangzhou';
    banner.push(`machine listing WATCH_DISCOVER=${env.WATCH_DISCOVER}: ${agents.length + 1} machines; db-01 is listed OFFLINE, so its keys are recorded AGENT_OFFLINE from the listing (no status call)`);
    banner.push(onCwp
      ? `emulator on ${emulator.url} speaking cwp (CWP_API=cwp) with ${agents.length} demo agents: an asset scan every ${DEMO_CYCLE_MS / 1000} s, one host opening a port each time; agents go offline and are uninstalled every few seconds`
      : `emulator on ${emulator.url} with ${agents.length} demo agents (their tasks finish, fail and go offline every few seconds)`);
    banner.push(`CMQ messages: curl -s '${emulator.url}/_emulator/tdmq/messages?topic=cwp-task-events'`);
    const shortened: string[] = [];
    for (const [name, seconds] of Object.entries(DEMO_POLL_SECONDS)) {
      if (env[name]?.trim()) continue; // the user's own value wins
      env[name] = String(seconds);
      shortened.push(`${name}=${seconds}`);
    }
    if (shortened.length > 0) banner.push(`demo poll intervals, to keep up with the agents' ${DEMO_CYCLE_MS / 1000} s cycle (set them to override): ${shortened.join(' ')}`);
  } else {
    banner.push(`polling the real CWP API (${onCwp ? 'cwp' : 'yunjing'}) in ${env.TENCENTCLOUD_REGION ?? 'ap-guangzhou'} with your credentials`);
  }

  if (flags.state !== null) {
    env.STATE_STORE = stateStoreOf(flags.state);
    banner.push(`state store ${env.STATE_STORE} (--state), kept across runs`);
  } else if (!useRealApi) {
    // A fresh store per demo run: the demo's watches and records never leak into a later run (with real
    // credentials, or another demo run whose agents start over).
    const ignored = Boolean(env.STATE_STORE?.trim());
    const dir = mkdtempSync(path.join(tmpdir(), 'cwp-task-bridge-demo-'));
    process.on('exit', () => removeDirAtExit(dir));
    env.STATE_STORE = `file:${dir}`;
    banner.push(`fresh demo state in ${dir}, removed at exit${ignored ? '; STATE_STORE is not used with the emulator' : ''} (--state DIR keeps state across runs)`);
  } else {
    env.STATE_STORE ||= 'file:.state';
  }

  const token = (env.API_TOKENS ||= `dev-${randomBytes(12).toString('hex')}`).split(',')[0]!;
  env.WEBHOOK_SECRET ||= `whsec_${randomBytes(32).toString('base64')}`;
  const startReceiver = flags.withReceiver && !env.WEBHOOK_URLS?.trim();

  // Validated before anything reads it (the receiver takes WEBHOOK_SECRET, the loop the rest), so a bad
  // variable is named instead of failing deep inside, or on every tick.
  const problems = configProblems(startReceiver ? { ...env, WEBHOOK_URLS: RECEIVER_URL_PLACEHOLDER } : env);
  if (problems.length > 0) {
    process.stderr.write(`[start] cannot start: ${new ConfigError(problems).message}\n`);
    await closeEmulator?.();
    process.exit(1);
  }
  for (const line of banner) say(line);

  let closeReceiver: (() => Promise<void>) | null = null;
  if (startReceiver) {
    const receiver = await startLocalReceiver({ secret: env.WEBHOOK_SECRET });
    closeReceiver = () => receiver.close();
    env.WEBHOOK_URLS = receiver.url;
    say(`webhook receiver on ${receiver.url} (verifies Standard Webhooks signatures)`);
  }

  // Imported only now: the functions read the environment set above when they build their runtime.
  const poll = await import('../functions/poll');
  const api = await import('../functions/api');

  const server = await serveFunctionUrl(api.main_handler, flags.apiPort);
  const apiPort = server.port;
  say(`api function on http://127.0.0.1:${apiPort}  (token: ${token})`);
  say(`try: curl -s -H 'Authorization: Bearer ${token}' http://127.0.0.1:${apiPort}/v1/watches`);
  say(`console on http://127.0.0.1:${apiPort}/ui/  (log in with the token above)`);
  say(`the API described (OpenAPI 3.1, no token): http://127.0.0.1:${apiPort}/openapi.json`);

  let ticks = 0;
  const tick = () => {
    const requestId = randomUUID();
    const deadline = Date.now() + POLL_TIMEOUT_MS;
    ticks++;
    poll
      .main_handler({ Type: 'Timer', TriggerName: 'local', Time: new Date().toISOString() }, { request_id: requestId, getRemainingTimeInMillis: () => deadline - Date.now(), time_limit_in_ms: POLL_TIMEOUT_MS })
      .catch((e: unknown) => say(`poll failed: ${e instanceof Error ? e.message : String(e)}`));
  };
  const everySeconds = flags.everySeconds;
  const cron = parseScfCron(timerCronFromServerlessYml());
  let nextTick: NodeJS.Timeout | null = null;
  const scheduleNext = () => {
    const wait = everySeconds !== null ? everySeconds * 1000 : nextCronTime(cron, new Date()).getTime() - Date.now();
    nextTick = setTimeout(() => {
      tick();
      scheduleNext();
    }, Math.max(100, wait));
  };
  say(everySeconds !== null ? `poll fires now and every ${everySeconds} s` : `poll fires now and on the cron of serverless.yml`);
  tick();
  scheduleNext();

  let stopping = false;
  const shutdown = async () => {
    if (stopping) process.exit(130); // a second Ctrl-C: now (the exit handler still removes the demo state)
    stopping = true;
    if (nextTick) clearTimeout(nextTick);
    say(`stopping after ${ticks} tick(s)`);
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
    void server.close();
    await closeReceiver?.();
    await closeEmulator?.();
    process.exit(0);
  };
  // Handled, not left to the default action: that skips the exit handlers, which remove the demo state.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown());
}

main().catch((e: unknown) => {
  process.stderr.write(`[start] cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
