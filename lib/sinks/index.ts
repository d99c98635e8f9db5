// Builds the sinks a run delivers to, from the configuration: one webhook sink per URL, a CMQ topic and/or
// queue sink, and the console sink when nothing else is configured (the local default).
import type { Config } from '../config';
import type { Logger } from '../log';
import type { TencentCaller } from '../tencent/types';
import { sinkLabel } from '../util/redact';
import { CmqQueueSink, CmqTopicSink } from './cmq';
import { ConsoleSink } from './console';
import { WebhookSink } from './webhook';
import type { Sink } from './sink';

export type { SendResult, Sink } from './sink';
export { WebhookSink, checkWebhookUrl, parseRetryAfter, signWebhook, GONE_REASON, CLOUDEVENTS_JSON, type WebhookSinkOptions } from './webhook';
export { CmqTopicSink, CmqQueueSink, cmqTags, cmqFailure, TDMQ_SERVICE, TDMQ_VERSION, CMQ_DEFAULT_MAX_MSG_BYTES, type CmqSinkOptions } from './cmq';
export { ConsoleSink, type LineWriter } from './console';
export { sinkLabel, redactSinkSecrets, redactUrl } from '../util/redact';
export { drainOutbox, leaseFor, DeliveryRun, DEFAULT_LEASE_MS, LEASE_MARGIN_MS, type DrainOptions, type DrainResult } from './deliver';
export { nextDelivery, backoffMs, backoffCeilingMs, retryDelayMs, BACKOFF_BASE_MS, BACKOFF_CAP_MS, type DeliveryDecision, type SendOutcome } from './retry-policy';

export interface SinkDeps {
  /** A TencentCaller for tdmq 2020-02-17; required when CMQ_TOPIC or CMQ_QUEUE is set, else may be null. */
  tdmq: TencentCaller | null;
  logger: Logger;
  /** Where the console sink writes its lines (tests); default stdout. */
  consoleWrite?: (line: string) => void;
}

export function createSinks(config: Config, deps: SinkDeps): Sink[] {
  const sinks: Sink[] = [];
  if (config.webhook.urls.length > 0) {
    if (!config.webhook.secret) throw new Error('WEBHOOK_SECRET is required when WEBHOOK_URLS is set');
    for (const url of config.webhook.urls) {
      sinks.push(new WebhookSink({
        url,
        secret: config.webhook.secret,
        timeoutMs: config.webhook.timeoutMs,
        concurrency: config.webhook.concurrency,
        allowHttp: config.webhook.allowHttp,
      }));
    }
  }
  if (config.cmq.topic || config.cmq.queue) {
    // A missing caller is a wiring bug; silently dropping the sink would strand its replayed dead letters.
    if (!deps.tdmq) throw new Error('CMQ_TOPIC/CMQ_QUEUE is set but no TDMQ caller was provided');
    if (config.cmq.topic) sinks.push(new CmqTopicSink({ name: config.cmq.topic, caller: deps.tdmq }));
    if (config.cmq.queue) sinks.push(new CmqQueueSink({ name: config.cmq.queue, caller: deps.tdmq }));
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
