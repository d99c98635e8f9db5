// Opens the StateStore named by STATE_STORE. The Redis store (and ioredis with it) is loaded only when asked
// for, so a bundle that never uses Redis does not evaluate ioredis at cold start.
import type { StateStoreUrl } from '../config';
import { MemoryStateStore } from './memory';
import type { StateStore } from './store';

export type { StateStore } from './store';
export { MemoryStateStore } from './memory';

export interface OpenStateStoreOptions {
  /** Redis key prefix (default `cwp-bridge`); ignored by the other stores. */
  prefix?: string;
}

export async function openStateStore(url: StateStoreUrl, options: OpenStateStoreOptions = {}): Promise<StateStore> {
  switch (url.type) {
    case 'memory':
      return new MemoryStateStore();
    case 'file':
    case 'redis':
      void options;
      throw new Error(`state store ${url.type}: not implemented yet`);
  }
}
