// The vendors' signatures, reproduced from the vectors in test/fixtures/chat-robots.json (DingTalk 加签, Feishu
// 签名校验), and where each vendor wants them: DingTalk in the query, Feishu in the JSON body.
import { dingtalk, dingtalkSign, dingtalkSignedUrl } from '../../lib/sinks/chat/dingtalk';
import { feishu, feishuSign } from '../../lib/sinks/chat/feishu';
import { wecom } from '../../lib/sinks/chat/wecom';
import { loadFixture } from '../helpers/fixtures';

interface Fixture {
  dingtalk: { url: string; secret: string; timestamp: number; sign: string; signUrlEncoded: string; signedUrl: string };
  feishu: { secret: string; timestamp: string; sign: string; body: Record<string, unknown> };
  wecom: { url: string };
}
const fx = loadFixture<Fixture>('chat-robots.json');

test('DingTalk: sign is base64 HMAC-SHA256 keyed by the secret over timestamp + "\\n" + secret', () => {
  expect(dingtalkSign(fx.dingtalk.secret, fx.dingtalk.timestamp)).toBe(fx.dingtalk.sign);
});

test('DingTalk: timestamp (ms) and the URL-encoded sign are appended to the query, as in the vector', () => {
  expect(dingtalkSignedUrl(fx.dingtalk.url, fx.dingtalk.secret, fx.dingtalk.timestamp)).toBe(fx.dingtalk.signedUrl);
  expect(dingtalkSignedUrl(fx.dingtalk.url, fx.dingtalk.secret, fx.dingtalk.timestamp)).toContain(`sign=${fx.dingtalk.signUrlEncoded}`);
});

test('DingTalk: a request is signed when a secret is set, and left as it is without one', () => {
  expect(dingtalk(fx.dingtalk.secret).request(fx.dingtalk.url, {}, fx.dingtalk.timestamp).url).toBe(fx.dingtalk.signedUrl);
  expect(dingtalk(null).request(fx.dingtalk.url, {}, fx.dingtalk.timestamp).url).toBe(fx.dingtalk.url);
});

test('Feishu: sign is base64 HMAC-SHA256 keyed by timestamp + "\\n" + secret over an empty message', () => {
  expect(feishuSign(fx.feishu.secret, fx.feishu.timestamp)).toBe(fx.feishu.sign);
});

test('Feishu: timestamp (seconds, a string) and sign go into the JSON body beside msg_type, as in the vector', () => {
  const req = feishu(fx.feishu.secret).request('https://open.feishu.cn/open-apis/bot/v2/hook/x', { msg_type: 'text', content: { text: 'Agent offline' } }, Number(fx.feishu.timestamp) * 1000 + 999);
  expect(JSON.parse(req.body)).toEqual(fx.feishu.body);
});

test('Feishu without a secret: no signature fields', () => {
  const req = feishu(null).request('https://open.feishu.cn/open-apis/bot/v2/hook/x', { msg_type: 'text' }, 0);
  expect(JSON.parse(req.body)).toEqual({ msg_type: 'text' });
});

test('WeCom: no signature; the URL and body go as they are', () => {
  expect(wecom.request(fx.wecom.url, { a: 1 }, 0)).toEqual({ url: fx.wecom.url, body: '{"a":1}' });
});
