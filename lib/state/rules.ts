// The rules every state store must agree on, written once. The local stores (local/store.ts) call these
// functions; the Redis store calls them where it works in TypeScript, and its Lua scripts (redis/scripts.ts)
// restate them, each script naming in `restates` the rules it follows; "(Lua: x)" below names where. The
// contract suite and the differential test (test/contract/) keep the stores equal.
import type { DeadLetter, Delivery, KeyRecord, MachineInfo, OutboxEntry, StoreReset, TaskKey, TaskKind, TaskState, Watch } from '../types';
import type { Incident, IncidentPage, IncidentQuery, IncidentState, IncidentWrite } from '../alerts/types';

// ------------------------------------------------------------------------------------------- keys and lanes

/** The store key of a (uuid, kind): `<uuid>/<kind>`, also the BridgeEvent subject. */
export function keyId(key: TaskKey): string {
  return `${key.uuid}/${key.kind}`;
}

export function parseKeyId(id: string): TaskKey {
  const slash = id.lastIndexOf('/');
  return { uuid: id.slice(0, slash), kind: id.slice(slash + 1) as TaskKind };
}

/**
 * The sweep's two priority lanes of a kind's schedule: `hot` holds keys never observed (state null) or
 * COLLECTING, where the next change is expected; `cold` holds every other state. A key moves between lanes
 * when its state changes. (Lua: the laneOf fragment.)
 */
export type Lane = 'hot' | 'cold';
export const LANES: readonly Lane[] = ['hot', 'cold'];

export function laneOf(state: TaskState | null): Lane {
  return state === null || state === 'COLLECTING' ? 'hot' : 'cold';
}

// ------------------------------------------------------------------------------------------------- records

/** The record of a key never observed: version 0, no state. (Lua: the blankRecord fragment.) */
export function blankRecord(key: TaskKey, nextDue: number, lastChecked: number | null = null): KeyRecord {
  return { uuid: key.uuid, kind: key.kind, state: null, version: 0, since: null, lastChecked, nextDue, requestId: null };
}

/**
 * `since` after a recorded change: kept when the state is the one already held (a conflict retried by a
 * racing sweep), else the time of this observation. (Lua: change.)
 */
export function sinceAfterChange(previous: Pick<KeyRecord, 'state' | 'since'> | null, state: TaskState, observedAt: number): number {
  return previous && previous.state === state && previous.since !== null ? previous.since : observedAt;
}

// ---------------------------------------------------------------------------------------------- deliveries

/** A delivery not tried yet: what a first claim starts from. (Lua: claimDelivery.) */
export function untriedDelivery(now: number): Delivery {
  return { status: 'pending', attempts: 0, nextAttemptAt: now, lastError: null, finishedAt: null };
}

/**
 * Whether a drain may claim a delivery now: it is untried, or pending, due (nextAttemptAt <= now) and not
 * claimed by another drain past `now`. The drain's own pre-check and every store's claim use this. (Lua: claimDelivery.)
 */
export function canClaimDelivery(d: Delivery | undefined, now: number): boolean {
  return d === undefined || (d.status === 'pending' && d.nextAttemptAt <= now && (d.claimedUntil ?? 0) <= now);
}

/** The delivery as a claim leaves it: unchanged but for its lease. */
export function claimedDelivery(d: Delivery | undefined, now: number, leaseMs: number): Delivery {
  return { ...(d ?? untriedDelivery(now)), claimedUntil: now + leaseMs };
}

// ------------------------------------------------------------------------------------------------ replay

/** Dead letters are keyed by (event id, sink id): a second letter for the pair replaces the first. */
export function deadLetterId(eventId: string, sinkId: string): string {
  return `${eventId}\n${sinkId}`;
}

/**
 * The outbox entry after replaying a dead letter: merged into the event's entry if it is still in the outbox
 * (the sink joins its targets, its delivery starts afresh), else a new entry targeted at that sink only,
 * appended at the end. Returns the entry to store; `existing` is not modified. (Lua: replay.)
 */
export function replayedEntry(existing: OutboxEntry | undefined, letter: DeadLetter, now: number): OutboxEntry {
  if (!existing) return { event: letter.event, createdAt: now, targets: [letter.sinkId], deliveries: {} };
  const deliveries = { ...existing.deliveries };
  delete deliveries[letter.sinkId];
  const targets = existing.targets && !existing.targets.includes(letter.sinkId) ? [...existing.targets, letter.sinkId] : existing.targets;
  return { ...existing, targets, deliveries };
}

// ------------------------------------------------------------------------------------------------- watches

/** A watch put through the API: its kinds replaced (deduplicated), its first addedAt kept. */
export function putWatchRecord(previous: Watch | null, uuid: string, kinds: TaskKind[], now: number): Watch {
  return { uuid, kinds: [...new Set(kinds)], source: 'api', addedAt: previous?.addedAt ?? now };
}

/** Stored watches are listed by uuid. */
export function compareWatches(a: Watch, b: Watch): number {
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}

/**
 * The watch list the sweep polls and the API shows: WATCH_UUIDS first (source env, read-only, in their
 * order), then the stored watches by uuid, then the machines discovery found that neither names (source
 * discovered, WATCH_KINDS), by uuid. An API watch on an env agent adds its kinds to the env entry, which stays
 * the source of truth for deletion. A listed machine's details go on its watch, whatever the source.
 * `machines` is empty when WATCH_DISCOVER is off: what an earlier discovery found is then not watched.
 */
export function mergeWatchLists(envUuids: readonly string[], envKinds: readonly TaskKind[], stored: readonly Watch[], machines: readonly MachineInfo[] = []): Watch[] {
  const byUuid = new Map<string, Watch>();
  for (const uuid of envUuids) byUuid.set(uuid, { uuid, kinds: [...envKinds], source: 'env', addedAt: null });
  for (const w of stored) {
    const env = byUuid.get(w.uuid);
    if (env) env.kinds = [...new Set([...env.kinds, ...w.kinds])];
    else byUuid.set(w.uuid, w);
  }
  const discovered: Watch[] = [];
  for (const m of machines) {
    const w = byUuid.get(m.uuid);
    if (w) w.machine = m;
    else discovered.push({ uuid: m.uuid, kinds: [...envKinds], source: 'discovered', addedAt: m.firstSeenAt, machine: m });
  }
  discovered.sort(compareWatches);
  return [...byUuid.values(), ...discovered];
}

// ----------------------------------------------------------------------------------------------- the fleet

/** A machine listed again: its details replaced, its first sighting kept. (Redis: HSETNX in putMachines.) */
export function mergeMachine(previous: MachineInfo | null, listed: MachineInfo): MachineInfo {
  return { ...listed, firstSeenAt: previous ? Math.min(previous.firstSeenAt, listed.firstSeenAt) : listed.firstSeenAt };
}

/**
 * Whether a machine is to be forgotten when listing `completed` ends: it was not in that listing nor in the one
 * before (its last listing is at or before completed - 2). forgetMachine is called with lastListing =
 * completed - 2, and applies only while that still holds (Lua: forgetMachine).
 */
export function isForgotten(machine: Pick<MachineInfo, 'seenInListing'>, lastListing: number): boolean {
  return machine.seenInListing <= lastListing;
}

// ------------------------------------------------------------------------------------------- spare budget

/**
 * The spare-budget order (claimIdleKeys): least recently checked first, never checked (0) before all, ties by
 * key id; only scheduled, unparked keys that are neither due nor claimed. A key taken counts as checked when it
 * was taken, until its check is recorded. Redis keeps the order as a zset per kind (Lua: claimIdle); memory and
 * file find it by a scan of their records.
 */
export function idleScore(record: Pick<KeyRecord, 'lastChecked'>): number {
  return record.lastChecked ?? 0;
}

/** A key is left out of the spare-budget order while parked (KeyRecord.parked). */
export function isIdleCandidate(record: Pick<KeyRecord, 'parked'>): boolean {
  return record.parked !== true;
}

// ------------------------------------------------------------------------------------------- result reads

/** A change to COMPLETE makes the results of that completion due to be read (Lua: change). */
export function readPendingAfter(state: TaskState): boolean {
  return state === 'COMPLETE';
}

/** Whether a claim of a pending read still stands when its reader comes to clear or release it. */
export function isSameRead(stored: { forVersion: number } | undefined, forVersion: number): boolean {
  return stored !== undefined && stored.forVersion === forVersion;
}

// ----------------------------------------------------------------------------------------------- retention

/**
 * When a key left the watch list (the `left` index of each store, by key id), so FORGET_AFTER later its
 * record, snapshot and pending read are forgotten (purgeUnwatched) without a scan of everything. syncSchedule
 * marks the keys it unschedules and unmarks the keys it schedules; a write to a key that is not scheduled (a late
 * check of a key just unwatched) marks it too, unless it is marked already: nothing unscheduled is kept for ever.
 * (Lua: unschedule in syncSchedule's removal, markLeft.)
 */
export function leftAtAfterWrite(scheduled: boolean, marked: number | undefined, at: number): number | undefined {
  return scheduled ? undefined : (marked ?? at);
}

/**
 * Which marked keys a purge forgets: left at or before `leftBefore`, earliest first (ties by key id), at most
 * `limit`. (Lua: purgeUnwatched.)
 */
export function keysToForget(left: Iterable<[string, number]>, leftBefore: number, limit: number): string[] {
  const due: Array<[string, number]> = [];
  for (const [id, at] of left) if (at <= leftBefore) due.push([id, at]);
  due.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return due.slice(0, Math.max(0, limit)).map(([id]) => id);
}

/**
 * Which dead letters retention drops, at most `limit`: first those dead before `deadBefore`, oldest deadAt first
 * (ties by letter id); then, sink by sink (in sinkId order), each sink's oldest in order of addition beyond
 * `maxPerSink`. `letters` is in order of addition. (Lua: expireDeadLetters.)
 */
export function deadLettersToExpire(letters: ReadonlyArray<{ id: string; sinkId: string; deadAt: number }>, deadBefore: number, maxPerSink: number, limit: number): string[] {
  const out: string[] = [];
  const old = letters.filter((l) => l.deadAt < deadBefore).sort((a, b) => a.deadAt - b.deadAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const l of old.slice(0, Math.max(0, limit))) out.push(l.id);
  const gone = new Set(out);
  const bySink = new Map<string, string[]>();
  for (const l of letters) {
    if (gone.has(l.id)) continue;
    let list = bySink.get(l.sinkId);
    if (!list) bySink.set(l.sinkId, (list = []));
    list.push(l.id);
  }
  for (const sinkId of [...bySink.keys()].sort()) {
    const list = bySink.get(sinkId)!;
    const excess = Math.min(list.length - maxPerSink, limit - out.length);
    if (excess > 0) out.push(...list.slice(0, excess));
  }
  return out;
}

/** Which dead letters a discard takes: all (null), those of these events, or those of these sinks. */
export type DeadLetterFilter = null | { eventIds: readonly string[] } | { sinkIds: readonly string[] };

export function isDiscarded(letter: { event: { id: string }; sinkId: string }, filter: DeadLetterFilter): boolean {
  if (filter === null) return true;
  return 'eventIds' in filter ? filter.eventIds.includes(letter.event.id) : filter.sinkIds.includes(letter.sinkId);
}

// ------------------------------------------------------------------------------------------ store identity

/**
 * A second notice of the same reset (another instance that also saw the store before) keeps the first one's time
 * and fills in what it did not know; a reset of another store replaces it. (Lua: recordReset.)
 */
export function mergedReset(stored: StoreReset | null, incoming: StoreReset): StoreReset {
  if (!stored || stored.storeId !== incoming.storeId) return incoming;
  return {
    ...stored,
    lost: {
      apiWatches: stored.lost.apiWatches ?? incoming.lost.apiWatches,
      outbox: stored.lost.outbox ?? incoming.lost.outbox,
      deadLetters: stored.lost.deadLetters ?? incoming.lost.deadLetters,
    },
  };
}

// ----------------------------------------------------------------------------------------------- incidents

export { incidentDueAt } from '../alerts/rules';

/**
 * Whether an incident write applies to what is stored: the stored revision of its key is the one it was computed
 * from (0: none stored), and a new incident's subject has no open incident. Every write of a step must apply, or
 * none is made. (Lua: the incidents fragment.)
 */
export function incidentWriteApplies(stored: Pick<Incident, 'revision'> | undefined, openKeyOfSubject: string | undefined, write: Pick<IncidentWrite, 'expectedRevision'>): boolean {
  if ((stored?.revision ?? 0) !== write.expectedRevision) return false;
  return write.expectedRevision !== 0 || openKeyOfSubject === undefined;
}

/** A page of GET /v1/incidents looks at no more incidents than this (filters that match few end a page early). */
export const INCIDENT_SCAN_MAX = 1000;

/** Where a listing is: the last incident it looked at, in newest-first order (openedAt, then key, descending). */
export interface IncidentPosition {
  openedAt: number;
  key: string;
}

/** A cursor that is not one the store wrote. */
export class BadCursorError extends Error {
  override readonly name = 'BadCursorError';
}

export function encodeIncidentCursor(p: IncidentPosition): string {
  return Buffer.from(JSON.stringify([p.openedAt, p.key])).toString('base64url');
}

export function decodeIncidentCursor(cursor: string): IncidentPosition {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string') return { openedAt: v[0] as number, key: v[1] };
  } catch {
    // answered below
  }
  throw new BadCursorError('cursor is not one this API gave; start without it');
}

/** Whether `p` comes after `cursor` in newest-first order (so belongs to the next page). */
export function isAfterCursor(p: IncidentPosition, cursor: IncidentPosition | null): boolean {
  return cursor === null || p.openedAt < cursor.openedAt || (p.openedAt === cursor.openedAt && p.key < cursor.key);
}

/** Newest first: openedAt, then key, descending. */
export function compareIncidentsNewestFirst(a: IncidentPosition, b: IncidentPosition): number {
  return b.openedAt - a.openedAt || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0);
}

/** Which index a listing walks: an agent's incidents, one state's, or all. The other filters are checked as it walks. */
export type IncidentIndex = { by: 'uuid'; uuid: string } | { by: 'state'; state: IncidentState } | { by: 'all' };

export function incidentIndexOf(q: Pick<IncidentQuery, 'uuid' | 'state'>): IncidentIndex {
  if (q.uuid !== undefined) return { by: 'uuid', uuid: q.uuid };
  if (q.state !== undefined) return { by: 'state', state: q.state };
  return { by: 'all' };
}

export function matchesIncidentQuery(i: Pick<Incident, 'state' | 'type' | 'agent'>, q: Pick<IncidentQuery, 'uuid' | 'state' | 'type'>): boolean {
  return (q.state === undefined || i.state === q.state) && (q.type === undefined || i.type === q.type) && (q.uuid === undefined || i.agent.uuid === q.uuid);
}

/**
 * One page of a listing: offered the incidents of its index newest first, after the cursor, it keeps up to `limit`
 * matches among at most INCIDENT_SCAN_MAX looked at. `offer` answers false once the page is done (that incident is
 * then the first of the next page); the page has a nextCursor only if it stopped so.
 */
export class IncidentPager {
  private readonly found: Incident[] = [];
  private looked = 0;
  private last: Incident | null = null;
  private stopped = false;

  constructor(private readonly query: IncidentQuery) {}

  offer(i: Incident): boolean {
    if (this.found.length >= this.query.limit || this.looked >= INCIDENT_SCAN_MAX) {
      this.stopped = true;
      return false;
    }
    this.looked++;
    this.last = i;
    if (matchesIncidentQuery(i, this.query)) this.found.push(i);
    return true;
  }

  page(): IncidentPage {
    return { incidents: this.found, nextCursor: this.stopped && this.last ? encodeIncidentCursor(this.last) : null };
  }
}

/** The order QuietPort.listQuietRules gives each kind's rules in: oldest first, ties by id. */
export function compareQuietRules(a: { createdAt: number; id: string }, b: { createdAt: number; id: string }): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
