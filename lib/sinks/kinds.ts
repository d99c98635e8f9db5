// Every sink kind, registered once: lib/config reads their settings (loadConfig; the poll function through
// lib/runtime) and createSinks builds their sinks, both by looping over this list. A new sink is one file that
// declares its kind (settings, routing prefixes, factory; eventbridge.ts is the example) and one line here.
import { chatRobotSinks } from './chat';
import { cmqSinks } from './cmq';
import { eventBridgeSinks } from './eventbridge';
import { webhookSinks } from './webhook';
import { routingVariables } from '../config/routing';

export const SINK_KINDS = [
  webhookSinks,
  cmqSinks,
  eventBridgeSinks,
  chatRobotSinks,
] as const;

/** Each kind's settings under its key, as lib/config's loadConfig returns them: config.webhook, config.cmq, config.eb, config.chat. */
export type SinkSettings = { [K in (typeof SINK_KINDS)[number] as K['key']]: ReturnType<K['settings']> };

/** Every routing prefix, in the order of the kinds: each has <PREFIX>_MIN_SEVERITY, _KINDS, _STATES, _EVENT_TYPES. */
export const SINK_PREFIXES: readonly string[] = SINK_KINDS.flatMap((k) => k.prefixes);

/** Every routing variable. */
export const ROUTING_ENV: readonly string[] = routingVariables(SINK_PREFIXES);
