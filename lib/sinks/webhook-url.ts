// Which hook URLs the bridge accepts (webhooks and chat robots), decided in one place for the settings check
// (every problem listed at start-up) and for the webhook sink (which refuses to be built on a bad URL): https, or
// plain http to loopback or with WEBHOOK_ALLOW_HTTP; never credentials in the URL (the payload is signed instead).

export type WebhookUrlVerdict =
  | { ok: true; url: URL }
  | { ok: false; reason: 'not-a-url'; url: null }
  | { ok: false; reason: 'scheme' | 'plain-http' | 'credentials'; url: URL };

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackUrl(u: URL): boolean {
  return LOOPBACK_HOSTS.has(u.hostname) || /^127\.\d+\.\d+\.\d+$/.test(u.hostname);
}

export function judgeWebhookUrl(raw: string, allowHttp: boolean): WebhookUrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not-a-url', url: null };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'scheme', url };
  if (url.protocol === 'http:' && !isLoopbackUrl(url) && !allowHttp) return { ok: false, reason: 'plain-http', url };
  if (url.username || url.password) return { ok: false, reason: 'credentials', url };
  return { ok: true, url };
}

/**
 * WEBHOOK_ALLOW_HTTP as every outgoing hook reads it, webhooks and chat robots alike: one switch, `true` or `1`.
 * (The webhook settings name any other value as a problem.)
 */
export function allowsPlainHttp(present: Readonly<Record<string, string>>): boolean {
  const v = present.WEBHOOK_ALLOW_HTTP;
  return v === 'true' || v === '1';
}
