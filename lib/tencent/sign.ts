// TC3-HMAC-SHA256, the signature of Tencent Cloud API 3.0, as published in its "Signature v3" guide. We sign
// only POST with a JSON body and the two signed headers the SDK signs (content-type, host), so that the
// Authorization we send equals the official SDK's byte for byte (test/contract/signer-vs-sdk.test.ts).
import { createHash, createHmac } from 'node:crypto';

export const TC3_ALGORITHM = 'TC3-HMAC-SHA256';
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export interface SignInput {
  secretId: string;
  secretKey: string;
  /** The service in the credential scope, e.g. `yunjing`. */
  service: string;
  /** The Host header, e.g. `yunjing.tencentcloudapi.com` or `127.0.0.1:8080`. */
  host: string;
  /** The exact request body. */
  payload: string;
  /** Seconds since the epoch, as sent in X-TC-Timestamp. */
  timestamp: number;
  contentType?: string;
}

export interface Signature {
  hashedRequestPayload: string;
  canonicalRequest: string;
  hashedCanonicalRequest: string;
  credentialScope: string;
  stringToSign: string;
  signature: string;
  authorization: string;
}

const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

/** The UTC date of a timestamp, as the credential scope wants it (YYYY-MM-DD). */
export function utcDate(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10);
}

export function signTc3(input: SignInput): Signature {
  const contentType = input.contentType ?? JSON_CONTENT_TYPE;
  const hashedRequestPayload = sha256Hex(input.payload);
  const signedHeaders = 'content-type;host';
  const canonicalHeaders = `content-type:${contentType}\nhost:${input.host}\n`;
  const canonicalRequest = ['POST', '/', '', canonicalHeaders, signedHeaders, hashedRequestPayload].join('\n');
  const hashedCanonicalRequest = sha256Hex(canonicalRequest);
  const date = utcDate(input.timestamp);
  const credentialScope = `${date}/${input.service}/tc3_request`;
  const stringToSign = [TC3_ALGORITHM, String(input.timestamp), credentialScope, hashedCanonicalRequest].join('\n');
  const secretDate = hmac('TC3' + input.secretKey, date);
  const secretService = hmac(secretDate, input.service);
  const secretSigning = hmac(secretService, 'tc3_request');
  const signature = createHmac('sha256', secretSigning).update(stringToSign, 'utf8').digest('hex');
  const authorization = `${TC3_ALGORITHM} Credential=${input.secretId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { hashedRequestPayload, canonicalRequest, hashedCanonicalRequest, credentialScope, stringToSign, signature, authorization };
}

/** The parts of an Authorization header, for the emulator's verifier. Null if it is not a TC3 header. */
export function parseAuthorization(header: string): { secretId: string; date: string; service: string; signedHeaders: string; signature: string } | null {
  const m = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([^/]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(header);
  if (!m) return null;
  return { secretId: m[1]!, date: m[2]!, service: m[3]!, signedHeaders: m[4]!, signature: m[5]! };
}
