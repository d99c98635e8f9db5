// The shared rate limiter: the same strict-spacing GCRA as local.ts, as a Lua script on the store's Redis,
// so every instance of the function together stays under the rate. The script reads the time with Redis
// TIME (one clock for all instances, none of theirs) and keeps the theoretical arrival time of each action
// in `<prefix>:rate:<action>`. A caller that must wait sleeps locally for the time the script names, then
// asks again. ioredis is only a type here: the connection comes from the RedisStateStore.
import { setMaxListeners } from 'node:events';
import type Redis from 'ioredis';
import type { RateLimiter } from './limiter';
import { realSleep, type Sleep } from './local';

/** KEYS: tat. ARGV: interval ms. 0 = granted (tat moves to now + interval), else the ms to wait. */
const ACQUIRE = `if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local interval = tonumber(ARGV[1])
if now < tat then return math.max(1, math.ceil(tat - now)) end
redis.call('SET', KEYS[1], string.format('%.3f', now + interval), 'PX', math.ceil(interval) + 60000)
return 0`;

/** KEYS: tat. ARGV: ms. Moves tat to at least now + ms. */
const PAUSE = `if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local untilMs = now + tonumber(ARGV[1])
if untilMs > tat then redis.call('SET', KEYS[1], string.format('%.3f', untilMs), 'PX', math.ceil(untilMs - now) + 60000) end
return 0`;

interface LimiterScripts {
  cwpRateAcquire(key: string, intervalMs: number): Promise<number>;
  cwpRatePause(key: string, ms: number): Promise<number>;
}

export interface RedisRateLimiterOptions {
  /** Key prefix shared with the state store (default `cwp-bridge`). */
  prefix?: string;
  sleep?: Sleep;
}

export class RedisRateLimiter implements RateLimiter {
  /** A limiter on a Redis state store's connection, under the store's key prefix. */
  static onStore(store: { readonly redis: Redis; readonly prefix: string }, ratePerSecond: number): RedisRateLimiter {
    return new RedisRateLimiter(store.redis, ratePerSecond, { prefix: store.prefix });
  }

  readonly intervalMs: number;
  readonly prefix: string;
  private readonly sleep: Sleep;
  private readonly closing = new AbortController();

  constructor(private readonly redis: Redis, readonly ratePerSecond: number, options: RedisRateLimiterOptions = {}) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`rate limiter: rate must be a positive number of requests per second, got ${ratePerSecond}`);
    this.intervalMs = 1000 / ratePerSecond;
    this.prefix = options.prefix ?? 'cwp-bridge';
    this.sleep = options.sleep ?? realSleep;
    // Every waiting acquire listens on `closing`: as many listeners as requests in flight, by design.
    setMaxListeners(0, this.closing.signal);
    redis.defineCommand('cwpRateAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('cwpRatePause', { numberOfKeys: 1, lua: PAUSE });
  }

  private get scripts(): LimiterScripts {
    return this.redis as unknown as LimiterScripts;
  }

  private key(action: string): string {
    return `${this.prefix}:rate:${action}`;
  }

  async acquire(action: string, signal?: AbortSignal): Promise<void> {
    // One signal for "the caller gave up or the limiter closed", without AbortSignal.any's retained listeners.
    const local = new AbortController();
    const onAbort = (e: Event) => local.abort((e.target as AbortSignal).reason);
    for (const s of [signal, this.closing.signal]) {
      if (s?.aborted) local.abort(s.reason);
      else s?.addEventListener('abort', onAbort, { once: true });
    }
    try {
      await this.acquireUntil(action, local.signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.closing.signal.removeEventListener('abort', onAbort);
    }
  }

  private async acquireUntil(action: string, stop: AbortSignal): Promise<void> {
    for (;;) {
      if (stop.aborted) throw stop.reason;
      let wait: number;
      try {
        wait = Number(await this.scripts.cwpRateAcquire(this.key(action), this.intervalMs));
      } catch (e) {
        throw new Error(`rate limiter (redis): acquire ${action} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      if (stop.aborted) throw stop.reason; // a grant that came too late for the caller is left unused
      if (wait <= 0) return;
      await this.sleep(wait, stop);
    }
  }

  async pause(action: string, ms: number): Promise<void> {
    try {
      await this.scripts.cwpRatePause(this.key(action), Math.max(0, Math.ceil(ms)));
    } catch (e) {
      throw new Error(`rate limiter (redis): pause ${action} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  /** Stops waiting acquires; the connection belongs to the state store, which closes it. */
  async close(): Promise<void> {
    this.closing.abort(new Error('rate limiter: closed'));
  }
}
