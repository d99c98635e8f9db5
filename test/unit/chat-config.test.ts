// The chat robot settings (lib/sinks/chat/settings.ts) as loadConfig reads them: robots per vendor, secrets, templates,
// and every problem named with its variable and the fix, never with a robot's key or secret.
import { loadConfig, VARIABLE_OWNER } from '../../lib/config';
import { CHAT_ENV } from '../../lib/sinks/chat/settings';
import { configProblems, TEST_CREDENTIALS } from '../helpers/config';

const CREDS = TEST_CREDENTIALS;
const WECOM = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=00000000-1111-2222-3333-444444444444';
const DINGTALK = 'https://oapi.dingtalk.com/robot/send?access_token=0123abcd0123abcd';
const FEISHU = 'https://open.feishu.cn/open-apis/bot/v2/hook/00000000-1111-2222-3333-444444444444';
const SLACK = 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX';
const DINGTALK_SECRET = 'SECd8f3c1a2b4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f';


test('no chat settings: no robots', () => {
  expect(loadConfig(CREDS).chat).toEqual({ robots: [], timeZone: 'Asia/Shanghai' });
});

test('one robot per URL, each with its vendor\'s secret and template', () => {
  const c = loadConfig({ ...CREDS, WECOM_WEBHOOK_URLS: WECOM, DINGTALK_WEBHOOK_URLS: DINGTALK, DINGTALK_SECRET, FEISHU_WEBHOOK_URLS: FEISHU, FEISHU_SECRET: 'fs-secret', SLACK_WEBHOOK_URLS: `${SLACK},${SLACK}`, SLACK_TEMPLATE: '{{what}} on {{host}}' });
  expect(c.chat.robots).toEqual([
    { kind: 'wecom', url: WECOM, secret: null, template: null, timeZone: 'Asia/Shanghai' },
    { kind: 'dingtalk', url: DINGTALK, secret: DINGTALK_SECRET, template: null, timeZone: 'Asia/Shanghai' },
    { kind: 'feishu', url: FEISHU, secret: 'fs-secret', template: null, timeZone: 'Asia/Shanghai' },
    { kind: 'slack', url: SLACK, secret: null, template: '{{what}} on {{host}}', timeZone: 'Asia/Shanghai' },
  ]);
});

test('CHAT_TIMEZONE chooses the time zone every robot shows clock times in; an unknown one is named with the fix', () => {
  expect(loadConfig({ ...CREDS, DINGTALK_WEBHOOK_URLS: DINGTALK, CHAT_TIMEZONE: 'Europe/Berlin' }).chat).toMatchObject({ timeZone: 'Europe/Berlin', robots: [{ timeZone: 'Europe/Berlin' }] });
  expect(loadConfig({ ...CREDS, CHAT_TIMEZONE: 'UTC' }).chat.timeZone).toBe('UTC');
  expect(configProblems({ CHAT_TIMEZONE: 'Beijing' })).toEqual(['CHAT_TIMEZONE: "Beijing" is not a time zone; use an IANA name such as Asia/Shanghai, Asia/Hong_Kong or UTC, or leave it unset for Asia/Shanghai']);
});

test('DingTalk and Feishu without a secret are unsigned robots (signing is optional on their side)', () => {
  expect(loadConfig({ ...CREDS, DINGTALK_WEBHOOK_URLS: DINGTALK }).chat.robots[0]!.secret).toBeNull();
});

test('a plain-http robot off loopback is refused unless WEBHOOK_ALLOW_HTTP, naming the origin only', () => {
  const p = configProblems({ WECOM_WEBHOOK_URLS: 'http://robots.internal/cgi-bin/webhook/send?key=abcdefgh12345678' });
  expect(p).toEqual(['WECOM_WEBHOOK_URLS: entry 1 (http://robots.internal/…) is plain http to a non-loopback host; use https://, or set WEBHOOK_ALLOW_HTTP=true to accept it']);
  expect(configProblems({ WECOM_WEBHOOK_URLS: 'http://robots.internal/cgi-bin/webhook/send?key=abcdefgh12345678', WEBHOOK_ALLOW_HTTP: 'true' })).toEqual([]);
});

test('a WeCom URL without its key, or a DingTalk URL without its token, is named with the fix', () => {
  expect(configProblems({ WECOM_WEBHOOK_URLS: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send' })).toEqual([expect.stringMatching(/^WECOM_WEBHOOK_URLS: entry 1 .* has no key= in its query/)]);
  expect(configProblems({ DINGTALK_WEBHOOK_URLS: 'https://oapi.dingtalk.com/robot/send' })).toEqual([expect.stringMatching(/^DINGTALK_WEBHOOK_URLS: entry 1 .* has no access_token=/)]);
});

test('a secret without its robot, or a DingTalk secret that is not one, is named without showing it', () => {
  const p = configProblems({ FEISHU_SECRET: 'fs-secret-value', DINGTALK_WEBHOOK_URLS: DINGTALK, DINGTALK_SECRET: 'not-a-secret-value' });
  expect(p).toEqual([
    expect.stringMatching(/^DINGTALK_SECRET: is not a DingTalk signing secret/),
    'FEISHU_SECRET: is set but FEISHU_WEBHOOK_URLS is not; set the robot\'s URL too, or unset the secret',
  ]);
  expect(p.join()).not.toMatch(/fs-secret-value|not-a-secret-value/);
});

test('a template with an unknown field stops the start, naming the field', () => {
  expect(configProblems({ WECOM_WEBHOOK_URLS: WECOM, WECOM_TEMPLATE: '{{hostname}} went {{state}}' })).toEqual([expect.stringMatching(/^WECOM_TEMPLATE: unknown field \{\{hostname\}\}; use one of id, type/)]);
});

test('every chat variable is the poll function\'s: a bad one cannot stop the api function', () => {
  for (const name of CHAT_ENV) expect(VARIABLE_OWNER[name]).toBe('poll');
  expect(() => loadConfig({ ...CREDS, API_TOKENS: 'a'.repeat(20), WECOM_TEMPLATE: '{{nope}}' }, { role: 'api' })).not.toThrow();
});
