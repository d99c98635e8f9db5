// The webhook sink: one per URL. POSTs the BridgeEvent (structured JSON) signed the Standard Webhooks way
// (webhook-id / webhook-timestamp / webhook-signature, via the `standardwebhooks` package), tries once, and
// maps the answer to a SendResult. Retries, backoff and dead letters belong to deliver.ts. Its settings
// (WEBHOOK_*) and its factory are `webhookSinks`, at the end.
import { Webhook } from 'standardwebhooks';
import * as z from 'zod/mini';
import { commaList, int } from '../config/fields';
import type { BridgeEvent } from '../events/types';
import { anySignal } from '../util/abort';
import { redactUrl } from '../util/redact';
import { describeNetworkError, parseRetryAfter } from '../util/wire';
import type { SinkKind } from './kind';
import type { SendResult, Sink } from './sink';
import { allowsPlainHttp, judgeWebhookUrl } from './webhook-url';

export { parseRetryAfter } from '../util/wire';

export const CLOUDEVENTS_JSON = 'application/cloudevents+json';
export const GONE_REASON = 'receiver answered 410 Gone; this URL is disabled for this run — remove it from WEBHOOK_URLS';
/** How much of a refusing receiver's body goes into the dead letter's reason. */
const BODY_SNIPPET_CHARS = 200;

export interface WebhookSinkOptions {
  url: string;
  /** `whsec_…` (base64 key with the Standard Webhooks prefix). Kept in a private field; never logged. */
  secret: string;
  /** Deadline of one attempt, headers and body included. */
  timeoutMs: number;
  concurrency: number;
  /** Accept plain http to a non-loopback host (WEBHOOK_ALLOW_HTTP). */
  allowHttp?: boolean;
  /** Wall clock for the signature timestamp and HTTP-date Retry-After (tests). */
  now?: () => number;
  /** The fetch to use (tests); defaults to the global one (undici). */
  fetch?: typeof fetch;
}

/** Throws unless the URL is https, or http to loopback, or http with allowHttp. Never echoes credentials. */
export function checkWebhookUrl(raw: string, allowHttp: boolean): URL {
  const v = judgeWebhookUrl(raw, allowHttp);
  if (v.ok) return v.url;
  if (v.reason === 'not-a-url') throw new Error('webhook URL is not a URL');
  if (v.reason === 'credentials') throw new Error(`webhook URL ${v.url.origin} must not carry credentials; the payload is signed with WEBHOOK_SECRET`);
  throw new Error(`webhook URL ${v.url.protocol}//${v.url.host} is refused: use https:// (plain http only to loopback, or with WEBHOOK_ALLOW_HTTP=true)`);
}

/** The three Standard Webhooks headers for one payload. */
export function signWebhook(webhook: Webhook, msgId: string, nowMs: number, payload: string): Record<string, string> {
  const seconds = Math.floor(nowMs / 1000);
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(seconds),
    'webhook-signature': webhook.sign(msgId, new Date(seconds * 1000), payload),
  };
}

// Statuses that mean "not now": overloaded, restarting, or (408) the receiver timed our request out itself.
const RETRY_STATUSES = new Set([408, 429, 502, 503, 504]);

export class WebhookSink implements Sink {
  readonly id: string;
  readonly concurrency: number;
  readonly url: string;
  /** send() never outlives its timeout (one AbortSignal.timeout covers the request and the body). */
  readonly maxSendMs: number;
  /** The receiver checks webhook-timestamp (Standard Webhooks: within 5 minutes by default). */
  readonly checksTimestamps = true;
  readonly #webhook: Webhook;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #fetch: typeof fetch;

  constructor(options: WebhookSinkOptions) {
    const u = checkWebhookUrl(options.url, options.allowHttp ?? false);
    this.url = u.toString();
    this.id = `webhook:${this.url}`;
    this.concurrency = Math.max(1, Math.floor(options.concurrency));
    this.#webhook = new Webhook(options.secret);
    this.#timeoutMs = options.timeoutMs;
    this.maxSendMs = options.timeoutMs;
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? fetch;
  }

  async send(event: BridgeEvent, signal: AbortSignal): Promise<SendResult> {
    if (signal.aborted) return { ok: false, retry: true, reason: 'not sent: the drain was stopped' };
    // Not AbortSignal.any: SCF's Nodejs18.15 lacks it (lib/util/abort.ts). Disposed when the attempt ends, so
    // the drain's long-lived signal does not collect a listener per request.
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = anySignal([signal, timeout]);
    try {
      return await this.#attempt(event, combined.signal, signal, timeout);
    } finally {
      combined.dispose();
    }
  }

  async #attempt(event: BridgeEvent, combined: AbortSignal, callerSignal: AbortSignal, timeout: AbortSignal): Promise<SendResult> {
    const payload = JSON.stringify(event);
    let res: Response;
    try {
      res = await this.#fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': CLOUDEVENTS_JSON,
          'user-agent': 'cwp-task-bridge',
          ...signWebhook(this.#webhook, event.id, this.#now(), payload),
        },
        body: payload,
        // A redirect is a configuration problem (and following one would turn our POST into someone else's
        // request); it is reported, not followed.
        redirect: 'manual',
        signal: combined,
      });
    } catch (e) {
      return { ok: false, retry: true, reason: this.#failureReason(e, callerSignal, timeout) };
    }

    const status = res.status;
    try {
      if (status >= 200 && status < 300) {
        await discard(res);
        return { ok: true };
      }
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.#now());
      if (status === 410) {
        await discard(res);
        return { ok: false, retry: false, reason: GONE_REASON, disable: true };
      }
      // 500 and any other 5xx retry too: a receiver's 500 is usually a transient bug or a dependency that is
      // down (a database restarting, a deploy in progress), not a verdict on this event; the attempt cap still
      // turns a receiver that always fails into dead letters, which can be replayed once it is fixed.
      if (RETRY_STATUSES.has(status) || status >= 500) {
        await discard(res);
        const reason = `receiver answered HTTP ${status}`;
        return retryAfterMs === undefined ? { ok: false, retry: true, reason } : { ok: false, retry: true, reason, retryAfterMs };
      }
      if (status >= 300 && status < 400) {
        await discard(res);
        // The target's origin only: a redirect usually keeps the hook's path (often its secret), and this
        // reason goes into the logs and the dead letters.
        const to = locationOrigin(res.headers.get('location'), this.url);
        return { ok: false, retry: false, reason: `receiver answered HTTP ${status} (redirect${to ? ` to ${to}/…` : ''}); redirects are not followed, configure the final URL` };
      }
      // Other 4xx (and 1xx oddities): the receiver refuses this request; sending it again will not change that.
      // Scrubbed of the URL: an error page often echoes the request line ("Cannot POST /hooks/<token>"), and
      // this reason goes into the logs, the dead letters and GET /v1/deliveries.
      const snippet = await readSnippet(res, this.url);
      return { ok: false, retry: false, reason: `receiver answered HTTP ${status}${snippet ? `: ${snippet}` : ''}` };
    } catch (e) {
      // The body could not be read (timeout or reset mid-body): for a 2xx the receiver has the event, but we
      // cannot be sure, so try again; the webhook-id lets the receiver drop the duplicate.
      return { ok: false, retry: true, reason: `HTTP ${status}, then ${this.#failureReason(e, callerSignal, timeout)}` };
    }
  }

  #failureReason(e: unknown, callerSignal: AbortSignal, timeout: AbortSignal): string {
    if (timeout.aborted && !callerSignal.aborted) return `no answer within ${this.#timeoutMs} ms (timeout)`;
    if (callerSignal.aborted) return 'aborted: the drain was stopped (deadline)';
    return `connection failed: ${describeNetworkError(e)}`;
  }
}

/** The origin a Location header points to (relative to `base`), or null; never its path or query. */
function locationOrigin(location: string | null, base: string): string | null {
  if (!location) return null;
  try {
    return new URL(location, base).origin;
  } catch {
    return null;
  }
}

async function discard(res: Response): Promise<void> {
  if (res.body) await res.body.cancel().catch(() => undefined);
}

/**
 * The start of a refusing receiver's body, whitespace collapsed, at most BODY_SNIPPET_CHARS: with every form
 * of `url`'s path and query (and the URL itself) replaced by `…` before it is cut, so neither a whole secret
 * nor the start of one cut off at the end is ever shown.
 */
async function readSnippet(res: Response, url: string): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let done = false;
  try {
    while (size < BODY_SNIPPET_CHARS * 4) {
      const r = await reader.read();
      if (r.done) {
        done = true;
        break;
      }
      chunks.push(r.value);
      size += r.value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const read = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim();
  // Enough beyond the snippet that a secret starting inside it is there whole (URLs are rarely longer).
  const window = BODY_SNIPPET_CHARS * 4;
  const text = redactUrl(read.slice(0, window), url, { cut: !done || read.length > window });
  return text.length > BODY_SNIPPET_CHARS ? text.slice(0, BODY_SNIPPET_CHARS) + '…' : text;
}

export const WEBHOOK_ENV = ['WEBHOOK_URLS', 'WEBHOOK_SECRET', 'WEBHOOK_ALLOW_HTTP', 'WEBHOOK_TIMEOUT_MS', 'WEBHOOK_CONCURRENCY'] as const;

/** The webhook settings (config.webhook). WEBHOOK_ALLOW_HTTP and WEBHOOK_TIMEOUT_MS hold for the chat robots too. */
export interface WebhookSettings {
  urls: string[];
  secret: string | null;
  allowHttp: boolean;
  /** Deadline of one request to any outgoing hook, headers and body included. */
  timeoutMs: number;
  concurrency: number;
}

const schema = z.object({
  WEBHOOK_ALLOW_HTTP: z._default(z.enum(['true', 'false', '1', '0', ''], { error: 'must be true or false' }), 'false'),
  WEBHOOK_TIMEOUT_MS: int(100, 60_000, 5_000, 'milliseconds'),
  WEBHOOK_CONCURRENCY: int(1, 256, 16, 'requests'),
});

/** WEBHOOK_*: every problem names the variable, and a URL by its entry and origin only (its path is often its secret). */
function webhookSettings(present: Readonly<Record<string, string>>, problems: string[]): WebhookSettings {
  const parsed = z.safeParse(schema, { WEBHOOK_ALLOW_HTTP: present.WEBHOOK_ALLOW_HTTP, WEBHOOK_TIMEOUT_MS: present.WEBHOOK_TIMEOUT_MS, WEBHOOK_CONCURRENCY: present.WEBHOOK_CONCURRENCY });
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push(`${String(issue.path[0])}: ${issue.message}`);
  const allowHttp = allowsPlainHttp(present);
  const urls: string[] = [];
  for (const [i, raw] of commaList(present.WEBHOOK_URLS).entries()) {
    const entry = `entry ${i + 1}`;
    const v = judgeWebhookUrl(raw, allowHttp);
    if (v.ok) {
      urls.push(v.url.toString());
      continue;
    }
    if (v.reason === 'not-a-url') {
      problems.push(`WEBHOOK_URLS: ${entry} is not a URL; use https://host/path`);
      continue;
    }
    const shown = `${entry} (${v.url.protocol}//${v.url.host}/…)`;
    if (v.reason === 'scheme') problems.push(`WEBHOOK_URLS: ${shown} must be https://`);
    else if (v.reason === 'plain-http') problems.push(`WEBHOOK_URLS: ${shown} is plain http to a non-loopback host; use https://, or set WEBHOOK_ALLOW_HTTP=true to accept it`);
    else problems.push(`WEBHOOK_URLS: ${entry} carries credentials in the URL; remove them, the payload is signed with WEBHOOK_SECRET instead`);
  }
  const secret = present.WEBHOOK_SECRET ?? null;
  if (commaList(present.WEBHOOK_URLS).length > 0 && !secret) problems.push('WEBHOOK_SECRET: is required when WEBHOOK_URLS is set; use whsec_ followed by base64 of 24 to 64 random bytes');
  if (secret && !/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/.test(secret)) {
    problems.push('WEBHOOK_SECRET: must be whsec_ followed by base64 of 24 to 64 random bytes (e.g. "whsec_$(openssl rand -base64 32)")');
  }
  // With a problem the configuration is refused as a whole, so the defaults stand in for the numbers then.
  const e = parsed.success ? parsed.data : null;
  return { urls, secret, allowHttp, timeoutMs: e?.WEBHOOK_TIMEOUT_MS ?? 5_000, concurrency: e?.WEBHOOK_CONCURRENCY ?? 16 };
}

/** Webhooks: one sink per WEBHOOK_URLS entry, signed with WEBHOOK_SECRET. */
export const webhookSinks: SinkKind<'webhook', WebhookSettings> = {
  key: 'webhook',
  prefixes: ['WEBHOOK'],
  variables: WEBHOOK_ENV,
  settings: ({ present, problems }) => webhookSettings(present, problems),
  create(webhook) {
    if (webhook.urls.length === 0) return {};
    if (!webhook.secret) throw new Error('WEBHOOK_SECRET is required when WEBHOOK_URLS is set');
    const secret = webhook.secret;
    return { WEBHOOK: webhook.urls.map((url) => new WebhookSink({ url, secret, timeoutMs: webhook.timeoutMs, concurrency: webhook.concurrency, allowHttp: webhook.allowHttp })) };
  },
};
