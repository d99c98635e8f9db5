// The sweep's part in incidents (lib/alerts) beside what the checks and the result readers write with their changes:
// the clock, a small loop beside the workers that fires pending incidents and repeats firing ones as they come due;
// once per sweep, the incidents of agents no longer watched resolved (reason `unwatched`) and resolved incidents
// past INCIDENT_RETENTION purged, each bounded; and the writes of the machine listing's ONLINE.
import { incidentForClock, incidentsForAgentOnline, incidentsForUnwatched, type AlertContext } from '../alerts/rules';
import type { IncidentWrite } from '../alerts/types';
import type { Logger } from '../log';
import type { IncidentPort } from '../state/store';
import { TASK_KINDS, type TaskKind, type Watch } from '../types';
import { sleepUnlessAborted } from '../util/abort';

/** Incidents a sweep fired (their firing notified) and resolved (told or not: a pending one resolves unseen). */
export interface IncidentCounts {
  fired: number;
  resolved: number;
}

/** Incidents the clock takes at a time; how long its claim holds; how long it waits at most before it looks again. */
export const CLOCK_BATCH = 50;
export const CLOCK_LEASE_MS = 30_000;
export const CLOCK_IDLE_MS = 1_000;
/**
 * The agents with open incidents are looked at this many at a time; per sweep, at most UNWATCHED_PER_SWEEP of them
 * have their incidents resolved as unwatched (the rest at the next), and PURGE_PER_SWEEP resolved incidents purged.
 */
export const AGENTS_PAGE = 500;
export const UNWATCHED_PER_SWEEP = 200;
export const PURGE_PER_SWEEP = 500;
/** Attempts at a compare-and-set of an agent's incidents before leaving it to the next sweep. */
const ATTEMPTS = 5;

export interface IncidentSweepContext {
  store: Pick<IncidentPort, 'openIncidentsOf' | 'applyIncidents' | 'claimDueIncidents' | 'nextIncidentDueAt' | 'agentsWithOpenIncidents' | 'purgeResolvedIncidents'>;
  alerts: AlertContext;
  log: Logger;
  now: () => number;
  signal: AbortSignal;
  pollUntil: number;
  keepPolling: boolean;
  counts: IncidentCounts;
  /** Events were recorded: ready to publish. */
  onChange(): void;
}

/** Counts and logs writes that were made: one line per incident that opened, fired, repeated, was acknowledged or resolved. */
export function noteIncidentWrites(counts: IncidentCounts, log: Logger, writes: readonly IncidentWrite[]): void {
  for (const { incident: i, expectedRevision, event } of writes) {
    const notification = event?.data.notification;
    if (notification === 'firing') counts.fired++;
    if (i.state === 'resolved') counts.resolved++;
    const what = notification ?? (i.state === 'resolved' ? 'resolved unseen' : expectedRevision === 0 ? 'opened' : null);
    if (what) log.info(`incident ${what}`, { key: i.key, type: i.type, state: i.state, summary: i.summary, ...(event ? { eventId: event.id } : {}), ...(i.resolvedReason ? { reason: i.resolvedReason } : {}) });
  }
}

/**
 * Makes the writes `compute` derives from an agent's open incidents, reading them again after a conflict (another
 * sweep, or the other kind, changed one meanwhile). Returns the writes made ([] when there were none to make).
 */
export async function writeAgentIncidents(ctx: IncidentSweepContext, uuid: string, compute: (open: Awaited<ReturnType<IncidentPort['openIncidentsOf']>>) => IncidentWrite[]): Promise<IncidentWrite[]> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const writes = compute(await ctx.store.openIncidentsOf(uuid));
    if (writes.length === 0) return [];
    if (await ctx.store.applyIncidents(writes)) {
      noteIncidentWrites(ctx.counts, ctx.log, writes);
      if (writes.some((w) => w.event)) ctx.onChange();
      return writes;
    }
  }
  ctx.log.warn('incidents of an agent kept changing under this sweep; left to the next', { uuid });
  return [];
}

/** The machine listing says the agent is ONLINE: its agent.offline incident resolves. */
export function resolveAgentOnline(ctx: IncidentSweepContext, uuid: string, at: number): Promise<IncidentWrite[]> {
  return writeAgentIncidents(ctx, uuid, (open) => incidentsForAgentOnline(ctx.alerts, uuid, open, at));
}

/**
 * The clock, until the poll deadline: takes the incidents that are due (a pending one past ALERT_OFFLINE_FOR, a
 * firing one whose repeat is due), writes what each is now, and sleeps until the next is due (at most
 * CLOCK_IDLE_MS, so incidents opened meanwhile are seen). A sweep that does not keep polling looks once.
 */
export async function runIncidentClock(ctx: IncidentSweepContext): Promise<void> {
  while (!ctx.signal.aborted && ctx.now() < ctx.pollUntil) {
    const due = await ctx.store.claimDueIncidents(ctx.now(), CLOCK_BATCH, CLOCK_LEASE_MS);
    for (const incident of due) {
      const w = incidentForClock(ctx.alerts, incident, ctx.now());
      // A conflict: something else wrote the incident since the claim (it resolved, was acknowledged), and set its due time.
      if (await ctx.store.applyIncidents([w])) {
        noteIncidentWrites(ctx.counts, ctx.log, [w]);
        if (w.event) ctx.onChange();
      }
    }
    if (due.length === CLOCK_BATCH) continue;
    if (!ctx.keepPolling) return;
    const next = await ctx.store.nextIncidentDueAt();
    const wait = next === null ? CLOCK_IDLE_MS : Math.max(10, Math.min(next - ctx.now(), CLOCK_IDLE_MS));
    if (ctx.now() + wait >= ctx.pollUntil) return;
    await sleepUnlessAborted(wait, ctx.signal);
  }
}

/**
 * Resolves (reason `unwatched`) the open incidents of agents the watch list no longer has, and of kinds an agent is
 * no longer watched for: API DELETE, WATCH_UUIDS and WATCH_KINDS edits, discovery forgetting a machine. Reads the
 * open incidents only of agents that are not watched for every kind. Returns how many it resolved.
 */
export async function resolveUnwatchedIncidents(ctx: IncidentSweepContext, watches: readonly Watch[]): Promise<number> {
  let resolved = 0;
  let agentsResolved = 0;
  let after: string | undefined;
  for (;;) {
    const agents = await ctx.store.agentsWithOpenIncidents(AGENTS_PAGE, after);
    if (agents.length === 0) return resolved;
    after = agents[agents.length - 1];
    // The watched kinds of this page's agents only: one pass over the watch list, no index of it kept.
    const watchedKinds = new Map<string, TaskKind[]>(agents.map((uuid) => [uuid, []]));
    for (const w of watches) watchedKinds.get(w.uuid)?.push(...w.kinds);
    for (const uuid of agents) {
      const kinds = watchedKinds.get(uuid)!;
      if (TASK_KINDS.every((k) => kinds.includes(k))) continue;
      if (agentsResolved >= UNWATCHED_PER_SWEEP) return resolved;
      const at = ctx.now();
      const writes = await writeAgentIncidents(ctx, uuid, (open) => incidentsForUnwatched(ctx.alerts, open, kinds.length === 0 ? null : kinds, at));
      if (writes.length > 0) agentsResolved++;
      resolved += writes.length;
    }
    if (agents.length < AGENTS_PAGE) return resolved;
  }
}

/** Purges resolved incidents past INCIDENT_RETENTION, at most PURGE_PER_SWEEP a sweep. */
export async function purgeOldIncidents(ctx: IncidentSweepContext): Promise<number> {
  const purged = await ctx.store.purgeResolvedIncidents(ctx.now() - ctx.alerts.settings.retentionMs, PURGE_PER_SWEEP);
  if (purged > 0) ctx.log.info('resolved incidents past INCIDENT_RETENTION purged', { purged });
  return purged;
}
