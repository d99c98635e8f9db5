// Feishu / Lark custom bot: POST {"msg_type":"interactive","card":…} to
// https://open.feishu.cn/open-apis/bot/v2/hook/<token> (open.larksuite.com for Lark). A card: a coloured header
// (orange for a warning, blue otherwise), one lark_md block per section, a note with the time.
// - Signing ("签名校验") is optional on Feishu's side. When FEISHU_SECRET is set we sign every request:
//   `timestamp` (epoch seconds, a string) and `sign` = base64(HMAC-SHA256(key = timestamp + "\n" + secret,
//   message = empty)), both in the JSON body beside msg_type. Feishu refuses a timestamp more than an hour off.
// - Rate: 5 messages a second and 100 a minute per bot. One GCRA must keep both: 1.5 a second (one per 667 ms)
//   with a burst of 4: any 1 s window holds at most 4 + 1 = 5, any 60 s window at most 4 + 90 = 94.
// - Size: the request body at most 20 KB (20,480 bytes), signature fields included.
// - Answers (HTTP 200, success is code 0; older bots say StatusCode): 11232 "frequency limited" is throttling,
//   again after a minute (the longer of its two windows); 19021 (bad signature or timestamp), 19022 (IP not
//   allowed), 19024 (keyword not found) and every other code (9499 bad request, 19001 bad parameter…) refuse
//   the message as configured: a dead letter with Feishu's words.
import { createHmac } from 'node:crypto';
import { renderLinks, renderSection, type ChatMessage, type MarkdownStyle } from './message';
import { httpVerdict, parseAnswer, snippet, type ChatVendor, type VendorVerdict } from './chat-sink';

export const FEISHU_BODY_MAX_BYTES = 20 * 1024;
export const FEISHU_THROTTLE_COOLDOWN_MS = 60_000;
/** The signature fields as long as they will be (10-digit timestamp, 44-character base64), for measuring. */
const SIGNATURE_PLACEHOLDER = { timestamp: '0000000000', sign: 'x'.repeat(44) };

/** The signature of a request at `timestampSeconds`. */
export function feishuSign(secret: string, timestampSeconds: string | number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

export const FEISHU_STYLE: MarkdownStyle = {
  heading: (text) => `**${text}**`,
  fact: (label, value) => `**${label}**: ${value}`,
  item: (value) => `• ${value}`,
  more: (n) => `… and ${n} more`,
  action: (text) => `**Next**: ${text}`,
  footer: (text) => text,
  newline: '\n',
  link: (label, url) => `[${label}](${url})`,
};

function card(m: ChatMessage): Record<string, unknown> {
  const links = renderLinks(m, FEISHU_STYLE);
  const blocks = [...(m.text !== undefined ? [m.text] : m.sections.map((s) => renderSection(s, FEISHU_STYLE))), ...(links === null ? [] : [links])];
  return {
    msg_type: 'interactive',
    card: {
      config: { wide_screen_mode: true },
      header: { title: { tag: 'plain_text', content: m.title }, template: m.severity === 'warning' ? 'orange' : 'blue' },
      elements: [
        ...blocks.map((content) => ({ tag: 'div', text: { tag: 'lark_md', content } })),
        { tag: 'note', elements: [{ tag: 'plain_text', content: m.footer }] },
      ],
    },
  };
}

export function feishu(secret: string | null): ChatVendor {
  return {
    kind: 'feishu',
    name: 'Feishu bot',
    rate: { ratePerSecond: 1.5, burst: 4, limit: '5 a second and 100 a minute' },
    render: card,
    fits: (m) => Buffer.byteLength(JSON.stringify({ ...SIGNATURE_PLACEHOLDER, ...card(m) }), 'utf8') <= FEISHU_BODY_MAX_BYTES,
    request(url, body, nowMs) {
      if (!secret) return { url, body: JSON.stringify(body) };
      const timestamp = String(Math.floor(nowMs / 1000));
      return { url, body: JSON.stringify({ timestamp, sign: feishuSign(secret, timestamp), ...body }) };
    },
    classify(status, text, retryAfter, nowMs): VendorVerdict {
      const a = parseAnswer(text);
      const code = a ? (typeof a.code === 'number' ? a.code : typeof a.StatusCode === 'number' ? a.StatusCode : null) : null;
      if (code === null) return status === 200 ? { kind: 'transient', reason: `Feishu bot answered HTTP 200 without a code: ${snippet(text)}` } : httpVerdict('Feishu bot', status, text, retryAfter, nowMs);
      const msg = a!.msg ?? a!.StatusMessage;
      const said = `Feishu bot answered code ${code}${typeof msg === 'string' ? ` (${snippet(msg)})` : ''}`;
      if (code === 0) return status >= 200 && status < 300 ? { kind: 'ok' } : httpVerdict('Feishu bot', status, text, retryAfter, nowMs);
      if (code === 11232) return { kind: 'throttled', reason: `${said}: over 5 a second or 100 a minute; again in a minute`, cooldownMs: FEISHU_THROTTLE_COOLDOWN_MS };
      if (code === 19021) return { kind: 'config', reason: `${said}: the signature was refused; check that FEISHU_SECRET is the bot's secret and this machine's clock` };
      if (status >= 500) return httpVerdict('Feishu bot', status, text, retryAfter, nowMs);
      return { kind: 'config', reason: `${said}; check the bot's security settings (keyword, IP list) and FEISHU_TEMPLATE` };
    },
  };
}
