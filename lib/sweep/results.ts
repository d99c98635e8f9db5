// Reading what a finished collection found: for each pending read (a key that became COMPLETE, marked by the
// store), the host's items as the CWP backend reads them (lib/cwp/port.ts readResults; yunjing: every page of
// DescribeProcesses / DescribeOpenPorts), made a snapshot, compared with the host's previous one, and stored with
// its ports.changed / processes.changed event in one compare-and-set. A read that fails part-way stores nothing
// (no partial snapshot) and is tried again later. The first snapshot of a host is its baseline: stored and shown
// by the API, not published, so connecting a fleet sends no flood.
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

/**
 * Reads one completion to the end and records its snapshot (and its event when something changed). `again`: the
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
  // A conflict means another sweep stored a snapshot of this host meanwhile: its word stands.
  if (!(await ctx.store.recordSnapshot(key, stored?.takenAt ?? null, { encoded: encodeSnapshotRecord(record), takenAt }, read.forVersion, event))) return false;
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
