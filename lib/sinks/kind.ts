// A sink kind, declared once in its own file: its settings (the prefix of its variables, the variables, their
// validation; lib/config loops over them), its routing prefixes, and its factory (createSinks loops over them).
// lib/sinks/kinds.ts registers every kind; adding a sink is one such file and one line there.
import type { Config, SinkSettingsKind } from '../config/core';
import type { EventType } from '../events/types';
import type { RequestBudget } from '../ratelimit/budget';
import type { TencentApi, TencentCaller } from '../tencent/types';
import type { Sink } from './sink';

/** A kind's sinks under the routing prefix each takes its <PREFIX>_MIN_SEVERITY, … from (one of its `prefixes`). */
export type SinksByPrefix = Readonly<Partial<Record<string, readonly Sink[]>>>;

/** What a kind's factory builds its sinks with. */
export interface SinkKindDeps {
  /** The loaded configuration: the core settings (TDMQ's endpoint, the region), and every kind's (settingsOf). */
  config: Config;
  /**
   * A caller of one Tencent Cloud API, signed for `api.region` and paced to `api.rateLimit` by a limiter shared as
   * widely as the store is (lib/runtime). Null only where none was provided (a test without that API).
   */
  tencent(api: TencentApi): TencentCaller | null;
  /** A request budget of `ratePerSecond` with `burst`, shared as widely as the store is (each chat robot's). */
  budget(ratePerSecond: number, burst: number): RequestBudget;
  /** The state store's id (StorePort.identity), for what binds itself to the store (the chat robots' signed links). */
  storeId?: () => Promise<string>;
}

export interface SinkKind<Key extends string = string, Settings = unknown> extends SinkSettingsKind<Key, Settings> {
  /** The kind's sinks from its settings (none when it is not configured), by routing prefix; createSinks routes them. */
  create(settings: Settings, deps: SinkKindDeps): SinksByPrefix;
  /**
   * The event types its sinks take while `<PREFIX>_EVENT_TYPES` is unset (createSinks applies it); unset: every
   * type. The chat robots take incident.changed only: a person reads them.
   */
  readonly defaultEventTypes?: readonly EventType[];
}

/** A kind's settings in a configuration loaded with it (lib/config loadConfigWith puts them under its key). */
export function settingsOf<Settings>(config: Config, kind: SinkKind<string, Settings>): Settings {
  if (!Object.hasOwn(config, kind.key)) throw new Error(`the configuration was loaded without the ${kind.prefixes.join('/')} sink settings; load it with that sink kind`);
  return (config as unknown as Record<string, Settings>)[kind.key]!;
}
