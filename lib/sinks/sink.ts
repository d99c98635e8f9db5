// The Sink interface: one file per output (webhook.ts, cmq.ts, eventbridge.ts, console.ts; the chat robots in
// chat/), the way falcosidekick keeps its outputs, each declaring its sink kind (kind.ts) beside it. The outbox
// drain (deliver.ts) owns retries, backoff and dead letters; a sink only tries once and says how it went.
import type { BridgeEvent } from '../events/types';

export type SendResult =
  | { ok: true }
  /** Try again later; `retryAfterMs` when the receiver said when (Retry-After). */
  | { ok: false; retry: true; reason: string; retryAfterMs?: number }
  /** Never try this event again on this sink: it becomes a dead letter with the reason. */
  | { ok: false; retry: false; reason: string }
  /** The receiver is gone for good (HTTP 410): the event is dead, and the sink stops for this run. */
  | { ok: false; retry: false; reason: string; disable: true }
  /**
   * Not tried: the sink had no room for it now (its own rate limit, shared through the store). Not an attempt:
   * nothing is counted against DELIVERY_MAX_ATTEMPTS; the delivery is due again after `retryAfterMs`.
   */
  | { ok: false; retry: true; deferred: true; reason: string; retryAfterMs: number };

export interface Sink {
  /** Stable across runs: the delivery state is kept under it (e.g. `webhook:https://x/y`, `cmq-topic:alerts`). */
  readonly id: string;
  /** How many sends may run at once on this sink. */
  readonly concurrency: number;
  /**
   * The longest one send() can take, when the sink bounds it (a webhook's timeout covers headers and body).
   * The drain's claim on a delivery lasts this plus a margin (deliver.ts leaseFor), so a drain killed mid-send
   * holds its deliveries off only about as long as its sends could have run. Undefined: unbounded, the default lease.
   */
  readonly maxSendMs?: number;
  /**
   * Whether the receiver refuses what carries a timestamp too far from its own clock (a Standard Webhooks
   * receiver, a robot that signs with one, a Tencent Cloud API's TC3 signature). The drain holds such a sink's
   * sends while this machine's clock is too far off, and retries its refusals while the clock is suspect
   * (retry-policy.ts). Undefined: it does not.
   */
  readonly checksTimestamps?: boolean;
  send(event: BridgeEvent, signal: AbortSignal): Promise<SendResult>;
  /**
   * Routing (per-sink settings such as DINGTALK_MIN_SEVERITY): false means this sink does not take the event,
   * and the event is never pending, retried or dead-lettered there. Undefined: the sink takes every event.
   */
  accepts?(event: BridgeEvent): boolean;
  /**
   * <PREFIX>_IGNORE_SILENCES=true: the sink takes the incident notifications a silence or maintenance window holds
   * back (an outbox entry marked `silenced`), e.g. a SIEM that wants every change. Undefined: it does not.
   */
  ignoresSilences?: boolean;
  /**
   * Whether the sink takes the bridge's notices to people (lib/events/silence-ended.ts: a silence that held
   * something back ended), which are no published event type: the chat robots do. Undefined: it does not.
   */
  readonly takesNotices?: boolean;
  close?(): Promise<void>;
}

/**
 * A sink that carries several events in one call or message: EventBridge PutEvents (an EventList), a chat
 * robot's digest. The drain hands it up to `maxBatch` due events at once, each already claimed, events of one
 * subject in outbox order; it answers one SendResult per event, in the same order. An event it could not carry
 * now (no room in its rate limit) is `deferred`; an event counts as delivered only when the call or message
 * carrying it was accepted.
 */
export interface BatchSink extends Sink {
  /** The most events one sendBatch is handed. */
  readonly maxBatch: number;
  sendBatch(events: BridgeEvent[], signal: AbortSignal): Promise<SendResult[]>;
}

export function isBatchSink(sink: Sink): sink is BatchSink {
  return typeof (sink as Partial<BatchSink>).sendBatch === 'function' && typeof (sink as Partial<BatchSink>).maxBatch === 'number';
}
