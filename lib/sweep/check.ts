// Checking one due key, and recording what the check found: the two steps every sweep worker repeats.
// Both work on a SweepContext, the few things of one sweep they share (the store, the client, the clock,
// the stop signal, the counters).
import type { Intervals } from '../config';
import { InvalidUuidError, type CwpClient } from '../cwp/client';
import { isTencentError } from '../errors';
import { buildStatusChangedEvent } from '../events';
import type { Logger } from '../log';
import { keyId, type SchedulePort } from '../state/store';
import type { CallStats } from '../tencent/types';
import type { KeyRecord, TaskObservation } from '../types';
import { nextDueAt, retryDueAt } from './schedule';

export interface SweepCounts {
  checked: number;
  changed: number;
  failed: number;
  /** Compare-and-set conflicts with another sweep (re-read and decided again). */
  conflicts: number;
}

/** What the checks of one sweep share. */
export interface SweepContext {
  /** The CloudEvent source (EVENT_SOURCE). */
  eventSource: string;
  intervals: Intervals;
  store: Pick<SchedulePort, 'getRecord' | 'recordCheck' | 'recordChange'>;
  cwp: Pick<CwpClient, 'getTaskStatus'>;
  log: Logger;
  now: () => number;
  random: () => number;
  /** Aborted at the poll deadline or when the sweep must stop. */
  signal: AbortSignal;
  pollUntil: number;
  stats: CallStats;
  counts: SweepCounts;
  /** A change was recorded: its event is in the outbox, ready to publish. */
  onChange(): void;
  /** Stops the sweep with this outcome (the first reason given wins). */
  fail(outcome: 'auth', message: string): void;
}

/** Asks CWP for one key's status and records the answer: a check, a change, or a failed check. */
export async function checkKey(ctx: SweepContext, rec: KeyRecord): Promise<void> {
  const { intervals, store, log } = ctx;
  const key = { uuid: rec.uuid, kind: rec.kind };
  let obs: TaskObservation;
  try {
    obs = await ctx.cwp.getTaskStatus(rec.kind, rec.uuid, { signal: ctx.signal, deadline: ctx.pollUntil, stats: ctx.stats });
  } catch (e) {
    if (ctx.signal.aborted) return; // the deadline: the key stays due for the next run
    if (isTencentError(e) && e.row.kind === 'auth') {
      log.error('CWP rejected our credentials; stopping the sweep: every further call would fail the same way', { ...e.toLog(), fix: 'check TENCENTCLOUD_SECRET_ID/KEY or the execution role and its yunjing permissions' });
      ctx.fail('auth', `${e.code}: ${e.message}`);
      return;
    }
    ctx.counts.failed++;
    const detail = isTencentError(e) ? e.toLog() : { message: e instanceof Error ? e.message : String(e) };
    log.warn('check failed; the last known state stays', { subject: keyId(rec), ...detail });
    // A bad stored uuid will never succeed: push it far out. Anything else is retried soon.
    const due = e instanceof InvalidUuidError ? ctx.now() + intervals.unknownAgent * 1000 : retryDueAt(ctx.now(), intervals);
    await store.recordCheck({ key, observedAt: ctx.now(), nextDue: due });
    return;
  }
  ctx.counts.checked++;
  if (obs.state === rec.state) {
    await store.recordCheck({ key, observedAt: obs.observedAt, nextDue: nextDueAt(obs.state, obs.observedAt, intervals, ctx.random) });
  } else {
    await recordTransition(ctx, rec, obs);
  }
}

/**
 * Records a changed state with its event, exactly once: compare-and-set on the key's version. A conflict means
 * another invocation wrote this key meanwhile; re-read and decide again, a few times at most.
 */
export async function recordTransition(ctx: SweepContext, rec: KeyRecord, obs: TaskObservation): Promise<void> {
  const { store } = ctx;
  const key = { uuid: rec.uuid, kind: rec.kind };
  let current = rec;
  for (let attempt = 0; attempt < 3; attempt++) {
    const event = buildStatusChangedEvent({
      source: ctx.eventSource, uuid: rec.uuid, kind: rec.kind, previous: current.state, state: obs.state,
      version: current.version + 1, observedAt: obs.observedAt, requestId: obs.requestId,
    });
    const nextDue = nextDueAt(obs.state, obs.observedAt, ctx.intervals, ctx.random);
    if (await store.recordChange({ key, expectedVersion: current.version, state: obs.state, requestId: obs.requestId, observedAt: obs.observedAt, nextDue, event })) {
      ctx.counts.changed++;
      ctx.log.info('state changed', { subject: event.subject, previous: current.state, state: obs.state, eventId: event.id });
      ctx.onChange();
      return;
    }
    ctx.counts.conflicts++;
    const fresh = await store.getRecord(key);
    // Someone else recorded this very state, or holds a newer observation: nothing for us to add.
    if (!fresh || fresh.state === obs.state || (fresh.lastChecked !== null && fresh.lastChecked > obs.observedAt)) return;
    current = fresh;
  }
}
