// GET /v1/overview: one answer for the console's overview page, read from the store: agents by condition, the
// firing incidents, the last sweep, the outbox and dead letters per sink, discovery's last listing, and two series
// from the event history: events per hour over 24 h (counted from its index) and agents offline per day over 7 days.
import type { Config } from '../config';
import type { Incident } from '../alerts/types';
import type { HttpDeps } from '../http/deps';
import { readAllWatches } from '../sweep/watchlist';
import type { DiscoveryCursor, SweepSummary, TaskState } from '../types';
import type { StatusChangeData, StatusChangedEvent } from '../events/types';
import type { FleetPort, HistoryPort } from '../state/store';
import { deadLettersPerSink, METRICS_SCAN_MAX, outboxPerSink, watchedStates } from './collect';

type Store = HttpDeps['store'] & Pick<HistoryPort, 'countHistory'> & Pick<FleetPort, 'getDiscovery'>;

/** One word per agent from its kinds' states, the worst winning (an agent with one kind offline is offline). */
export type AgentCondition = 'offline' | 'unknown' | 'failed' | 'collecting' | 'ok' | 'unchecked';
export const AGENT_CONDITIONS: readonly AgentCondition[] = ['offline', 'unknown', 'failed', 'collecting', 'ok', 'unchecked'];

export function agentCondition(states: ReadonlyArray<TaskState | null>, listedOffline: boolean): AgentCondition {
  if (listedOffline || states.includes('AGENT_OFFLINE')) return 'offline';
  if (states.includes('UNKNOWN_AGENT')) return 'unknown';
  if (states.includes('FAILED')) return 'failed';
  if (states.includes('COLLECTING')) return 'collecting';
  if (states.length > 0 && states.every((s) => s !== null)) return 'ok';
  return 'unchecked';
}

const STATUS_CHANGED = 'com.tencentcloud.cwp.task.status.changed';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Firing incidents shown. */
export const OVERVIEW_INCIDENTS = 20;
/** Status events read for the 7-day series (newest first); older ones in a busier week are left out (`truncated`). */
export const OFFLINE_SERIES_EVENTS = 5_000;

export interface Overview {
  agents: { total: number; byCondition: Record<AgentCondition, number> };
  incidentsFiring: Incident[];
  lastSweep: SweepSummary | null;
  outbox: Array<{ sink: string; events: number; oldestAt: string }>;
  deadLetters: Array<{ sink: string; count: number }>;
  discovery: DiscoveryCursor | null;
  eventsPerHour: Array<{ hour: string; events: number }>;
  agentsOfflinePerDay: Array<{ day: string; agents: number }>;
  agentsOfflineTruncated: boolean;
}

export async function collectOverview(store: Store, watch: Config['watch'], now: number): Promise<Overview> {
  const [watches, lastSweep, firing, outbox, dead, discovery] = await Promise.all([
    readAllWatches(watch, store), store.getLastSweep(), store.listIncidents({ state: 'firing', limit: OVERVIEW_INCIDENTS }),
    store.listOutbox(METRICS_SCAN_MAX), store.listDeadLetters(METRICS_SCAN_MAX), watch.discover ? store.getDiscovery() : Promise.resolve(null),
  ]);
  const states = await watchedStates(store, watches);
  const byAgent = new Map<string, Array<TaskState | null>>();
  for (const { key, state } of states) (byAgent.get(key.uuid) ?? byAgent.set(key.uuid, []).get(key.uuid)!).push(state);
  const byCondition = Object.fromEntries(AGENT_CONDITIONS.map((c) => [c, 0])) as Record<AgentCondition, number>;
  for (const w of watches) byCondition[agentCondition(byAgent.get(w.uuid) ?? [], w.machine?.status === 'OFFLINE')]++;

  // Events per hour: the 24 whole hours up to the current one, each counted from the history's index.
  const thisHour = Math.floor(now / HOUR) * HOUR;
  const hours = Array.from({ length: 24 }, (_, i) => thisHour - (23 - i) * HOUR);
  const counts = await Promise.all(hours.map((h) => store.countHistory({ since: h, until: h + HOUR - 1 })));

  const offline = await offlinePerDay(store, states, now);
  return {
    agents: { total: watches.length, byCondition },
    incidentsFiring: firing.incidents,
    lastSweep,
    outbox: [...outboxPerSink(outbox)].map(([sink, o]) => ({ sink, events: o.count, oldestAt: new Date(o.oldest).toISOString() })),
    deadLetters: [...deadLettersPerSink(dead)].map(([sink, count]) => ({ sink, count })),
    discovery,
    eventsPerHour: hours.map((h, i) => ({ hour: new Date(h).toISOString(), events: counts[i]! })),
    agentsOfflinePerDay: offline.days,
    agentsOfflineTruncated: offline.truncated,
  };
}

/**
 * Agents offline on each of the last 7 days (UTC, today last): an agent counts on a day if any of its keys was
 * AGENT_OFFLINE at any time that day. Replayed from the history's status events, oldest first, each key starting
 * in its first event's `previous` state (a key without an event in the week: its state now, held all week).
 */
async function offlinePerDay(store: Store, current: Array<{ key: { uuid: string; kind: string }; state: TaskState | null }>, now: number) {
  const today = Math.floor(now / DAY) * DAY;
  const start = today - 6 * DAY;
  const events: StatusChangedEvent[] = [];
  let cursor: string | undefined;
  let truncated = false;
  while (events.length < OFFLINE_SERIES_EVENTS) {
    const page = await store.searchHistory({ type: STATUS_CHANGED, since: start, limit: 500, ...(cursor ? { cursor } : {}) });
    events.push(...(page.events as StatusChangedEvent[]));
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
    if (events.length >= OFFLINE_SERIES_EVENTS) truncated = true;
  }
  events.reverse();
  const keyOf = (d: Pick<StatusChangeData, 'uuid' | 'kind'>) => `${d.uuid}/${d.kind}`;
  const stateOf = new Map<string, TaskState | null>();
  for (const e of events) if (!stateOf.has(keyOf(e.data))) stateOf.set(keyOf(e.data), e.data.previous);
  for (const { key, state } of current) if (!stateOf.has(`${key.uuid}/${key.kind}`)) stateOf.set(`${key.uuid}/${key.kind}`, state);
  const offlineKeys = new Set([...stateOf].filter(([, s]) => s === 'AGENT_OFFLINE').map(([k]) => k));
  const uuidOfKey = (k: string) => k.slice(0, k.lastIndexOf('/'));
  const days: Array<{ day: string; agents: number }> = [];
  let i = 0;
  for (let d = start; d <= today; d += DAY) {
    const agents = new Set([...offlineKeys].map(uuidOfKey));
    for (; i < events.length && Date.parse(events[i]!.time) < d + DAY; i++) {
      const e = events[i]!;
      const k = keyOf(e.data);
      if (e.data.state === 'AGENT_OFFLINE') {
        offlineKeys.add(k);
        agents.add(e.data.uuid);
      } else offlineKeys.delete(k);
    }
    days.push({ day: new Date(d).toISOString().slice(0, 10), agents: agents.size });
  }
  return { days, truncated };
}
