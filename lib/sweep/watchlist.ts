// The watch list is WATCH_UUIDS (from the environment, read-only) plus the watches stored through the API.
import type { Config } from '../config';
import type { StateStore } from '../state/store';
import type { TaskKey, Watch } from '../types';

export async function listAllWatches(config: Pick<Config, 'watchUuids' | 'watchKinds'>, store: StateStore): Promise<Watch[]> {
  const stored = await store.listWatches();
  const byUuid = new Map<string, Watch>();
  for (const uuid of config.watchUuids) byUuid.set(uuid, { uuid, kinds: [...config.watchKinds], source: 'env', addedAt: null });
  for (const w of stored) {
    const env = byUuid.get(w.uuid);
    // An API watch on an env agent may add kinds; the env entry stays the source of truth for deletion.
    if (env) env.kinds = [...new Set([...env.kinds, ...w.kinds])];
    else byUuid.set(w.uuid, w);
  }
  return [...byUuid.values()];
}

export function watchedKeys(watches: Watch[]): TaskKey[] {
  const keys: TaskKey[] = [];
  for (const w of watches) for (const kind of w.kinds) keys.push({ uuid: w.uuid, kind });
  return keys;
}
