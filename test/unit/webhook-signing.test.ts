// The webhook sink signs the Standard Webhooks way and refuses what it must refuse, before any network.
import { inspect } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { CLOUDEVENTS_JSON, WebhookSink, checkWebhookUrl, parseRetryAfter, signWebhook } from '../../lib/sinks/webhook';
import type { CloudEvent } from '../../lib/events/types';
import { loadFixture } from '../helpers/fixtures';

interface Vector { secret: string; msgId: string; timestamp: number; payload: string; signedContent: string; signature: string }
const vector = loadFixture<Vector>('standard-webhooks-example.json');
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const event: CloudEvent = {
  specversion: '1.0',
  type: 'com.tencentcloud.cwp.task.status.changed',
  source: '/cwp-task-bridge/ap-guangzhou',
  id: 'evt-1',
  subject: '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1/process',
  time: '2026-11-24T10:00:00.000Z',
  datacontenttype: 'application/json',
  data: {
    uuid: '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1', kind: 'process', previous: 'COLLECTING', state: 'COMPLETE', severity: 'info',
    observedAt: '2026-11-24T10:00:00.000Z', requestId: 'r-1', next: 'DescribeProcesses',
  },
};

/** A fetch that records the request and answers 204. */
function recordingFetch() {
  const calls: { url: string; init: RequestInit }[] = [];
  const f = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    return new Response(null, { status: 204 });
  }) as typeof fetch;
  return { f, calls };
}

describe('Standard Webhooks signing', () => {
  test('reproduces the reference test vector exactly', () => {
    const headers = signWebhook(new Webhook(vector.secret), vector.msgId, vector.timestamp * 1000, vector.payload);
    expect(headers).toEqual({ 'webhook-id': vector.msgId, 'webhook-timestamp': String(vector.timestamp), 'webhook-signature': vector.signature });
  });

  test('signs with the timestamp in whole seconds, as sent in webhook-timestamp', () => {
    const headers = signWebhook(new Webhook(vector.secret), vector.msgId, vector.timestamp * 1000 + 999, vector.payload);
    expect(headers['webhook-timestamp']).toBe(String(vector.timestamp));
    expect(headers['webhook-signature']).toBe(vector.signature);
  });

  test('a sent event carries the CloudEvents content type, the event id as webhook-id, and a signature that verifies', async () => {
    const { f, calls } = recordingFetch();
    const sink = new WebhookSink({ url: 'https://hooks.example.com/cwp', secret: SECRET, timeoutMs: 1000, concurrency: 2, fetch: f });
    await expect(sink.send(event, new AbortController().signal)).resolves.toEqual({ ok: true });
    const { init } = calls[0]!;
    const headers = init.headers as Record<string, string>;
    expect(init.method).toBe('POST');
    expect(headers['content-type']).toBe(CLOUDEVENTS_JSON);
    expect(headers['webhook-id']).toBe('evt-1');
    expect(new Webhook(SECRET).verify(init.body as string, headers)).toEqual(event);
  });
});

describe('WebhookSink identity and safety', () => {
  test('its id is webhook:<url> and its concurrency comes from the options', () => {
    const sink = new WebhookSink({ url: 'https://hooks.example.com/cwp', secret: SECRET, timeoutMs: 1000, concurrency: 7 });
    expect(sink.id).toBe('webhook:https://hooks.example.com/cwp');
    expect(sink.concurrency).toBe(7);
  });

  test('refuses plain http to a non-loopback host unless allowHttp', () => {
    expect(() => checkWebhookUrl('http://hooks.example.com/x', false)).toThrow(/use https/);
    expect(checkWebhookUrl('http://hooks.example.com/x', true).host).toBe('hooks.example.com');
    expect(checkWebhookUrl('http://127.0.0.1:8080/x', false).port).toBe('8080');
    expect(checkWebhookUrl('http://localhost/x', false).hostname).toBe('localhost');
    expect(() => new WebhookSink({ url: 'ftp://x/y', secret: SECRET, timeoutMs: 1000, concurrency: 1 })).toThrow();
  });

  test('refuses a URL with credentials without echoing them', () => {
    expect(() => checkWebhookUrl('https://user:hunter2@hooks.example.com/x', false)).toThrow(/must not carry credentials/);
    try {
      checkWebhookUrl('https://user:hunter2@hooks.example.com/x', false);
    } catch (e) {
      expect(String(e)).not.toContain('hunter2');
    }
  });

  test('never exposes the secret when serialised or inspected', () => {
    const sink = new WebhookSink({ url: 'https://hooks.example.com/cwp', secret: SECRET, timeoutMs: 1000, concurrency: 1 });
    expect(JSON.stringify(sink)).not.toContain('MfKQ9r8G');
    expect(inspect(sink, { depth: 5 })).not.toContain('MfKQ9r8G');
  });
});

describe('a refusing receiver\'s words never carry the hook URL', () => {
  // A Slack-style hook: the token is the path; plus a ?key= (percent-encoded) and a second parameter.
  const HOOK = 'https://hooks.example.com/services/T000/B000/XoXb%2FSeCrEtPaTh?key=k3y%2BABCDEF123&team=ops';
  const SECRETS = /SeCrEtPaTh|k3y|ABCDEF123|B000|T000/i;

  /** A sink whose receiver answers `status` with `body` (or with these body chunks, as they would arrive). */
  function refusedWith(status: number, body: string | string[], headers: Record<string, string> = {}) {
    const chunks = typeof body === 'string' ? [body] : body;
    const f = (async () => new Response(new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
        c.close();
      },
    }), { status, headers })) as typeof fetch;
    return new WebhookSink({ url: HOOK, secret: SECRET, timeoutMs: 1000, concurrency: 1, fetch: f });
  }
  const reasonOf = async (sink: WebhookSink) => {
    const r = await sink.send(event, new AbortController().signal);
    if (r.ok) throw new Error('expected a refusal');
    return r.reason;
  };
  const url = new URL(HOOK);

  test.each([
    ['the full URL', `no hook at ${url.href}`],
    ['the path and query', `Cannot POST ${url.pathname}${url.search}`],
    ['the path alone', `Cannot POST ${url.pathname}`],
    ['the query alone', `unknown parameters ${url.search}`],
    ['the path and query, percent-decoded', `Cannot POST ${decodeURIComponent(url.pathname + url.search)}`],
    ['the URL, JSON-escaped', JSON.stringify({ error: 'not found', url: url.href }).replace(/\//g, '\\/')],
    ['the URL, HTML-escaped', `<p>No route for <code>${url.href.replace(/&/g, '&amp;')}</code></p>`],
    ['a token from the path', 'channel XoXb%2FSeCrEtPaTh is archived'],
    ['a key from the query', 'invalid key k3y+ABCDEF123'],
  ])('a 404 body echoing %s shows it as …', async (_what, body) => {
    const reason = await reasonOf(refusedWith(404, body));
    expect(reason).toMatch(/^receiver answered HTTP 404: .*…/);
    expect(reason).not.toMatch(SECRETS);
  });

  test('the rest of the body stays, and the origin too', async () => {
    const reason = await reasonOf(refusedWith(403, `forbidden: ${url.href} is disabled for https://hooks.example.com`));
    expect(reason).toBe('receiver answered HTTP 403: forbidden: … is disabled for https://hooks.example.com');
  });

  test('a URL at the snippet\'s edge is removed before the snippet is cut', async () => {
    const reason = await reasonOf(refusedWith(400, `${'x'.repeat(190)} ${url.pathname}${url.search}`));
    expect(reason).not.toMatch(SECRETS);
    expect(reason).not.toMatch(/\/services|XoX/);
  });

  test('a URL cut off where the read of the body stops leaves no start of itself', async () => {
    // 800 bytes and more of whitespace, then the path split across two chunks: the read stops after the first.
    const reason = await reasonOf(refusedWith(400, [`${' '.repeat(800)}Cannot POST /services/T000/B000/XoXb%2FSeCr`, 'EtPaTh?key=k3y%2BABCDEF123 at all']));
    expect(reason).toBe('receiver answered HTTP 400: Cannot POST …');
  });

  test('a redirect names only the origin it points to', async () => {
    const reason = await reasonOf(refusedWith(308, `moved to ${url.href}`, { location: `https://new.example.com${url.pathname}${url.search}` }));
    expect(reason).toMatch(/^receiver answered HTTP 308 \(redirect to https:\/\/new\.example\.com\/…\)/);
    expect(reason).not.toMatch(SECRETS);
  });

  test('a failed connection names the error code, never the message quoting the URL', async () => {
    const f = (async () => {
      throw new TypeError(`fetch failed for ${HOOK}`, { cause: Object.assign(new Error(`connect ECONNREFUSED ${HOOK}`), { code: 'ECONNREFUSED' }) });
    }) as typeof fetch;
    const sink = new WebhookSink({ url: HOOK, secret: SECRET, timeoutMs: 1000, concurrency: 1, fetch: f });
    expect(await reasonOf(sink)).toBe('connection failed: ECONNREFUSED');
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-11-24T10:00:00Z');
  test('delta-seconds become milliseconds', () => expect(parseRetryAfter('120', now)).toBe(120_000));
  test('an HTTP date becomes the time until it', () => expect(parseRetryAfter('Tue, 24 Nov 2026 10:01:30 GMT', now)).toBe(90_000));
  test('a date in the past means now', () => expect(parseRetryAfter('Tue, 24 Nov 2026 09:00:00 GMT', now)).toBe(0));
  test('absent or garbage is ignored', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
