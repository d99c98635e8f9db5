// The suite's own Redis (dev/redis-server.ts, started by test/global-setup.ts): a throwaway redis-server on a
// free loopback port, never the user's 6379, gone with its files when stopped; without redis-server on PATH,
// one line that names the package to install.
import { existsSync } from 'node:fs';
import Redis from 'ioredis';
import { MISSING_REDIS_MESSAGE, redisDbUrl, startThrowawayRedis } from '../../dev/redis-server';

describe('the throwaway redis-server', () => {
  test('answers on a free loopback port other than 6379, keeps nothing on disk, and is gone when stopped', async () => {
    const redis = await startThrowawayRedis();
    expect(redis.port).not.toBe(6379);
    const client = new Redis(redisDbUrl(redis.url, 3), { lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    expect(await client.config('GET', 'save')).toEqual(['save', '']);
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    const [, dir] = (await client.config('GET', 'dir')) as [string, string];
    client.disconnect();
    await redis.stop();
    expect(existsSync(dir)).toBe(false);
    const after = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await expect(after.connect()).rejects.toThrow();
    after.disconnect();
  });

  test('without redis-server on PATH, refuses with one line naming the package', async () => {
    await expect(startThrowawayRedis('redis-server-not-installed-here')).rejects.toThrow(MISSING_REDIS_MESSAGE);
    expect(MISSING_REDIS_MESSAGE).toMatch(/install the redis-server package/);
    expect(MISSING_REDIS_MESSAGE).not.toContain('\n');
  });

  test('the suite runs on its own server, not on the default 6379, unless REDIS_URL said so', () => {
    expect(process.env.REDIS_URL).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
  });
});
