// WeCom (企业微信) group robot: POST {"msgtype":"markdown","markdown":{"content":…}} to
// https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>. No signature: the key in the URL is the credential
// (so it is never shown: ids, logs and reasons carry a hash of the URL).
// - Rate: 20 messages a minute per robot. GCRA of one message per 4 s with a burst of 4: the most any 60 s window
//   can hold is 4 + 60/4 = 19, one under the limit (a margin for the vendor's own clock and window edges).
// - Size: the markdown content is at most 4096 bytes of UTF-8 (WeCom "群机器人配置说明", markdown 类型).
// - Answers (always HTTP 200, success is errcode 0): 45009 "api freq out of limit" is throttling (again after a
//   minute, the vendor's window); 93000 "invalid webhook url" is a robot that was removed (gone); -1 "system busy"
//   is transient; any other errcode (40008 bad msgtype, 40058 bad parameter, 44004 empty content…) refuses the
//   message as configured: a dead letter with WeCom's words.
import { renderMarkdown, type ChatMessage, type MarkdownStyle } from './message';
import { httpVerdict, parseAnswer, snippet, type ChatVendor, type VendorVerdict } from './chat-sink';

export const WECOM_MARKDOWN_MAX_BYTES = 4096;
export const WECOM_THROTTLE_COOLDOWN_MS = 60_000;

const color = (severity: string) => (severity === 'warning' ? 'warning' : 'info');

export const WECOM_STYLE: MarkdownStyle = {
  heading: (text, severity) => `**<font color="${color(severity)}">${text}</font>**`,
  fact: (label, value) => `> ${label}: ${value}`,
  item: (value) => `> ${value}`,
  more: (n) => `> … and ${n} more`,
  action: (text) => `Next: ${text}`,
  footer: (text) => `<font color="comment">${text}</font>`,
  newline: '\n',
  link: (label, url) => `[${label}](${url})`,
};

export const wecom: ChatVendor = {
  kind: 'wecom',
  name: 'WeCom robot',
  rate: { ratePerSecond: 1 / 4, burst: 4, limit: '20 a minute' },
  render: (m: ChatMessage) => ({ msgtype: 'markdown', markdown: { content: renderMarkdown(m, WECOM_STYLE) } }),
  fits: (m) => Buffer.byteLength(renderMarkdown(m, WECOM_STYLE), 'utf8') <= WECOM_MARKDOWN_MAX_BYTES,
  request: (url, body) => ({ url, body: JSON.stringify(body) }),
  classify(status, text, retryAfter, nowMs): VendorVerdict {
    const a = parseAnswer(text);
    if (status !== 200 || !a || typeof a.errcode !== 'number') return status === 200 ? { kind: 'transient', reason: `WeCom robot answered HTTP 200 without an errcode: ${snippet(text)}` } : httpVerdict('WeCom robot', status, text, retryAfter, nowMs);
    const said = `WeCom robot answered errcode ${a.errcode}${typeof a.errmsg === 'string' ? ` (${snippet(a.errmsg)})` : ''}`;
    if (a.errcode === 0) return { kind: 'ok' };
    if (a.errcode === 45009) return { kind: 'throttled', reason: `${said}: over 20 messages a minute; again in a minute`, cooldownMs: WECOM_THROTTLE_COOLDOWN_MS };
    if (a.errcode === 93000) return { kind: 'gone', reason: `${said}: the robot's key is not valid (removed from the group?); fix WECOM_WEBHOOK_URLS` };
    if (a.errcode === -1) return { kind: 'transient', reason: said };
    return { kind: 'config', reason: `${said}; check the robot and WECOM_TEMPLATE` };
  },
};
