// The stores an integration test opens, and the cleanups that close them: a memory store, or a store on the
// suite's throwaway Redis under a unique key prefix whose keys are deleted afterwards. One test's cleanups run
// after it, in reverse order (`runCleanups` in afterEach).
import { randomUUID } from 'node:crypto';
import { openStateStore } from '../../lib/state';
import type { StateStore } from '../../lib/state/store';
import { testRedisUrl } from './redis';
import { deleteRedisPrefix } from './store-fixtures';

export type Cleanup = () => Promise<void> | void;

/** Runs and forgets the cleanups, last first. */
export async function runCleanups(cleanups: Cleanup[]): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

export async function memoryStore(cleanups: Cleanup[]): Promise<StateStore> {
  const store = await openStateStore({ type: 'memory' });
  cleanups.push(() => store.close());
  return store;
}

/** A unique key prefix on the suite's Redis, its keys deleted at cleanup. */
export function redisPrefix(cleanups: Cleanup[], label: string): string {
  const prefix = `test-${label}-${randomUUID()}`;
  cleanups.push(() => deleteRedisPrefix(prefix));
  return prefix;
}

/**
 * A Redis store under `prefix` (default: a fresh one; several connections may share one prefix), on the suite's
 * Redis or at `url` (a proxy in front of it).
 */
export async function redisStore(cleanups: Cleanup[], label: string, prefix = redisPrefix(cleanups, label), url = testRedisUrl(0)): Promise<StateStore> {
  const store = await openStateStore({ type: 'redis', url }, { prefix });
  cleanups.push(() => store.close().catch(() => undefined));
  return store;
}
