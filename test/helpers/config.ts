// What loadConfig says of an environment, for the config tests: the problems it lists ([] when it loads).
import { ConfigError, loadConfig } from '../../lib/config';

/** Credentials enough for loadConfig to get past its required settings. */
export const TEST_CREDENTIALS = { TENCENTCLOUD_SECRET_ID: 'AKIDtest', TENCENTCLOUD_SECRET_KEY: 'secret-key-value' };

/** The problems loadConfig lists for TEST_CREDENTIALS plus `env`; [] when the configuration loads. */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...TEST_CREDENTIALS, ...env });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}
