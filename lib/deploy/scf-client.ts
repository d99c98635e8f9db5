// The SCF API 3.0 client of the deploy and rollback steps: our TC3 TencentClient, signed with the deploying user's
// keys (TENCENTCLOUD_SECRET_ID/KEY, else the plugin's ~/credentials file), at SCF_ENDPOINT.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TencentClient } from '../tencent/client';
import { SCF_SERVICE, SCF_VERSION } from './function-url';
import { resolveDeployCredentials, type DeploySettings } from './settings';

/** serverless.yml's `provider.credentials`, which the plugin reads ("~" is os.homedir(), as the plugin does). */
export const CREDENTIALS_FILE = path.join(os.homedir(), 'credentials');
const SCF_TIMEOUT_MS = 15_000;

export function openScfClient(settings: DeploySettings, env: Record<string, string | undefined>): { scf: TencentClient; source: string } | { problem: string } {
  const resolved = resolveDeployCredentials(env, CREDENTIALS_FILE, (file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return null;
    }
  });
  if ('problem' in resolved) return resolved;
  const scf = new TencentClient({
    endpoint: settings.endpoint,
    service: SCF_SERVICE,
    version: SCF_VERSION,
    region: settings.region,
    credentials: resolved.credentials,
    timeoutMs: SCF_TIMEOUT_MS,
  });
  return { scf, source: resolved.source };
}
