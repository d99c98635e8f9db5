// The whole product's settings: the core ones (core.ts) with every registered sink kind's (lib/sinks/kinds.ts).
// For tests, tools and `npm start`, which check a configuration the way both functions together would. The
// functions do not come through here: lib/runtime loads the core settings with the sink kinds the function hands
// it (the poll function all of them, the api function none), so code on the api function's path imports
// core.ts, never this file, which would bring every sink into its bundle (test/integration/bundle-redis.test.ts).
import { SINK_KINDS, type SinkSettings } from '../sinks/kinds';
import { envNames, loadConfigWith, variableOwners, type Config, type LoadOptions } from './core';

export * from './core';
export { SINK_PREFIXES, ROUTING_ENV, type SinkSettings } from '../sinks/kinds';

/** Every variable name, as documented in the README: the core ones, then each sink kind's. */
export const ENV: readonly string[] = envNames(SINK_KINDS);

/** Variables that only one function reads; every other variable is shared by both. */
export const VARIABLE_OWNER = variableOwners(SINK_KINDS);

/** Reads the environment into the core settings and every sink kind's, or throws one ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, options: LoadOptions = {}): Config & SinkSettings {
  // loadConfigWith put each kind's settings under its key; SinkSettings is the type of that, kind by kind.
  return loadConfigWith(env, SINK_KINDS, options) as Config & SinkSettings;
}
