// Discovery (WATCH_DISCOVER): the sweep pages through the CWP backend's machine listing (yunjing: DescribeMachines,
// 100 machines a request) for each configured (type, region), a WATCH_DISCOVER `all` standing for the regions the
// backend names, and
// - keeps every listed machine with an agent Uuid (name, IP, tags): those that no env or API watch names are
//   watched (source "discovered"); machines listed without a Uuid (long offline, as the API's doc says) are
//   counted and skipped;
// - takes the online state of each listed, watched agent from the listing (one request per 100 machines
//   instead of two status calls per agent): OFFLINE records both keys AGENT_OFFLINE, parked, with the normal
//   events and no status call; ONLINE again makes a parked key due at once;
// - at the end of a whole listing, forgets the machines missing from it and from the one before, and unwatches
//   their agents with one agent.unwatched event each (env and API watches stay: they win over discovery).
// One sweep at a time lists (a lease in the store); a listing of a large fleet that the deadline cuts short
// resumes where it stopped at the next sweep. A new listing starts at most every DISCOVER_EVERY. The listing's action
// has its own rate budget (the limiter is per action), so listing never slows the status checks.
import type { DiscoverConfig, DiscoverTarget } from '../config';
import { parseDiscoverTargets } from '../config/discover';
import type { CwpPort } from '../cwp/port';
import { buildAgentUnwatchedEvent } from '../events';
import type { Logger } from '../log';
import type { FleetPort, SchedulePort } from '../state/store';
import type { CallStats } from '../tencent/types';
import type { DiscoveryCursor, KeyRecord, ListedMachine, MachineInfo, TaskKey, TaskKind } from '../types';
import { blankRecord } from '../state/rules';
import { errorDetail, recordTransition, type SweepContext } from './check';

/** How long one sweep's hold on discovery lasts without renewal; renewed at every page. */
export const DISCOVERY_LEASE_MS = 30_000;

export interface DiscoveryCounts {
  /** Pages of the machine listing read. */
  pages: number;
  /** Machines with an Uuid listed, new ones among them, and those without an Uuid (skipped). */
  listed: number;
  added: number;
  skippedNoUuid: number;
  /** Keys recorded AGENT_OFFLINE (parked) from the listing, and parked keys made due again (ONLINE). */
  parked: number;
  unparked: number;
  /** Machines forgotten at the end of a listing, and agents unwatched with them. */
  forgotten: number;
  unwatched: number;
  /** A whole listing ended in this sweep. */
  completed: boolean;
}

export interface DiscoveryDeps {
  discover: DiscoverConfig;
  /** WATCH_KINDS: the kinds of a discovered watch. */
  watchKinds: TaskKind[];
  eventSource: string;
  store: FleetPort & Pick<SchedulePort, 'getRecords' | 'recordCheck' | 'recordChange' | 'getRecord'>;
  cwp: Pick<CwpPort, 'readMachines' | 'machineRegions' | 'stopFor'>;
  /** The kinds of each env or API watch (they win over discovery; the listing's online state applies to them too). */
  watchedKinds: ReadonlyMap<string, TaskKind[]>;
  /** The sweep's lookup of listed machines: updated as pages come in, so the events carry names at once. */
  machines: Map<string, MachineInfo>;
  /** The sweep's context, for recording transitions with their events. */
  ctx: SweepContext;
  log: Logger;
  now: () => number;
  signal: AbortSignal;
  pollUntil: number;
  stats: CallStats;
}

/** A blank cursor: listing `listing`, from the first target. */
function freshCursor(listing: number, key: string, lastCompletedAt: number | null, lastSkipped: number): DiscoveryCursor {
  return { listing, target: 0, offset: 0, targetsKey: key, startedAt: null, lastCompletedAt, skippedNoUuid: 0, lastSkippedNoUuid: lastSkipped };
}

/** Runs discovery for this sweep if a listing is due or in progress; returns what it did. Never throws for CWP errors. */
export async function runDiscovery(deps: DiscoveryDeps): Promise<DiscoveryCounts> {
  const counts: DiscoveryCounts = { pages: 0, listed: 0, added: 0, skippedNoUuid: 0, parked: 0, unparked: 0, forgotten: 0, unwatched: 0, completed: false };
  const { discover, store, log, now } = deps;
  const claim = await store.claimDiscovery(now(), DISCOVERY_LEASE_MS);
  if (claim === 'busy') return counts; // another sweep is listing
  const stored = claim.cursor;
  let cursor = stored && stored.targetsKey === discover.key ? stored : freshCursor((stored?.listing ?? 0) + 1, discover.key, stored?.lastCompletedAt ?? null, stored?.lastSkippedNoUuid ?? 0);
  const inProgress = cursor.startedAt !== null;
  if (!inProgress && cursor.lastCompletedAt !== null && now() - cursor.lastCompletedAt < discover.everyMs) {
    await store.saveDiscovery(cursor, null);
    return counts;
  }
  if (!inProgress) cursor = { ...cursor, startedAt: now() };

  try {
    const targets = await listingTargets(deps);
    while (targets !== null && cursor.target < targets.length) {
      if (deps.signal.aborted || now() >= deps.pollUntil) break;
      const target = targets[cursor.target]!;
      let page;
      try {
        page = await deps.cwp.readMachines(
          { target, offset: cursor.offset, ...(discover.filters.length > 0 ? { filters: discover.filters } : {}) },
          { signal: deps.signal, deadline: deps.pollUntil, stats: deps.stats },
        );
      } catch (e) {
        if (!deps.signal.aborted) listingFailed(deps, e, 'discovery: a page of the machine listing failed; the listing resumes here at the next sweep', { target, offset: cursor.offset });
        break;
      }
      counts.pages++;
      const t = now();
      const listed = page.machines.map((m) => seen(m, t, cursor.listing));
      counts.skippedNoUuid += page.skippedNoUuid;
      for (const m of listed) if (!deps.machines.has(m.uuid)) counts.added++;
      counts.listed += listed.length;
      await store.putMachines(listed);
      for (const m of listed) deps.machines.set(m.uuid, m);
      await applyOnlineState(deps, listed, page.requestId, counts);

      const skippedNoUuid = cursor.skippedNoUuid + page.skippedNoUuid;
      cursor = page.nextOffset === null ? { ...cursor, target: cursor.target + 1, offset: 0, skippedNoUuid } : { ...cursor, offset: page.nextOffset, skippedNoUuid };
      await store.saveDiscovery(cursor, now() + DISCOVERY_LEASE_MS);
    }
    if (targets !== null && cursor.target >= targets.length) {
      await endListing(deps, cursor.listing, counts);
      counts.completed = true;
      log.info('discovery: listing complete', { listing: cursor.listing, machines: deps.machines.size, skippedNoUuid: cursor.skippedNoUuid, forgotten: counts.forgotten, unwatched: counts.unwatched });
      cursor = freshCursor(cursor.listing + 1, discover.key, now(), cursor.skippedNoUuid);
    }
  } finally {
    // Give the lease up (the next sweep resumes from the cursor); if the store is down, the lease just ends.
    await store.saveDiscovery(cursor, null).catch(() => undefined);
  }
  return counts;
}

/**
 * The (type, region) targets of a listing: WATCH_DISCOVER as configured, each `all` standing for the regions the
 * backend names (yunjing: the fixed list the configuration already holds, so no request). Null when the backend
 * could not answer: the listing waits for the next sweep. The cursor stays keyed by the settings, not the answer.
 */
async function listingTargets(deps: DiscoveryDeps): Promise<DiscoverTarget[] | null> {
  const { discover } = deps;
  if (discover.everyRegionOf.length === 0) return discover.targets;
  const regions = new Map<string, readonly string[]>();
  try {
    for (const type of discover.everyRegionOf) regions.set(type, await deps.cwp.machineRegions(type, { signal: deps.signal, deadline: deps.pollUntil, stats: deps.stats }));
  } catch (e) {
    if (!deps.signal.aborted) listingFailed(deps, e, 'discovery: the machine listing\'s regions could not be read; the listing waits for the next sweep', {});
    return null;
  }
  return parseDiscoverTargets(discover.spec, [], (type) => regions.get(type) ?? []);
}

/** A failed listing request: an error that stops the sweep stops discovery (loud, in the backend's words), never the status checks. */
function listingFailed(deps: DiscoveryDeps, e: unknown, message: string, context: Record<string, unknown>): void {
  const stop = deps.cwp.stopFor(e);
  if (stop) deps.log.error(`discovery stopped: ${stop.message}`, { ...errorDetail(e), fix: stop.fix, ...context });
  else deps.log.warn(message, { ...errorDetail(e), ...context });
}

/** A listed machine as discovery keeps it: seen now, in this listing. */
function seen(m: ListedMachine, now: number, listing: number): MachineInfo {
  return { ...m, firstSeenAt: now, lastSeenAt: now, seenInListing: listing };
}

/**
 * The listing's online state, for the keys of each listed machine: OFFLINE records AGENT_OFFLINE (parked: due
 * only after a safety horizon of three DISCOVER_EVERY periods, in case the listing stops), with its event when
 * the state changes; ONLINE makes a parked or offline key due at once.
 */
async function applyOnlineState(deps: DiscoveryDeps, listed: MachineInfo[], requestId: string, counts: DiscoveryCounts): Promise<void> {
  const keys: TaskKey[] = [];
  const statusOf: Array<MachineInfo['status']> = [];
  for (const m of listed) {
    for (const kind of deps.watchedKinds.get(m.uuid) ?? deps.watchKinds) {
      keys.push({ uuid: m.uuid, kind });
      statusOf.push(m.status);
    }
  }
  if (keys.length === 0) return;
  const records = await deps.store.getRecords(keys);
  const t = deps.now();
  const parkUntil = t + 3 * deps.discover.everyMs;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const rec: KeyRecord = records[i] ?? blankRecord(key, t);
    if (statusOf[i] === 'OFFLINE') {
      if (rec.state !== 'AGENT_OFFLINE') {
        const obs = { uuid: key.uuid, kind: key.kind, state: 'AGENT_OFFLINE' as const, requestId, observedAt: t };
        if (await recordTransition(deps.ctx, rec, obs, { nextDue: parkUntil, parked: true })) counts.parked++;
      } else {
        await deps.store.recordCheck({ key, observedAt: t, nextDue: parkUntil, parked: true });
        if (!rec.parked) counts.parked++;
      }
    } else if (rec.parked || rec.state === 'AGENT_OFFLINE') {
      await deps.store.recordCheck({ key, observedAt: rec.lastChecked ?? t, nextDue: t, parked: false });
      counts.unparked++;
    }
  }
}

/** The end of listing `listing`: machines missing from it and from the one before are forgotten. */
async function endListing(deps: DiscoveryDeps, listing: number, counts: DiscoveryCounts): Promise<void> {
  const lastListing = listing - 2;
  if (lastListing < 1) return;
  for (const m of await deps.store.listMachines()) {
    if (m.seenInListing > lastListing) continue;
    // Only a discovered watch is unwatched (and evented); an env or API watch just loses its machine details.
    const kinds = deps.watchedKinds.has(m.uuid) ? null : deps.watchKinds;
    const event = kinds
      ? buildAgentUnwatchedEvent({ storeId: deps.ctx.storeId, source: deps.eventSource, uuid: m.uuid, kinds, machine: m, lastSeenAt: m.lastSeenAt, unwatchedAt: deps.now(), listing })
      : null;
    if (await deps.store.forgetMachine(m.uuid, lastListing, event)) {
      counts.forgotten++;
      deps.machines.delete(m.uuid);
      if (event) {
        counts.unwatched++;
        deps.log.info('discovery: agent unwatched; its machine is missing from two listings', { uuid: m.uuid, machineName: m.name, eventId: event.id });
        deps.ctx.onChange();
      }
    }
  }
}
