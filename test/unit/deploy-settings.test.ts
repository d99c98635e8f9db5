// The deploying shell's settings (lib/deploy/settings.ts): what the functions' environment must hold to work once
// deployed (a shared state store; credentials from a role, or copied only when asked), and the switches of the
// deploy step. Each problem names its variable and the fix.
import { functionCredentialsNotice, functionEnvironmentProblems, readDeploySettings } from '../../lib/deploy/settings';

const REDIS = { STATE_STORE: 'redis://:pass@10.0.0.12:6379/0' };
const ROLE = { SCF_ROLE: 'CwpTaskBridgeRole' };
const problems = (env: Record<string, string>, requireRole = true) => functionEnvironmentProblems(env, { requireRole });

describe('the state store a deployed function gets', () => {
  test('redis:// and rediss:// pass', () => {
    expect(problems({ ...ROLE, ...REDIS })).toEqual([]);
    expect(problems({ ...ROLE, STATE_STORE: 'rediss://:pass@redis.example.com:6380/1' })).toEqual([]);
  });

  test('unset is refused, naming STATE_STORE, the shared store to use and ALLOW_FILE_STORE', () => {
    const [p, ...rest] = problems(ROLE);
    expect(rest).toEqual([]);
    expect(p).toMatch(/^STATE_STORE: is not set, so the functions would use serverless\.yml's file:\/tmp\/cwp-task-bridge, which keeps state per instance/);
    expect(p).toContain('redis://[:password@]host:port/db');
    expect(p).toContain('ALLOW_FILE_STORE=true');
  });

  test('a file: store is refused unless ALLOW_FILE_STORE=true; unset, the default file store likewise', () => {
    expect(problems({ ...ROLE, STATE_STORE: 'file:/tmp/x' })).toEqual([expect.stringMatching(/^STATE_STORE: a file: store keeps state per instance/)]);
    expect(problems({ ...ROLE, STATE_STORE: 'file:/tmp/x', ALLOW_FILE_STORE: 'true' })).toEqual([]);
    expect(problems({ ...ROLE, ALLOW_FILE_STORE: 'true' })).toEqual([]);
  });

  test('memory: is refused even with ALLOW_FILE_STORE', () => {
    expect(problems({ ...ROLE, STATE_STORE: 'memory:', ALLOW_FILE_STORE: 'true' })).toEqual([expect.stringMatching(/^STATE_STORE: memory: loses every watch and state when an instance ends/)]);
  });

  test('a redis URL that the client would misread is refused without showing it', () => {
    const [p] = problems({ ...ROLE, STATE_STORE: 'redis://:pa#ss@10.0.0.12:6379/0' });
    expect(p).toMatch(/^STATE_STORE: contains an unencoded #/);
    expect(p).not.toContain('pa#ss');
  });

  test('ALLOW_FILE_STORE takes true or false only', () => {
    expect(problems({ ...ROLE, ...REDIS, ALLOW_FILE_STORE: 'yes' })).toEqual(['ALLOW_FILE_STORE: "yes" must be true or false']);
  });
});

describe("the functions' credentials", () => {
  test('by default they come from the execution role, which deploy requires', () => {
    expect(problems(REDIS)).toEqual([expect.stringMatching(/^SCF_ROLE: is required: the functions take their Tencent Cloud credentials from an execution role/)]);
    expect(problems(REDIS, false)).toEqual([]);
  });

  test('the shell\'s keys alone do not stand in for a role', () => {
    expect(problems({ ...REDIS, TENCENTCLOUD_SECRET_ID: 'AKIDx', TENCENTCLOUD_SECRET_KEY: 'k' })).toEqual([expect.stringMatching(/^SCF_ROLE: is required/)]);
  });

  test('DEPLOY_CREDENTIALS=env copies the long-lived keys: both must be set, and no session token', () => {
    const keys = { TENCENTCLOUD_SECRET_ID: 'AKIDx', TENCENTCLOUD_SECRET_KEY: 'k' };
    expect(problems({ ...REDIS, ...keys, DEPLOY_CREDENTIALS: 'env' })).toEqual([]);
    expect(problems({ ...REDIS, TENCENTCLOUD_SECRET_ID: 'AKIDx', DEPLOY_CREDENTIALS: 'env' })).toEqual([expect.stringMatching(/^DEPLOY_CREDENTIALS: env copies TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY into the functions, but they are not both set/)]);
    expect(problems({ ...REDIS, ...keys, TENCENTCLOUD_SESSION_TOKEN: 't', DEPLOY_CREDENTIALS: 'env' })).toEqual([expect.stringMatching(/^DEPLOY_CREDENTIALS: env with TENCENTCLOUD_SESSION_TOKEN set: these are temporary keys/)]);
  });

  test('DEPLOY_CREDENTIALS=env and SCF_ROLE together are refused: the copied key would meet the role\'s session token', () => {
    const p = problems({ ...REDIS, ...ROLE, TENCENTCLOUD_SECRET_ID: 'AKIDx', TENCENTCLOUD_SECRET_KEY: 'k', DEPLOY_CREDENTIALS: 'env' });
    expect(p).toEqual([expect.stringMatching(/^DEPLOY_CREDENTIALS: env and SCF_ROLE are both set/)]);
  });

  test('DEPLOY_CREDENTIALS takes role or env; blank is the default', () => {
    expect(problems({ ...REDIS, ...ROLE, DEPLOY_CREDENTIALS: 'keys' })).toEqual(['DEPLOY_CREDENTIALS: "keys" must be role (the functions use the execution role SCF_ROLE) or env (copy TENCENTCLOUD_SECRET_ID/KEY into them)']);
    expect(problems({ ...REDIS, ...ROLE, DEPLOY_CREDENTIALS: ' ' })).toEqual([]);
  });

  test('the line deploy prints says where the credentials come from and that the keys are not copied', () => {
    expect(functionCredentialsNotice({ credentials: 'role', role: 'CwpTaskBridgeRole' })).toBe(
      'deploy: the functions get their Tencent Cloud credentials from the execution role CwpTaskBridgeRole; TENCENTCLOUD_SECRET_ID/KEY/SESSION_TOKEN are not copied into them (DEPLOY_CREDENTIALS=env would copy the first two)',
    );
    expect(functionCredentialsNotice({ credentials: 'env', role: null })).toMatch(/^deploy: DEPLOY_CREDENTIALS=env: TENCENTCLOUD_SECRET_ID\/KEY are copied into both functions' environment/);
  });
});

describe('the deploy step\'s settings', () => {
  test('versions are on by default; SCF_VERSIONS=off keeps the triggers on $LATEST; other values are refused', () => {
    expect(readDeploySettings({}).settings?.versions).toBe(true);
    expect(readDeploySettings({ SCF_VERSIONS: 'off' }).settings?.versions).toBe(false);
    expect(readDeploySettings({ SCF_VERSIONS: 'no' }).problems).toEqual([expect.stringMatching(/^SCF_VERSIONS: "no" must be on/)]);
  });

  test('the functions\' environment is checked only when the run deploys it', () => {
    expect(readDeploySettings({}).problems).toEqual([]);
    const read = readDeploySettings({}, { deploysFunctions: true });
    expect(read.problems.map((p) => p.split(':')[0])).toEqual(['STATE_STORE', 'SCF_ROLE']);
  });

  test('a bad DEPLOY_CREDENTIALS is reported once, whether or not the run deploys the functions', () => {
    expect(readDeploySettings({ DEPLOY_CREDENTIALS: 'x' }).problems).toEqual([expect.stringMatching(/^DEPLOY_CREDENTIALS: "x"/)]);
    expect(readDeploySettings({ ...REDIS, ...ROLE, DEPLOY_CREDENTIALS: 'x' }, { deploysFunctions: true }).problems).toEqual([expect.stringMatching(/^DEPLOY_CREDENTIALS: "x"/)]);
  });
});
