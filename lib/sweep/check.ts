// Checking one due key, and recording what the check found: the two steps every sweep worker repeats.
// Both work on a SweepContext, the few things of one sweep they share (the store, the client, the clock,
// the stop signal, the counters).
import type { Intervals } from '../config';
import { createHash } from 'node:crypto';
import { incidentsForStatusChange, type AlertContext } from '../alerts/rules';
import { InvalidUuidError, type CwpPort } from '../cwp/port';
import { isTencentError } from '../errors';
import { buildStatusChangedEvent } from '../events';
import type { Logger } from '../log';
import { keyId, type IncidentPort, type SchedulePort } from '../state/store';
import type { CallStats } from '../tencent/types';
import type { KeyRecord, MachineInfo, TaskObservation } from '../types';
import { noteIncidentWrites, type IncidentCounts } from './incidents';
import { nextDueAt, retryDueAt } from './schedule';

export interface SweepCounts {
  checked: number;
  changed: number;
  failed: number;
  /** Compare-and-set conflicts with another sweep (re-read and decided again). */
  conflicts: number;
  /** Scheduled collections (COLLECT_EVERY) started. */
  collectionsStarted: number;
}

/** What the checks of one sweep share. */
export interface SweepContext {
  /** The store's id (StorePort.identity), in every event id. */
  storeId: string;
  /** The CloudEvent source (EVENT_SOURCE). */
  eventSource: string;
  intervals: Intervals;
  store: Pick<SchedulePort, 'getRecord' | 'recordCheck' | 'recordChange'> & Pick<IncidentPort, 'openIncidentsOf'>;
  cwp: Pick<CwpPort, 'getTaskStatus' | 'createTask' | 'stopFor'>;
  /** COLLECT_EVERY in ms, or null: scheduled collections are off. */
  collectEveryMs: number | null;
  log: Logger;
  now: () => number;
  random: () => number;
  /** Aborted at the poll deadline or when the sweep must stop. */
  signal: AbortSignal;
  pollUntil: number;
  stats: CallStats;
  counts: SweepCounts;
  /** The incident rules' source and settings (lib/alerts), and what the sweep's incident writes added up to. */
  alerts: AlertContext;
  incidentCounts: IncidentCounts;
  /** A change was recorded: its event is in the outbox, ready to publish. */
  onChange(): void;
  /** What the machine listing knows of an agent's machine (WATCH_DISCOVER), for the events; undefined if unlisted. */
  machineOf(uuid: string): MachineInfo | undefined;
  /** Stops the sweep with this outcome (the first reason given wins). */
  fail(outcome: 'auth' | 'clock' | 'gone', message: string): void;
}

/**
 * Asks CWP for one key's status and records the answer: a check, a change, or a failed check. Returns false
 * when nothing was recorded because the sweep stopped first (its deadline, or another reason): the key's claim
 * must then be released, or it would wait out the whole lease.
 */
export async function checkKey(ctx: SweepContext, rec: KeyRecord): Promise<boolean> {
  const { intervals, store, log } = ctx;
  const key = { uuid: rec.uuid, kind: rec.kind };
  let obs: TaskObservation;
  try {
    // What the key last was goes with the call: a backend without per-host tasks (cwp) infers the state from it.
    obs = await ctx.cwp.getTaskStatus(rec.kind, rec.uuid, { signal: ctx.signal, deadline: ctx.pollUntil, stats: ctx.stats }, { state: rec.state, since: rec.since });
  } catch (e) {
    // The deadline (its signal, or a call refused because the deadline passed before the signal's timer could
    // fire on a busy event loop): not a failed check; the key stays due for the next run.
    if (ctx.signal.aborted || ctx.now() >= ctx.pollUntil) return false;
    // Errors no further call can get past stop the sweep at once, each with the backend's word on what to do.
    const stop = ctx.cwp.stopFor(e);
    if (stop) {
      log.error(stop.log, { ...errorDetail(e), fix: stop.fix });
      ctx.fail(stop.outcome, stop.message);
      return false;
    }
    ctx.counts.failed++;
    log.warn('check failed; the last known state stays', { subject: keyId(rec), ...errorDetail(e) });
    // A bad stored uuid will never succeed: push it far out. Anything else is retried soon.
    const due = e instanceof InvalidUuidError ? ctx.now() + intervals.unknownAgent * 1000 : retryDueAt(ctx.now(), intervals);
    await store.recordCheck({ key, observedAt: ctx.now(), nextDue: due });
    return true;
  }
  ctx.counts.checked++;
  if (obs.state === rec.state) {
    // A key whose scheduled collection is due starts one now (and is COLLECTING, in the hot lane, at once).
    const started = collectionDue(ctx, rec, obs.observedAt) ? await startScheduledCollection(ctx, rec) : null;
    if (started) await recordTransition(ctx, rec, started);
    else await store.recordCheck({ key, observedAt: obs.observedAt, nextDue: nextDueAt(obs.state, obs.observedAt, intervals, ctx.random) });
  } else {
    await recordTransition(ctx, rec, obs);
  }
  return true;
}

/** States in which an agent can take a new collection: it answers, and none is running. */
const COLLECTABLE: ReadonlySet<string> = new Set(['COMPLETE', 'FAILED', 'NO_TASK']);

/**
 * Whether a key's scheduled collection (COLLECT_EVERY) is due: the key's slot in this period has passed and its
 * state has not changed since (a collection started or finished after the slot counts as this period's). Each
 * key's slot is a fixed offset in the period, from a hash of its id, so a fleet's collections spread evenly.
 */
export function collectionDue(ctx: Pick<SweepContext, 'collectEveryMs'>, rec: KeyRecord, now: number): boolean {
  const period = ctx.collectEveryMs;
  if (period === null || !COLLECTABLE.has(rec.state ?? '') || rec.since === null) return false;
  return rec.since < slotStart(keyId(rec), now, period);
}

/** The start of `id`'s slot in the period that holds `now` (or the one before, if this one's slot is ahead). */
export function slotStart(id: string, now: number, period: number): number {
  const offset = createHash('sha256').update(id).digest().readUInt32BE(0) % period;
  return Math.floor((now - offset) / period) * period + offset;
}

/** Starts the key's scheduled collection; its observation (COLLECTING) is what to record, or null if CWP refused. */
async function startScheduledCollection(ctx: SweepContext, rec: KeyRecord): Promise<TaskObservation | null> {
  try {
    const { requestId } = await ctx.cwp.createTask(rec.kind, rec.uuid, { signal: ctx.signal, deadline: ctx.pollUntil, stats: ctx.stats });
    ctx.counts.collectionsStarted++;
    ctx.log.info('scheduled collection started', { subject: keyId(rec), every: ctx.collectEveryMs, requestId });
    return { uuid: rec.uuid, kind: rec.kind, state: 'COLLECTING', requestId, observedAt: ctx.now() };
  } catch (e) {
    if (!ctx.signal.aborted) ctx.log.warn('scheduled collection not started; tried again at the next check', { subject: keyId(rec), ...errorDetail(e) });
    return null;
  }
}

/** How the machine listing records a state: parked (re-checked only by the listing), due at `nextDue`. */
export interface TransitionOptions {
  nextDue: number;
  parked: boolean;
}

/** Attempts at recording one transition: conflicts come from another sweep on the key, or on the agent's incidents. */
const TRANSITION_ATTEMPTS = 5;

/**
 * Records a changed state with its event and the incident writes it makes (lib/alerts/rules.ts), exactly once:
 * compare-and-set on the key's version and on each incident's revision, in one step. A conflict means another
 * invocation wrote this key meanwhile, or an incident of the agent (its other kind's change, the clock); re-read
 * and decide again, a few times at most. Returns whether this call recorded it.
 */
export async function recordTransition(ctx: SweepContext, rec: KeyRecord, obs: TaskObservation, options?: TransitionOptions): Promise<boolean> {
  const { store } = ctx;
  const key = { uuid: rec.uuid, kind: rec.kind };
  let current = rec;
  for (let attempt = 0; attempt < TRANSITION_ATTEMPTS; attempt++) {
    const machine = ctx.machineOf(rec.uuid);
    const event = buildStatusChangedEvent({
      storeId: ctx.storeId, source: ctx.eventSource, uuid: rec.uuid, kind: rec.kind, previous: current.state, state: obs.state,
      version: current.version + 1, observedAt: obs.observedAt, requestId: obs.requestId, machine,
    });
    const open = await store.openIncidentsOf(rec.uuid);
    const incidents = incidentsForStatusChange(ctx.alerts, { uuid: rec.uuid, kind: rec.kind, state: obs.state, eventId: event.id, at: obs.observedAt, machine, open });
    const nextDue = options?.nextDue ?? nextDueAt(obs.state, obs.observedAt, ctx.intervals, ctx.random);
    const change = { key, expectedVersion: current.version, state: obs.state, requestId: obs.requestId, observedAt: obs.observedAt, nextDue, event, parked: options?.parked === true, incidents };
    if (await store.recordChange(change)) {
      ctx.counts.changed++;
      ctx.log.info('state changed', { subject: event.subject, previous: current.state, state: obs.state, eventId: event.id, ...(options?.parked ? { by: 'machine listing' } : {}) });
      noteIncidentWrites(ctx.incidentCounts, ctx.log, incidents);
      ctx.onChange();
      return true;
    }
    ctx.counts.conflicts++;
    const fresh = await store.getRecord(key);
    // Someone else recorded this very state, or holds a newer observation: nothing for us to add. (The same
    // version means the key did not move: an incident of the agent did, and the next attempt reads it again.)
    if (!fresh || fresh.state === obs.state || (fresh.lastChecked !== null && fresh.lastChecked > obs.observedAt)) return false;
    current = fresh;
  }
  return false;
}

/** A failed call for a log line: a TencentError's own fields (code, RequestId, action), else the message. */
export function errorDetail(e: unknown): Record<string, unknown> {
  return isTencentError(e) ? e.toLog() : { message: e instanceof Error ? e.message : String(e) };
}
