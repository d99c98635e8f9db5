// What the deploy step reads from the deploying shell: the same switches serverless.yml reads (SCF_STAGE,
// TENCENTCLOUD_REGION, API_TRIGGER, SCF_VPC_ID/SCF_SUBNET_ID, SCF_ROLE, DEPLOY_CREDENTIALS), SCF_ENDPOINT,
// SCF_VERSIONS, and the credentials. Checked before anything is built or deployed, so a typo fails in a second
// and not after `serverless deploy`. Blank values count as unset, as in serverless.yml's `${env:NAME, default}`
// and lib/config. What the functions' own environment must hold to work when deployed (a shared state store,
// credentials for them) is functionEnvironmentProblems, which `npm run package:scf` checks as well.
import { redisUrlProblem } from '../config/redis-url';
import type { TencentCredentials } from '../tencent/types';
import { SCF_DEFAULT_ENDPOINT } from './function-url';

/** url: the deploy step makes a Function URL; apigw: the plugin makes an API Gateway trigger; none: no HTTP trigger. */
export type ApiTrigger = 'url' | 'apigw' | 'none';
const API_TRIGGERS: readonly ApiTrigger[] = ['url', 'apigw', 'none'];

/**
 * Where the functions get their Tencent Cloud credentials (DEPLOY_CREDENTIALS): `role`, the execution role
 * SCF_ROLE (SCF injects short-lived keys); `env`, TENCENTCLOUD_SECRET_ID/KEY copied from the deploying shell into
 * both functions' configuration (long-lived keys: only when asked for by name).
 */
export type FunctionCredentials = 'role' | 'env';
const FUNCTION_CREDENTIALS: readonly FunctionCredentials[] = ['role', 'env'];

export interface DeploySettings {
  stage: string;
  region: string;
  /** SCF API 3.0 origin (SCF_ENDPOINT; tests point it at the emulator). */
  endpoint: string;
  apiTrigger: ApiTrigger;
  vpc: { vpcId: string; subnetId: string } | null;
  /** SCF_VERSIONS (default on): publish a version per deploy and bind the triggers to the alias `live`. */
  versions: boolean;
  /** SCF_ROLE, the functions' execution role. */
  role: string | null;
  credentials: FunctionCredentials;
}

type Env = Record<string, string | undefined>;

const value = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v ? v : undefined;
};

export interface ReadOptions {
  /**
   * True when this run deploys the functions' configuration (`serverless deploy`): then their environment must
   * work once deployed (functionEnvironmentProblems, with an execution role required unless DEPLOY_CREDENTIALS=env).
   */
  deploysFunctions?: boolean;
}

/** The settings, or every problem found (each names its variable). */
export function readDeploySettings(env: Env, options: ReadOptions = {}): { settings: DeploySettings; problems: [] } | { settings: null; problems: string[] } {
  const problems: string[] = [];
  const stage = value(env, 'SCF_STAGE') ?? 'dev';
  // Function names are cwp-task-bridge-<stage>-poll: SCF allows letters, digits, - and _, 60 characters in all.
  if (!/^[A-Za-z0-9_-]{1,39}$/.test(stage)) problems.push(`SCF_STAGE: "${stage}" must be 1 to 39 letters, digits, - or _`);
  const region = value(env, 'TENCENTCLOUD_REGION') ?? 'ap-guangzhou';
  if (!/^[a-z]{2,}-[a-z0-9-]+$/.test(region)) problems.push(`TENCENTCLOUD_REGION: "${region}" is not a region such as ap-guangzhou`);

  const endpoint = value(env, 'SCF_ENDPOINT') ?? SCF_DEFAULT_ENDPOINT;
  try {
    const url = new URL(endpoint);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.push(`SCF_ENDPOINT: ${endpoint} must be an http(s) origin`);
  } catch {
    problems.push(`SCF_ENDPOINT: ${endpoint} is not a URL`);
  }

  const apiTrigger = (value(env, 'API_TRIGGER') ?? 'url') as ApiTrigger;
  if (!API_TRIGGERS.includes(apiTrigger)) problems.push(`API_TRIGGER: "${apiTrigger}" must be one of ${API_TRIGGERS.join(', ')}`);

  // The plugin silently deploys no VPC when only one id is set; the functions then cannot reach the Redis store.
  const vpcId = value(env, 'SCF_VPC_ID');
  const subnetId = value(env, 'SCF_SUBNET_ID');
  if (vpcId !== undefined && subnetId === undefined) problems.push('SCF_SUBNET_ID: is required with SCF_VPC_ID (a subnet of that VPC)');
  if (subnetId !== undefined && vpcId === undefined) problems.push('SCF_VPC_ID: is required with SCF_SUBNET_ID (the subnet\'s VPC)');
  if (vpcId !== undefined && !/^vpc-[a-z0-9]+$/.test(vpcId)) problems.push(`SCF_VPC_ID: "${vpcId}" is not a VPC id such as vpc-abcd1234`);
  if (subnetId !== undefined && !/^subnet-[a-z0-9]+$/.test(subnetId)) problems.push(`SCF_SUBNET_ID: "${subnetId}" is not a subnet id such as subnet-abcd1234`);

  const versionsValue = value(env, 'SCF_VERSIONS') ?? 'on';
  if (versionsValue !== 'on' && versionsValue !== 'off') problems.push(`SCF_VERSIONS: "${versionsValue}" must be on (publish a version per deploy, triggers on the alias live) or off (triggers on $LATEST)`);

  // functionEnvironmentProblems reports a bad DEPLOY_CREDENTIALS itself.
  const credentials = functionCredentialsOf(env, options.deploysFunctions ? [] : problems);
  if (options.deploysFunctions) problems.push(...functionEnvironmentProblems(env, { requireRole: true }));

  if (problems.length > 0) return { settings: null, problems };
  const vpc = vpcId !== undefined && subnetId !== undefined ? { vpcId, subnetId } : null;
  return { settings: { stage, region, endpoint, apiTrigger, vpc, versions: versionsValue === 'on', role: value(env, 'SCF_ROLE') ?? null, credentials: credentials ?? 'role' }, problems: [] };
}

/** DEPLOY_CREDENTIALS, or undefined with a problem pushed. */
function functionCredentialsOf(env: Env, problems: string[]): FunctionCredentials | undefined {
  const v = value(env, 'DEPLOY_CREDENTIALS') ?? 'role';
  if ((FUNCTION_CREDENTIALS as readonly string[]).includes(v)) return v as FunctionCredentials;
  problems.push(`DEPLOY_CREDENTIALS: "${v}" must be role (the functions use the execution role SCF_ROLE) or env (copy TENCENTCLOUD_SECRET_ID/KEY into them)`);
  return undefined;
}

/**
 * What would make the deployed functions fail or misbehave, from the deploying shell's environment (which
 * serverless.yml copies into them): a state store that is not shared (STATE_STORE must be redis:// or rediss://,
 * unless ALLOW_FILE_STORE=true accepts a file store for a single-instance trial), and credentials: an execution
 * role, or long-lived keys copied only with DEPLOY_CREDENTIALS=env. `requireRole`: a missing SCF_ROLE is a
 * problem (deploy), not only a matter for the docs (package:scf, which describes what would be sent).
 */
export function functionEnvironmentProblems(env: Env, options: { requireRole: boolean }): string[] {
  const problems: string[] = [];
  const allowValue = value(env, 'ALLOW_FILE_STORE') ?? 'false';
  if (allowValue !== 'true' && allowValue !== 'false') problems.push(`ALLOW_FILE_STORE: "${allowValue}" must be true or false`);
  const allowFileStore = allowValue === 'true';
  const store = value(env, 'STATE_STORE');
  const shared = 'a deployed function needs a state store every instance and both functions share: redis://[:password@]host:port/db or rediss://... (TencentDB for Redis, docs/deploy.md)';
  const perInstance = 'keeps state per instance: the api function\'s watches are not seen by poll, and each new instance starts over, publishing changes again';
  if (store === undefined) {
    if (!allowFileStore) problems.push(`STATE_STORE: is not set, so the functions would use serverless.yml's file:/tmp/cwp-task-bridge, which ${perInstance}; ${shared}. For a single-instance trial, ALLOW_FILE_STORE=true accepts the file store`);
  } else if (/^rediss?:\/\//i.test(store)) {
    const problem = redisUrlProblem(store);
    if (problem) problems.push(`STATE_STORE: ${problem}`);
  } else if (store.startsWith('file:')) {
    if (!allowFileStore) problems.push(`STATE_STORE: a file: store ${perInstance}; ${shared}. For a single-instance trial, ALLOW_FILE_STORE=true accepts it`);
  } else if (store === 'memory:') {
    problems.push(`STATE_STORE: memory: loses every watch and state when an instance ends; ${shared}`);
  } else {
    problems.push(`STATE_STORE: must be redis://[:password@]host:port/db or rediss://... (the value is not shown)`);
  }

  const credentials = functionCredentialsOf(env, problems);
  const role = value(env, 'SCF_ROLE');
  if (credentials === 'env') {
    if (value(env, 'TENCENTCLOUD_SECRET_ID') === undefined || value(env, 'TENCENTCLOUD_SECRET_KEY') === undefined) {
      problems.push('DEPLOY_CREDENTIALS: env copies TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY into the functions, but they are not both set');
    }
    if (value(env, 'TENCENTCLOUD_SESSION_TOKEN') !== undefined) {
      problems.push('DEPLOY_CREDENTIALS: env with TENCENTCLOUD_SESSION_TOKEN set: these are temporary keys, which would expire inside the functions; use an execution role (SCF_ROLE) instead');
    }
    // lib/config would pair the long-lived key with the session token SCF injects for the role: every call would fail.
    if (role !== undefined) problems.push('DEPLOY_CREDENTIALS: env and SCF_ROLE are both set; the functions would mix the copied key with the role\'s session token. Use one: unset DEPLOY_CREDENTIALS (the role) or SCF_ROLE');
  } else if (credentials === 'role' && role === undefined && options.requireRole) {
    problems.push('SCF_ROLE: is required: the functions take their Tencent Cloud credentials from an execution role (docs/deploy.md, "The execution role"); DEPLOY_CREDENTIALS=env would copy TENCENTCLOUD_SECRET_ID/KEY into them instead (long-lived keys in the function configuration; not recommended)');
  }
  return problems;
}

/** The one line `npm run deploy` prints about the functions' credentials before `serverless deploy`. */
export function functionCredentialsNotice(settings: Pick<DeploySettings, 'credentials' | 'role'>): string {
  return settings.credentials === 'env'
    ? 'deploy: DEPLOY_CREDENTIALS=env: TENCENTCLOUD_SECRET_ID/KEY are copied into both functions\' environment (long-lived keys; an execution role, SCF_ROLE, is safer)'
    : `deploy: the functions get their Tencent Cloud credentials from the execution role ${settings.role ?? '(SCF_ROLE)'}; TENCENTCLOUD_SECRET_ID/KEY/SESSION_TOKEN are not copied into them (DEPLOY_CREDENTIALS=env would copy the first two)`;
}

export interface ResolvedCredentials {
  credentials: TencentCredentials;
  /** Where they came from, for the log line (never the values). */
  source: string;
}

/**
 * The deploying user's keys: TENCENTCLOUD_SECRET_ID/KEY (and TENCENTCLOUD_SESSION_TOKEN for temporary keys), else
 * the `[default]` section of the plugin's credentials file (tencent_secret_id, tencent_secret_key). They sign the
 * SCF calls of the deploy and rollback steps only: serverless.yml copies them into the functions only with
 * DEPLOY_CREDENTIALS=env.
 */
export function resolveDeployCredentials(env: Env, credentialsFile: string, readFile: (path: string) => string | null): ResolvedCredentials | { problem: string } {
  const secretId = value(env, 'TENCENTCLOUD_SECRET_ID');
  const secretKey = value(env, 'TENCENTCLOUD_SECRET_KEY');
  if (secretId !== undefined || secretKey !== undefined) {
    if (secretId === undefined) return { problem: 'TENCENTCLOUD_SECRET_ID: is required with TENCENTCLOUD_SECRET_KEY' };
    if (secretKey === undefined) return { problem: 'TENCENTCLOUD_SECRET_KEY: is required with TENCENTCLOUD_SECRET_ID' };
    return { credentials: { secretId, secretKey, token: value(env, 'TENCENTCLOUD_SESSION_TOKEN') ?? null }, source: 'TENCENTCLOUD_SECRET_ID/KEY' };
  }
  const text = readFile(credentialsFile);
  if (text === null) {
    return { problem: `no credentials: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or write ${credentialsFile} ([default] tencent_secret_id, tencent_secret_key)` };
  }
  const section = iniSection(text, 'default');
  const fileId = section.get('tencent_secret_id');
  const fileKey = section.get('tencent_secret_key');
  if (!fileId || !fileKey) return { problem: `${credentialsFile}: its [default] section needs tencent_secret_id and tencent_secret_key` };
  return { credentials: { secretId: fileId, secretKey: fileKey, token: null }, source: credentialsFile };
}

/** `key = value` lines of one `[section]` of an ini file (what the plugin's `ini` package reads for these keys). */
function iniSection(text: string, name: string): Map<string, string> {
  const entries = new Map<string, string>();
  let current: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1]!.trim();
      continue;
    }
    const eq = line.indexOf('=');
    if (current !== name || eq === -1) continue;
    const unquoted = line.slice(eq + 1).trim().replace(/^(["'])(.*)\1$/, '$2');
    entries.set(line.slice(0, eq).trim(), unquoted);
  }
  return entries;
}
