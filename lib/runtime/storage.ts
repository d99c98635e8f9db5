// The state store and the rate limiter that goes with it, picked by the configured store type: on Redis, the
// limiter shares the store's connection and key prefix, so every instance of both functions shares one budget;
// on memory and file, each process keeps its own budget. Redis (and ioredis with it) is loaded only for redis://.
import type { StateStoreUrl } from '../config';
import { LocalRateLimiter } from '../ratelimit/local';
import type { RateLimiter } from '../ratelimit/limiter';
import { RedisRateLimiter } from '../ratelimit/redis';
import { LocalRequestBudget, type RequestBudget } from '../ratelimit/budget';
import { RedisRequestBudget } from '../ratelimit/redis-budget';
import { openStateStore, type OpenStateStoreOptions } from '../state';
import type { StateStore } from '../state/store';

export interface Storage {
  store: StateStore;
  /** A rate limiter of `ratePerSecond` per action, shared as widely as the store is. */
  rateLimiter(ratePerSecond: number): RateLimiter;
  /** A request budget per key (API token), shared as widely as the store is. */
  requestBudget(ratePerSecond: number, burst: number): RequestBudget;
}

export async function openStorage(url: StateStoreUrl, options: OpenStateStoreOptions = {}): Promise<Storage> {
  if (url.type === 'redis') {
    const { RedisStateStore } = await import('../state/redis/store');
    const store = await RedisStateStore.open(url.url, { ...(options.prefix === undefined ? {} : { prefix: options.prefix }), ...(options.history ? { history: options.history } : {}) });
    return {
      store,
      rateLimiter: (rate) => RedisRateLimiter.onStore(store, rate),
      requestBudget: (rate, burst) => new RedisRequestBudget(store.redis, rate, burst, store.prefix),
    };
  }
  return { store: await openStateStore(url, options), rateLimiter: (rate) => new LocalRateLimiter(rate), requestBudget: (rate, burst) => new LocalRequestBudget(rate, burst) };
}
