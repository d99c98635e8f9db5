// What callers of Tencent Cloud API 3.0 see. TencentClient (client.ts) implements it; tests may stub it.

/** Counters a caller can pass in to learn how hard a call was (the sweep sums them into its summary). */
export interface CallStats {
  /** Attempts after the first, for any reason. */
  retried: number;
  /** Answers that were RequestLimitExceeded*. */
  throttled: number;
}

export interface CallOptions {
  /** The operation's deadline: no attempt, backoff or rate-limit wait goes past it. */
  signal?: AbortSignal;
  /**
   * The same deadline as epoch milliseconds, when the caller knows it. A signal cannot tell when it will fire,
   * so the client uses this to skip a backoff that would end past it and reject with the last error at once.
   */
  deadline?: number;
  stats?: CallStats;
}

export interface TencentResult<T> {
  /** `Response` without `RequestId`. */
  response: T;
  requestId: string;
}

export interface TencentCredentials {
  secretId: string;
  secretKey: string;
  token: string | null;
}

export interface TencentCaller {
  /** Calls one action; resolves with the Response, or rejects with a TencentError (lib/errors). */
  call<T>(action: string, payload: Record<string, unknown>, options?: CallOptions): Promise<TencentResult<T>>;
}

/** One Tencent Cloud API a caller is built for (lib/runtime `tencent`): which service and version, where, how fast. */
export interface TencentApi {
  service: string;
  version: string;
  /** The API's origin, e.g. https://eb.tencentcloudapi.com. */
  endpoint: string;
  /** The region the calls are signed for and sent to (EventBridge: the bus's). */
  region: string;
  /** Requests per second per action, shared across instances as widely as the store is. */
  rateLimit: number;
}
