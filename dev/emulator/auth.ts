// TC3-HMAC-SHA256 verification as the API 3.0 gateway does it, in its order: Authorization shape, timestamp
// window, SecretId, signature, session token. The signature is recomputed with the project's own signer.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { parseAuthorization, signTc3, utcDate } from '../../lib/tencent/sign';
import { ApiError } from './errors';

export interface EmulatorCredential {
  secretKey: string;
  /** When set, the credential is temporary and every request must carry this X-TC-Token. */
  token?: string;
}

export const SIGNATURE_WINDOW_SECONDS = 300;

export interface VerifyInput {
  headers: IncomingHttpHeaders;
  /** The raw request body, exactly as received. */
  body: string;
  /** The API service the action belongs to (`yunjing`, `tdmq`). */
  service: string;
  credentials: ReadonlyMap<string, EmulatorCredential>;
  nowMs: number;
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Resolves to the SecretId of a valid request; throws the ApiError the real gateway would answer. */
export function verifyRequest(input: VerifyInput): string {
  const { headers } = input;
  const auth = parseAuthorization(header(headers, 'authorization') ?? '');
  if (!auth) throw new ApiError('AuthFailure.InvalidAuthorization');

  const tsHeader = header(headers, 'x-tc-timestamp');
  if (tsHeader === undefined) throw new ApiError('MissingParameter', 'The request is missing a required parameter `X-TC-Timestamp`.');
  if (!/^\d{1,12}$/.test(tsHeader)) throw new ApiError('InvalidParameter', 'X-TC-Timestamp must be the Unix time in seconds.');
  const timestamp = Number(tsHeader);
  const nowSeconds = Math.floor(input.nowMs / 1000);
  if (Math.abs(timestamp - nowSeconds) > SIGNATURE_WINDOW_SECONDS) {
    throw new ApiError(
      'AuthFailure.SignatureExpire',
      `Signature expired. Timestamp is ${timestamp}, server time is ${nowSeconds}; they cannot differ by more than ${SIGNATURE_WINDOW_SECONDS} seconds.`,
    );
  }

  const credential = input.credentials.get(auth.secretId);
  if (!credential) throw new ApiError('AuthFailure.SecretIdNotFound');

  const host = header(headers, 'host') ?? '';
  // The official SDK puts the first label of the endpoint's host in the scope: `127` for 127.0.0.1:9000.
  const acceptedServices = new Set([input.service, host.split('.')[0]!.split(':')[0]!]);
  const scopeOk = acceptedServices.has(auth.service) && auth.date === utcDate(timestamp) && auth.signedHeaders === 'content-type;host';
  // The signed host is the Host header; the official SDK signs the URL's hostname (no port), so accept both.
  const signedHosts = [...new Set([host, host.replace(/:\d+$/, '')])];
  const matches = (signedHost: string) => {
    const expected = signTc3({
      secretId: auth.secretId,
      secretKey: credential.secretKey,
      service: auth.service,
      host: signedHost,
      payload: input.body,
      timestamp,
      contentType: header(headers, 'content-type') ?? '',
    }).signature;
    return timingSafeEqual(Buffer.from(expected), Buffer.from(auth.signature));
  };
  if (!scopeOk || !signedHosts.some(matches)) {
    throw new ApiError('AuthFailure.SignatureFailure');
  }

  if (credential.token !== undefined && header(headers, 'x-tc-token') !== credential.token) {
    throw new ApiError('AuthFailure.TokenFailure');
  }
  return auth.secretId;
}
