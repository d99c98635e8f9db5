// What GET /metrics reports, read from the store: gauges of its state now (keys by kind and state, agents offline,
// incidents, the outbox and dead letters per sink, the last sweep) and the counters every instance adds to
// (CounterPort). Sinks are named as the logs name them (origin and a short hash: a hook URL is a secret).
import type { Config } from '../config';
import { INCIDENT_STATES, INCIDENT_TYPES, type Incident } from '../alerts/types';
import { CWP_REQUESTS, DELIVERIES, EVENTS_PUBLISHED } from '../state/counters';
import type { HttpDeps } from '../http/deps';
import { readAllWatches, watchedKeys } from '../sweep/watchlist';
import { TASK_KINDS, TASK_STATES, type DeadLetter, type OutboxEntry, type SweepSummary, type TaskKey, type TaskState, type Watch } from '../types';
import { sinkLabel } from '../util/redact';
import type { Metric, Sample } from './text-format';

/** The outcomes a sweep can end with (SweepSummary.outcome): each is a sample, 1 for the last sweep's. */
export const SWEEP_OUTCOMES: ReadonlyArray<SweepSummary['outcome']> = ['ok', 'auth', 'clock', 'gone', 'failing', 'store', 'error', 'store_reset', 'busy'];
/** How much of the outbox and the dead letters one scrape reads (the gauges cover at most this many). */
export const METRICS_SCAN_MAX = 10_000;
/** Pages of incidents one scrape reads (500 each). */
const INCIDENT_PAGES = 20;
/** An event not yet tried at any sink counts under this sink label. */
export const NOT_YET_SENT = 'not-yet-sent';

type Store = HttpDeps['store'];

const gauge = (name: string, help: string, samples: Sample[]): Metric => ({ name, help, type: 'gauge', samples });

/** The watched keys' last recorded states (null: never observed), read 200 records a request. */
export async function watchedStates(store: Pick<Store, 'getRecords'>, watches: Watch[]): Promise<Array<{ key: TaskKey; state: TaskState | null }>> {
  const keys = watchedKeys(watches);
  const out: Array<{ key: TaskKey; state: TaskState | null }> = [];
  for (let i = 0; i < keys.length; i += 200) {
    const records = await store.getRecords(keys.slice(i, i + 200));
    records.forEach((r, j) => out.push({ key: keys[i + j]!, state: r?.state ?? null }));
  }
  return out;
}

/** Keys by kind and state (never observed: UNOBSERVED, every pair present), and the agents with a key offline. */
async function keyStates(store: Pick<Store, 'getRecords'>, watches: Watch[]): Promise<{ byKindState: Map<string, number>; offline: Set<string> }> {
  const byKindState = new Map<string, number>();
  for (const kind of TASK_KINDS) for (const state of [...TASK_STATES, 'UNOBSERVED']) byKindState.set(`${kind}\n${state}`, 0);
  const offline = new Set<string>();
  for (const { key, state } of await watchedStates(store, watches)) {
    const k = `${key.kind}\n${state ?? 'UNOBSERVED'}`;
    byKindState.set(k, (byKindState.get(k) ?? 0) + 1);
    if (state === 'AGENT_OFFLINE') offline.add(key.uuid);
  }
  return { byKindState, offline };
}

/** The outbox per sink: an event counts at each sink where it is not final yet; one never tried, under NOT_YET_SENT. */
export function outboxPerSink(outbox: readonly OutboxEntry[]): Map<string, { count: number; oldest: number }> {
  const bySink = new Map<string, { count: number; oldest: number }>();
  for (const e of outbox) {
    const pendingAt = Object.entries(e.deliveries).filter(([, d]) => d.status !== 'delivered' && d.status !== 'dead').map(([id]) => sinkLabel(id));
    const sinks = Object.keys(e.deliveries).length === 0 ? [NOT_YET_SENT] : pendingAt;
    for (const sink of sinks) {
      const had = bySink.get(sink);
      if (had) {
        had.count++;
        had.oldest = Math.min(had.oldest, e.createdAt);
      } else bySink.set(sink, { count: 1, oldest: e.createdAt });
    }
  }
  return bySink;
}

export function deadLettersPerSink(dead: readonly DeadLetter[]): Map<string, number> {
  const bySink = new Map<string, number>();
  for (const l of dead) bySink.set(sinkLabel(l.sinkId), (bySink.get(sinkLabel(l.sinkId)) ?? 0) + 1);
  return bySink;
}

export async function collectMetrics(store: Store, watch: Config['watch'], now: number): Promise<Metric[]> {
  const [watches, lastSweep, outbox, dead, counters] = await Promise.all([
    readAllWatches(watch, store), store.getLastSweep(), store.listOutbox(METRICS_SCAN_MAX), store.listDeadLetters(METRICS_SCAN_MAX), store.readCounters(),
  ]);

  const { byKindState, offline } = await keyStates(store, watches);

  const incidents = new Map<string, number>();
  for (const type of INCIDENT_TYPES) for (const state of INCIDENT_STATES) incidents.set(`${type}\n${state}`, 0);
  let cursor: string | undefined;
  for (let page = 0; page < INCIDENT_PAGES; page++) {
    const p = await store.listIncidents({ limit: 500, ...(cursor ? { cursor } : {}) });
    p.incidents.forEach((i: Incident) => incidents.set(`${i.type}\n${i.state}`, (incidents.get(`${i.type}\n${i.state}`) ?? 0) + 1));
    if (!p.nextCursor) break;
    cursor = p.nextCursor;
  }

  const outboxBySink = outboxPerSink(outbox);
  const deadBySink = deadLettersPerSink(dead);

  const counterSamples = (name: string): Sample[] => counters.filter((c) => c.name === name).map((c) => ({ labels: c.labels, value: c.value }));
  const sweepAt = lastSweep ? Date.parse(lastSweep.startedAt) : NaN;
  return [
    gauge('cwp_bridge_keys', 'Watched keys (agent, kind) by kind and last recorded state (UNOBSERVED: never checked).', [...byKindState].map(([k, value]) => {
      const [kind, state] = k.split('\n') as [string, string];
      return { labels: { kind, state }, value };
    })),
    gauge('cwp_bridge_agents_offline', 'Watched agents with a key in AGENT_OFFLINE.', [{ labels: {}, value: offline.size }]),
    gauge('cwp_bridge_incidents', 'Incidents kept by the store, by type and state.', [...incidents].map(([k, value]) => {
      const [type, state] = k.split('\n') as [string, string];
      return { labels: { type, state }, value };
    })),
    gauge('cwp_bridge_outbox_events', 'Events waiting in the outbox, per sink they are still due at.', [...outboxBySink].map(([sink, o]) => ({ labels: { sink }, value: o.count }))),
    gauge('cwp_bridge_outbox_oldest_seconds', 'Age of the oldest event waiting in the outbox, per sink.', [...outboxBySink].map(([sink, o]) => ({ labels: { sink }, value: Math.max(0, (now - o.oldest) / 1000) }))),
    gauge('cwp_bridge_dead_letters', 'Dead letters kept, per sink.', [...deadBySink].map(([sink, value]) => ({ labels: { sink }, value }))),
    gauge('cwp_bridge_last_sweep_timestamp_seconds', 'When the last sweep started (Unix seconds).', lastSweep && Number.isFinite(sweepAt) ? [{ labels: {}, value: sweepAt / 1000 }] : []),
    gauge('cwp_bridge_last_sweep_duration_seconds', 'How long the last sweep took.', lastSweep ? [{ labels: {}, value: lastSweep.tookMs / 1000 }] : []),
    gauge('cwp_bridge_last_sweep_outcome', 'The last sweep\'s outcome: 1 for it, 0 for the others.', lastSweep ? SWEEP_OUTCOMES.map((outcome) => ({ labels: { outcome }, value: outcome === lastSweep.outcome ? 1 : 0 })) : []),
    { name: EVENTS_PUBLISHED, help: 'Events appended to the outbox, by type, across instances.', type: 'counter', samples: counterSamples(EVENTS_PUBLISHED) },
    { name: DELIVERIES, help: 'Delivery attempts\' outcomes, by sink and result (delivered, retry, dead, deferred, released), across instances.', type: 'counter', samples: counterSamples(DELIVERIES) },
    { name: CWP_REQUESTS, help: 'CWP API requests, by action and result (ok or the error code), across instances.', type: 'counter', samples: counterSamples(CWP_REQUESTS) },
  ];
}
