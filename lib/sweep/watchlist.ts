// The watch list is WATCH_UUIDS (from the environment, read-only) plus the watches stored through the API,
// merged by rules.mergeWatchLists: the one list both the sweep and GET /v1/watches use.
import type { Config } from '../config';
import { mergeWatchLists } from '../state/rules';
import type { FleetPort, WatchPort } from '../state/store';
import type { MachineInfo, TaskKey, Watch } from '../types';

/** The whole watch list: WATCH_UUIDS, the stored (API) watches, and with WATCH_DISCOVER the machines found. */
export function listAllWatches(watch: Config['watch'], stored: Watch[], machines: MachineInfo[]): Watch[] {
  return mergeWatchLists(watch.uuids, watch.kinds, stored, watch.discover ? machines : []);
}

/** One agent's entry of that list, or null: a lookup, not the whole list (the API's GET /v1/agents/{uuid}). */
export async function readWatch(watch: Config['watch'], store: Pick<WatchPort, 'getWatch'> & Pick<FleetPort, 'getMachine'>, uuid: string): Promise<Watch | null> {
  const [stored, machine] = await Promise.all([store.getWatch(uuid), watch.discover ? store.getMachine(uuid) : Promise.resolve(null)]);
  const env = watch.uuids.includes(uuid) ? [uuid] : [];
  return mergeWatchLists(env, watch.kinds, stored ? [stored] : [], machine ? [machine] : [])[0] ?? null;
}

/** The same, read from the store. */
export async function readAllWatches(watch: Config['watch'], store: Pick<WatchPort, 'listWatches'> & Pick<FleetPort, 'listMachines'>): Promise<Watch[]> {
  const [stored, machines] = await Promise.all([store.listWatches(), watch.discover ? store.listMachines() : Promise.resolve([])]);
  return listAllWatches(watch, stored, machines);
}

export function watchedKeys(watches: Watch[]): TaskKey[] {
  const keys: TaskKey[] = [];
  for (const w of watches) for (const kind of w.kinds) keys.push({ uuid: w.uuid, kind });
  return keys;
}
