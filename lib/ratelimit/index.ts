// Picks the rate limiter for a store: the Redis one (GCRA in Lua, shared by every instance) when the store is
// a RedisStateStore, on its connection and prefix; the in-process one otherwise. The Redis store is recognised
// by shape, so this module does not load ioredis.
import type Redis from 'ioredis';
import type { StateStore } from '../state/store';
import type { RateLimiter } from './limiter';
import { LocalRateLimiter } from './local';
import { RedisRateLimiter } from './redis';

export type { RateLimiter } from './limiter';
export { LocalRateLimiter } from './local';
export { RedisRateLimiter } from './redis';

interface SharesRedis {
  readonly redis: Redis;
  readonly prefix: string;
}

function sharesRedis(store: StateStore): store is StateStore & SharesRedis {
  const s = store as Partial<SharesRedis>;
  return typeof s.prefix === 'string' && typeof s.redis === 'object' && s.redis !== null && typeof s.redis.defineCommand === 'function';
}

export function createRateLimiter(store: StateStore, ratePerSecond: number): RateLimiter {
  if (sharesRedis(store)) return new RedisRateLimiter(store.redis, ratePerSecond, { prefix: store.prefix });
  return new LocalRateLimiter(ratePerSecond);
}
