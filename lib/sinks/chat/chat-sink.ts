// The one base of the chat robot sinks (WeCom, DingTalk, Feishu/Lark, Slack): a BatchSink that turns the events
// the drain hands it into as few messages as the robot's rate room allows, sends them, and reads the vendor's
// answer. What differs per vendor (the markup, the signing, the size limit, the meaning of its answers, its rate)
// is a ChatVendor, one file each, side by side.
//
// Rate room. Each robot has one RequestBudget key (a hash of its URL, never the key in it), shared through Redis
// on a Redis store, so every instance together stays inside the vendor's limit; the GCRA parameters per vendor
// are chosen in the vendor files so that ANY window of the vendor's length stays within it.
//
// The digest rule (planBatch):
// - the handed events, each id once (a replayed dead letter may sit in the outbox beside its original);
// - if there is room for one message each, one message each (room is taken one message at a time; with more
//   events than the budget's burst there cannot be, so it goes straight to the digest and takes no room it will
//   not use); an incident's repeat, even alone, is a digest line under its heading;
// - otherwise a digest: grouped by what happened (went offline, completed, failed, ports changed, for incidents
//   their notification and type: "FIRING · 60 agents offline"), groups packed
//   into as few messages as the vendor's size limit allows, each listing the first N events of a group (N as
//   large as fits, from 10 down to 0) and counting the rest; then only as many of those as there is room for;
// - an event not carried now is `deferred` (not an attempt) with the budget's retry-after; so is every later event
//   of its subject in this batch, so a subject's events still reach the robot in order;
// - an event counts as delivered only when the message carrying it is accepted.
// Answers: a throttling answer (WeCom 45009, DingTalk 130101, Feishu 11232, Slack 429) retries every event of that
// message after the vendor's cooldown, defers the rest of the batch, and holds this sink off until then; a
// configuration error is a dead letter at once with the vendor's message; a robot that is gone (Slack 404/410, a
// deleted WeCom key or DingTalk token) is a dead letter and disables the sink for the run. Every reason is
// scrubbed of the URL and its key (redactUrl) before it leaves.
import type { RequestBudget } from '../../ratelimit/budget';
import type { BridgeEvent } from '../../events/types';
import { anySignal } from '../../util/abort';
import { redactUrl } from '../../util/redact';
import { describeNetworkError, parseRetryAfter } from '../../util/wire';
import type { BatchSink, SendResult } from '../sink';
import { DEFAULT_WORDING, digestMessage, eventFields, groupEvents, singleMessage, type ChatMessage, type Wording } from './message';
import { chatSinkId, robotHash } from './id';
import type { ChatRobotKind as ChatKind } from './settings';
import type { ChatTemplate } from './template';
import { isFiringIncident, withActionLinks, type ChatLinkSigner } from './links';
import { isNotice } from '../../events/silence-ended';

export type { ChatRobotKind as ChatKind } from './settings';

/** A robot's GCRA: `ratePerSecond` on average, `burst` at once after a quiet spell; `limit` as people say it. */
export interface RobotRate {
  ratePerSecond: number;
  burst: number;
  limit: string;
}

/** What a vendor's answer means for the events of the message. */
export type VendorVerdict =
  | { kind: 'ok' }
  /** Too fast: every event of the message again after `cooldownMs` (the vendor's own block or Retry-After). */
  | { kind: 'throttled'; reason: string; cooldownMs: number }
  /** The robot refuses this configuration (signature, keyword, IP, payload): a dead letter at once. */
  | { kind: 'config'; reason: string }
  /** The robot or channel is gone: dead letters, and the sink is off for the run. */
  | { kind: 'gone'; reason: string }
  /** Overloaded, 5xx, a body we cannot read: retried with the drain's backoff. */
  | { kind: 'transient'; reason: string; retryAfterMs?: number };

/** One HTTP request to a robot: the URL (DingTalk signs in its query) and the JSON body (Feishu signs in it). */
export interface RobotRequest {
  url: string;
  body: string;
}

export interface ChatVendor {
  readonly kind: ChatKind;
  /** "WeCom robot", shown in reasons and logs. */
  readonly name: string;
  readonly rate: RobotRate;
  /** The vendor's JSON body for a message, unsigned. */
  render(message: ChatMessage): Record<string, unknown>;
  /** Whether the rendered message is inside the vendor's size limits. */
  fits(message: ChatMessage): boolean;
  /** The signed request (a vendor without signing returns the URL and the body as they are). */
  request(url: string, body: Record<string, unknown>, nowMs: number): RobotRequest;
  /** What the answer means. `text` is the body, at most 64 KiB of it. */
  classify(status: number, text: string, retryAfter: string | null, nowMs: number): VendorVerdict;
}

export interface ChatRobotSinkOptions {
  vendor: ChatVendor;
  url: string;
  /** The robot's rate room, shared as widely as the store is (the runtime's `budget(rate, burst)`). */
  budget: RequestBudget;
  /** Deadline of one message's request, headers and body included. */
  timeoutMs: number;
  /** The wording of single-event messages (WECOM_TEMPLATE, …); default: message.ts. */
  template?: ChatTemplate | null;
  /** The time zone clock times are shown in (CHAT_TIMEZONE); default Asia/Shanghai. */
  wording?: Wording;
  /** The most events one sendBatch is handed. Default 100. */
  maxBatch?: number;
  /** CONSOLE_URL and LINK_SECRET: a firing incident's message carries signed links (links.ts); none: no links. */
  links?: ChatLinkSigner | null;
  now?: () => number;
  fetch?: typeof fetch;
}

/** Reading more of an answer than this is pointless: every vendor answers a few hundred bytes. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** How many events of one group a digest lists, tried from the most down until the message fits. */
const LISTED_STEPS = [10, 7, 5, 3, 2, 1, 0] as const;


/** A digest of the groups as one message listing as many of each group as fits, or null when none fits. */
function fitDigest(groups: BridgeEvent[][], fits: (m: ChatMessage) => boolean, wording: Wording): ChatMessage | null {
  for (const listed of LISTED_STEPS) {
    const m = digestMessage(groups, listed, wording);
    if (fits(m)) return m;
  }
  return null;
}

/** A planned message and the events it carries. */
export interface PlannedMessage {
  message: ChatMessage;
  events: BridgeEvent[];
}

/**
 * The events (each id once) as digest messages: groups by what happened, packed greedily into as few messages
 * as the size limit allows. A group too big even with nothing listed goes alone, counted only (the vendor will
 * say if it still refuses it).
 */
export function digestPlan(events: BridgeEvent[], fits: (m: ChatMessage) => boolean, wording: Wording = DEFAULT_WORDING): PlannedMessage[] {
  const out: PlannedMessage[] = [];
  let current: BridgeEvent[][] = [];
  const flush = () => {
    if (current.length === 0) return;
    out.push({ message: fitDigest(current, fits, wording) ?? digestMessage(current, 0, wording), events: current.flat() });
    current = [];
  };
  for (const group of groupEvents(events)) {
    if (current.length > 0 && fitDigest([...current, group], fits, wording) === null) flush();
    current.push(group);
  }
  flush();
  return out;
}

/** The events once each, in the order first handed. */
function uniqueById(events: BridgeEvent[]): BridgeEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => !seen.has(e.id) && seen.add(e.id));
}

export class ChatRobotSink implements BatchSink {
  readonly id: string;
  /** One batch at a time: the robot's room is planned per batch. */
  readonly concurrency = 1;
  readonly maxBatch: number;
  /** A person reads the robot: it is told when a silence that held something back ended (routed as incident.changed). */
  readonly takesNotices = true;
  /** One batch sends at most `burst` messages, each bounded by the timeout. */
  readonly maxSendMs: number;
  readonly kind: ChatKind;
  readonly #vendor: ChatVendor;
  readonly #url: string;
  readonly #budget: RequestBudget;
  readonly #budgetKey: string;
  readonly #timeoutMs: number;
  readonly #template: ChatTemplate | null;
  readonly #links: ChatLinkSigner | null;
  readonly #wording: Wording;
  readonly #now: () => number;
  readonly #fetch: typeof fetch;
  /** After a throttling answer: nothing is sent before this (epoch ms), in this instance. */
  #blockedUntil = 0;

  constructor(options: ChatRobotSinkOptions) {
    const { vendor } = options;
    const u = new URL(options.url);
    const hash = robotHash(u.toString());
    this.kind = vendor.kind;
    this.#vendor = vendor;
    this.#url = u.toString();
    this.id = chatSinkId(vendor.kind, this.#url);
    this.#budget = options.budget;
    this.#budgetKey = `chat:${vendor.kind}:${hash}`;
    this.#timeoutMs = options.timeoutMs;
    this.maxSendMs = options.timeoutMs * vendor.rate.burst + 1_000;
    this.maxBatch = Math.max(1, options.maxBatch ?? 100);
    this.#template = options.template ?? null;
    this.#links = options.links ?? null;
    this.#wording = options.wording ?? DEFAULT_WORDING;
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? fetch;
  }

  async send(event: BridgeEvent, signal: AbortSignal): Promise<SendResult> {
    return (await this.sendBatch([event], signal))[0]!;
  }

  async sendBatch(events: BridgeEvent[], signal: AbortSignal): Promise<SendResult[]> {
    const byId = new Map<string, SendResult>();
    const notSent: SendResult = { ok: false, retry: true, reason: `${this.#vendor.name}: not sent` };
    const answer = (): SendResult[] => events.map((e) => byId.get(e.id) ?? notSent);
    const unique = uniqueById(events);
    const defer = (list: BridgeEvent[], ms: number, reason: string) => {
      for (const e of list) if (!byId.has(e.id)) byId.set(e.id, { ok: false, retry: true, deferred: true, reason, retryAfterMs: Math.max(1, Math.ceil(ms)) });
    };
    if (signal.aborted) {
      for (const e of unique) byId.set(e.id, { ok: false, retry: true, reason: 'not sent: the drain was stopped' });
      return answer();
    }
    const blockedFor = this.#blockedUntil - this.#now();
    if (blockedFor > 0) {
      defer(unique, blockedFor, `${this.#vendor.name} throttled us; waiting out its cooldown`);
      return answer();
    }

    const { carried, waitMs } = await this.#plan(unique, await this.#linkStoreId(unique));
    const noRoom = `no room in the ${this.#vendor.name}'s rate limit (${this.#vendor.rate.limit}) now; carried by a later message`;
    for (const [i, unit] of carried.entries()) {
      if (signal.aborted) {
        for (const e of carried.slice(i).flatMap((u) => u.events)) byId.set(e.id, { ok: false, retry: true, reason: 'aborted: the drain was stopped (deadline)' });
        break;
      }
      const { result, verdict } = await this.#post(unit.message, signal);
      for (const e of unit.events) byId.set(e.id, result);
      if (verdict.kind === 'throttled') {
        this.#blockedUntil = this.#now() + verdict.cooldownMs;
        // Through the shared budget too, so other instances wait out the vendor's block instead of prolonging it.
        await this.#budget.holdOff(this.#budgetKey, verdict.cooldownMs).catch(() => undefined);
        defer(unique, verdict.cooldownMs, `${this.#vendor.name} throttled an earlier message; waiting out its cooldown`);
        break;
      }
      // A retried or disabling answer stops the batch: later messages might carry later events of its subjects.
      if (verdict.kind === 'transient' || verdict.kind === 'gone') {
        defer(unique, 1000 / this.#vendor.rate.ratePerSecond, `not sent: an earlier message to the ${this.#vendor.name} failed`);
        break;
      }
    }
    defer(unique, waitMs, noRoom);
    return answer();
  }

  /**
   * The store id to sign links with, when links are on and a firing incident is in the batch; null: no links (a
   * store that does not answer sends the messages without them rather than holding them back).
   */
  async #linkStoreId(unique: BridgeEvent[]): Promise<string | null> {
    if (!this.#links || !unique.some(isFiringIncident)) return null;
    return this.#links.storeId().catch(() => null);
  }

  /** The messages to send now (as many as there is room for) and, for the rest, when there will be room. */
  async #plan(unique: BridgeEvent[], linkStoreId: string | null): Promise<{ carried: PlannedMessage[]; waitMs: number }> {
    const interval = 1000 / this.#vendor.rate.ratePerSecond;
    let tokens = 0;
    let waitMs = interval;
    const take = async (want: number) => {
      while (tokens < want) {
        const a = await this.#budget.take(this.#budgetKey);
        if (!a.ok) {
          waitMs = a.retryAfterMs;
          return;
        }
        tokens++;
      }
    };
    const fits = (m: ChatMessage) => this.#vendor.fits(m);
    let planned: PlannedMessage[];
    if (unique.length <= this.#vendor.rate.burst) {
      await take(unique.length);
      planned = tokens === unique.length ? unique.map((e) => ({ message: this.#single(e, linkStoreId), events: [e] })) : digestPlan(unique, fits, this.#wording);
    } else {
      planned = digestPlan(unique, fits, this.#wording);
      await take(planned.length);
    }
    return { carried: keepSubjectOrder(unique, planned.slice(0, tokens), fits, this.#wording), waitMs };
  }

  #single(e: BridgeEvent, linkStoreId: string | null): ChatMessage {
    const links = (m: ChatMessage) => withActionLinks(m, e, this.#links?.settings ?? null, linkStoreId, this.#now());
    // A repeat is a reminder: one digest line under its heading ("REPEAT · 1 agent still offline"), even alone; so is
    // a silence that ended ("A silence ended" over its one line).
    if ((e.type === 'com.tencentcloud.cwp.incident.changed' && e.data.notification === 'repeat') || isNotice(e)) {
      const groups = [[e]];
      return links(fitDigest(groups, (m) => this.#vendor.fits(m), this.#wording) ?? digestMessage(groups, 0, this.#wording));
    }
    if (this.#template) {
      const m = links(singleMessage(e, this.#template.render(eventFields(e)), this.#wording));
      // A template that renders past the vendor's limit falls back to the default wording rather than failing.
      if (this.#vendor.fits(m)) return m;
    }
    return links(singleMessage(e, undefined, this.#wording));
  }

  async #post(message: ChatMessage, callerSignal: AbortSignal): Promise<{ result: SendResult; verdict: VendorVerdict }> {
    const req = this.#vendor.request(this.#url, this.#vendor.render(message), this.#now());
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = anySignal([callerSignal, timeout]);
    const scrub = (text: string) => redactUrl(redactUrl(text, req.url), this.#url);
    let verdict: VendorVerdict;
    try {
      const res = await this.#fetch(req.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'cwp-task-bridge' },
        body: req.body,
        redirect: 'manual',
        signal: combined.signal,
      });
      const text = await readText(res);
      verdict = this.#vendor.classify(res.status, text, res.headers.get('retry-after'), this.#now());
    } catch (e) {
      const why = timeout.aborted && !callerSignal.aborted ? `no answer within ${this.#timeoutMs} ms (timeout)`
        : callerSignal.aborted ? 'aborted: the drain was stopped (deadline)'
        : `connection failed: ${describeNetworkError(e)}`;
      verdict = { kind: 'transient', reason: `${this.#vendor.name}: ${why}` };
    } finally {
      combined.dispose();
    }
    return { result: resultOf(verdict, scrub), verdict };
  }
}

function resultOf(v: VendorVerdict, scrub: (s: string) => string): SendResult {
  switch (v.kind) {
    case 'ok':
      return { ok: true };
    case 'throttled':
      return { ok: false, retry: true, reason: scrub(v.reason), retryAfterMs: v.cooldownMs };
    case 'transient':
      return v.retryAfterMs === undefined ? { ok: false, retry: true, reason: scrub(v.reason) } : { ok: false, retry: true, reason: scrub(v.reason), retryAfterMs: v.retryAfterMs };
    case 'config':
      return { ok: false, retry: false, reason: scrub(v.reason) };
    case 'gone':
      return { ok: false, retry: false, reason: scrub(v.reason), disable: true };
  }
}

/**
 * The carried messages without any event that follows an uncarried event of its subject in the batch (the drain
 * hands a subject's events in outbox order, and a robot must not show COMPLETE before the COLLECTING it
 * follows). A message that loses events is planned again from the ones it keeps; one left empty is dropped.
 */
export function keepSubjectOrder(unique: BridgeEvent[], carried: PlannedMessage[], fits: (m: ChatMessage) => boolean, wording: Wording = DEFAULT_WORDING): PlannedMessage[] {
  const inCarried = new Set(carried.flatMap((u) => u.events.map((e) => e.id)));
  const firstLeft = new Map<string, number>();
  unique.forEach((e, i) => {
    if (!inCarried.has(e.id) && !firstLeft.has(e.subject)) firstLeft.set(e.subject, i);
  });
  if (firstLeft.size === 0) return carried;
  const position = new Map(unique.map((e, i) => [e.id, i] as const));
  const out: PlannedMessage[] = [];
  for (const unit of carried) {
    const kept = unit.events.filter((e) => {
      const cut = firstLeft.get(e.subject);
      return cut === undefined || position.get(e.id)! < cut;
    });
    if (kept.length === unit.events.length) out.push(unit);
    else if (kept.length > 0) {
      // A part of a message that fitted fits too (fewer events); counted only if it somehow does not.
      const groups = groupEvents(kept);
      out.push({ message: fitDigest(groups, fits, wording) ?? digestMessage(groups, 0, wording), events: kept });
    }
  }
  return out;
}

async function readText(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ANSWER_BYTES) {
      const r = await reader.read();
      if (r.done) break;
      chunks.push(r.value);
      size += r.value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A vendor's JSON answer, or null when it is not JSON (a proxy's error page). */
export function parseAnswer(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** At most `n` characters of a vendor's words, on one line. */
export function snippet(text: string, n = 200): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n)}…` : one;
}

/**
 * What a non-2xx status means when the vendor's JSON says nothing more: 408/429/5xx are transient (429 keeps its
 * Retry-After), a redirect is a configuration problem (not followed: it would turn our POST into someone else's
 * request), any other 4xx a refusal of this configuration.
 */
export function httpVerdict(name: string, status: number, text: string, retryAfter: string | null, nowMs: number): VendorVerdict {
  const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
  const words = snippet(text);
  const reason = `${name} answered HTTP ${status}${words ? `: ${words}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) return retryAfterMs === undefined ? { kind: 'transient', reason } : { kind: 'transient', reason, retryAfterMs };
  if (status >= 300 && status < 400) return { kind: 'config', reason: `${name} answered HTTP ${status} (a redirect, not followed); configure the robot's final URL` };
  return { kind: 'config', reason };
}
