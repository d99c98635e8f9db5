// Builds the sinks a run delivers to, from the configuration: each registered sink kind's (kinds.ts: the webhooks,
// the CMQ topic and/or queue, EventBridge, the chat robots), and the console sink when none is configured (the
// local default). Each sink takes the events its routing prefix's settings let through (config.routes,
// lib/sinks/route.ts); a setting every sink kind shares is applied here, in the one loop over the kinds.
import type { Config } from '../config/core';
import type { Logger } from '../log';
import { EB_SERVICE, TDMQ_SERVICE } from '../tencent/services';
import type { TencentApi, TencentCaller } from '../tencent/types';
import { sinkLabel } from '../util/redact';
import type { RequestBudget } from '../ratelimit/budget';
import { LocalRequestBudget } from '../ratelimit/budget';
import { ConsoleSink } from './console';
import { settingsOf, type SinkKind } from './kind';
import { SINK_KINDS } from './kinds';
import { EVERY_EVENT, withRoute } from './route';
import { webhookSinks } from './webhook';
import type { Sink } from './sink';

export type { SendResult, Sink } from './sink';
export { WebhookSink, checkWebhookUrl, parseRetryAfter, signWebhook, webhookSinks, GONE_REASON, CLOUDEVENTS_JSON, type WebhookSettings, type WebhookSinkOptions } from './webhook';
export { CmqTopicSink, CmqQueueSink, cmqSinks, cmqTags, cmqFailure, TDMQ_SERVICE, TDMQ_VERSION, CMQ_DEFAULT_MAX_MSG_BYTES, type CmqSettings, type CmqSinkOptions } from './cmq';
export { ConsoleSink, type LineWriter } from './console';
export { EventBridgeSink, eventBridgeSinks, ebEvent, ebFailure, EB_SERVICE, EB_VERSION, EB_MAX_EVENTS_PER_CALL, EB_MAX_EVENT_BYTES, type EventBridgeConfig, type EventBridgeSinkOptions } from './eventbridge';
export { routeAccepts, withRoute, EVERY_EVENT, EVENT_TYPES, type EventRoute, type EventType } from './route';
export { sinkLabel, redactSinkSecrets, redactUrl } from '../util/redact';
export { drainOutbox, leaseFor, DeliveryRun, DEFAULT_LEASE_MS, LEASE_MARGIN_MS, type DrainOptions, type DrainResult } from './deliver';
export { nextDelivery, backoffMs, backoffCeilingMs, retryDelayMs, BACKOFF_BASE_MS, BACKOFF_CAP_MS, type DeliveryDecision, type SendOutcome } from './retry-policy';
export { settingsOf, type SinkKind, type SinkKindDeps, type SinksByPrefix } from './kind';
export { SINK_KINDS, SINK_PREFIXES, ROUTING_ENV, type SinkSettings } from './kinds';

export interface SinkDeps {
  /**
   * Builds a rate-limited caller of one Tencent Cloud API (lib/runtime's, shared limiter and all); each kind asks for
   * the one it needs. Without it, a kind gets the ready caller named after its API's service below, or none.
   */
  tencent?: (api: TencentApi) => TencentCaller;
  /** A ready caller for TDMQ (service `tdmq`), for tests and benches without `tencent`. */
  tdmq?: TencentCaller | null;
  /** A ready caller for EventBridge (service `eb`), for tests and benches without `tencent`. */
  eb?: TencentCaller | null;
  logger: Logger;
  /** Where the console sink writes its lines (tests); default stdout. */
  consoleWrite?: (line: string) => void;
  /**
   * A request budget of `ratePerSecond` with `burst`, shared as widely as the store is (lib/runtime/storage.ts
   * requestBudget): each chat robot's rate limit. Default: one in this process.
   */
  budget?: (ratePerSecond: number, burst: number) => RequestBudget;
  /** The state store's id (the chat robots' signed links are bound to it); none: no signed links. */
  storeId?: () => Promise<string>;
}

/** The sinks of every registered kind (SINK_KINDS) from a configuration loaded with them, each with its route. */
export function createSinks(config: Config, deps: SinkDeps): Sink[] {
  const ready: Record<string, TencentCaller | null | undefined> = { [TDMQ_SERVICE]: deps.tdmq, [EB_SERVICE]: deps.eb };
  const kindDeps = {
    config,
    tencent: deps.tencent ?? ((api: TencentApi) => ready[api.service] ?? null),
    budget: deps.budget ?? ((rate: number, burst: number) => new LocalRequestBudget(rate, burst)),
    ...(deps.storeId ? { storeId: deps.storeId } : {}),
  };
  const sinks: Sink[] = [];
  const kinds: readonly SinkKind[] = SINK_KINDS;
  for (const kind of kinds) {
    const made = kind.create(settingsOf(config, kind), kindDeps);
    for (const prefix of Object.keys(made)) {
      if (!kind.prefixes.includes(prefix)) throw new Error(`the ${kind.key} sink kind built sinks under ${prefix}, which is not one of its prefixes (${kind.prefixes.join(', ')})`);
    }
    for (const prefix of kind.prefixes) {
      const route = config.routes[prefix] ?? EVERY_EVENT;
      // <PREFIX>_EVENT_TYPES unset: the kind's default types, if it has some.
      const routed = route.types === null && kind.defaultEventTypes ? { ...route, types: kind.defaultEventTypes } : route;
      for (const sink of made[prefix] ?? []) sinks.push(withRoute(sink, routed));
    }
  }
  if (sinks.length === 0) sinks.push(new ConsoleSink(deps.consoleWrite));
  // Duplicate URLs would share one delivery record and race on it: keep the first of each id.
  const seen = new Set<string>();
  const out: Sink[] = [];
  for (const s of sinks) {
    if (seen.has(s.id)) continue;
    seen.add(s.id);
    out.push(s);
  }
  // Webhooks by origin and hash only (sinkLabel): their URLs are credentials.
  deps.logger.info('sinks', { sinks: out.map((s) => sinkLabel(s.id)), webhooks: settingsOf(config, webhookSinks).urls.length });
  return out;
}

/** Every registered sink kind and how their sinks are built: what the poll function hands lib/runtime (getRuntime). */
export const sinkFactory = { kinds: SINK_KINDS, create: createSinks };
