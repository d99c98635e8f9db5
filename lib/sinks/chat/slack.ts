// Slack incoming webhook: POST {"text","blocks"} to https://hooks.slack.com/services/T…/B…/<token>. `text` is the
// notification's fallback line; the blocks are a header, one mrkdwn section per section of the message and a
// context line with the time. No signature: the URL is the credential.
// - Rate: about 1 message a second per channel ("short bursts >1 allowed", Slack's rate-limit page). GCRA of one
//   per 1.1 s with no burst: no 1 s window ever holds two.
// - Size: a section's text at most 3,000 characters, a header 150, at most 50 blocks (Block Kit reference).
// - Answers: 200 with body "ok" is success; 429 is throttling, again after its Retry-After (30 s without one);
//   404 channel_not_found and 410 channel_is_archived are a channel that is gone (dead letters, the sink off for
//   the run); 400 (invalid_payload, no_text…) and 403 (action_prohibited, invalid_token) refuse the configuration;
//   5xx are transient.
import { renderLinks, renderSection, type ChatMessage, type MarkdownStyle } from './message';
import { httpVerdict, snippet, type ChatVendor, type VendorVerdict } from './chat-sink';
import { parseRetryAfter } from '../../util/wire';

export const SLACK_SECTION_MAX_CHARS = 3000;
export const SLACK_HEADER_MAX_CHARS = 150;
export const SLACK_MAX_BLOCKS = 50;
export const SLACK_DEFAULT_RETRY_AFTER_MS = 30_000;

export const SLACK_STYLE: MarkdownStyle = {
  heading: (text, severity) => `${severity === 'warning' ? ':warning: ' : ''}*${text}*`,
  fact: (label, value) => `*${label}*: ${value}`,
  item: (value) => `• ${value}`,
  more: (n) => `_… and ${n} more_`,
  action: (text) => `*Next*: ${text}`,
  footer: (text) => text,
  newline: '\n',
  link: (label, url) => `<${url}|${label}>`,
};

function sectionTexts(m: ChatMessage): string[] {
  const links = renderLinks(m, SLACK_STYLE);
  return [...(m.text !== undefined ? [m.text] : m.sections.map((s) => renderSection(s, SLACK_STYLE))), ...(links === null ? [] : [links])];
}

function header(m: ChatMessage): string {
  return m.title.length > SLACK_HEADER_MAX_CHARS ? `${m.title.slice(0, SLACK_HEADER_MAX_CHARS - 1)}…` : m.title;
}

export const slack: ChatVendor = {
  kind: 'slack',
  name: 'Slack webhook',
  rate: { ratePerSecond: 1 / 1.1, burst: 1, limit: '1 a second' },
  render: (m) => ({
    text: `${m.severity === 'warning' ? ':warning: ' : ''}${m.title}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: header(m) } },
      ...sectionTexts(m).map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } })),
      { type: 'context', elements: [{ type: 'mrkdwn', text: m.footer }] },
    ],
  }),
  fits: (m) => {
    const texts = sectionTexts(m);
    return texts.length + 2 <= SLACK_MAX_BLOCKS && texts.every((t) => t.length <= SLACK_SECTION_MAX_CHARS);
  },
  request: (url, body) => ({ url, body: JSON.stringify(body) }),
  classify(status, text, retryAfter, nowMs): VendorVerdict {
    const words = snippet(text);
    if (status >= 200 && status < 300) return { kind: 'ok' };
    if (status === 429) return { kind: 'throttled', reason: `Slack webhook answered HTTP 429${words ? ` (${words})` : ''}: over 1 message a second`, cooldownMs: parseRetryAfter(retryAfter, nowMs) ?? SLACK_DEFAULT_RETRY_AFTER_MS };
    if (status === 404 || status === 410) return { kind: 'gone', reason: `Slack webhook answered HTTP ${status}${words ? ` (${words})` : ''}: the channel or the hook is gone; fix SLACK_WEBHOOK_URLS` };
    if (status === 400 || status === 403) return { kind: 'config', reason: `Slack webhook answered HTTP ${status}${words ? ` (${words})` : ''}; check the hook's app and channel, and SLACK_TEMPLATE` };
    return httpVerdict('Slack webhook', status, text, retryAfter, nowMs);
  },
};
