// The request budget (budget.ts) in Redis, shared by every instance: the same GCRA step as gcraStep, in Lua, on
// Redis TIME, keyed `<prefix>:budget:<key>`. ioredis is only a type here: the connection is the state store's.
import type Redis from 'ioredis';
import type { BudgetAnswer, RequestBudget } from './budget';

/** KEYS: tat. ARGV: interval ms, burst. 0 = admitted, else the ms until one would be (gcraStep). */
const TAKE = `if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tolerance = interval * (burst - 1)
local start = math.max(tonumber(redis.call('GET', KEYS[1]) or '0') or 0, now)
if start - now > tolerance then return math.max(1, math.ceil(start - now - tolerance)) end
local tat = start + interval
redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1000)
return 0`;

/** KEYS: tat. ARGV: hold ms, interval ms, burst. budget.heldTat on Redis TIME: refuses takes for the next `hold` ms. */
const HOLD = `if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval, burst = tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0') or 0, now + math.max(0, tonumber(ARGV[1])) + interval * (burst - 1))
redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1000)
return 0`;

interface BudgetScripts {
  cwpBudgetTake(key: string, intervalMs: number, burst: number): Promise<number>;
  cwpBudgetHold(key: string, holdMs: number, intervalMs: number, burst: number): Promise<number>;
}

export class RedisRequestBudget implements RequestBudget {
  private readonly intervalMs: number;

  constructor(private readonly redis: Redis, ratePerSecond: number, private readonly burst: number, private readonly prefix = 'cwp-bridge') {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError(`request budget: rate and burst must be positive, got ${ratePerSecond} and ${burst}`);
    this.intervalMs = 1000 / ratePerSecond;
    redis.defineCommand('cwpBudgetTake', { numberOfKeys: 1, lua: TAKE });
    redis.defineCommand('cwpBudgetHold', { numberOfKeys: 1, lua: HOLD });
  }

  async take(key: string): Promise<BudgetAnswer> {
    const wait = Number(await (this.redis as unknown as BudgetScripts).cwpBudgetTake(`${this.prefix}:budget:${key}`, this.intervalMs, this.burst));
    return wait <= 0 ? { ok: true } : { ok: false, retryAfterMs: wait };
  }

  async holdOff(key: string, ms: number): Promise<void> {
    await (this.redis as unknown as BudgetScripts).cwpBudgetHold(`${this.prefix}:budget:${key}`, ms, this.intervalMs, this.burst);
  }
}
