// The deploy step after `serverless deploy` (scripts/deploy.ts, lib/deploy/), against the emulator's scf actions
// over real HTTP: the real CLI in a child process (`--skip-serverless`: `serverless deploy` needs the network)
// creates the api function's Function URL once and enables a disabled poll timer, and a second run changes
// nothing. Every request is signed by our TencentClient and verified by the emulator. The failure messages and
// the emulator's own checks are exercised in-process through lib/deploy.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator, type RequestRecord } from '../../dev/emulator';
import { DeployStepError, FUNCTION_URL_TRIGGER_DESC, POLL_TIMER_TRIGGER_NAME, SCF_SERVICE, SCF_VERSION, deployTarget, ensureFunctionUrl, ensurePollTimer } from '../../lib/deploy/function-url';
import { TencentClient } from '../../lib/tencent/client';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI_TIMEOUT_MS = 60_000;
const CRON = '0 */1 * * * * *';
/** Variables the CLI reads; removed from the child's environment so the caller's shell cannot leak in. */
const DEPLOY_ENV = ['TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY', 'TENCENTCLOUD_SESSION_TOKEN', 'TENCENTCLOUD_REGION', 'SCF_STAGE', 'SCF_ENDPOINT', 'SCF_VPC_ID', 'SCF_SUBNET_ID', 'API_TRIGGER', 'APIGW_SERVICE_ID'];

let emu: Emulator;
let home: string;

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `node scripts/run-ts.mjs scripts/deploy.ts ...args`, asynchronously: the emulator answers from this process. */
function runDeploy(args: string[], env: Record<string, string>): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of DEPLOY_ENV) delete childEnv[name];
  Object.assign(childEnv, { HOME: home, SCF_ENDPOINT: emu.url }, env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/run-ts.mjs', 'scripts/deploy.ts', ...args], { cwd: ROOT, env: childEnv });
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
    const run = await runDeploy(['--skip-serverless'], envCredentials);
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
      const run = await runDeploy(['--skip-serverless'], {});
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
    const run = await runDeploy(['--skip-serverless'], { ...envCredentials, SCF_VPC_ID: 'vpc-abcd1234', API_TRIGGER: 'gateway' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('SCF_SUBNET_ID: is required with SCF_VPC_ID');
    expect(run.stderr).toContain('API_TRIGGER: "gateway" must be one of url, apigw, none');
    expect(scfRequests()).toEqual([]);
  }, CLI_TIMEOUT_MS);

  test('a function that is not deployed fails with the code and what to do', async () => {
    const run = await runDeploy(['--skip-serverless'], { ...envCredentials, SCF_STAGE: 'nowhere' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('ListTriggers on cwp-task-bridge-nowhere-api (namespace default, region ap-guangzhou) failed with ResourceNotFound.Function');
    expect(run.stderr).toContain('Deploy the functions first');
    expect(writes()).toEqual([]);
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
});
