// Builds the sinks a run delivers to, from the configuration: one webhook sink per URL, a CMQ topic and/or
// queue sink, the EventBridge sink, and the console sink when nothing else is configured (the local default).
// Each configured sink takes the events its routing settings let through (config.routes, lib/sinks/route.ts).
import type { Config } from '../config';
import type { Logger } from '../log';
import type { TencentCaller } from '../tencent/types';
import { sinkLabel } from '../util/redact';
import type { RequestBudget } from '../ratelimit/budget';
import { LocalRequestBudget } from '../ratelimit/budget';
import { CHAT_ROUTE_PREFIX, createChatSinks } from './chat';
import { CmqQueueSink, CmqTopicSink } from './cmq';
import { ConsoleSink } from './console';
import { EventBridgeSink } from './eventbridge';
import { withRoute } from './route';
import { WebhookSink } from './webhook';
import type { Sink } from './sink';

export type { SendResult, Sink } from './sink';
export { WebhookSink, checkWebhookUrl, parseRetryAfter, signWebhook, GONE_REASON, CLOUDEVENTS_JSON, type WebhookSinkOptions } from './webhook';
export { CmqTopicSink, CmqQueueSink, cmqTags, cmqFailure, TDMQ_SERVICE, TDMQ_VERSION, CMQ_DEFAULT_MAX_MSG_BYTES, type CmqSinkOptions } from './cmq';
export { ConsoleSink, type LineWriter } from './console';
export { EventBridgeSink, ebEvent, ebFailure, EB_SERVICE, EB_VERSION, EB_MAX_EVENTS_PER_CALL, EB_MAX_EVENT_BYTES, type EventBridgeSinkOptions } from './eventbridge';
export { routeAccepts, withRoute, EVERY_EVENT, EVENT_TYPES, type EventRoute, type EventType } from './route';
export { sinkLabel, redactSinkSecrets, redactUrl } from '../util/redact';
export { drainOutbox, leaseFor, DeliveryRun, DEFAULT_LEASE_MS, LEASE_MARGIN_MS, type DrainOptions, type DrainResult } from './deliver';
export { nextDelivery, backoffMs, backoffCeilingMs, retryDelayMs, BACKOFF_BASE_MS, BACKOFF_CAP_MS, type DeliveryDecision, type SendOutcome } from './retry-policy';

export interface SinkDeps {
  /** A TencentCaller for tdmq 2020-02-17; required when CMQ_TOPIC or CMQ_QUEUE is set, else may be null. */
  tdmq: TencentCaller | null;
  /** A TencentCaller for eb 2021-04-16; required when EB_EVENT_BUS_ID is set. */
  eb?: TencentCaller | null;
  logger: Logger;
  /** Where the console sink writes its lines (tests); default stdout. */
  consoleWrite?: (line: string) => void;
  /**
   * A request budget of `ratePerSecond` with `burst`, shared as widely as the store is (lib/runtime/storage.ts
   * requestBudget): each chat robot's rate limit. Default: one in this process.
   */
  budget?: (ratePerSecond: number, burst: number) => RequestBudget;
}

export function createSinks(config: Config, deps: SinkDeps): Sink[] {
  const sinks: Sink[] = [];
  if (config.webhook.urls.length > 0) {
    if (!config.webhook.secret) throw new Error('WEBHOOK_SECRET is required when WEBHOOK_URLS is set');
    for (const url of config.webhook.urls) {
      sinks.push(withRoute(new WebhookSink({
        url,
        secret: config.webhook.secret,
        timeoutMs: config.webhook.timeoutMs,
        concurrency: config.webhook.concurrency,
        allowHttp: config.webhook.allowHttp,
      }), config.routes.WEBHOOK));
    }
  }
  if (config.cmq.topic || config.cmq.queue) {
    // A missing caller is a wiring bug; silently dropping the sink would strand its replayed dead letters.
    if (!deps.tdmq) throw new Error('CMQ_TOPIC/CMQ_QUEUE is set but no TDMQ caller was provided');
    if (config.cmq.topic) sinks.push(withRoute(new CmqTopicSink({ name: config.cmq.topic, caller: deps.tdmq }), config.routes.CMQ));
    if (config.cmq.queue) sinks.push(withRoute(new CmqQueueSink({ name: config.cmq.queue, caller: deps.tdmq }), config.routes.CMQ));
  }
  if (config.eb) {
    if (!deps.eb) throw new Error('EB_EVENT_BUS_ID is set but no EventBridge caller was provided');
    sinks.push(withRoute(new EventBridgeSink({ busId: config.eb.busId, region: config.eb.region, source: config.eb.source, caller: deps.eb }), config.routes.EB));
  }
  // Chat robots (lib/sinks/chat): stand-ins that load the vendor code on their first send.
  const chatBudget = deps.budget ?? ((rate: number, burst: number) => new LocalRequestBudget(rate, burst));
  for (const s of createChatSinks(config.chat.robots, { budget: chatBudget, timeoutMs: config.webhook.timeoutMs })) {
    sinks.push(withRoute(s, config.routes[CHAT_ROUTE_PREFIX[s.kind]]));
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
  deps.logger.info('sinks', { sinks: out.map((s) => sinkLabel(s.id)), webhooks: config.webhook.urls.length });
  return out;
}
