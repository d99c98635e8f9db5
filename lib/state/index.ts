// Opens the StateStore named by STATE_STORE. Each backend is loaded only when asked for, so a function runs the
// code of one store only: in the shipped bundles each backend is a separately compiled, compressed module
// (scripts/build.mjs), and the Redis one carries ioredis, so a file store never parses the Redis code and a
// Redis store never parses the file and memory stores.
import type { StateStoreUrl } from '../config';
import type { StateStore } from './store';
import type { HistoryLimits } from './history';

export type { StateStore } from './store';

export interface OpenStateStoreOptions {
  /** Redis key prefix (default `cwp-bridge`); ignored by the other stores. */
  prefix?: string;
  /** HISTORY_RETENTION and HISTORY_MAX (default 7 days, 200,000 events). */
  history?: HistoryLimits;
}

export async function openStateStore(url: StateStoreUrl, options: OpenStateStoreOptions = {}): Promise<StateStore> {
  switch (url.type) {
    case 'memory': {
      const { MemoryStateStore } = await import('./local/memory');
      return new MemoryStateStore(options.history);
    }
    case 'file': {
      const { FileStateStore } = await import('./local/file');
      return FileStateStore.open(url.dir, options.history ? { history: options.history } : {});
    }
    case 'redis': {
      const { RedisStateStore } = await import('./redis/store');
      return RedisStateStore.open(url.url, { ...(options.prefix === undefined ? {} : { prefix: options.prefix }), ...(options.history ? { history: options.history } : {}) });
    }
  }
}
