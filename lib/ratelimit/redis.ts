// The shared rate limiter: the same strict-spacing GCRA as local.ts, as a Lua script on the store's Redis,
// so every instance of the function together stays under the rate. The script reads the time with Redis
// TIME (one clock for all instances, none of theirs) and keeps the theoretical arrival time of each action
// in `<prefix>:rate:<action>`. Callers of one process wait in a local queue (queue.ts) whose pump asks the script,
// sleeps for the time it names, and asks again: about one round trip per grant, however many callers wait.
// ioredis is only a type here: the connection comes from the RedisStateStore.
import type Redis from 'ioredis';
import type { RateLimiter } from './limiter';
import { realSleep, type Sleep } from './local';
import { GrantQueues } from './queue';

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
  private readonly queues: GrantQueues;

  constructor(private readonly redis: Redis, readonly ratePerSecond: number, options: RedisRateLimiterOptions = {}) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`rate limiter: rate must be a positive number of requests per second, got ${ratePerSecond}`);
    this.intervalMs = 1000 / ratePerSecond;
    this.prefix = options.prefix ?? 'cwp-bridge';
    redis.defineCommand('cwpRateAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('cwpRatePause', { numberOfKeys: 1, lua: PAUSE });
    this.queues = new GrantQueues((action) => this.take(action), options.sleep ?? realSleep);
  }

  private get scripts(): LimiterScripts {
    return this.redis as unknown as LimiterScripts;
  }

  private key(action: string): string {
    return `${this.prefix}:rate:${action}`;
  }

  /** One round trip: a grant now (0), or the ms until the shared bucket has one. */
  private async take(action: string): Promise<number> {
    try {
      return Number(await this.scripts.cwpRateAcquire(this.key(action), this.intervalMs));
    } catch (e) {
      throw new Error(`rate limiter (redis): acquire ${action} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  acquire(action: string, signal?: AbortSignal): Promise<void> {
    return this.queues.acquire(action, signal);
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
    this.queues.close(new Error('rate limiter: closed'));
  }
}
