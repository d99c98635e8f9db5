// The public API of lib/tencent: the TC3 signer, the API 3.0 client, and the caller types.
export { JSON_CONTENT_TYPE, TC3_ALGORITHM, parseAuthorization, signTc3, utcDate, type SignInput, type Signature } from './sign';
export { BOUNDED_BACKOFF, THROTTLED_BACKOFF, TencentClient, fullJitterBackoffMs, type TencentClientOptions } from './client';
export type { CallOptions, CallStats, TencentCaller, TencentCredentials, TencentResult } from './types';
