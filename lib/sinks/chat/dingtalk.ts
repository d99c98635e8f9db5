// DingTalk (钉钉) custom robot: POST {"msgtype":"markdown","markdown":{"title","text"}} to
// https://oapi.dingtalk.com/robot/send?access_token=<token>.
// - Signing ("加签") is optional on DingTalk's side: a robot is set up with a keyword, an IP list or a secret. When
//   DINGTALK_SECRET is set we sign every request: `timestamp` (epoch ms) and `sign` =
//   urlencode(base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret))), both in the query. DingTalk
//   refuses a timestamp more than an hour off.
// - Rate: 20 messages a minute per robot, and going over blocks the robot for 10 minutes (130101). GCRA of one per
//   4 s with a burst of 4: at most 4 + 60/4 = 19 in any 60 s window. The margin matters more here than anywhere:
//   one message too many costs ten minutes of silence.
// - Size: DingTalk does not state a markdown limit in the pages we found; we hold the text to 4096 bytes, like
//   WeCom's, which keeps a digest readable on a phone anyway.
// - Answers (HTTP 200, success is errcode 0): 130101 "send too fast" is throttling, again after the 10-minute
//   block; 310000 (keyword, signature or IP not matched) is a configuration error; 300001 (token does not exist)
//   and 400102 (robot stopped) are a robot that is gone; -1 "system busy" is transient; any other errcode refuses
//   the message: a dead letter with DingTalk's words.
import { createHmac } from 'node:crypto';
import { renderMarkdown, type ChatMessage, type MarkdownStyle } from './message';
import { httpVerdict, parseAnswer, snippet, type ChatVendor, type VendorVerdict } from './chat-sink';

export const DINGTALK_TEXT_MAX_BYTES = 4096;
export const DINGTALK_THROTTLE_COOLDOWN_MS = 10 * 60_000;

/** The signature of a request at `timestampMs` (base64, before URL encoding). */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** The robot URL with `timestamp` and `sign` appended to its query. */
export function dingtalkSignedUrl(url: string, secret: string, timestampMs: number): string {
  const u = new URL(url);
  u.searchParams.delete('timestamp');
  u.searchParams.delete('sign');
  const sep = u.search ? '&' : '?';
  return `${u.toString()}${sep}timestamp=${timestampMs}&sign=${encodeURIComponent(dingtalkSign(secret, timestampMs))}`;
}

export const DINGTALK_STYLE: MarkdownStyle = {
  heading: (text, severity) => `#### ${severity === 'warning' ? '⚠️ ' : ''}${text}`,
  fact: (label, value) => `- **${label}**: ${value}`,
  item: (value) => `- ${value}`,
  more: (n) => `- … and ${n} more`,
  action: (text) => `**Next**: ${text}`,
  footer: (text) => `> ${text}`,
  newline: '\n\n',
  link: (label, url) => `[${label}](${url})`,
};

export function dingtalk(secret: string | null): ChatVendor {
  return {
    kind: 'dingtalk',
    name: 'DingTalk robot',
    rate: { ratePerSecond: 1 / 4, burst: 4, limit: '20 a minute' },
    render: (m: ChatMessage) => ({ msgtype: 'markdown', markdown: { title: m.title, text: renderMarkdown(m, DINGTALK_STYLE) } }),
    fits: (m) => Buffer.byteLength(renderMarkdown(m, DINGTALK_STYLE), 'utf8') <= DINGTALK_TEXT_MAX_BYTES,
    request: (url, body, nowMs) => ({ url: secret ? dingtalkSignedUrl(url, secret, nowMs) : url, body: JSON.stringify(body) }),
    classify(status, text, retryAfter, nowMs): VendorVerdict {
      const a = parseAnswer(text);
      if (status !== 200 || !a || typeof a.errcode !== 'number') return status === 200 ? { kind: 'transient', reason: `DingTalk robot answered HTTP 200 without an errcode: ${snippet(text)}` } : httpVerdict('DingTalk robot', status, text, retryAfter, nowMs);
      const said = `DingTalk robot answered errcode ${a.errcode}${typeof a.errmsg === 'string' ? ` (${snippet(a.errmsg)})` : ''}`;
      if (a.errcode === 0) return { kind: 'ok' };
      if (a.errcode === 130101) return { kind: 'throttled', reason: `${said}: over 20 messages a minute, blocked for 10 minutes`, cooldownMs: DINGTALK_THROTTLE_COOLDOWN_MS };
      if (a.errcode === 310000) return { kind: 'config', reason: `${said}: the robot's security settings refused it; check its keyword, IP list, or that DINGTALK_SECRET is the robot's secret` };
      if (a.errcode === 300001 || a.errcode === 400102) return { kind: 'gone', reason: `${said}: the robot is gone or stopped; fix DINGTALK_WEBHOOK_URLS` };
      if (a.errcode === -1) return { kind: 'transient', reason: said };
      return { kind: 'config', reason: `${said}; check the robot and DINGTALK_TEMPLATE` };
    },
  };
}
