// jest globalTeardown: stops the throwaway redis-server of test/global-setup.ts (a user's REDIS_URL is left alone).
export default async function globalTeardown(): Promise<void> {
  const redis = globalThis.__THROWAWAY_REDIS__;
  globalThis.__THROWAWAY_REDIS__ = undefined;
  if (redis) {
    delete process.env.REDIS_URL;
    await redis.stop();
  }
}
