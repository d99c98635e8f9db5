// Our request against the official SDK's, byte for byte: the same action, region, payload, clock and
// credentials go through tencentcloud-sdk-nodejs and through TencentClient to one capture server, and what
// arrives must be the same.
//
// What the SDK oracle revealed (tencentcloud/common/abstract_client.js, http/http_connection.js, sign.js):
// - Service: the SDK never takes a service name; it uses `endpoint.split(".")[0]` of the endpoint it was
//   given. For `yunjing.tencentcloudapi.com` that is `yunjing`; for `127.0.0.1:PORT` it is `127`; for
//   `yunjing.localhost:PORT` it is `yunjing`. So to compare faithfully, our client gets the service the SDK
//   derived for that host (`sdkServiceFor` below), and both endpoint forms are exercised.
// - Host: the SDK signs `host:<hostname>` WITHOUT the port (`new URL(url).hostname`), while the Host header
//   it sends carries the port. TencentClient signs the same way. A verifier that signs the Host header as
//   received (with the port) rejects both the SDK and us on a non-default port.
// - Content-Type: the SDK sends and signs `application/json` unless told otherwise; we send
//   `application/json; charset=utf-8` and give the SDK the same header through httpProfile.headers.
// - Timestamp: `parseInt(String(new Date().getTime() / 1000))`, i.e. floor of the seconds, like ours.
// - Body: the SDK removes null object members (deepRemoveNull) and serializes with json-bigint, which
//   escapes U+007F-U+009F, U+00AD, U+0600-U+0604, U+070F, U+17B4-5, U+200C-U+200F (so the emoji ZWJ), U+2028-
//   U+202F, U+2060-U+206F, U+FEFF and U+FFF0-U+FFFF as \uXXXX where JSON.stringify writes them raw. The bytes
//   then differ, and so must the signatures; both are valid signatures of what each sent (second property).
//   A `__proto__` key is lost by deepRemoveNull (it assigns into a plain object). Everything else is equal.
// - Headers only the SDK sends: X-TC-RequestClient and X-TC-TraceId (not signed, not needed).
import fc from 'fast-check';
import { JSON_CONTENT_TYPE, parseAuthorization, signTc3, TencentClient, type TencentCredentials } from '../../lib/tencent';
import { apiSuccess, startCaptureServer, type CapturedRequest, type CaptureServer } from '../helpers/tencent-capture-server';
import { loopbackFetch } from '../helpers/tencent-loopback-fetch';
import { sdkClient } from '../helpers/tencent-sdk';

const VERSION = '2018-02-28';
const COMPARED_HEADERS = ['authorization', 'content-type', 'host', 'x-tc-action', 'x-tc-version', 'x-tc-timestamp', 'x-tc-region', 'x-tc-token'] as const;

/** What the SDK puts in the credential scope for an endpoint host (abstract_client.js, doRequestWithSign3). */
const sdkServiceFor = (endpointHost: string) => endpointHost.split('.')[0]!;

/** Characters json-bigint's stringify escapes and JSON.stringify does not (its `escapable`, minus \\, " and C0). */
const JSON_BIGINT_ONLY_ESCAPES = /[\u007f-\u009f\u00ad\u0600-\u0604\u070f\u17b4\u17b5\u200c-\u200f\u2028-\u202f\u2060-\u206f\ufeff\ufff0-\uffff]/;

/** A lone surrogate is not text: UTF-8 cannot carry it, and JSON.stringify and json-bigint treat it differently. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

type EndpointKind = 'ip' | 'hostname';

let server: CaptureServer;
beforeAll(async () => {
  server = await startCaptureServer();
  server.answer(apiSuccess({ Status: 'COMPLETE' }));
});
afterAll(() => server.close());

// Only Date is faked: the SDK reads `new Date()` and our client `Date.now()`, so both see the same instant,
// while sockets, timers and AbortSignal.timeout run for real.
beforeEach(() => {
  jest.useFakeTimers({
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
  });
});
afterEach(() => jest.useRealTimers());

interface Scenario {
  endpoint: EndpointKind;
  action: string;
  region: string;
  payload: Record<string, unknown>;
  nowMs: number;
  credentials: TencentCredentials;
}

/** Sends the scenario through the SDK, then through our client; returns what the server received from each. */
async function sendBoth(s: Scenario): Promise<{ sdk: CapturedRequest; ours: CapturedRequest; endpointHost: string }> {
  jest.setSystemTime(s.nowMs);
  const endpointHost = s.endpoint === 'ip' ? `127.0.0.1:${server.port}` : `yunjing.localhost:${server.port}`;
  const before = server.requests.length;
  await sdkClient({ endpointHost, version: VERSION, region: s.region, credentials: s.credentials }).request(s.action, s.payload);
  const ours = new TencentClient({
    endpoint: `http://${endpointHost}`,
    service: sdkServiceFor(endpointHost),
    version: VERSION,
    region: s.region,
    credentials: s.credentials,
    timeoutMs: 5_000,
    maxAttempts: 1,
    // Node's fetch resolves 127.0.0.1 itself; `yunjing.localhost` needs the loopback resolver.
    ...(s.endpoint === 'hostname' ? { fetch: loopbackFetch } : {}),
  });
  await ours.call(s.action, s.payload);
  expect(server.requests.length).toBe(before + 2);
  return { sdk: server.requests[before]!, ours: server.requests[before + 1]!, endpointHost };
}

const pickHeaders = (r: CapturedRequest) => Object.fromEntries(COMPARED_HEADERS.map((h) => [h, r.headers[h]]));

/** Recomputes the signature of a received request the way the SDK signs it: hostname without port. */
function expectValidSignature(r: CapturedRequest, secretKey: string) {
  const auth = parseAuthorization(String(r.headers.authorization))!;
  const recomputed = signTc3({
    secretId: auth.secretId,
    secretKey,
    service: auth.service,
    host: String(r.headers.host).replace(/:\d+$/, ''),
    payload: r.body,
    timestamp: Number(r.headers['x-tc-timestamp']),
    contentType: String(r.headers['content-type']),
  });
  expect(r.headers.authorization).toBe(recomputed.authorization);
}

// ---- arbitraries ----

const DAY_MS = 86_400_000;
const Y2000 = Date.UTC(2000, 0, 1);
/** Instants within 3 s either side of a UTC midnight between 2000 and 2100, and anywhere in that range. */
const instant = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 36_524 }), fc.integer({ min: -3_000, max: 3_000 })).map(([day, offsetMs]) => Y2000 + day * DAY_MS + offsetMs),
  fc.integer({ min: Y2000, max: Date.UTC(2100, 0, 1) }),
);
const action = fc.oneof(
  fc.constantFrom('DescribeProcessTaskStatus', 'DescribeOpenPortTaskStatus', 'DescribeProcesses', 'PublishCmqMsg', 'SendCmqMsg'),
  fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,40}$/),
);
const region = fc.oneof(fc.constantFrom('ap-guangzhou', 'ap-shanghai', 'ap-hongkong', 'na-siliconvalley', 'eu-frankfurt'), fc.stringMatching(/^[a-z]{2}-[a-z]{3,12}(-[a-z0-9]{1,6})?$/));
const credentials: fc.Arbitrary<TencentCredentials> = fc.record({
  secretId: fc.stringMatching(/^AKID[A-Za-z0-9]{8,32}$/),
  // The key only feeds the HMAC, so any text is fair, unicode included.
  secretKey: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  token: fc.option(fc.stringMatching(/^[A-Za-z0-9+/=_-]{1,120}$/), { nil: null }),
});

const SAMPLE_TEXT = ['未命名', '😀', '🇨🇳', 'Ünïcødé', 'a"b\\c\n\t\u0001', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'ﷺ', ''];
const SAMPLE_TEXT_JSON_BIGINT_ESCAPES = ['👨‍👩‍👧', '\u2028', '\ufeff', 'soft\u00adhyphen'];

function payloadArbitrary(text: fc.Arbitrary<string>): fc.Arbitrary<Record<string, unknown>> {
  const key = text.filter((k) => k !== '__proto__');
  const leaf = fc.oneof(text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean());
  const { value } = fc.letrec<{ value: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', maxDepth: 4 }, leaf, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(key, tie('value'), { maxKeys: 4, noNullPrototype: true }),
  }));
  return fc.dictionary(key, value, { maxKeys: 6, noNullPrototype: true });
}

const textBothWriteAlike = fc
  .oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !LONE_SURROGATE.test(s)), fc.constantFrom(...SAMPLE_TEXT))
  .filter((s) => !JSON_BIGINT_ONLY_ESCAPES.test(s));
const anyWellFormedText = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom(...SAMPLE_TEXT, ...SAMPLE_TEXT_JSON_BIGINT_ESCAPES));

const scenario = (text: fc.Arbitrary<string>): fc.Arbitrary<Scenario> =>
  fc.record({ endpoint: fc.constantFrom<EndpointKind>('ip', 'hostname'), action, region, payload: payloadArbitrary(text), nowMs: instant, credentials });

// ---- properties ----

describe('TencentClient sends what the official SDK sends', () => {
  test('Authorization, X-TC-* headers, Host and body are equal byte for byte (250 random requests)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario(textBothWriteAlike), async (s) => {
        const { sdk, ours } = await sendBoth(s);
        expect(ours.body).toBe(sdk.body);
        expect(pickHeaders(ours)).toEqual(pickHeaders(sdk));
      }),
      { numRuns: 250, interruptAfterTimeLimit: 25_000, markInterruptAsFailure: true },
    );
  });

  test('with characters json-bigint escapes, each side signs what it sends and the JSON is the same (100 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario(anyWellFormedText), async (s) => {
        const { sdk, ours } = await sendBoth(s);
        expect(JSON.parse(ours.body)).toEqual(JSON.parse(sdk.body));
        expectValidSignature(sdk, s.credentials.secretKey);
        expectValidSignature(ours, s.credentials.secretKey);
        if (ours.body === sdk.body) expect(ours.headers.authorization).toBe(sdk.headers.authorization);
        const { authorization: _a, ...oursRest } = pickHeaders(ours);
        const { authorization: _b, ...sdkRest } = pickHeaders(sdk);
        expect(oursRest).toEqual(sdkRest);
      }),
      { numRuns: 100, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true },
    );
  });
});

describe('what the SDK does, pinned by example', () => {
  const base: Scenario = {
    endpoint: 'ip',
    action: 'DescribeProcessTaskStatus',
    region: 'ap-guangzhou',
    payload: { Uuid: '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1' },
    nowMs: Date.UTC(2026, 10, 24, 23, 59, 59, 999),
    credentials: { secretId: 'AKIDexample', secretKey: 'example-key', token: null },
  };

  test('with an IP endpoint the SDK puts the first label of the host, 127, in the credential scope', async () => {
    const { sdk, ours } = await sendBoth(base);
    expect(parseAuthorization(String(sdk.headers.authorization))).toMatchObject({ service: '127', date: '2026-11-24' });
    expect(ours.headers.authorization).toBe(sdk.headers.authorization);
  });

  test('with a hostname endpoint the SDK puts its first label, yunjing, in the scope', async () => {
    const { sdk, ours } = await sendBoth({ ...base, endpoint: 'hostname' });
    expect(parseAuthorization(String(sdk.headers.authorization))).toMatchObject({ service: 'yunjing' });
    expect(ours.headers.authorization).toBe(sdk.headers.authorization);
  });

  test('the SDK signs the hostname without the port, though its Host header has the port', async () => {
    const { sdk } = await sendBoth(base);
    expect(sdk.headers.host).toBe(`127.0.0.1:${server.port}`);
    const signedWithoutPort = signTc3({ secretId: 'AKIDexample', secretKey: 'example-key', service: '127', host: '127.0.0.1', payload: sdk.body, timestamp: Number(sdk.headers['x-tc-timestamp']) });
    expect(sdk.headers.authorization).toBe(signedWithoutPort.authorization);
  });

  test('the timestamp is the floor of the clock in seconds, and the scope date its UTC date', async () => {
    const { sdk, ours } = await sendBoth(base);
    expect(sdk.headers['x-tc-timestamp']).toBe(String(Math.floor(base.nowMs / 1000)));
    expect(ours.headers['x-tc-timestamp']).toBe(sdk.headers['x-tc-timestamp']);
  });

  test('one millisecond later it is the next UTC day for both', async () => {
    const { sdk, ours } = await sendBoth({ ...base, nowMs: base.nowMs + 1 });
    expect(parseAuthorization(String(sdk.headers.authorization))!.date).toBe('2026-11-25');
    expect(ours.headers.authorization).toBe(sdk.headers.authorization);
  });

  test('X-TC-Token is sent by both with a session token, by neither without', async () => {
    const withToken = await sendBoth({ ...base, credentials: { ...base.credentials, token: 'session-token' } });
    expect(withToken.sdk.headers['x-tc-token']).toBe('session-token');
    expect(withToken.ours.headers['x-tc-token']).toBe('session-token');
    const without = await sendBoth(base);
    expect(without.sdk.headers).not.toHaveProperty('x-tc-token');
    expect(without.ours.headers).not.toHaveProperty('x-tc-token');
  });

  test('the SDK drops null object members and we keep them: different bytes, each validly signed', async () => {
    const { sdk, ours } = await sendBoth({ ...base, payload: { Uuid: 'u', Filters: null, List: [null, 1] } });
    expect(sdk.body).toBe('{"Uuid":"u","List":[null,1]}');
    expect(ours.body).toBe('{"Uuid":"u","Filters":null,"List":[null,1]}');
    expectValidSignature(sdk, 'example-key');
    expectValidSignature(ours, 'example-key');
  });

  test('the SDK escapes the emoji zero-width joiner where JSON.stringify does not', async () => {
    const { sdk, ours } = await sendBoth({ ...base, payload: { Name: '👨‍👩‍👧' } });
    expect(sdk.body).toContain('\\u200d');
    expect(ours.body).not.toContain('\\u200d');
    expect(JSON.parse(ours.body)).toEqual(JSON.parse(sdk.body));
  });

  test('the published TC3 example payload is sent and signed alike', async () => {
    const payload = { Limit: 1, Filters: [{ Values: ['未命名'], Name: 'instance-name' }] };
    const { sdk, ours } = await sendBoth({ ...base, payload, action: 'DescribeInstances' });
    expect(ours.body).toBe(sdk.body);
    expect(ours.headers.authorization).toBe(sdk.headers.authorization);
  });

  test('our Content-Type is the one the SDK was given', async () => {
    const { sdk, ours } = await sendBoth(base);
    expect(sdk.headers['content-type']).toBe(JSON_CONTENT_TYPE);
    expect(ours.headers['content-type']).toBe(JSON_CONTENT_TYPE);
  });
});
