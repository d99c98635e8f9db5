// The deploy step after `serverless deploy` (scripts/deploy.ts, lib/deploy/), against the emulator's scf actions
// over real HTTP: the real CLI in a child process (`--skip-serverless`: `serverless deploy` needs the network)
// creates the api function's Function URL once and enables a disabled poll timer, and a second run changes
// nothing. With versions (the default): it publishes a version of each function, points the alias `live` at it,
// binds the Function URL and the poll timer to `live`, and `npm run rollback` (scripts/rollback.ts) points `live`
// back, refusing when there is no previous version. Every request is signed by our TencentClient and verified by
// the emulator. The failure messages and the emulator's own checks are exercised in-process through lib/deploy.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator, type RequestRecord } from '../../dev/emulator';
import {
  ALIAS_TIMER_TRIGGER_NAME, DeployStepError, FUNCTION_URL_TRIGGER_DESC, POLL_TIMER_TRIGGER_NAME, SCF_SERVICE, SCF_VERSION, deployTarget, ensureFunctionUrl, ensurePollTimer,
} from '../../lib/deploy/function-url';
import { LIVE_ALIAS, RollbackRefusedError, publishAndPointAlias, rollbackAliases, versionDescription } from '../../lib/deploy/versions';
import { TencentClient } from '../../lib/tencent/client';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI_TIMEOUT_MS = 60_000;
const CRON = '0 */1 * * * * *';
/** Variables the CLI reads; removed from the child's environment so the caller's shell cannot leak in. */
const DEPLOY_ENV = [
  'TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY', 'TENCENTCLOUD_SESSION_TOKEN', 'TENCENTCLOUD_REGION', 'SCF_STAGE', 'SCF_ENDPOINT', 'SCF_VPC_ID', 'SCF_SUBNET_ID',
  'API_TRIGGER', 'APIGW_SERVICE_ID', 'SCF_VERSIONS', 'SCF_ROLE', 'DEPLOY_CREDENTIALS', 'STATE_STORE', 'ALLOW_FILE_STORE',
];
/** The deploy of these tests binds the triggers to $LATEST and publishes no version (the versions have their own tests). */
const ON_LATEST = { SCF_VERSIONS: 'off' };

let emu: Emulator;
let home: string;

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `node scripts/run-ts.mjs scripts/deploy.ts ...args`, asynchronously: the emulator answers from this process. */
function runDeploy(args: string[], env: Record<string, string>): Promise<CliRun> {
  return runCli('scripts/deploy.ts', args, env);
}

/** `npm run rollback`: `node scripts/run-ts.mjs scripts/rollback.ts`. */
function runRollback(env: Record<string, string>): Promise<CliRun> {
  return runCli('scripts/rollback.ts', [], env);
}

function runCli(script: string, args: string[], env: Record<string, string>): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of DEPLOY_ENV) delete childEnv[name];
  Object.assign(childEnv, { HOME: home, SCF_ENDPOINT: emu.url }, env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/run-ts.mjs', script, ...args], { cwd: ROOT, env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const envCredentials = { TENCENTCLOUD_SECRET_ID: EMULATOR_CREDENTIALS.secretId, TENCENTCLOUD_SECRET_KEY: EMULATOR_CREDENTIALS.secretKey };
const scfRequests = (): RequestRecord[] => emu.requests().filter((r) => ['ListTriggers', 'CreateTrigger', 'UpdateTriggerStatus'].includes(r.action));
const writes = (): RequestRecord[] => scfRequests().filter((r) => r.action !== 'ListTriggers');
/** Every SCF action that changes something, of the deploy and rollback steps, as `Action outcome code`. */
const SCF_WRITES = ['PublishVersion', 'CreateAlias', 'UpdateAlias', 'CreateTrigger', 'UpdateTrigger', 'UpdateTriggerStatus'];
const allWrites = (): string[] => emu.requests().filter((r) => SCF_WRITES.includes(r.action)).map((r) => `${r.action} ${r.outcome} ${r.code}`);

/**
 * Waits for the wall clock's next second. SCF times have whole seconds, and a version counts as out of date when
 * $LATEST was modified in a later second than it was published: a change made in the same second as the publish
 * before it would not be seen (as on SCF).
 */
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));

function scfClient(secretKey: string = EMULATOR_CREDENTIALS.secretKey): TencentClient {
  return new TencentClient({
    endpoint: emu.url,
    service: SCF_SERVICE,
    version: SCF_VERSION,
    region: 'ap-guangzhou',
    credentials: { secretId: EMULATOR_CREDENTIALS.secretId, secretKey, token: null },
    timeoutMs: 5_000,
    maxAttempts: 1,
  });
}

/** A stage's two functions as `serverless deploy` leaves them, with the poll timer on or off. */
function deployed(stage: string, timerEnabled: boolean): ReturnType<typeof deployTarget> {
  const target = deployTarget(stage, 'ap-guangzhou');
  emu.addFunction(target.apiFunction);
  emu.addFunction(target.pollFunction);
  emu.addTrigger(target.pollFunction, { type: 'timer', name: POLL_TIMER_TRIGGER_NAME, desc: CRON, enabled: timerEnabled });
  return target;
}

beforeAll(async () => {
  emu = await startEmulator({ quiet: true });
  home = mkdtempSync(path.join(tmpdir(), 'cwp-deploy-home-'));
});
afterAll(async () => {
  await emu.close();
  rmSync(home, { recursive: true, force: true });
});
beforeEach(() => emu.resetStats());

describe('npm run deploy -- --skip-serverless (the CLI against the emulator)', () => {
  let url: string;

  test('the first run creates the Function URL once, enables the disabled timer and prints the URL', async () => {
    const target = deployed('dev', false);
    const run = await runDeploy(['--skip-serverless'], { ...envCredentials, ...ON_LATEST });
    expect(run).toMatchObject({ status: 0 });

    // Exactly one write of each kind, every request signed correctly (no AuthFailure, nothing rejected).
    expect(writes().map((r) => `${r.action} ${r.outcome} ${r.code}`)).toEqual(['CreateTrigger accepted null', 'UpdateTriggerStatus accepted null']);
    expect(scfRequests().every((r) => r.outcome === 'accepted' && r.code === null)).toBe(true);

    const http = emu.triggers(target.apiFunction).filter((t) => t.type === 'http');
    expect(http).toHaveLength(1);
    expect(http[0]).toMatchObject({ name: 'cwp-task-bridge-url', qualifier: '$LATEST', enabled: true });
    const desc = JSON.parse(http[0]!.desc);
    expect(desc).toMatchObject(FUNCTION_URL_TRIGGER_DESC);
    url = desc.NetConfig.ExtranetUrl;
    expect(url).toMatch(/^https:\/\/\d+-[a-z0-9]{10}\.ap-guangzhou\.tencentscf\.com$/);
    expect(emu.triggers(target.pollFunction)).toEqual([expect.objectContaining({ type: 'timer', name: POLL_TIMER_TRIGGER_NAME, enabled: true })]);

    expect(run.stdout).toContain(`Function URL: ${url}`);
    expect(run.stdout).toContain('Function URL created');
    expect(run.stdout).toContain('was disabled, enabled now');
    expect(run.stdout).toContain('credentials from TENCENTCLOUD_SECRET_ID/KEY');
  }, CLI_TIMEOUT_MS);

  test('a second run, with the credentials file instead of the environment, changes nothing', async () => {
    expect(url).toBeDefined();
    writeFileSync(path.join(home, 'credentials'), `[default]\ntencent_secret_id = ${EMULATOR_CREDENTIALS.secretId}\ntencent_secret_key = ${EMULATOR_CREDENTIALS.secretKey}\n`);
    try {
      const run = await runDeploy(['--skip-serverless'], ON_LATEST);
      expect(run).toMatchObject({ status: 0 });
      expect(writes()).toEqual([]);
      expect(scfRequests().map((r) => r.action)).toEqual(['ListTriggers', 'ListTriggers']);
      expect(scfRequests().every((r) => r.outcome === 'accepted' && r.code === null)).toBe(true);
      expect(emu.triggers(deployTarget('dev', 'ap-guangzhou').apiFunction).filter((t) => t.type === 'http')).toHaveLength(1);
      expect(run.stdout).toContain(`Function URL: ${url}`);
      expect(run.stdout).toContain('unchanged');
      expect(run.stdout).toContain(`credentials from ${path.join(home, 'credentials')}`);
    } finally {
      rmSync(path.join(home, 'credentials'), { force: true });
    }
  }, CLI_TIMEOUT_MS);

  test('settings are checked before anything runs: exit 2, each problem named, no API call', async () => {
    const run = await runDeploy(['--skip-serverless'], { ...envCredentials, ...ON_LATEST, SCF_VPC_ID: 'vpc-abcd1234', API_TRIGGER: 'gateway' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('SCF_SUBNET_ID: is required with SCF_VPC_ID');
    expect(run.stderr).toContain('API_TRIGGER: "gateway" must be one of url, apigw, none');
    expect(scfRequests()).toEqual([]);
  }, CLI_TIMEOUT_MS);

  test('a function that is not deployed fails with the code and what to do', async () => {
    const run = await runDeploy(['--skip-serverless'], { ...envCredentials, ...ON_LATEST, SCF_STAGE: 'nowhere' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('ListTriggers on cwp-task-bridge-nowhere-api (namespace default, region ap-guangzhou) failed with ResourceNotFound.Function');
    expect(run.stderr).toContain('Deploy the functions first');
    expect(writes()).toEqual([]);
  }, CLI_TIMEOUT_MS);
});

describe('versions and the alias live: npm run deploy and npm run rollback (the CLIs against the emulator)', () => {
  const stage = 'prod';
  const env = { ...envCredentials, SCF_STAGE: stage };
  const target = deployTarget(stage, 'ap-guangzhou', LIVE_ALIAS);
  const both = [target.apiFunction, target.pollFunction];
  let url: string;

  test('the first deploy publishes version 1 of each function, points live at it, and binds the Function URL and a timer to live', async () => {
    deployed(stage, true); // as serverless deploy leaves them: the plugin's timer on $LATEST, switched on
    const run = await runDeploy(['--skip-serverless'], env);
    expect(run).toMatchObject({ status: 0 });

    for (const fn of both) {
      expect(emu.versions(fn).map((v) => v.version)).toEqual(['1']);
      expect(emu.alias(fn, LIVE_ALIAS)).toMatchObject({ functionVersion: '1', additionalVersionWeights: [] });
    }
    const http = emu.triggers(target.apiFunction).filter((t) => t.type === 'http');
    expect(http).toEqual([expect.objectContaining({ name: 'cwp-task-bridge-url', qualifier: LIVE_ALIAS, enabled: true })]);
    url = JSON.parse(http[0]!.desc).NetConfig.ExtranetUrl;
    // The sweep runs on live; serverless.yml's timer on $LATEST is off.
    expect(emu.triggers(target.pollFunction)).toEqual([
      expect.objectContaining({ name: POLL_TIMER_TRIGGER_NAME, qualifier: '$LATEST', enabled: false }),
      expect.objectContaining({ name: ALIAS_TIMER_TRIGGER_NAME, qualifier: LIVE_ALIAS, enabled: true, desc: JSON.stringify({ cron: CRON }) }),
    ]);
    // Versions and the alias before the triggers that need the alias; the $LATEST timer off only after the live one is on.
    expect(allWrites()).toEqual([
      'PublishVersion accepted null', 'CreateAlias accepted null', 'PublishVersion accepted null', 'CreateAlias accepted null',
      'CreateTrigger accepted null', 'CreateTrigger accepted null', 'UpdateTriggerStatus accepted null',
    ]);
    expect(emu.requests().filter((r) => r.outcome !== 'accepted' || (r.code !== null && r.code !== 'ResourceNotFound.Alias'))).toEqual([]);

    expect(run.stdout).toContain(`${target.apiFunction}: published version 1 (the first version); alias live created at 1`);
    expect(run.stdout).toContain(`${target.apiFunction}: Function URL created (trigger cwp-task-bridge-url, live, public, auth NONE)`);
    expect(run.stdout).toContain(`${target.pollFunction}: timer ${ALIAS_TIMER_TRIGGER_NAME} (${CRON}) on live created; serverless.yml's timer ${POLL_TIMER_TRIGGER_NAME} on $LATEST switched off`);
    expect(run.stdout).toContain(`Function URL: ${url}`);
    expect(run.stdout).toContain('Roll back: npm run rollback');
  }, CLI_TIMEOUT_MS);

  test('a second deploy changes nothing', async () => {
    expect(url).toBeDefined();
    const run = await runDeploy(['--skip-serverless'], env);
    expect(run).toMatchObject({ status: 0 });
    expect(allWrites()).toEqual([]);
    for (const fn of both) expect(emu.versions(fn)).toHaveLength(1);
    expect(run.stdout).toContain(`${target.pollFunction}: $LATEST unchanged since version 1, nothing published; live at 1, unchanged`);
    expect(run.stdout).toContain(`timer ${ALIAS_TIMER_TRIGGER_NAME} (${CRON}) on live enabled, unchanged`);
    expect(run.stdout).toContain(`Function URL: ${url}`);
  }, CLI_TIMEOUT_MS);

  test('after a serverless deploy (new code on $LATEST, its timer recreated on) deploy publishes version 2, moves live to it and switches that timer off again; the URL stays', async () => {
    await nextSecond();
    for (const fn of both) emu.updateFunctionCode(fn);
    await scfClient().call('UpdateTriggerStatus', { Enable: 'OPEN', FunctionName: target.pollFunction, TriggerName: POLL_TIMER_TRIGGER_NAME, Type: 'timer' });
    emu.resetStats();

    const run = await runDeploy(['--skip-serverless'], env);
    expect(run).toMatchObject({ status: 0 });
    for (const fn of both) {
      expect(emu.versions(fn).map((v) => v.version)).toEqual(['1', '2']);
      expect(emu.alias(fn, LIVE_ALIAS)?.functionVersion).toBe('2');
      expect(emu.codeRevisionOf(fn, LIVE_ALIAS)).toBe(1); // the new code
    }
    expect(allWrites()).toEqual(['PublishVersion accepted null', 'UpdateAlias accepted null', 'PublishVersion accepted null', 'UpdateAlias accepted null', 'UpdateTriggerStatus accepted null']);
    expect(JSON.parse(emu.triggers(target.apiFunction).find((t) => t.type === 'http')!.desc).NetConfig.ExtranetUrl).toBe(url);
    expect(emu.triggers(target.pollFunction).find((t) => t.name === POLL_TIMER_TRIGGER_NAME)?.enabled).toBe(false);
    expect(run.stdout).toContain(`${target.apiFunction}: published version 2 ($LATEST changed since the newest version); live 1 -> 2`);
  }, CLI_TIMEOUT_MS);

  test('npm run rollback points live of both functions back at version 1; the Function URL and the timer follow it untouched', async () => {
    const triggersBefore = both.map((fn) => emu.triggers(fn));
    const run = await runRollback(env);
    expect(run).toMatchObject({ status: 0 });
    for (const fn of both) {
      expect(emu.alias(fn, LIVE_ALIAS)?.functionVersion).toBe('1');
      expect(emu.codeRevisionOf(fn, LIVE_ALIAS)).toBe(0); // the first code again
    }
    expect(allWrites()).toEqual(['UpdateAlias accepted null', 'UpdateAlias accepted null']);
    expect(both.map((fn) => emu.triggers(fn))).toEqual(triggersBefore);
    expect(run.stdout).toContain(`${target.apiFunction}: live 2 -> 1`);
    expect(run.stdout).toContain(`${target.pollFunction}: live 2 -> 1`);
  }, CLI_TIMEOUT_MS);

  test('a second rollback is refused: live is at the first version; nothing is changed', async () => {
    const run = await runRollback(env);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`rollback: REFUSED: ${target.apiFunction}: live is at version 1, the first published version; there is no previous version to roll back to`);
    expect(run.stderr).toContain('Nothing was changed.');
    expect(allWrites()).toEqual([]);
    for (const fn of both) expect(emu.alias(fn, LIVE_ALIAS)?.functionVersion).toBe('1');
  }, CLI_TIMEOUT_MS);

  test('deploy after a rollback points live at the newest version again, publishing nothing', async () => {
    const run = await runDeploy(['--skip-serverless'], env);
    expect(run).toMatchObject({ status: 0 });
    expect(allWrites()).toEqual(['UpdateAlias accepted null', 'UpdateAlias accepted null']);
    for (const fn of both) expect(emu.alias(fn, LIVE_ALIAS)?.functionVersion).toBe('2');
    expect(run.stdout).toContain(`${target.apiFunction}: $LATEST unchanged since version 2, nothing published; live 1 -> 2`);
  }, CLI_TIMEOUT_MS);

  test('rollback with SCF_VERSIONS=off is refused: there is no alias to move', async () => {
    const run = await runRollback({ ...env, ...ON_LATEST });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('rollback: REFUSED: SCF_VERSIONS=off');
    expect(emu.requests()).toEqual([]);
  }, CLI_TIMEOUT_MS);

  test('a deploy that would deploy the functions checks their environment first: no execution role, no shared store; nothing is built', async () => {
    const run = await runDeploy([], env);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('STATE_STORE: is not set');
    expect(run.stderr).toContain('SCF_ROLE: is required: the functions take their Tencent Cloud credentials from an execution role');
    expect(run.stdout).not.toContain('npm run build');
    expect(emu.requests()).toEqual([]);
  }, CLI_TIMEOUT_MS);
});

describe('lib/deploy in-process', () => {
  test('an existing Function URL with other settings is kept as it is, with the differences reported', async () => {
    const target = deployed('cam', true);
    emu.addTrigger(target.apiFunction, { type: 'http', name: 'console-url', desc: JSON.stringify({ AuthType: 'CAM', NetConfig: { EnableIntranet: true, EnableExtranet: false } }) });
    const result = await ensureFunctionUrl(scfClient(), target);
    expect(result).toMatchObject({ action: 'kept', triggerName: 'console-url', url: null });
    expect(result.intranetUrl).toMatch(/^https:\/\//);
    expect(result.differences).toEqual([expect.stringContaining('auth type is CAM'), 'public (extranet) access is off']);
    expect(await ensurePollTimer(scfClient(), target)).toMatchObject({ action: 'unchanged', cron: CRON });
    expect(writes()).toEqual([]);
  });

  test('rollback changes nothing unless every function has a version before the one live points at', async () => {
    const target = deployTarget('half', 'ap-guangzhou', LIVE_ALIAS);
    for (const fn of [target.apiFunction, target.pollFunction]) emu.addFunction(fn);
    const scf = scfClient();
    await publishAndPointAlias(scf, target, target.apiFunction, { deployedCode: true, description: 'one' });
    await publishAndPointAlias(scf, target, target.apiFunction, { deployedCode: true, description: 'two' });
    await publishAndPointAlias(scf, target, target.pollFunction, { deployedCode: true, description: 'one' });
    emu.resetStats();

    const refused = rollbackAliases(scf, target, [target.apiFunction, target.pollFunction]);
    await expect(refused).rejects.toThrow(RollbackRefusedError);
    await expect(refused).rejects.toThrow(`${target.pollFunction}: live is at version 1, the first published version; there is no previous version to roll back to. Nothing was changed.`);
    expect(allWrites()).toEqual([]);
    expect(emu.alias(target.apiFunction, LIVE_ALIAS)?.functionVersion).toBe('2');
  });

  test('rollback of a function that was never deployed with versions is refused, naming what to run', async () => {
    const target = deployTarget('noalias', 'ap-guangzhou', LIVE_ALIAS);
    emu.addFunction(target.apiFunction);
    await expect(rollbackAliases(scfClient(), target, [target.apiFunction])).rejects.toThrow(`${target.apiFunction} has no alias live: run \`npm run deploy\` first`);
  });

  test('an alias that also routed traffic to another version is pointed wholly at the newest, and says so', async () => {
    const target = deployTarget('canary', 'ap-guangzhou', LIVE_ALIAS);
    emu.addFunction(target.apiFunction);
    const scf = scfClient();
    await publishAndPointAlias(scf, target, target.apiFunction, { deployedCode: true, description: 'one' });
    await scf.call('PublishVersion', { FunctionName: target.apiFunction });
    await scf.call('UpdateAlias', { FunctionName: target.apiFunction, Name: LIVE_ALIAS, FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: [{ Version: '1', Weight: 0.1 }] } });

    const result = await publishAndPointAlias(scf, target, target.apiFunction, { deployedCode: false, description: 'again' });
    expect(result).toMatchObject({ published: null, newest: '2', aliasBefore: '2', clearedRouting: 'version 1 (weight 0.1)' });
    expect(emu.alias(target.apiFunction, LIVE_ALIAS)).toMatchObject({ functionVersion: '2', additionalVersionWeights: [] });
  });

  test('the timer on live gets the cron of serverless.yml\'s timer back when it differs', async () => {
    const target = deployTarget('cron', 'ap-guangzhou', LIVE_ALIAS);
    deployed('cron', false);
    const scf = scfClient();
    await publishAndPointAlias(scf, target, target.pollFunction, { deployedCode: true, description: 'one' });
    expect(await ensurePollTimer(scf, target)).toMatchObject({ action: 'created', qualifier: LIVE_ALIAS, latestTimer: 'off' });
    await scf.call('UpdateTrigger', { FunctionName: target.pollFunction, TriggerName: ALIAS_TIMER_TRIGGER_NAME, Type: 'timer', Qualifier: LIVE_ALIAS, TriggerDesc: '0 */5 * * * * *' });

    expect(await ensurePollTimer(scf, target)).toMatchObject({ action: 'updated', cron: CRON });
    expect(emu.triggers(target.pollFunction).find((t) => t.name === ALIAS_TIMER_TRIGGER_NAME)?.desc).toBe(JSON.stringify({ cron: CRON }));
  });

  test('a version\'s description says when and after what it was published, in the characters SCF documents for descriptions', () => {
    const at = new Date('2026-11-24T10:00:00.123Z');
    expect(versionDescription(at, true)).toBe('Published by npm run deploy 20261124 100000 UTC, after serverless deploy');
    expect(versionDescription(at, false)).toMatch(/^[A-Za-z0-9 ,.]+$/);
    expect(emu.versions(deployTarget('prod', 'ap-guangzhou').apiFunction)[0]?.description).toMatch(/^Published by npm run deploy \d{8} \d{6} UTC$/);
  });

  test('failures say what failed and what to do: bad credentials, a missing timer', async () => {
    const target = deployTarget('notimer', 'ap-guangzhou');
    emu.addFunction(target.pollFunction);
    const badKey = ensurePollTimer(scfClient('wrong-secret-key'), target);
    await expect(badKey).rejects.toThrow(DeployStepError);
    await expect(badKey).rejects.toThrow(/failed with AuthFailure\.SignatureFailure: .*Check the credentials .* scf:ListTriggers/);
    await expect(ensurePollTimer(scfClient(), target)).rejects.toThrow(/has no timer trigger cwp-task-bridge-poll: `serverless deploy` creates it/);
  });
});

describe('the emulator\'s scf actions', () => {
  const call = (action: string, payload: Record<string, unknown>) => scfClient().call<Record<string, any>>(action, payload);
  const code = (p: Promise<unknown>) => p.then(() => null, (e: { code?: string }) => e.code ?? String(e));

  test('CreateTrigger checks the Function URL TriggerDesc, names and duplicates; UpdateTriggerStatus its types', async () => {
    const fn = 'emulator-checks';
    emu.addFunction(fn);
    const http = (desc: unknown, name = 'url') => call('CreateTrigger', { FunctionName: fn, TriggerName: name, Type: 'http', TriggerDesc: JSON.stringify(desc) });
    expect(await code(http({ AuthType: 'OPEN', NetConfig: { EnableIntranet: false, EnableExtranet: true } }))).toBe('InvalidParameterValue.TriggerDesc');
    expect(await code(http({ AuthType: 'NONE', NetConfig: { EnableExtranet: true } }))).toBe('InvalidParameterValue.TriggerDesc');
    expect(await code(http({ AuthType: 'NONE', NetConfig: { EnableIntranet: false, EnableExtranet: false } }))).toBe('InvalidParameterValue.TriggerDesc');
    expect(await code(call('CreateTrigger', { FunctionName: 'no-such-function', TriggerName: 'url', Type: 'http', TriggerDesc: JSON.stringify(FUNCTION_URL_TRIGGER_DESC) }))).toBe('ResourceNotFound.Function');
    expect(await code(call('CreateTrigger', { FunctionName: fn, TriggerName: 'url', Type: 'http' }))).toBe('InvalidParameterValue.TriggerDesc');
    expect(await code(call('CreateTrigger', { FunctionName: fn, TriggerName: 'url' }))).toBe('MissingParameter');

    const created = await http(FUNCTION_URL_TRIGGER_DESC);
    expect(created.response.TriggerInfo).toMatchObject({ TriggerName: 'url', Type: 'http', Enable: 1, Qualifier: '$LATEST', AvailableStatus: 'Available' });
    expect(JSON.parse(created.response.TriggerInfo.TriggerDesc).NetConfig.ExtranetUrl).toMatch(/\.ap-guangzhou\.tencentscf\.com$/);
    // One URL per version, and trigger names are unique per function.
    expect(await code(http(FUNCTION_URL_TRIGGER_DESC, 'url2'))).toBe('ResourceInUse.Trigger');
    expect(await code(call('CreateTrigger', { FunctionName: fn, TriggerName: 'url', Type: 'timer', TriggerDesc: CRON }))).toBe('ResourceInUse.Trigger');
    expect(await code(call('CreateTrigger', { FunctionName: fn, TriggerName: 'tick', Type: 'timer', TriggerDesc: '*/5 * * * *' }))).toBe('InvalidParameterValue.TriggerDesc');

    const listed = await call('ListTriggers', { FunctionName: fn });
    expect(listed.response).toMatchObject({ TotalCount: 1, Triggers: [{ TriggerName: 'url', Type: 'http', Enable: 1 }] });
    expect(await code(call('ListTriggers', { FunctionName: fn, Region: 'ap-guangzhou' }))).toBe('UnknownParameter');

    expect(await code(call('UpdateTriggerStatus', { Enable: 'CLOSE', FunctionName: fn, TriggerName: 'url', Type: 'http' }))).toBe('InvalidParameterValue.Type');
    expect(await code(call('UpdateTriggerStatus', { Enable: 'OPEN', FunctionName: fn, TriggerName: 'tick', Type: 'timer' }))).toBe('ResourceNotFound.Trigger');
    expect(await code(call('UpdateTriggerStatus', { Enable: 'ON', FunctionName: fn, TriggerName: 'tick', Type: 'timer' }))).toBe('InvalidParameterValue.Enable');
  });

  test('versions and aliases: PublishVersion counts from 1, ListVersionByFunction lists $LATEST first, aliases check names, versions and RoutingConfig', async () => {
    const fn = 'emulator-versions';
    emu.addFunction(fn);
    expect(await code(call('GetAlias', { FunctionName: fn, Name: 'live' }))).toBe('ResourceNotFound.Alias');
    expect(await code(call('CreateAlias', { FunctionName: fn, Name: 'live', FunctionVersion: '1' }))).toBe('ResourceNotFound.FunctionVersion');
    expect((await call('PublishVersion', { FunctionName: fn, Description: 'first' })).response.FunctionVersion).toBe('1');
    emu.updateFunctionCode(fn);
    expect((await call('PublishVersion', { FunctionName: fn })).response.FunctionVersion).toBe('2');
    expect(await code(call('PublishVersion', { FunctionName: 'no-such-function' }))).toBe('ResourceNotFound.Function');

    const listed = await call('ListVersionByFunction', { FunctionName: fn });
    expect(listed.response).toMatchObject({ FunctionVersion: ['$LATEST', '1', '2'], TotalCount: 3, Versions: [{ Version: '$LATEST' }, { Version: '1', Description: 'first' }, { Version: '2' }] });
    expect((await call('ListVersionByFunction', { FunctionName: fn, Offset: 2, Limit: 1 })).response.FunctionVersion).toEqual(['2']);
    expect((await call('GetFunction', { FunctionName: fn, Qualifier: '2' })).response).toMatchObject({ FunctionName: fn, Qualifier: '2', Status: 'Active' });
    expect(await code(call('GetFunction', { FunctionName: fn, Qualifier: '9' }))).toBe('ResourceNotFound.Version');

    expect(await code(call('CreateAlias', { FunctionName: fn, Name: '1live', FunctionVersion: '1' }))).toBe('InvalidParameterValue.Name');
    expect(await code(call('CreateAlias', { FunctionName: fn, Name: 'live', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: [{ Version: '2', Weight: 0.5 }] } }))).toBe('InvalidParameter.RoutingConfig');
    expect(await code(call('CreateAlias', { FunctionName: fn, Name: 'live', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: [{ Version: '1', Weight: 1.5 }] } }))).toBe('InvalidParameterValue.AdditionalVersionWeights');
    await call('CreateAlias', { FunctionName: fn, Name: 'live', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: [{ Version: '1', Weight: 0.2 }] } });
    expect(await code(call('CreateAlias', { FunctionName: fn, Name: 'live', FunctionVersion: '1' }))).toBe('ResourceInUse.Alias');
    expect((await call('GetAlias', { FunctionName: fn, Name: 'live' })).response).toMatchObject({ FunctionVersion: '2', Name: 'live', RoutingConfig: { AdditionalVersionWeights: [{ Version: '1', Weight: 0.2 }], AddtionVersionMatchs: [] } });
    // Without RoutingConfig the additional version stays, so it cannot become the main one.
    expect(await code(call('UpdateAlias', { FunctionName: fn, Name: 'live', FunctionVersion: '1' }))).toBe('InvalidParameter.RoutingConfig');
    await call('UpdateAlias', { FunctionName: fn, Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: [] } });
    expect(emu.alias(fn, 'live')).toMatchObject({ functionVersion: '1', additionalVersionWeights: [] });
    expect(emu.codeRevisionOf(fn, 'live')).toBe(0);
    expect(emu.codeRevisionOf(fn, '2')).toBe(1);
    expect(await code(call('UpdateAlias', { FunctionName: fn, Name: 'stable', FunctionVersion: '1' }))).toBe('ResourceNotFound.Alias');
  });

  test('triggers on a qualifier: CreateTrigger needs the version or alias to exist; UpdateTrigger changes a timer\'s cron', async () => {
    const fn = 'emulator-qualifiers';
    emu.addFunction(fn);
    const timer = { FunctionName: fn, TriggerName: 'tick', Type: 'timer', TriggerDesc: CRON, Qualifier: 'live' };
    expect(await code(call('CreateTrigger', timer))).toBe('ResourceNotFound.Qualifier');
    await call('PublishVersion', { FunctionName: fn });
    await call('CreateAlias', { FunctionName: fn, Name: 'live', FunctionVersion: '1' });
    await call('CreateTrigger', timer);
    expect(await code(call('UpdateTrigger', { FunctionName: fn, TriggerName: 'tick', Type: 'timer', TriggerDesc: '0 */5 * * * * *' }))).toBe('ResourceNotFound.Trigger'); // it is on live, not $LATEST
    expect(await code(call('UpdateTrigger', { FunctionName: fn, TriggerName: 'tick', Type: 'timer', Qualifier: 'live', TriggerDesc: '*/5 * * * *' }))).toBe('InvalidParameterValue.TriggerDesc');
    await call('UpdateTrigger', { FunctionName: fn, TriggerName: 'tick', Type: 'timer', Qualifier: 'live', TriggerDesc: '0 */5 * * * * *', Enable: 'CLOSE' });
    expect(emu.triggers(fn)).toEqual([expect.objectContaining({ name: 'tick', qualifier: 'live', enabled: false, desc: JSON.stringify({ cron: '0 */5 * * * * *' }) })]);
  });
});
