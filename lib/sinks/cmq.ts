// TDMQ for CMQ sinks, on Tencent Cloud API 3.0 (service `tdmq`, version 2020-02-17) through a TencentCaller,
// which signs, rate-limits and retries transport faults. The legacy CMQ API (cmq-*.api.qcloud.com) is retired
// and not used. Documented facts this file relies on (cloud.tencent.com/document/product/1179/55920 and
// /document/api/1179/55919; the SDK's tdmq v20200217 models):
// - PublishCmqMsg {TopicName: String, MsgContent: String, MsgTag?: Array of String}; "a single tag or route
//   may not exceed 64 characters"; the message's total size must not exceed 1024 KB. Default limit 20 req/s.
// - SendCmqMsg {QueueName: String, MsgContent: String, DelaySeconds: Integer (required; default 0)}.
//   Default limit 100 req/s (cloud.tencent.com), 20 in the older international page.
// - CreateCmqTopic MaxMsgSize: 1024–65536 bytes, default 65536; CreateCmqQueue MaxMsgSize: 1024–1048576,
//   default 65536. So 64 KB is the size every default topic and queue accepts, and the default limit here.
// - SubscribeCmqTopic FilterTag: at most 5 tags of at most 16 characters each. Tags longer than 16 characters
//   are accepted on publish but no subscription can filter on them (`state:AGENT_OFFLINE` and
//   `state:UNKNOWN_AGENT` are 19).
// Its settings (CMQ_TOPIC, CMQ_QUEUE; TDMQ_ENDPOINT and TDMQ_RATE_LIMIT are core settings) and its factory are
// `cmqSinks`, at the end.
import { isNotice } from '../events/silence-ended';
import * as z from 'zod/mini';
import { tencentSendFailure } from './tencent-failure';
import { TDMQ_SERVICE, TDMQ_VERSION } from '../tencent/services';
import type { TencentCaller } from '../tencent/types';
import type { IncidentType } from '../alerts/types';
import type { BridgeEvent } from '../events/types';
import { anySignal } from '../util/abort';
import { sinkLabel } from '../util/redact';
import type { SinkKind } from './kind';
import type { SendResult, Sink } from './sink';

export { TDMQ_SERVICE, TDMQ_VERSION } from '../tencent/services';
/** The TDMQ action of each CMQ sink (also listed in the execution role's policy, lib/deploy/role-policy.ts). */
export const CMQ_TOPIC_ACTION = 'PublishCmqMsg';
export const CMQ_QUEUE_ACTION = 'SendCmqMsg';
/** The default MaxMsgSize of a CMQ topic and of a queue created with defaults (bytes). */
export const CMQ_DEFAULT_MAX_MSG_BYTES = 65536;
/** PublishCmqMsg: a tag may not exceed 64 characters. */
export const CMQ_MAX_TAG_CHARS = 64;
/** CMQ filter tags: at most 5 per message (legacy PublishMessage / SubscribeCmqTopic FilterTag). */
export const CMQ_MAX_TAGS = 5;

export interface CmqSinkOptions {
  /** Topic or queue name. */
  name: string;
  /** A TencentCaller for service `tdmq`, version 2020-02-17. */
  caller: TencentCaller;
  /** The topic's or queue's MaxMsgSize; larger messages are dead at once, unsent. Default 65536. */
  maxMessageBytes?: number;
  /** Sends at once (the caller's rate limiter still paces them). Default 4. */
  concurrency?: number;
  /**
   * The bound on one send, rate-limit waits and the caller's retries included; past it the send fails as a
   * retry. It also sets how long a drain's claim on the delivery lasts (Sink.maxSendMs). Default 30 s.
   */
  timeoutMs?: number;
}

/** The default bound on one CMQ send (CmqSinkOptions.timeoutMs). */
export const CMQ_SEND_TIMEOUT_MS = 30_000;

/** A subscription's FilterTag allows at most this many characters (SubscribeCmqTopic). */
export const CMQ_MAX_FILTER_TAG_CHARS = 16;

/**
 * The filter tags of an event: its kind, state and severity as bare values (`port`, `AGENT_OFFLINE`,
 * `warning`). Bare, because `state:AGENT_OFFLINE` would be 19 characters: publishable, but no subscription
 * could filter on it. The three value sets do not overlap, so a bare value is still unambiguous. A
 * ports.changed or processes.changed event has `CHANGED` in the state's place; an agent.unwatched event is
 * `agent`, `UNWATCHED` and its severity; an incident.changed event is `incident`, its type (INCIDENT_TAG, within
 * 16 characters), `firing` or `resolved`, and its severity; a scan.status.changed event `scan`, the scan's state and
 * its severity.
 */
export function cmqTags(event: BridgeEvent): string[] {
  if (event.type === 'com.tencentcloud.cwp.agent.unwatched') return [AGENT_TAG, UNWATCHED_TAG, event.data.severity];
  if (event.type === 'com.tencentcloud.cwp.incident.changed') return [INCIDENT_TAG, INCIDENT_TYPE_TAG[event.data.type], event.data.state, event.data.severity];
  // The account's scan (cwp): `scan`, its state (NOTASK, SYNCING, FINISHED: no other event has these) and severity.
  if (event.type === 'com.tencentcloud.cwp.scan.status.changed') return [SCAN_TAG, event.data.state, event.data.severity];
  // A notice is never handed to a queue (deliver.ts: only sinks that take notices get one); tagged all the same.
  if (isNotice(event)) return ['notice', event.data.severity];
  return [event.data.kind, event.type === 'com.tencentcloud.cwp.task.status.changed' ? event.data.state : CHANGED_TAG, event.data.severity];
}

/** The tags of an incident.changed event: `incident`, then its type as a subscription can filter on it (16 characters at most). */
export const INCIDENT_TAG = 'incident';
export const INCIDENT_TYPE_TAG: Readonly<Record<IncidentType, string>> = {
  'agent.offline': 'agent.offline',
  'collection.failed': 'collect.failed',
  'agent.unknown': 'agent.unknown',
  'port.opened': 'port.opened',
  'process.suspicious': 'proc.suspicious',
};

/** The tags of an agent.unwatched event: it is about the agent (both kinds), where the others have a kind and a state. */
export const AGENT_TAG = 'agent';
export const UNWATCHED_TAG = 'UNWATCHED';

/** The first tag of a scan.status.changed event (the account's scan on cwp), where the others have a kind. */
export const SCAN_TAG = 'scan';

/** The tag of a results-changed event (what changed on the host), where a status event has its state. */
export const CHANGED_TAG = 'CHANGED';

interface CmqSendResponse {
  Result?: boolean;
  MsgId?: string;
}

/** Maps a failed TDMQ call to a SendResult (tencent-failure.ts). Exported for tests. */
export const cmqFailure = tencentSendFailure;

abstract class CmqSink implements Sink {
  abstract readonly id: string;
  readonly concurrency: number;
  readonly name: string;
  protected readonly caller: TencentCaller;
  protected readonly maxMessageBytes: number;
  readonly maxSendMs: number;
  /** TDMQ refuses a TC3 signature more than 5 minutes off its clock. */
  readonly checksTimestamps = true;

  constructor(options: CmqSinkOptions) {
    this.name = options.name;
    this.caller = options.caller;
    this.maxMessageBytes = options.maxMessageBytes ?? CMQ_DEFAULT_MAX_MSG_BYTES;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
    this.maxSendMs = options.timeoutMs ?? CMQ_SEND_TIMEOUT_MS;
  }

  protected abstract action: typeof CMQ_TOPIC_ACTION | typeof CMQ_QUEUE_ACTION;
  protected abstract payload(event: BridgeEvent, content: string): Record<string, unknown>;

  async send(event: BridgeEvent, signal: AbortSignal): Promise<SendResult> {
    const content = JSON.stringify(event);
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > this.maxMessageBytes) {
      return { ok: false, retry: false, reason: `${sinkLabel(this.id)}: message is ${bytes} bytes, over the ${this.maxMessageBytes}-byte CMQ message limit (MaxMsgSize); not sent` };
    }
    if (signal.aborted) return { ok: false, retry: true, reason: `${sinkLabel(this.id)}: not sent: the drain was stopped` };
    // Bounded, so a drain killed mid-send holds this delivery's claim only about this long (deliver.ts leaseFor).
    const timeout = AbortSignal.timeout(this.maxSendMs);
    const combined = anySignal([signal, timeout]);
    try {
      const { response, requestId } = await this.caller.call<CmqSendResponse>(this.action, this.payload(event, content), { signal: combined.signal });
      if (response.Result === false) return { ok: false, retry: true, reason: `${sinkLabel(this.id)}: ${this.action} answered Result=false (RequestId ${requestId})` };
      return { ok: true };
    } catch (e) {
      if (timeout.aborted && !signal.aborted) return { ok: false, retry: true, reason: `${sinkLabel(this.id)}: ${this.action} did not finish within ${this.maxSendMs} ms` };
      return cmqFailure(e, sinkLabel(this.id));
    } finally {
      combined.dispose();
    }
  }
}

/** Publishes each event to a CMQ topic, tagged for subscription filters. */
export class CmqTopicSink extends CmqSink {
  readonly id: string;
  protected readonly action = CMQ_TOPIC_ACTION;

  constructor(options: CmqSinkOptions) {
    super(options);
    this.id = `cmq-topic:${options.name}`;
  }

  protected payload(event: BridgeEvent, content: string): Record<string, unknown> {
    const tags = cmqTags(event).filter((t) => t.length <= CMQ_MAX_TAG_CHARS).slice(0, CMQ_MAX_TAGS);
    return { TopicName: this.name, MsgContent: content, MsgTag: tags };
  }
}

/** Sends each event to a CMQ queue, visible at once. */
export class CmqQueueSink extends CmqSink {
  readonly id: string;
  protected readonly action = CMQ_QUEUE_ACTION;

  constructor(options: CmqSinkOptions) {
    super(options);
    this.id = `cmq-queue:${options.name}`;
  }

  protected payload(_event: BridgeEvent, content: string): Record<string, unknown> {
    return { QueueName: this.name, MsgContent: content, DelaySeconds: 0 };
  }
}

export const CMQ_ENV = ['CMQ_TOPIC', 'CMQ_QUEUE'] as const;

/** The CMQ settings (config.cmq): a topic, a queue, both or neither. */
export interface CmqSettings {
  topic: string | null;
  queue: string | null;
}

const schema = z.object({
  CMQ_TOPIC: z.optional(z.string().check(z.regex(/^[A-Za-z][\w-]{0,63}$/, { error: 'must be a CMQ topic name: a letter, then up to 63 letters, digits, _ or -' }))),
  CMQ_QUEUE: z.optional(z.string().check(z.regex(/^[A-Za-z][\w-]{0,63}$/, { error: 'must be a CMQ queue name: a letter, then up to 63 letters, digits, _ or -' }))),
});

/** TDMQ for CMQ: a topic sink (CMQ_TOPIC) and/or a queue sink (CMQ_QUEUE), sharing one TDMQ caller. */
export const cmqSinks: SinkKind<'cmq', CmqSettings> = {
  key: 'cmq',
  prefixes: ['CMQ'],
  variables: CMQ_ENV,
  settings({ present, problems }) {
    const parsed = z.safeParse(schema, { CMQ_TOPIC: present.CMQ_TOPIC, CMQ_QUEUE: present.CMQ_QUEUE });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${String(issue.path[0])}: ${issue.message}`);
      return { topic: null, queue: null };
    }
    return { topic: parsed.data.CMQ_TOPIC ?? null, queue: parsed.data.CMQ_QUEUE ?? null };
  },
  create(cmq, { config, tencent }) {
    if (!cmq.topic && !cmq.queue) return {};
    const caller = tencent({ service: TDMQ_SERVICE, version: TDMQ_VERSION, endpoint: config.tdmq.endpoint, region: config.region, rateLimit: config.tdmq.rateLimit });
    // A missing caller is a wiring bug; silently dropping the sink would strand its replayed dead letters.
    if (!caller) throw new Error('CMQ_TOPIC/CMQ_QUEUE is set but no TDMQ caller was provided');
    const sinks: Sink[] = [];
    if (cmq.topic) sinks.push(new CmqTopicSink({ name: cmq.topic, caller }));
    if (cmq.queue) sinks.push(new CmqQueueSink({ name: cmq.queue, caller }));
    return { CMQ: sinks };
  },
};
