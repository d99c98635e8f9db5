// The account's scan, on a backend that scans many hosts at once (cwp: AccountScanPort, lib/cwp/port.ts). Beside the
// status workers and the result readers, every SCAN_ROUND_MS until the deadline:
// 1. follow the scan: a change of its state (SyncAssetScan, the read the status checks share) is recorded once, as
//    scan.status.changed, by compare-and-set on the store's `scan` register (RegisterPort), so overlapping sweeps
//    publish it once;
// 2. COLLECT_EVERY: at the start of each period (one start for the whole fleet: cwp runs one scan at a time, so the
//    slots yunjing spreads over the period would refuse each other), the due keys are started as one scan and
//    recorded COLLECTING; a scan already running (the console, another sweep) makes it wait for the next round;
// 3. the look: the account's inventory of each watched kind, newest first, paged only until an item the last look
//    (or the host's last read) already covered; a watched host with an item its snapshot lacks is read whole and
//    compared, publishing ports.changed / processes.changed as a completion's read does. A quiet fleet costs one
//    request per look and kind.
import type { AccountScanPort, CwpPort } from '../cwp/port';
import { buildScanStatusChangedEvent } from '../events';
import { identityOf } from '../results/items';
import { decodeSnapshotRecord } from '../results/snapshot';
import { keyId, type Register, type RegisterPort, type ResultsPort, type SchedulePort } from '../state/store';
import { sleepUnlessAborted } from '../util/abort';
import { SCAN_STATES, type AccountScan, type KeyRecord, type ScanState, type TaskKey, type TaskKind } from '../types';
import { errorDetail, recordTransition, type SweepContext } from './check';
import { readCompletion, type ResultsContext } from './results';

/** The store's register (RegisterPort) of the last published scan state: `<taskId> <state>`. */
export const SCAN_REGISTER = 'scan';

/** How often the scan is followed, a period's collections are tried, and the inventory is looked at. */
export const SCAN_ROUND_MS = 3_000;
/** After a round that failed (a throttled or faulty answer), the next comes sooner. */
export const SCAN_RETRY_MS = 1_000;
/** The last round starts this long before the sweep's deadline, to have time for the reads it finds. */
const LAST_ROUND_MS = 1_000;
/** The most pages one look reads of a kind (100 items each): a backlog past it waits for the hosts' own collections. */
export const MAX_LOOK_PAGES = 10;
/** An item first seen this close before a host's last read may not be in it (CWP's times have whole seconds). */
export const LOOK_SEEN_MARGIN_MS = 2_000;
/** Hosts read at once by one look. */
const LOOK_READERS = 4;

const COLLECTABLE: ReadonlySet<string> = new Set(['COMPLETE', 'FAILED', 'NO_TASK']);
const STATE_RANK: Record<ScanState, number> = { NOTASK: 0, SYNCING: 1, FINISHED: 2 };

export interface ScanCounts {
  /** scan.status.changed events recorded. */
  changes: number;
  /** Scans started for COLLECT_EVERY, and the keys they cover. */
  scansStarted: number;
  keysStarted: number;
  /** Pages of the newest-first inventory read, and hosts read whole because of them. */
  lookPages: number;
  hostsRead: number;
}

export interface ScanDeps {
  cwp: AccountScanPort & Pick<CwpPort, 'stopFor'>;
  store: Pick<SchedulePort, 'getRecord' | 'getRecords' | 'recordChange'> & Pick<ResultsPort, 'getSnapshot'> & RegisterPort;
  /** The watched keys (env, API and discovered watches). */
  watched: readonly TaskKey[];
  /** COLLECT_EVERY in ms, or null. */
  collectEveryMs: number | null;
  /** The sweep's context (recordTransition, its clock, log, deadline and stop). */
  ctx: SweepContext;
  /** The result readers' context: a look's read records its snapshot and event as a completion's does. */
  results: ResultsContext;
  keepPolling: boolean;
}

/** Per backend (so per runtime instance): the newest first-seen time each kind's last look went through. */
const lookedUntil = new WeakMap<object, Map<TaskKind, number>>();

export async function runAccountScan(deps: ScanDeps): Promise<ScanCounts> {
  const counts: ScanCounts = { changes: 0, scansStarted: 0, keysStarted: 0, lookPages: 0, hostsRead: 0 };
  const { ctx } = deps;
  const kinds = [...new Set(deps.watched.map((k) => k.kind))];
  const watched = new Set(deps.watched.map(keyId));
  // The period whose collections this sweep has started (or found none due): checked again when the period turns.
  let periodDone: number | null = null;
  // Recording a period's keys COLLECTING (thousands, with their events) goes on while the rounds follow the scan.
  const recordings: Array<Promise<void>> = [];
  while (!ctx.signal.aborted && ctx.now() < ctx.pollUntil) {
    let wait = SCAN_ROUND_MS;
    try {
      const scan = await deps.cwp.scanState({ signal: ctx.signal, deadline: ctx.pollUntil, stats: ctx.stats });
      if (await followScan(deps, scan)) counts.changes++;
      const period = deps.collectEveryMs;
      if (period !== null) {
        const slot = Math.floor(ctx.now() / period) * period;
        if (periodDone !== slot) {
          const started = await startDueCollections(deps, scan, slot, counts);
          if (started.settled) periodDone = slot;
          if (started.recording) recordings.push(started.recording.catch((e: unknown) => ctx.log.warn('recording scheduled collections failed', errorDetail(e))));
        }
      }
      for (const kind of kinds) await look(deps, kind, watched, counts);
    } catch (e) {
      if (ctx.signal.aborted) break;
      const stop = deps.cwp.stopFor(e);
      if (stop) {
        ctx.log.error(stop.log, { ...errorDetail(e), fix: stop.fix });
        ctx.fail(stop.outcome, stop.message);
        break;
      }
      ctx.log.warn('the account\'s scan could not be followed this round; tried again in a second', errorDetail(e));
      wait = SCAN_RETRY_MS;
    }
    if (!deps.keepPolling) break;
    // A round that would come after the deadline comes just before it instead: a sweep shorter than a round, or one
    // whose first round was slow, still looks again before it ends.
    const left = ctx.pollUntil - ctx.now();
    if (left <= LAST_ROUND_MS) break;
    await sleepUnlessAborted(Math.min(wait, left - LAST_ROUND_MS), ctx.signal);
  }
  await Promise.all(recordings);
  return counts;
}

/** The register's value for a scan state, and back. */
function registerValue(scan: Pick<AccountScan, 'taskId' | 'state'>): string {
  return `${scan.taskId} ${scan.state}`;
}

function parseRegister(register: Register | null): { taskId: number; state: ScanState } | null {
  const m = /^(\d+) (\w+)$/.exec(register?.value ?? '');
  if (!m || !(SCAN_STATES as readonly string[]).includes(m[2]!)) return null;
  return { taskId: Number(m[1]), state: m[2] as ScanState };
}

/**
 * Records a change of the account's scan with its event, once: a state older than the one recorded (a sweep whose
 * read is a moment behind another's) is not a change. Returns whether this call recorded one.
 */
export async function followScan(deps: Pick<ScanDeps, 'store' | 'ctx'>, scan: AccountScan): Promise<boolean> {
  const { store, ctx } = deps;
  for (let attempt = 0; attempt < 3; attempt++) {
    const register = await store.getRegister(SCAN_REGISTER);
    const last = parseRegister(register);
    // Nothing to say of an account that has never scanned.
    if (!last && scan.state === 'NOTASK') return false;
    if (last && (scan.taskId < last.taskId || (scan.taskId === last.taskId && STATE_RANK[scan.state] <= STATE_RANK[last.state]))) return false;
    const event = buildScanStatusChangedEvent({
      storeId: ctx.storeId, source: ctx.eventSource, taskId: scan.taskId, state: scan.state, previous: last?.state ?? null, startedAt: scan.startedAt, endedAt: scan.endedAt,
      observedAt: scan.observedAt, requestId: scan.requestId,
    });
    const recorded = await store.putRegister(SCAN_REGISTER, register?.version ?? 0, registerValue(scan), event);
    if (recorded) {
      ctx.log.info('the account\'s asset scan changed', { taskId: scan.taskId, previous: last?.state ?? null, state: scan.state, eventId: event.id });
      ctx.onChange();
      return true;
    }
    ctx.counts.conflicts++;
  }
  return false;
}

/** Keys recorded COLLECTING at once by a period's start. */
const RECORDERS = 16;

/**
 * COLLECT_EVERY on an account-scanning backend: the watched keys in a state that can take a collection and unchanged
 * since this period's start are started as one scan. `settled`: the period is done (started, or nothing due); false
 * while the account's scan runs, and the next round tries again. `recording`: the keys being recorded COLLECTING,
 * each as of the moment before ScanAsset, so however long a large batch takes to record, each key waits for this scan.
 */
async function startDueCollections(deps: ScanDeps, scan: AccountScan, slot: number, counts: ScanCounts): Promise<{ settled: boolean; recording: Promise<void> | null }> {
  const { ctx, store } = deps;
  if (scan.state === 'SYNCING') return { settled: false, recording: null };
  const records = await store.getRecords([...deps.watched]);
  const due: KeyRecord[] = [];
  for (const rec of records) if (rec && COLLECTABLE.has(rec.state ?? '') && rec.since !== null && rec.since < slot) due.push(rec);
  if (due.length === 0) return { settled: true, recording: null };
  const observedAt = ctx.now();
  let started;
  try {
    started = await deps.cwp.startCollections(due.map((r) => ({ uuid: r.uuid, kind: r.kind })), { signal: ctx.signal, deadline: ctx.pollUntil, stats: ctx.stats });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    // Another sweep, or the console, started a scan first: this period's keys go in once it has finished.
    ctx.log.warn('scheduled collections not started this round; tried again in a few seconds', { due: due.length, ...errorDetail(e) });
    return { settled: false, recording: null };
  }
  if (started.started.length === 0) return { settled: true, recording: null };
  counts.scansStarted++;
  counts.keysStarted += started.started.length;
  ctx.counts.collectionsStarted += started.started.length;
  ctx.log.info('scheduled collections started as one scan', { taskId: started.taskId, keys: started.started.length, refused: started.refused.length, every: deps.collectEveryMs, requestId: started.requestId });
  const byId = new Map(due.map((r) => [keyId(r), r]));
  const pending = [...started.started];
  const recorder = async () => {
    for (let key = pending.shift(); key !== undefined; key = pending.shift()) {
      const rec = byId.get(keyId(key));
      if (rec) await recordTransition(ctx, rec, { uuid: key.uuid, kind: key.kind, state: 'COLLECTING', requestId: started.requestId, observedAt });
    }
  };
  const recording = Promise.all(Array.from({ length: Math.min(RECORDERS, pending.length) }, recorder)).then(() => undefined);
  return { settled: true, recording };
}

/** A host's snapshot as the look compares it: when it was taken, and the identities of its items. */
interface Seen {
  takenAt: number;
  identities: Set<string>;
}

/** The look of one kind: newest items first, until one already covered; hosts with an item they lack are read whole. */
async function look(deps: ScanDeps, kind: TaskKind, watched: ReadonlySet<string>, counts: ScanCounts): Promise<void> {
  const { ctx, cwp, store } = deps;
  let marks = lookedUntil.get(cwp);
  if (!marks) lookedUntil.set(cwp, (marks = new Map()));
  const until = marks.get(kind) ?? null;
  const seen = new Map<string, Seen | null>();
  const toRead = new Set<string>();
  let newest: number | null = null;
  let offset: number | null = 0;
  for (let page = 0; page < MAX_LOOK_PAGES && offset !== null; page++) {
    const read = await cwp.readNewestItems(kind, offset, { signal: ctx.signal, deadline: ctx.pollUntil, stats: ctx.stats });
    counts.lookPages++;
    let covered = false;
    for (const item of read.items) {
      newest = Math.max(newest ?? item.firstSeenAt, item.firstSeenAt);
      // The last look (of this instance) went through everything this old.
      if (until !== null && item.firstSeenAt + LOOK_SEEN_MARGIN_MS <= until) {
        covered = true;
        break;
      }
      const key = { uuid: item.uuid, kind };
      if (!watched.has(keyId(key))) continue;
      let host = seen.get(item.uuid);
      if (host === undefined) {
        const stored = await store.getSnapshot(key);
        host = stored ? { takenAt: stored.takenAt, identities: new Set(decodeSnapshotRecord(stored.encoded).latest.items.map((i) => identityOf(kind, i))) } : null;
        seen.set(item.uuid, host);
      }
      // A host without a baseline is read by its own first completion, not here.
      if (!host) continue;
      if (!host.identities.has(identityOf(kind, item.item))) toRead.add(item.uuid);
      // Older than the host's last read, and in it: what comes after it is older still, and was looked at then.
      else if (item.firstSeenAt + LOOK_SEEN_MARGIN_MS <= host.takenAt) {
        covered = true;
        break;
      }
    }
    if (covered) break;
    offset = read.nextOffset;
  }
  const hosts = [...toRead];
  const reader = async () => {
    for (let uuid = hosts.shift(); uuid !== undefined; uuid = hosts.shift()) {
      const rec = await store.getRecord({ uuid, kind });
      if (!rec) continue;
      if (await readCompletion(deps.results, { key: { uuid, kind }, forVersion: rec.version }, true)) counts.hostsRead++;
    }
  };
  const failedBefore = deps.results.counts.failed;
  await Promise.all(Array.from({ length: Math.min(LOOK_READERS, hosts.length) }, reader));
  // Only a look whose reads all went through moves on: otherwise the next look finds those items again.
  if (newest !== null && (until === null || newest > until) && deps.results.counts.failed === failedBefore) marks.set(kind, newest);
}
