// RedisRateLimiter on the suite's real Redis (test/helpers/redis.ts): instances sharing one Redis share one budget.
import { RedisRateLimiter } from '../../lib/ratelimit/redis';
import { RedisRequestBudget } from '../../lib/ratelimit/redis-budget';
import { openStorage } from '../../lib/runtime/storage';
import type { RedisStateStore } from '../../lib/state/redis/store';
import { REDIS_URL, redisFixture } from '../helpers/store-fixtures';
import { maxInWindow } from '../../dev/emulator/ratelimit';


describe('RedisRateLimiter', () => {
  const fixture = redisFixture();
  afterAll(() => fixture.cleanup());
  const openStore = async () => (await fixture.open()) as RedisStateStore;

  test('the runtime storage of a redis:// store gives a limiter on the store connection and prefix', async () => {
    const { store, rateLimiter } = await openStorage({ type: 'redis', url: REDIS_URL }, { prefix: fixture.prefix });
    const limiter = rateLimiter(20);
    expect(limiter).toBeInstanceOf(RedisRateLimiter);
    expect((limiter as RedisRateLimiter).prefix).toBe(fixture.prefix);
    await limiter.close();
    await store.close();
  });

  test('three instances on one action together stay within the rate in any second, and close to it', async () => {
    const RATE = 20;
    const limiters = await Promise.all([1, 2, 3].map(async () => RedisRateLimiter.onStore(await openStore(), RATE)));
    const granted: number[] = [];
    const until = Date.now() + 1_500;
    await Promise.all(
      limiters.map(async (l) => {
        while (Date.now() < until) {
          await l.acquire('DescribeProcessTaskStatus');
          granted.push(Date.now());
        }
      }),
    );
    // Grant times are seen by three clients over the network: allow one for that jitter.
    expect(maxInWindow(granted)).toBeLessThanOrEqual(RATE + 1);
    expect(granted.length).toBeGreaterThanOrEqual(RATE); // ~1.5 s at 20/s would be ~31
    expect(granted.length).toBeLessThanOrEqual(Math.ceil(1.6 * RATE) + 1);
  });

  test('callers of one instance wait in turn: about one round trip to Redis per grant, however many wait', async () => {
    const store = await openStore();
    const limiter = RedisRateLimiter.onStore(store, 40);
    const redis = store.redis as unknown as { cwpRateAcquire: (...args: unknown[]) => Promise<number> };
    const ask = redis.cwpRateAcquire.bind(redis);
    let asked = 0;
    redis.cwpRateAcquire = (...args) => {
      asked++;
      return ask(...args);
    };
    // Ten workers, three grants each, as a sweep's workers of one kind ask.
    const granted: number[] = [];
    await Promise.all(Array.from({ length: 10 }, async () => {
      for (let i = 0; i < 3; i++) {
        await limiter.acquire('DescribeProcessTaskStatus');
        granted.push(Date.now());
      }
    }));
    expect(granted).toHaveLength(30);
    expect(maxInWindow(granted)).toBeLessThanOrEqual(40);
    // One ask per grant, plus about one per wait the bucket named (on a busy machine a timer can wake a hair before
    // the bucket refills and ask once more: a quarter more is allowed); each waiting caller asking in turn would be
    // about 8 asks per grant here (229 for these 30).
    expect(asked).toBeLessThanOrEqual(2.5 * granted.length);
  });

  test('a pause by one instance holds the action for every instance', async () => {
    const [a, b] = await Promise.all([1, 2].map(async () => RedisRateLimiter.onStore(await openStore(), 50)));
    await a!.pause('DescribeOpenPortTaskStatus', 400);
    const started = Date.now();
    await b!.acquire('DescribeOpenPortTaskStatus');
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    const other = Date.now();
    await b!.acquire('DescribeProcessTaskStatus');
    expect(Date.now() - other).toBeLessThan(100);
  });

  test('an aborted wait rejects with the signal reason promptly', async () => {
    const limiter = RedisRateLimiter.onStore(await openStore(), 1);
    await limiter.acquire('slow');
    const ctl = new AbortController();
    const started = Date.now();
    setTimeout(() => ctl.abort(new Error('sweep deadline reached')), 50);
    await expect(limiter.acquire('slow', ctl.signal)).rejects.toThrow('sweep deadline reached');
    expect(Date.now() - started).toBeLessThan(300);
  });

  test('close stops the waiting acquires', async () => {
    const limiter = RedisRateLimiter.onStore(await openStore(), 1);
    await limiter.acquire('closing');
    const waiting = limiter.acquire('closing');
    await limiter.close();
    await expect(waiting).rejects.toThrow(/closed/);
  });
});

describe('RedisRequestBudget', () => {
  const fixture = redisFixture();
  afterAll(() => fixture.cleanup());

  test('two instances on one Redis share one budget per key, and keys do not share', async () => {
    const [a, b] = await Promise.all([1, 2].map(async () => new RedisRequestBudget(((await fixture.open()) as RedisStateStore).redis, 1, 3, fixture.prefix)));
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await a!.take('tok')).ok, (await b!.take('tok')).ok);
    expect(answers.filter(Boolean)).toHaveLength(3);
    const refused = await a!.take('tok');
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect((await b!.take('other-token')).ok).toBe(true);
  });
});
