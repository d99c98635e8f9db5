// The chat robot settings (WeCom, DingTalk, Feishu/Lark, Slack), checked at start-up like every other setting:
// each problem names the variable and the fix, and never shows a robot's key, token or secret (a problem names
// the entry by its position and origin only). The chat robots' sink kind (index.ts) reads them with these rules;
// all of them are the poll function's.
// - URLs: comma separated, like WEBHOOK_URLS, judged by the same rule (https; plain http to loopback, or anywhere
//   with WEBHOOK_ALLOW_HTTP): one switch for every outgoing hook rather than one per vendor.
// - Secrets: DingTalk and Feishu signing is optional on the vendor's side (a robot may be secured by a keyword or an
//   IP list instead). With DINGTALK_SECRET / FEISHU_SECRET set, every request is signed; without, none is. A
//   secret without any URL of its vendor is a mistake and is named.
// - Templates: `{{field}}` text per vendor (template.ts); an unknown field stops the start.
// - CHAT_TIMEZONE: the IANA time zone every robot shows clock times in (default Asia/Shanghai); an unknown one
//   stops the start.
import { commaList } from '../../config/fields';
import { judgeWebhookUrl } from '../webhook-url';
import { DEFAULT_CHAT_TIMEZONE } from './incident-wording';
import { isTimeZone } from '../../util/time-zone';
import { compileTemplate } from './template';

export const CHAT_ENV = [
  'WECOM_WEBHOOK_URLS', 'WECOM_TEMPLATE',
  'DINGTALK_WEBHOOK_URLS', 'DINGTALK_SECRET', 'DINGTALK_TEMPLATE',
  'FEISHU_WEBHOOK_URLS', 'FEISHU_SECRET', 'FEISHU_TEMPLATE',
  'SLACK_WEBHOOK_URLS', 'SLACK_TEMPLATE',
  'CHAT_TIMEZONE',
] as const;
export type ChatEnvName = (typeof CHAT_ENV)[number];

export type ChatRobotKind = 'wecom' | 'dingtalk' | 'feishu' | 'slack';

export interface ChatRobotConfig {
  kind: ChatRobotKind;
  url: string;
  /** DingTalk/Feishu signing secret; null: unsigned. Never logged. */
  secret: string | null;
  /** The kind's template source, or null for the default wording. */
  template: string | null;
  /** CHAT_TIMEZONE: clock times in messages are shown in it (default Asia/Shanghai). */
  timeZone?: string;
}

export interface ChatConfig {
  robots: ChatRobotConfig[];
  /** CHAT_TIMEZONE, an IANA time zone; default Asia/Shanghai. */
  timeZone: string;
}

interface VendorSettings {
  kind: ChatRobotKind;
  urls: ChatEnvName;
  secret: ChatEnvName | null;
  template: ChatEnvName;
  /** What the robot's own URL must carry (its credential), or null when anything https is fine. */
  needs: ((u: URL) => string | null) | null;
}

const VENDORS: VendorSettings[] = [
  { kind: 'wecom', urls: 'WECOM_WEBHOOK_URLS', secret: null, template: 'WECOM_TEMPLATE', needs: (u) => (u.searchParams.get('key') ? null : 'has no key= in its query; copy the robot\'s whole webhook address from the group') },
  { kind: 'dingtalk', urls: 'DINGTALK_WEBHOOK_URLS', secret: 'DINGTALK_SECRET', template: 'DINGTALK_TEMPLATE', needs: (u) => (u.searchParams.get('access_token') ? null : 'has no access_token= in its query; copy the robot\'s whole webhook address') },
  { kind: 'feishu', urls: 'FEISHU_WEBHOOK_URLS', secret: 'FEISHU_SECRET', template: 'FEISHU_TEMPLATE', needs: (u) => (u.pathname.length > 1 ? null : 'has no path; copy the bot\'s whole webhook address (…/open-apis/bot/v2/hook/…)') },
  { kind: 'slack', urls: 'SLACK_WEBHOOK_URLS', secret: null, template: 'SLACK_TEMPLATE', needs: (u) => (u.pathname.length > 1 ? null : 'has no path; copy the whole incoming webhook URL (…/services/…)') },
];


/** The chat settings from the present (non-empty, trimmed) variables; every problem pushed onto `problems`. */
export function parseChatConfig(present: Partial<Record<string, string>>, allowHttp: boolean, problems: string[]): ChatConfig {
  const robots: ChatRobotConfig[] = [];
  const zone = present.CHAT_TIMEZONE ?? DEFAULT_CHAT_TIMEZONE;
  const timeZone = isTimeZone(zone) ? zone : DEFAULT_CHAT_TIMEZONE;
  if (timeZone !== zone) problems.push(`CHAT_TIMEZONE: "${zone.slice(0, 60)}" is not a time zone; use an IANA name such as Asia/Shanghai, Asia/Hong_Kong or UTC, or leave it unset for Asia/Shanghai`);
  for (const v of VENDORS) {
    const urls: string[] = [];
    for (const [i, raw] of commaList(present[v.urls]).entries()) {
      const entry = `entry ${i + 1}`;
      const verdict = judgeWebhookUrl(raw, allowHttp);
      if (!verdict.ok) {
        if (verdict.reason === 'not-a-url') problems.push(`${v.urls}: ${entry} is not a URL; use the robot's https:// webhook address`);
        else {
          const shown = `${entry} (${verdict.url.protocol}//${verdict.url.host}/…)`;
          if (verdict.reason === 'scheme') problems.push(`${v.urls}: ${shown} must be https://`);
          else if (verdict.reason === 'plain-http') problems.push(`${v.urls}: ${shown} is plain http to a non-loopback host; use https://, or set WEBHOOK_ALLOW_HTTP=true to accept it`);
          else problems.push(`${v.urls}: ${shown} carries credentials before the host; remove them`);
        }
        continue;
      }
      const missing = v.needs?.(verdict.url) ?? null;
      if (missing) {
        problems.push(`${v.urls}: ${entry} (${verdict.url.origin}/…) ${missing}`);
        continue;
      }
      const url = verdict.url.toString();
      if (!urls.includes(url)) urls.push(url);
    }
    const configured = commaList(present[v.urls]).length > 0;
    let secret: string | null = null;
    if (v.secret) {
      secret = present[v.secret] ?? null;
      if (secret !== null && !configured) problems.push(`${v.secret}: is set but ${v.urls} is not; set the robot's URL too, or unset the secret`);
      if (secret !== null && v.kind === 'dingtalk' && !/^SEC[0-9A-Za-z]{16,}$/.test(secret)) {
        problems.push(`${v.secret}: is not a DingTalk signing secret; copy it from the robot's security settings (加签): SEC followed by letters and digits`);
      }
      if (secret !== null && /\s/.test(secret)) problems.push(`${v.secret}: contains whitespace; copy the secret exactly`);
    }
    const template = present[v.template] ?? null;
    if (template !== null) {
      const compiled = compileTemplate(template);
      if (!compiled.ok) for (const p of compiled.problems) problems.push(`${v.template}: ${p}`);
      if (!configured) problems.push(`${v.template}: is set but ${v.urls} is not; set the robot's URL too, or unset the template`);
    }
    for (const url of urls) robots.push({ kind: v.kind, url, secret, template, timeZone });
  }
  return { robots, timeZone };
}
