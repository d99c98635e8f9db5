// Reading what a finished collection found: for each pending read (a key that became COMPLETE, marked by the
// store), the host's items as the CWP backend reads them (lib/cwp/port.ts readResults; yunjing: every page of
// DescribeProcesses / DescribeOpenPorts), made a snapshot, compared with the host's previous one, and stored with
// its ports.changed / processes.changed event in one compare-and-set. A read that fails part-way stores nothing
// (no partial snapshot) and is tried again later. The first snapshot of a host is its baseline: stored and shown
// by the API, not published, so connecting a fleet sends no flood.
import { incidentsForResultsChange } from '../alerts/rules';
import type { IncidentWrite } from '../alerts/types';
import type { CwpPort } from '../cwp/port';
import { isTencentError } from '../errors';
import { buildResultsChangedEvent } from '../events';
import type { Logger } from '../log';
import { diffSnapshots, isEmptyDiff } from '../results/diff';
import { sortItems, type ResultItem } from '../results/items';
import { decodeSnapshotRecord, encodeSnapshotRecord, type Snapshot, type SnapshotRecord } from '../results/snapshot';
import { keyId, type PendingRead, type ResultsPort } from '../state/store';
import { sleepUnlessAborted } from '../util/abort';
import { TASK_KINDS, type MachineInfo, type TaskKind } from '../types';
import type { CloudEvent } from '../events/types';
import { noteIncidentWrites, type IncidentSweepContext } from './incidents';

/**
 * Readers per kind working through pending reads at once (each page is rate-limited per action anyway): each
 * kind has its own, so a port read (one page) never waits behind process reads (four pages of 100 for a busy host).
 */
export const RESULT_READERS: Readonly<Record<TaskKind, number>> = { process: 3, port: 2 };
/** A read that failed is tried again after this. */
export const RESULT_RETRY_MS = 30_000;
/** A claimed read whose reader died comes back after this. */
export const RESULT_LEASE_MS = 60_000;
/** How long an idle reader waits before it looks for pending reads again. */
const IDLE_READER_WAIT_MS = 1_000;

export interface ResultCounts {
  /** Completions read to the end and stored. */
  read: number;
  /** ports.changed / processes.changed events recorded. */
  diffs: number;
  /** Reads that failed and will be tried again. */
  failed: number;
}

export interface ResultsContext {
  /** The store's id (StorePort.identity), in every event id. */
  storeId: string;
  store: ResultsPort;
  cwp: Pick<CwpPort, 'readResults'>;
  eventSource: string;
  log: Logger;
  now: () => number;
  signal: AbortSignal;
  pollUntil: number;
  keepPolling: boolean;
  counts: ResultCounts;
  /** An event was recorded: ready to publish. */
  onChange(): void;
  /** What the machine listing knows of an agent's machine (WATCH_DISCOVER), for the events. */
  machineOf?(uuid: string): MachineInfo | undefined;
  /** The sweep's incidents: a port opened, a suspicious process (lib/alerts/rules.ts), stored with the snapshot. None: no incidents. */
  incidents?: IncidentSweepContext;
}

/** RESULT_READERS readers per kind, each claiming one pending read of its kind at a time until none is due (or the deadline). */
export async function readPendingResults(ctx: ResultsContext): Promise<void> {
  const reader = async (kind: TaskKind) => {
    // Past the poll deadline nothing new starts, even before the stop signal fires: a read begun then could only
    // fail on its deadline and be pushed back.
    while (!ctx.signal.aborted && ctx.now() < ctx.pollUntil) {
      const [read] = await ctx.store.claimPendingReads(ctx.now(), 1, RESULT_LEASE_MS, kind);
      if (read) {
        await readCompletion(ctx, read);
        continue;
      }
      // Idle: look again in a second (a COMPLETE waits at most that long for its read to start).
      if (!ctx.keepPolling || ctx.now() + IDLE_READER_WAIT_MS >= ctx.pollUntil) return;
      await sleepUnlessAborted(IDLE_READER_WAIT_MS, ctx.signal);
    }
  };
  const readers: Promise<void>[] = [];
  for (const kind of TASK_KINDS) for (let i = 0; i < RESULT_READERS[kind]; i++) readers.push(reader(kind));
  await Promise.all(readers);
}

/** Attempts at storing one snapshot while only its incidents conflict (another sweep wrote one of the agent's meanwhile). */
const SNAPSHOT_ATTEMPTS = 3;

/**
 * Reads one completion to the end and records its snapshot (and its event and incident writes when something changed). `again`: the
 * read is of a host whose inventory changed without a new completion of the key (cwp's account-wide look), so the
 * event's id also names the snapshot it is compared with: one key version can then have several changes.
 */
export async function readCompletion(ctx: ResultsContext, read: PendingRead, again = false): Promise<boolean> {
  const { key } = read;
  let items: ResultItem[];
  let total: number;
  let requestId: string;
  try {
    ({ items, total, requestId } = await ctx.cwp.readResults(key.kind, key.uuid, { signal: ctx.signal, deadline: ctx.pollUntil }));
  } catch (e) {
    // Our deadline (the signal, or a call refused because the deadline passed): due again at once for the next
    // run, not counted. Anything else: later, whole again.
    const cutShort = ctx.signal.aborted || ctx.now() >= ctx.pollUntil;
    const retryAt = cutShort ? ctx.now() : ctx.now() + RESULT_RETRY_MS;
    if (!cutShort) {
      ctx.counts.failed++;
      ctx.log.warn('reading a collection\'s results failed; nothing stored, tried again later', { subject: keyId(key), ...(isTencentError(e) ? e.toLog() : { message: e instanceof Error ? e.message : String(e) }), retryAt: new Date(retryAt).toISOString() });
    }
    // The look's read has no pending read to give back: the next look finds the host again.
    if (!again) await ctx.store.releasePendingRead(read, retryAt);
    return false;
  }
  const takenAt = ctx.now();
  const latest: Snapshot = { uuid: key.uuid, kind: key.kind, takenAt, forVersion: read.forVersion, requestId, items: sortItems(key.kind, items) };
  const stored = await ctx.store.getSnapshot(key);
  const previous = stored ? decodeSnapshotRecord(stored.encoded).latest : null;
  const diff = previous ? diffSnapshots(key.kind, previous.items, latest.items) : null;
  const record: SnapshotRecord = { latest, previousTakenAt: previous?.takenAt ?? null, lastDiff: diff };
  let event: CloudEvent | null = null;
  if (previous && diff && !isEmptyDiff(diff)) {
    event = buildResultsChangedEvent({
      storeId: ctx.storeId, source: ctx.eventSource, uuid: key.uuid, kind: key.kind, ...diff, total, takenAt, previousTakenAt: previous.takenAt, requestId, forVersion: read.forVersion, machine: ctx.machineOf?.(key.uuid),
      ...(again ? { again: true } : {}),
    });
  }
  const encoded = encodeSnapshotRecord(record);
  let incidents: IncidentWrite[] = [];
  for (let attempt = 0; ; attempt++) {
    if (previous && event && ctx.incidents) incidents = await resultsIncidents(ctx.incidents, ctx, key.kind, key.uuid, previous.items, latest.items, event.id, takenAt);
    if (await ctx.store.recordSnapshot(key, stored?.takenAt ?? null, { encoded, takenAt }, read.forVersion, event, incidents)) break;
    // Another sweep stored a snapshot of this host meanwhile: its word stands. The same snapshot still stored
    // means an incident of the agent changed under us: decide again.
    if (incidents.length === 0 || attempt + 1 >= SNAPSHOT_ATTEMPTS || (await ctx.store.getSnapshot(key))?.takenAt !== stored?.takenAt) return false;
  }
  if (ctx.incidents) noteIncidentWrites(ctx.incidents.counts, ctx.log, incidents);
  ctx.counts.read++;
  if (event) {
    ctx.counts.diffs++;
    ctx.log.info(`${key.kind === 'port' ? 'ports' : 'processes'} changed`, { subject: keyId(key), added: diff!.addedCount, removed: diff!.removedCount, total, eventId: event.id });
    ctx.onChange();
  } else if (!previous) {
    ctx.log.info('baseline snapshot stored', { subject: keyId(key), total });
  }
  return true;
}

/** The incident writes of a results change (a port opened or gone, a suspicious process come or gone). */
async function resultsIncidents(incidents: IncidentSweepContext, ctx: ResultsContext, kind: TaskKind, uuid: string, previous: readonly ResultItem[], current: readonly ResultItem[], eventId: string, at: number): Promise<IncidentWrite[]> {
  const open = await incidents.store.openIncidentsOf(uuid);
  const { writes, notOpened } = incidentsForResultsChange(incidents.alerts, { uuid, kind, previous, current, eventId, at, machine: ctx.machineOf?.(uuid), open });
  if (notOpened > 0) ctx.log.warn('a collection added more items than one read opens incidents for; the rest are in its event only', { uuid, kind, opened: writes.filter((w) => w.expectedRevision === 0).length, notOpened });
  return writes;
}
