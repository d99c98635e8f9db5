// The watch list is WATCH_UUIDS (from the environment, read-only) plus the watches stored through the API,
// merged by rules.mergeWatchLists: the one list both the sweep and GET /v1/watches use.
import type { Config } from '../config';
import { mergeWatchLists } from '../state/rules';
import type { WatchPort } from '../state/store';
import type { TaskKey, Watch } from '../types';

export async function listAllWatches(watch: Config['watch'], store: Pick<WatchPort, 'listWatches'>): Promise<Watch[]> {
  return mergeWatchLists(watch.uuids, watch.kinds, await store.listWatches());
}

export function watchedKeys(watches: Watch[]): TaskKey[] {
  const keys: TaskKey[] = [];
  for (const w of watches) for (const kind of w.kinds) keys.push({ uuid: w.uuid, kind });
  return keys;
}
