// What of a sink's id may be shown: a webhook URL is a credential as much as an address (Slack-style hook URLs
// carry their token in the path, others a `?key=`), so wherever a sink id or a receiver's words leave the bridge
// (API answers, log lines, dead-letter reasons, the sweep summary) only the URL's origin is shown. The one
// definition, imported by the sinks and by the api function alike: it must stay free of the sinks' dependencies
// (standardwebhooks), which the api bundle does not carry.
import { createHash } from 'node:crypto';

const WEBHOOK_PREFIX = 'webhook:';
/** What a removed secret is replaced with. */
export const REDACTED = '…';
/** Path segments and query values at least this long are removed on their own too (tokens are long). */
const MIN_PART_CHARS = 8;

/**
 * A sink id fit to show: a webhook is its origin and a short hash of the full id (`webhook:https://host/…#1a2b3c4d`,
 * so two hooks on one host stay apart); other ids (`cmq-topic:alerts`, `console`) as they are. The store keeps
 * the full id; only this label is ever shown.
 */
export function sinkLabel(id: string): string {
  if (!id.startsWith(WEBHOOK_PREFIX)) return id;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 8);
  try {
    return `${WEBHOOK_PREFIX}${new URL(id.slice(WEBHOOK_PREFIX.length)).origin}/${REDACTED}#${hash}`;
  } catch {
    return `${WEBHOOK_PREFIX}#${hash}`;
  }
}

/** `text` with every secret part of the sink `id` removed (see redactUrl); unchanged for a sink that is not a webhook. */
export function redactSinkSecrets(text: string, id: string): string {
  return id.startsWith(WEBHOOK_PREFIX) ? redactUrl(text, id.slice(WEBHOOK_PREFIX.length)) : text;
}

export interface RedactOptions {
  /**
   * `text` is the start of something longer (a body read only in part): a secret cut off at its end would not
   * match whole, so a tail of `text` that begins one of the secret forms is removed too.
   */
  cut?: boolean;
}

/**
 * `text` (a receiver's error page, an exception's message) with the secret parts of `url` replaced by `…`: the
 * full URL, its path with the query, the path alone and the query alone, each also percent-decoded, JSON-escaped
 * (`\/`) and HTML-escaped (`&amp;`), and every path segment and query value of 8 characters or more. The origin
 * stays, as sinkLabel shows it. Whitespace runs in the forms match any whitespace run in the text.
 */
export function redactUrl(text: string, url: string, options: RedactOptions = {}): string {
  const forms = secretForms(url);
  // The cut tail first, while it still reads as the start of a form (not yet broken up by the replacements).
  let out = options.cut ? cutPartialTail(text, forms) : text;
  for (const form of forms) out = replaceAll(out, form);
  return out;
}

/** The strings `redactUrl` removes, longest first (so a whole URL becomes one `…`, not an origin and a `…`). */
function secretForms(url: string): string[] {
  const raw = new Set<string>([url]);
  let u: URL | null = null;
  try {
    u = new URL(url);
  } catch {
    // not a URL: only the text as given
  }
  if (u) {
    const path = u.pathname === '/' ? '' : u.pathname;
    raw.add(u.href);
    raw.add(`${u.origin}${u.pathname}${u.search}`);
    raw.add(path + u.search);
    raw.add(path);
    raw.add(u.search);
    raw.add(u.search.slice(1));
    for (const segment of u.pathname.split('/')) if (segment.length >= MIN_PART_CHARS) raw.add(segment);
    for (const [, value] of u.searchParams) if (value.length >= MIN_PART_CHARS) raw.add(value);
  }
  const forms = new Set<string>();
  for (const r of raw) {
    for (const f of [r, decoded(r, false), decoded(r, true)]) {
      forms.add(f);
      forms.add(f.replaceAll('/', '\\/'));
      forms.add(f.replaceAll('&', '&amp;'));
    }
  }
  return [...forms]
    .map((f) => f.replace(/\s+/g, ' '))
    // Too short to be a secret, and would eat ordinary text ("/", "?").
    .filter((f) => f.replace(/[/?&=\s]/g, '').length >= 2)
    .sort((a, b) => b.length - a.length);
}

/** `s` percent-decoded (and with `+` as a space, as in a query, when `plus`); `s` itself if it does not decode. */
function decoded(s: string, plus: boolean): string {
  try {
    return decodeURIComponent(plus ? s.replace(/\+/g, ' ') : s);
  } catch {
    return s;
  }
}

/** Every occurrence of `form` in `text` as `…`, a space in `form` matching any whitespace run. */
function replaceAll(text: string, form: string): string {
  const pattern = form.split(' ').map(escapeRegExp).join('\\s+');
  return text.replace(new RegExp(pattern, 'gi'), REDACTED);
}

/** Removes a tail of `text` that is the start of one of `forms` (a secret cut off where the text ends). */
function cutPartialTail(text: string, forms: string[]): string {
  // Case-insensitive, as replaceAll is, unless lower-casing changes the text's length (a few non-ASCII letters).
  const fold = text.toLowerCase().length === text.length ? (s: string) => s.toLowerCase() : (s: string) => s;
  const lower = fold(text);
  const last = lower.charCodeAt(lower.length - 1);
  let longest = 0;
  for (const form of forms.map(fold)) {
    for (let n = Math.min(form.length - 1, lower.length); n > longest; n--) {
      if (form.charCodeAt(n - 1) === last && lower.endsWith(form.slice(0, n))) {
        longest = n;
        break;
      }
    }
  }
  return longest > 0 ? text.slice(0, text.length - longest) + REDACTED : text;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
