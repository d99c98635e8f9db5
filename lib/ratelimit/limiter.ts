// The RateLimiter interface: a token bucket per action. Implementations: local.ts (in-process, for memory and
// file stores) and redis.ts (GCRA in a Lua script, shared by every instance on one Redis).

export interface RateLimiter {
  /**
   * Waits until one request of `action` may be sent, then takes it. Rejects with the signal's reason if the
   * signal aborts first (the caller's deadline), so a sweep never waits past its end.
   */
  acquire(action: string, signal?: AbortSignal): Promise<void>;
  /** The API said RequestLimitExceeded: stop handing out tokens for `action` for `ms`. */
  pause(action: string, ms: number): Promise<void>;
  close(): Promise<void>;
}
