// Opens the StateStore named by STATE_STORE. The Redis store (and ioredis with it) is loaded only when asked
// for, so a bundle that never uses Redis does not evaluate ioredis at cold start.
import type { StateStoreUrl } from '../config';
import { FileStateStore } from './file';
import { MemoryStateStore } from './memory';
import type { StateStore } from './store';

export type { StateStore } from './store';
export { MemoryStateStore } from './memory';
export { FileStateStore } from './file';

export interface OpenStateStoreOptions {
  /** Redis key prefix (default `cwp-bridge`); ignored by the other stores. */
  prefix?: string;
}

export async function openStateStore(url: StateStoreUrl, options: OpenStateStoreOptions = {}): Promise<StateStore> {
  switch (url.type) {
    case 'memory':
      return new MemoryStateStore();
    case 'file':
      return FileStateStore.open(url.dir);
    case 'redis': {
      const { RedisStateStore } = await import('./redis');
      return RedisStateStore.open(url.url, options.prefix === undefined ? {} : { prefix: options.prefix });
    }
  }
}
