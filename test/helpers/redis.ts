// Where the suite's Redis is: REDIS_URL, set by test/global-setup.ts to a throwaway redis-server it started
// (or given by the user to use an existing server). Tests pick a database with testRedisUrl(db).
import { redisDbUrl } from '../../dev/redis-server';

function baseUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run the tests through jest, whose global setup starts a throwaway redis-server');
  return url;
}

/** The suite's Redis with database `db`. */
export function testRedisUrl(db = 0): string {
  return redisDbUrl(baseUrl(), db);
}

/** The suite's Redis port (for TCP proxies in front of it). */
export function testRedisPort(): number {
  return Number(new URL(baseUrl()).port || 6379);
}
