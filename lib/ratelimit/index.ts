// Rate limiters, one interface (limiter.ts): the in-process GCRA (local.ts) and the same GCRA in Redis Lua
// (redis.ts), shared by every instance. Which one a function uses follows its configured state store
// (lib/runtime/storage.ts).
export type { RateLimiter } from './limiter';
export { LocalRateLimiter } from './local';
export { RedisRateLimiter } from './redis';
