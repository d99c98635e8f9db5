// The TC3-HMAC-SHA256 signer against Tencent's published worked example, value by value.
import { parseAuthorization, signTc3, utcDate } from '../../lib/tencent';
import { loadFixture } from '../helpers/fixtures';

interface Tc3Example {
  secretId: string;
  secretKey: string;
  service: string;
  host: string;
  timestamp: number;
  contentType: string;
  payload: string;
  signedHeaders: string;
  hashedRequestPayload: string;
  canonicalRequest: string;
  hashedCanonicalRequest: string;
  credentialScope: string;
  stringToSign: string;
  signature: string;
  authorization: string;
}

const example = loadFixture<Tc3Example>('tc3-example.json');

const signExample = () =>
  signTc3({
    secretId: example.secretId,
    secretKey: example.secretKey,
    service: example.service,
    host: example.host,
    payload: example.payload,
    timestamp: example.timestamp,
    contentType: example.contentType,
  });

describe('signTc3 reproduces the published TC3 example', () => {
  const signed = signExample();

  test('hashed request payload', () => expect(signed.hashedRequestPayload).toBe(example.hashedRequestPayload));
  test('canonical request', () => expect(signed.canonicalRequest).toBe(example.canonicalRequest));
  test('hashed canonical request', () => expect(signed.hashedCanonicalRequest).toBe(example.hashedCanonicalRequest));
  test('credential scope', () => expect(signed.credentialScope).toBe(example.credentialScope));
  test('string to sign', () => expect(signed.stringToSign).toBe(example.stringToSign));
  test('signature', () => expect(signed.signature).toBe(example.signature));
  test('authorization header', () => expect(signed.authorization).toBe(example.authorization));

  test('the canonical request signs exactly the headers the example lists', () => {
    expect(signed.canonicalRequest.split('\n')[6]).toBe(example.signedHeaders);
  });

  test('without a contentType the signer uses the example\'s JSON content type', () => {
    const { contentType: _unused, action: _a, ...input } = { ...example, action: null };
    expect(signTc3(input).authorization).toBe(example.authorization);
  });

  test('parseAuthorization reads the example header back', () => {
    expect(parseAuthorization(example.authorization)).toEqual({
      secretId: example.secretId,
      date: '2019-02-25',
      service: example.service,
      signedHeaders: example.signedHeaders,
      signature: example.signature,
    });
  });
});

describe('the credential scope date is the UTC date of the timestamp', () => {
  const midnight = Date.UTC(2026, 10, 24) / 1000; // 2026-11-24T00:00:00Z

  // Jest gives each test file its own process.env, so TZ cannot be switched here; instead every local-time
  // getter is made to lie, which proves the signer never reads the machine's time zone.
  beforeEach(() => {
    const lie = () => {
      throw new Error('the signer read local time');
    };
    for (const getter of ['getDate', 'getMonth', 'getFullYear', 'getDay', 'getHours', 'getTimezoneOffset', 'toLocaleDateString', 'toDateString'] as const) {
      jest.spyOn(Date.prototype, getter).mockImplementation(lie);
    }
  });
  afterEach(() => jest.restoreAllMocks());

  test('one second before UTC midnight is still the old day', () => {
    expect(utcDate(midnight - 1)).toBe('2026-11-23');
    expect(signTc3({ ...base(), timestamp: midnight - 1 }).credentialScope).toBe('2026-11-23/yunjing/tc3_request');
  });

  test('UTC midnight itself is the new day', () => {
    expect(utcDate(midnight)).toBe('2026-11-24');
    expect(signTc3({ ...base(), timestamp: midnight }).credentialScope).toBe('2026-11-24/yunjing/tc3_request');
  });

  test('the last second of a year and of a leap day roll over correctly', () => {
    expect(utcDate(Date.UTC(2027, 0, 1) / 1000 - 1)).toBe('2026-12-31');
    expect(utcDate(Date.UTC(2028, 1, 29, 23, 59, 59) / 1000)).toBe('2028-02-29');
    expect(utcDate(Date.UTC(2028, 2, 1) / 1000)).toBe('2028-03-01');
  });

  test('the same request signed either side of midnight has different signatures', () => {
    expect(signTc3({ ...base(), timestamp: midnight - 1 }).signature).not.toBe(signTc3({ ...base(), timestamp: midnight }).signature);
  });

  function base() {
    return { secretId: 'AKIDtest', secretKey: 'secret', service: 'yunjing', host: 'yunjing.tencentcloudapi.com', payload: '{}', timestamp: 0 };
  }
});
