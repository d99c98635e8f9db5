// The Sink interface: one file per output (webhook.ts, cmq.ts, console.ts), the way falcosidekick keeps
// its outputs. The outbox drain (deliver.ts) owns retries, backoff and dead letters; a sink only tries once
// and says how it went.
import type { CloudEvent } from '../types';

export type SendResult =
  | { ok: true }
  /** Try again later; `retryAfterMs` when the receiver said when (Retry-After). */
  | { ok: false; retry: true; reason: string; retryAfterMs?: number }
  /** Never try this event again on this sink: it becomes a dead letter with the reason. */
  | { ok: false; retry: false; reason: string }
  /** The receiver is gone for good (HTTP 410): the event is dead, and the sink stops for this run. */
  | { ok: false; retry: false; reason: string; disable: true };

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
  send(event: CloudEvent, signal: AbortSignal): Promise<SendResult>;
  close?(): Promise<void>;
}
