// What the deploy step reads from the deploying shell: the same switches serverless.yml reads (SCF_STAGE,
// TENCENTCLOUD_REGION, API_TRIGGER, SCF_VPC_ID/SCF_SUBNET_ID), SCF_ENDPOINT, and the credentials. Checked before
// anything is built or deployed, so a typo fails in a second and not after `serverless deploy`. Blank values
// count as unset, as in serverless.yml's `${env:NAME, default}` and lib/config.
import type { TencentCredentials } from '../tencent/types';
import { SCF_DEFAULT_ENDPOINT } from './function-url';

/** url: the deploy step makes a Function URL; apigw: the plugin makes an API Gateway trigger; none: no HTTP trigger. */
export type ApiTrigger = 'url' | 'apigw' | 'none';
const API_TRIGGERS: readonly ApiTrigger[] = ['url', 'apigw', 'none'];

export interface DeploySettings {
  stage: string;
  region: string;
  /** SCF API 3.0 origin (SCF_ENDPOINT; tests point it at the emulator). */
  endpoint: string;
  apiTrigger: ApiTrigger;
  vpc: { vpcId: string; subnetId: string } | null;
}

type Env = Record<string, string | undefined>;

const value = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v ? v : undefined;
};

/** The settings, or every problem found (each names its variable). */
export function readDeploySettings(env: Env): { settings: DeploySettings; problems: [] } | { settings: null; problems: string[] } {
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

  if (problems.length > 0) return { settings: null, problems };
  const vpc = vpcId !== undefined && subnetId !== undefined ? { vpcId, subnetId } : null;
  return { settings: { stage, region, endpoint, apiTrigger, vpc }, problems: [] };
}

export interface ResolvedCredentials {
  credentials: TencentCredentials;
  /** Where they came from, for the log line (never the values). */
  source: string;
}

/**
 * The deploying user's keys: TENCENTCLOUD_SECRET_ID/KEY (and TENCENTCLOUD_SESSION_TOKEN for temporary keys), else
 * the `[default]` section of the plugin's credentials file (tencent_secret_id, tencent_secret_key). The fallback
 * matters with SCF_ROLE: then TENCENTCLOUD_SECRET_ID/KEY stay unset, since serverless.yml would deploy them into
 * the functions.
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
