// The EventBridge sink: PutEvents (service `eb`, version 2021-04-16) to one custom event bus, through a
// TencentCaller, which signs, paces (EB_RATE_LIMIT, shared through Redis on a Redis store) and retries transport
// faults. A BatchSink: one call carries up to EB_MAX_EVENTS_PER_CALL events.
//
// Documented facts this file relies on:
// - PutEvents {EventList: Event[], EventBusId: String}; Event {Source, Data (a JSON string: datacontenttype is
//   application/json only), Type, Subject, Time? (ms timestamp), Region?, Status?, Id?, TagList?} (the SDK's
//   eb v20210416 models); the answer is the RequestId only, so a call is accepted or refused as a whole. Default
//   limit 1000 requests/s (cloud.tencent.com/document/api/1359/68465).
// - Limits (tencentcloud.com/document/product/1108/42271): PutEvents throughput 5,000 TPS per region; an event
//   message body of at most 64 KB; 10 custom buses per region; at most 2,000 events/day delivered to one
//   target (a rule's target, not something this sink can see or pace).
// - No per-call event count is documented. We send at most 10 per call (at 64 KB each, 640 KB: far below the
//   10 MB of an API 3.0 POST), the count the emulator enforces (dev/emulator/eb.ts).
// - Error codes of PutEvents (tencentcloud-sdk-go eb/v20210416 client.go): InternalError(.System),
//   InvalidParameter, InvalidParameterValue.EventBusId/.InvalidEvent/.InvalidEventBus, LimitExceeded.BannedAccount,
//   LimitExceeded.ResourceLimit, ResourceNotFound.EventBus/.EventBusNotFound.
// - Source: EventBridge's events carry `<product>.cloud.tencent` (cos.cloud.tencent; Tencent's own PutEvents
//   example for a custom bus uses ckafka.cloud.tencent); the SDK says a source "must follow EB's norms". We send
//   EB_SOURCE, `cwp-task-bridge.cloud.tencent` by default.
// Its settings (EB_*: EB_EVENT_BUS_ID turns it on, the rest have defaults) and its factory are `eventBridgeSinks`,
// at the end: with the registration line in kinds.ts, this file is all there is of the EventBridge sink.
import * as z from 'zod/mini';
import { httpOrigin, int, REGION_PATTERN } from '../config/fields';
import { isTencentError } from '../errors';
import { tencentSendFailure } from './tencent-failure';
import { EB_SERVICE, EB_VERSION } from '../tencent/services';
import type { TencentCaller } from '../tencent/types';
import type { BridgeEvent } from '../events/types';
import { anySignal } from '../util/abort';
import { sinkLabel } from '../util/redact';
import type { SinkKind } from './kind';
import type { BatchSink, SendResult } from './sink';

export { EB_SERVICE, EB_VERSION } from '../tencent/services';
/** The sink's one action (also listed in the execution role's policy, lib/deploy/role-policy.ts). */
export const EB_PUT_EVENTS_ACTION = 'PutEvents';
/** Events per PutEvents call (not documented by Tencent; see the header). */
export const EB_MAX_EVENTS_PER_CALL = 10;
/** The largest event EventBridge takes: "maximum size of an event message body 64 KB". */
export const EB_MAX_EVENT_BYTES = 64 * 1024;
/** The default bound on one PutEvents call, rate-limit waits and the caller's retries included. */
export const EB_SEND_TIMEOUT_MS = 30_000;

export interface EventBridgeSinkOptions {
  busId: string;
  /** The bus's region (the caller signs for it); part of the sink id. */
  region: string;
  /** Event.Source of every event (EB_SOURCE). */
  source: string;
  /** A TencentCaller for service `eb`, version 2021-04-16. */
  caller: TencentCaller;
  /** Events per call, at most EB_MAX_EVENTS_PER_CALL. */
  maxBatch?: number;
  /** Calls at once (the caller's rate limiter still paces them). Default 4. */
  concurrency?: number;
  /** The bound on one call; also how long a drain's claim lasts (Sink.maxSendMs). Default 30 s. */
  timeoutMs?: number;
}

/** One entry of PutEvents' EventList. */
export interface EbEvent {
  Source: string;
  Type: string;
  Subject: string;
  /** The BridgeEvent's data as JSON: event rules match on it as `data.severity`, `data.state`, … */
  Data: string;
  /** The BridgeEvent's time, epoch ms. */
  Time: number;
  /** The BridgeEvent's id (UUID-shaped, stable across retries): receivers dedupe on it. */
  Id: string;
}

export function ebEvent(event: BridgeEvent, source: string): EbEvent {
  return { Source: source, Type: event.type, Subject: event.subject, Data: JSON.stringify(event.data), Time: Date.parse(event.time), Id: event.id };
}

/** Maps a failed PutEvents call to the SendResult of each event it carried (tencent-failure.ts). Exported for tests. */
export const ebFailure = tencentSendFailure;

/** A refusal that may be about one event of the call, not the call: worth asking event by event. */
const refusesAnEvent = (e: unknown): boolean => isTencentError(e) && (e.code === 'InvalidParameterValue.InvalidEvent' || e.code === 'InvalidParameter');

export class EventBridgeSink implements BatchSink {
  readonly id: string;
  readonly concurrency: number;
  readonly maxBatch: number;
  readonly maxSendMs: number;
  /** EventBridge refuses a TC3 signature more than 5 minutes off its clock. */
  readonly checksTimestamps = true;
  private readonly caller: TencentCaller;

  constructor(private readonly options: EventBridgeSinkOptions) {
    this.id = `eb:${options.region}/${options.busId}`;
    this.caller = options.caller;
    this.maxBatch = Math.max(1, Math.min(EB_MAX_EVENTS_PER_CALL, Math.floor(options.maxBatch ?? EB_MAX_EVENTS_PER_CALL)));
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
    this.maxSendMs = options.timeoutMs ?? EB_SEND_TIMEOUT_MS;
  }

  async send(event: BridgeEvent, signal: AbortSignal): Promise<SendResult> {
    return (await this.sendBatch([event], signal))[0]!;
  }

  async sendBatch(events: BridgeEvent[], signal: AbortSignal): Promise<SendResult[]> {
    const label = sinkLabel(this.id);
    const results: SendResult[] = new Array(events.length);
    const carried: { index: number; entry: EbEvent }[] = [];
    for (const [index, event] of events.entries()) {
      const entry = ebEvent(event, this.options.source);
      const bytes = Buffer.byteLength(JSON.stringify(entry), 'utf8');
      if (bytes > EB_MAX_EVENT_BYTES) results[index] = { ok: false, retry: false, reason: `${label}: event is ${bytes} bytes, over EventBridge's ${EB_MAX_EVENT_BYTES}-byte event limit; not sent` };
      else carried.push({ index, entry });
    }
    for (let i = 0; i < carried.length; i += this.maxBatch) {
      const call = carried.slice(i, i + this.maxBatch);
      const answers = await this.put(call.map((c) => c.entry), signal, label);
      for (const [j, c] of call.entries()) results[c.index] = answers[j]!;
    }
    return results;
  }

  /** One PutEvents call; a refusal that may be one event's is asked again event by event, so only that one is dead. */
  private async put(entries: EbEvent[], signal: AbortSignal, label: string): Promise<SendResult[]> {
    if (signal.aborted) return entries.map(() => ({ ok: false, retry: true, reason: `${label}: not sent: the drain was stopped` }));
    const r = await this.call(entries, signal, label);
    if (r === true) return entries.map(() => ({ ok: true }));
    if (entries.length > 1 && refusesAnEvent(r.error)) {
      const one: SendResult[] = [];
      for (const entry of entries) one.push(...(await this.put([entry], signal, label)));
      return one;
    }
    return entries.map(() => r.result);
  }

  private async call(entries: EbEvent[], signal: AbortSignal, label: string): Promise<true | { result: SendResult; error: unknown }> {
    // Bounded, so a drain killed mid-call holds these deliveries' claims only about this long (deliver.ts leaseFor).
    const timeout = AbortSignal.timeout(this.maxSendMs);
    const combined = anySignal([signal, timeout]);
    try {
      await this.caller.call(EB_PUT_EVENTS_ACTION, { EventList: entries, EventBusId: this.options.busId }, { signal: combined.signal });
      return true;
    } catch (e) {
      if (timeout.aborted && !signal.aborted) return { result: { ok: false, retry: true, reason: `${label}: PutEvents did not finish within ${this.maxSendMs} ms` }, error: e };
      return { result: ebFailure(e, label), error: e };
    } finally {
      combined.dispose();
    }
  }
}

// Settings and factory.

export const EB_ENV = ['EB_EVENT_BUS_ID', 'EB_REGION', 'EB_ENDPOINT', 'EB_SOURCE', 'EB_RATE_LIMIT'] as const;

export const EB_DEFAULT_ENDPOINT = 'https://eb.tencentcloudapi.com';
/**
 * Our custom source, in the `<name>.cloud.tencent` form of EventBridge's event structure (cos.cloud.tencent,
 * ckafka.cloud.tencent): event rules match on it, e.g. {"source": "cwp-task-bridge.cloud.tencent"}.
 */
export const EB_DEFAULT_SOURCE = 'cwp-task-bridge.cloud.tencent';
/**
 * PutEvents calls per second. Tencent documents 1000 requests/s for the action and 5,000 TPS of PutEvents
 * throughput per region; 500 calls of at most 10 events stay within both readings of "TPS" (calls or events).
 */
export const EB_DEFAULT_RATE_LIMIT = 500;

/** `<name>.cloud.tencent`: lower-case labels of letters, digits and hyphens. */
export const EB_SOURCE_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*\.cloud\.tencent$/;

export interface EventBridgeConfig {
  busId: string;
  region: string;
  endpoint: string;
  source: string;
  /** PutEvents calls per second (shared across instances through Redis). */
  rateLimit: number;
}

const settingsSchema = z.object({
  EB_EVENT_BUS_ID: z.optional(z.string().check(z.regex(/^[A-Za-z0-9][\w-]{0,127}$/, { error: 'must be an event bus ID such as eb-abcd1234 (EventBridge console, Event bus)' }))),
  EB_REGION: z.optional(z.string().check(z.regex(REGION_PATTERN, { error: 'must be a region such as ap-guangzhou, or unset for TENCENTCLOUD_REGION' }))),
  EB_ENDPOINT: httpOrigin(EB_DEFAULT_ENDPOINT),
  EB_SOURCE: z._default(z.string().check(z.regex(EB_SOURCE_PATTERN, { error: `must be a source of the form <name>.cloud.tencent in lower case, such as ${EB_DEFAULT_SOURCE}` })), EB_DEFAULT_SOURCE),
  EB_RATE_LIMIT: int(1, 1000, EB_DEFAULT_RATE_LIMIT, 'PutEvents calls per second'),
});

/** The EventBridge sink: one BatchSink on the bus EB_EVENT_BUS_ID, in EB_REGION, through a caller paced to EB_RATE_LIMIT. */
export const eventBridgeSinks: SinkKind<'eb', EventBridgeConfig | null> = {
  key: 'eb',
  prefixes: ['EB'],
  variables: EB_ENV,
  /** config.eb: null when EB_EVENT_BUS_ID is unset. */
  settings({ present, region, problems }) {
    const input: Record<string, string> = {};
    for (const name of EB_ENV) if (present[name] !== undefined) input[name] = present[name]!;
    const parsed = z.safeParse(settingsSchema, input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${String(issue.path[0])}: ${issue.message}`);
      return null;
    }
    const e = parsed.data;
    // Without a bus the sink is off; its other settings (still checked above) wait for one.
    if (!e.EB_EVENT_BUS_ID) return null;
    return { busId: e.EB_EVENT_BUS_ID, region: e.EB_REGION ?? region, endpoint: e.EB_ENDPOINT.replace(/\/$/, ''), source: e.EB_SOURCE, rateLimit: e.EB_RATE_LIMIT };
  },
  create(eb, { tencent }) {
    if (!eb) return {};
    const caller = tencent({ service: EB_SERVICE, version: EB_VERSION, endpoint: eb.endpoint, region: eb.region, rateLimit: eb.rateLimit });
    if (!caller) throw new Error('EB_EVENT_BUS_ID is set but no EventBridge caller was provided');
    return { EB: [new EventBridgeSink({ busId: eb.busId, region: eb.region, source: eb.source, caller })] };
  },
};
