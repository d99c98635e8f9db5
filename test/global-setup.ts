// jest globalSetup: the suite's own Redis. With REDIS_URL set, the suite uses that server as it is; otherwise
// it starts a throwaway redis-server (free loopback port, no persistence, own temp dir), so it never touches
// or flushes a Redis the user runs on 6379. Without either, it stops at once with one line naming the package.
import { MISSING_REDIS_MESSAGE, hasRedisServer, startThrowawayRedis, type ThrowawayRedis } from '../dev/redis-server';

declare global {
  // eslint-disable-next-line no-var
  var __THROWAWAY_REDIS__: ThrowawayRedis | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.REDIS_URL) return;
  if (!hasRedisServer()) {
    process.stderr.write(`\n${MISSING_REDIS_MESSAGE}\n`);
    process.exit(1);
  }
  const redis = await startThrowawayRedis();
  globalThis.__THROWAWAY_REDIS__ = redis;
  // Workers are started after this and inherit the environment.
  process.env.REDIS_URL = redis.url;
}
