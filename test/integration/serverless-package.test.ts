// Deployment packaging, offline: `npm run package:scf` (scripts/package.sh) runs `serverless package` with
// serverless@3 + serverless-tencent-scf, then scripts/serverless/describe.js, which runs the plugin's own deploy
// code with recording SDK transports and prints what `serverless deploy` would send to SCF. These tests check
// that description: functions, handlers, runtime, timeouts, triggers, VPC, and the environment variable NAMES
// against lib/config's ENV list, and that packaging fails on an environment over SCF's 4 KB. HOME is a temp dir,
// so nothing is left in the user's home.
import { randomUUID } from 'node:crypto';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ENV } from '../../lib/config';

const ROOT = path.resolve(__dirname, '..', '..');
const STEP_TIMEOUT_MS = 240_000;

/** ENV names that are not deployed: SCF injects the role spellings itself; a session token would expire. */
const NOT_DEPLOYED = ['TENCENTCLOUD_SECRETID', 'TENCENTCLOUD_SECRETKEY', 'TENCENTCLOUD_SESSIONTOKEN', 'TENCENTCLOUD_SESSION_TOKEN'];
/** Deploy-time switches read by serverless.yml and scripts/package.sh. */
const SWITCHES = ['SCF_RUNTIME', 'SCF_STAGE', 'SCF_ROLE', 'API_TRIGGER', 'APIGW_SERVICE_ID', 'SCF_VPC_ID', 'SCF_SUBNET_ID', 'DEPLOY_CREDENTIALS', 'ALLOW_FILE_STORE'];

interface Trigger {
  type: string;
  name: string;
  enable: string;
  cron?: string;
  desc?: {
    api: { requestConfig: { method: string; path: string }; isIntegratedResponse: string; authRequired: string; serviceTimeout: number };
    service: { serviceId?: string; serviceName?: string };
    release: { environmentName: string };
  };
}
interface FunctionDescription {
  functionName: string;
  namespace: string;
  handler: string;
  runtime: string;
  memorySize: number;
  timeout: number;
  role: string | null;
  vpc: { vpcId: string; subnetId: string } | null;
  code: { cosBucket: string; cosObject: string };
  environment: { names: string[]; set: string[]; bytes: number; largest: { name: string; bytes: number }[] };
  triggers: Trigger[];
  triggerFailures: string[];
}
interface Description {
  service: string;
  stage: string;
  region: string;
  plugin: { name: string; version: string };
  artifact: { path: string; exists: boolean; bytes?: number; entries?: string[] };
  functions: Record<string, FunctionDescription>;
  requests: { service: string; action: string; params: Record<string, unknown> }[];
  errors: string[];
  warnings: string[];
}

/**
 * The caller's environment without anything serverless.yml reads, so the description is deterministic. The
 * default file store is accepted (ALLOW_FILE_STORE=true) unless `extra` says otherwise: most tests here are about
 * what would be sent, not about the state store.
 */
function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [...ENV, ...SWITCHES]) delete env[name];
  for (const name of Object.keys(env)) if (name.startsWith('SLS_')) delete env[name];
  return { ...env, HOME: home, SLS_HOME: home, SLS_TIMEOUT: String(STEP_TIMEOUT_MS / 1000 - 20), ALLOW_FILE_STORE: 'true', ...extra };
}

/** Runs a command to its end; `expectFailure` wants a non-zero exit instead of a zero one. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, expectFailure = false): SpawnSyncReturns<string> & { ms: number } {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8', timeout: STEP_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 32 * 1024 * 1024 });
  const ms = Date.now() - t0;
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message} after ${ms} ms\n${r.stderr}`);
  if ((r.status !== 0) !== expectFailure) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status} (signal ${r.signal})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return { ...r, ms };
}

/** Warnings that are known and reported, but are not this packaging's to fix (see the runtime note in serverless.yml). */
const isRuntimeCompatWarning = (w: string) => w.includes('AbortSignal.any');

describe('serverless package (offline) and the SCF deployment description', () => {
  let home: string;
  let description: Description;

  beforeAll(() => {
    home = mkdtempSync(path.join(tmpdir(), 'cwp-sls-home-'));
    if (!existsSync(path.join(ROOT, 'dist', 'scf.zip'))) run('npm', ['run', 'build'], { ...process.env });
    const r = run('bash', ['scripts/package.sh', '--no-build'], cleanEnv(home));
    console.log(`npm run package:scf -- --no-build took ${r.ms} ms\n${r.stdout}`);
    description = JSON.parse(readFileSync(path.join(ROOT, '.serverless', 'scf-description.json'), 'utf8')) as Description;
  }, 2 * STEP_TIMEOUT_MS);

  afterAll(() => {
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('the service, plugin and artifact', () => {
    expect(description.service).toBe('cwp-task-bridge');
    expect(description.stage).toBe('dev');
    expect(description.region).toBe('ap-guangzhou');
    expect(description.plugin).toEqual({ name: 'serverless-tencent-scf', version: '0.1.36' });
    expect(description.artifact.path).toBe(path.join('dist', 'scf.zip'));
    expect(description.artifact.entries).toEqual(expect.arrayContaining(['api.js', 'poll.js']));
    expect(Object.keys(description.functions).sort()).toEqual(['api', 'poll']);
    // Both functions deploy the same uploaded artifact.
    expect(description.functions.poll!.code).toEqual(description.functions.api!.code);
    expect(description.functions.poll!.code.cosBucket).toBe('sls-cloudfunction-ap-guangzhou');
  });

  test('poll: handler, runtime, timeout that fits the sweep budget, and an enabled every-minute timer', () => {
    const poll = description.functions.poll!;
    expect(poll).toMatchObject({
      functionName: 'cwp-task-bridge-dev-poll',
      namespace: 'default',
      handler: 'poll.main_handler',
      runtime: 'Nodejs18.15',
      memorySize: 128,
      timeout: 65,
      role: null,
      vpc: null,
    });
    // SWEEP_BUDGET_MS 62000 plus lib/config's default SWEEP_MARGIN_MS (3000) must end inside the timeout.
    expect(poll.timeout * 1000).toBeGreaterThanOrEqual(62_000 + 3_000);
    expect(poll.triggers).toEqual([{ type: 'timer', name: 'cwp-task-bridge-poll', enable: 'OPEN', cron: '0 */1 * * * * *' }]);
    expect(poll.triggers[0]!.cron!.split(' ')).toHaveLength(7);
    expect(poll.triggerFailures).toEqual([]);
  });

  test('api: handler, timeout, and no trigger from the plugin (API_TRIGGER=url: the Function URL is scripts/deploy.ts\'s)', () => {
    const api = description.functions.api!;
    expect(api).toMatchObject({
      functionName: 'cwp-task-bridge-dev-api',
      handler: 'api.main_handler',
      runtime: 'Nodejs18.15',
      memorySize: 128,
      timeout: 15,
      vpc: null,
    });
    expect(api.triggers).toEqual([]);
    expect(api.triggerFailures).toEqual([]);
  });

  test('environment: every deployable ENV name, the same on both functions, defaults only where needed', () => {
    const expected = ENV.filter((n) => !NOT_DEPLOYED.includes(n)).sort();
    for (const f of Object.values(description.functions)) {
      expect([...f.environment.names].sort()).toEqual(expected);
      // With a clean shell only the deployment defaults are non-empty; everything else falls to lib/config.
      expect([...f.environment.set].sort()).toEqual(['LOG_LEVEL', 'STATE_STORE', 'SWEEP_BUDGET_MS', 'TENCENTCLOUD_REGION', 'WATCH_KINDS']);
      expect(f.environment.bytes).toBeLessThanOrEqual(4096);
    }
  });

  test('what deploy would call, in order, for each new function', () => {
    const actions = description.requests.map((r) => `${r.service}:${r.action}`);
    const perFunction = ['cam:ListPolicies', 'cam:CreateRole', 'cam:AttachRolePolicy', 'scf:GetFunction', 'scf:CreateFunction'];
    // The poll function's timer; the api function gets none from the plugin.
    expect(actions).toEqual([...perFunction, 'scf:CreateTrigger', ...perFunction]);
  });

  test('no errors, and no warnings about the artifact, handlers, VPC or triggers', () => {
    expect(description.errors).toEqual([]);
    const compat = description.warnings.filter(isRuntimeCompatWarning);
    if (compat.length > 0) console.warn(`runtime compatibility (to fix in the bundle or the runtime):\n  ${compat.join('\n  ')}`);
    expect(description.warnings.filter((w) => !isRuntimeCompatWarning(w))).toEqual([]);
  });

  test('switches: API_TRIGGER=apigw, the VPC on both functions, SCF_ROLE; secrets are never printed', () => {
    const secret = `s3cr3t-${process.pid}-${Date.now()}`;
    const token = `tok-${'x'.repeat(20)}-${process.pid}`;
    const r = run('node', ['scripts/serverless/describe.js'], cleanEnv(home, {
      API_TRIGGER: 'apigw',
      SCF_VPC_ID: 'vpc-abcd1234',
      SCF_SUBNET_ID: 'subnet-efgh5678',
      SCF_ROLE: 'CwpTaskBridgeRole',
      SCF_STAGE: 'prod',
      TENCENTCLOUD_REGION: 'ap-shanghai',
      TENCENTCLOUD_SECRET_KEY: secret,
      API_TOKENS: token,
      DEPLOY_CREDENTIALS: 'env',
    }));
    expect(r.stdout).not.toContain(secret);
    expect(r.stdout).not.toContain(token);
    const d = JSON.parse(r.stdout) as Description;
    expect(d.region).toBe('ap-shanghai');
    expect(d.functions.api!.functionName).toBe('cwp-task-bridge-prod-api');
    // For users who still have an API Gateway service: one enabled ANY / trigger with integrated response.
    expect(d.functions.api!.triggers).toHaveLength(1);
    const t = d.functions.api!.triggers[0]!;
    expect(t).toMatchObject({ type: 'apigw', name: 'cwp-task-bridge-api', enable: 'OPEN' });
    expect(t.desc!.api).toMatchObject({ requestConfig: { method: 'ANY', path: '/' }, isIntegratedResponse: 'TRUE', authRequired: 'FALSE', serviceTimeout: 15 });
    expect(t.desc!.release.environmentName).toBe('release');
    expect(t.desc!.service).toEqual({ serviceName: 'SCF_API_SERVICE' });
    expect(d.functions.poll!.triggers).toHaveLength(1);
    for (const f of Object.values(d.functions)) expect(f.vpc).toEqual({ vpcId: 'vpc-abcd1234', subnetId: 'subnet-efgh5678' });
    expect(d.errors).toEqual([]);
    expect(d.functions.poll!.role).toBe('CwpTaskBridgeRole');
    expect(d.functions.poll!.code.cosBucket).toBe('sls-cloudfunction-ap-shanghai');
    for (const f of Object.values(d.functions)) expect(f.environment.set).toEqual(expect.arrayContaining(['TENCENTCLOUD_SECRET_KEY', 'API_TOKENS']));
  }, STEP_TIMEOUT_MS + 10_000);

  test('npm run package:scf fails on an environment over SCF\'s 4 KB, naming the largest variables, never their values', () => {
    const uuids = Array.from({ length: 120 }, () => randomUUID());
    const watchBytes = 'WATCH_UUIDS'.length + uuids.join(',').length; // 11 + 120 * 37 - 1 = 4450
    const r = run('bash', ['scripts/package.sh', '--no-build'], cleanEnv(home, { WATCH_UUIDS: uuids.join(',') }), true);
    expect(r.status).toBe(1);
    for (const fn of ['poll', 'api']) {
      expect(r.stderr).toMatch(new RegExp(`ERROR: ${fn}: environment is \\d+ bytes, over SCF's limit of 4096 bytes for all variables together; largest: WATCH_UUIDS \\(${watchBytes} bytes\\), STATE_STORE \\(\\d+ bytes\\)`));
    }
    expect(r.stderr).toContain('FAILED: 2 error(s)');
    for (const u of uuids) {
      expect(r.stdout).not.toContain(u);
      expect(r.stderr).not.toContain(u);
    }
  }, STEP_TIMEOUT_MS + 10_000);

  test('the shell\'s TENCENTCLOUD_SECRET_ID/KEY are not deployed into the functions unless DEPLOY_CREDENTIALS=env asks for it', () => {
    const keys = { TENCENTCLOUD_SECRET_ID: `AKID${process.pid}x`, TENCENTCLOUD_SECRET_KEY: `k-${process.pid}-${Date.now()}`, SCF_ROLE: 'CwpTaskBridgeRole' };
    const byRole = JSON.parse(run('node', ['scripts/serverless/describe.js'], cleanEnv(home, keys)).stdout) as Description;
    for (const f of Object.values(byRole.functions)) {
      // The names stay (empty, so lib/config takes the role's TENCENTCLOUD_SECRETID/SECRETKEY); the values do not.
      expect(f.environment.names).toEqual(expect.arrayContaining(['TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY']));
      expect(f.environment.set).not.toEqual(expect.arrayContaining(['TENCENTCLOUD_SECRET_ID']));
      expect(f.environment.set).not.toEqual(expect.arrayContaining(['TENCENTCLOUD_SECRET_KEY']));
      expect(f.role).toBe('CwpTaskBridgeRole');
    }
    const { SCF_ROLE: _role, ...withoutRole } = keys;
    const copied = JSON.parse(run('node', ['scripts/serverless/describe.js'], cleanEnv(home, { ...withoutRole, DEPLOY_CREDENTIALS: 'env' })).stdout) as Description;
    for (const f of Object.values(copied.functions)) expect(f.environment.set).toEqual(expect.arrayContaining(['TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY']));
  }, 2 * STEP_TIMEOUT_MS);

  test.each([
    ['no STATE_STORE', {}, /STATE_STORE: is not set, so the functions would use serverless\.yml's file:\/tmp\/cwp-task-bridge, which keeps state per instance/],
    ['a file: store', { STATE_STORE: 'file:/tmp/cwp' }, /STATE_STORE: a file: store keeps state per instance/],
    ['memory:', { STATE_STORE: 'memory:' }, /STATE_STORE: memory: loses every watch and state when an instance ends/],
  ])('npm run package:scf refuses %s before building anything, naming STATE_STORE and ALLOW_FILE_STORE', (_what, env, message) => {
    const r = run('bash', ['scripts/package.sh'], cleanEnv(home, { ALLOW_FILE_STORE: '', ...env }), true);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('redis://[:password@]host:port/db');
    // Refused first: no build, no serverless package.
    expect(r.stdout).not.toContain('npm run build');
    expect(r.stdout).not.toContain('packaged in');
  }, STEP_TIMEOUT_MS);

  test('with a redis:// STATE_STORE it packages, and writes the execution role\'s policy for exactly the configured features and its trust policy', () => {
    // The default run of beforeAll: no optional feature.
    const minimal = JSON.parse(readFileSync(path.join(ROOT, '.serverless', 'cam-role-policy.json'), 'utf8')) as { statement: { action: string[] }[] };
    expect(minimal.statement[0]!.action.some((a) => a === 'yunjing:DescribeMachines' || a.startsWith('tdmq:') || a.startsWith('eb:'))).toBe(false);

    const features = { STATE_STORE: 'redis://:pass@10.0.0.12:6379/0', ALLOW_FILE_STORE: '', WATCH_DISCOVER: 'CVM:ap-guangzhou', CMQ_TOPIC: 'cwp-task-events', EB_EVENT_BUS_ID: 'eb-abcd1234' };
    const r = run('bash', ['scripts/package.sh', '--no-build'], cleanEnv(home, features));
    expect(r.stdout).toContain('package.sh: execution role policy .serverless/cam-role-policy.json (9 actions), trust policy .serverless/cam-trust-policy.json');
    const policy = JSON.parse(readFileSync(path.join(ROOT, '.serverless', 'cam-role-policy.json'), 'utf8'));
    expect(policy).toEqual({
      version: '2.0',
      statement: [{
        effect: 'allow',
        action: [
          'eb:PutEvents', 'tdmq:PublishCmqMsg',
          'yunjing:CreateOpenPortTask', 'yunjing:CreateProcessTask', 'yunjing:DescribeMachines', 'yunjing:DescribeOpenPortTaskStatus',
          'yunjing:DescribeOpenPorts', 'yunjing:DescribeProcessTaskStatus', 'yunjing:DescribeProcesses',
        ],
        resource: ['*'],
      }],
    });
    const trust = JSON.parse(readFileSync(path.join(ROOT, '.serverless', 'cam-trust-policy.json'), 'utf8'));
    expect(trust.statement).toEqual([{ effect: 'allow', action: 'name/sts:AssumeRole', principal: { service: ['scf.qcloud.com'] } }]);
  }, STEP_TIMEOUT_MS + 10_000);
});
