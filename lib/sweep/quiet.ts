// The sweep's part in the quiet rules (lib/alerts/quiet.ts): read them once at its start (the store's and
// ALERT_MAINTENANCE's windows) for every incident write of the sweep to be matched against in memory; notify the
// firing incidents a silence or window held back and none holds back any longer (a silence ended or was deleted, a
// window closed); say once in the log that a silence ended and, when it held anything back, tell the chat robots in
// one digest line (a notice in the outbox, appended by the same store step that marks the end said: exactly once,
// even when everything it held back resolved meanwhile and so no released firing speaks of it); and add the hits
// it counted to the store at its end.
import { Quiet } from '../alerts/quiet';
import { releaseIncident } from '../alerts/rules';
import type { QuietRules } from '../alerts/types';
import type { Config } from '../config/core';
import type { Logger } from '../log';
import type { IncidentPort, QuietPort } from '../state/store';
import type { MachineInfo } from '../types';
import { buildSilenceEndedNotice } from '../events/silence-ended';
import { noteIncidentWrites, type IncidentSweepContext } from './incidents';

/** Firing incidents a sweep looks at for a release, a page at a time, and at most this many per sweep. */
export const RELEASE_PAGE = 200;
export const RELEASE_PER_SWEEP = 5_000;
/**
 * How long after a silence ended its held-back incidents are still looked for (a sweep runs every minute, so the
 * first after the end releases them; this covers a deployment that was down meanwhile).
 */
export const RELEASE_LOOKBACK_MS = 24 * 3_600_000;

export type QuietSweepStore = Pick<QuietPort, 'listQuietRules' | 'addQuietHits' | 'noticeSilenceEnded' | 'deleteQuietRule'> & Pick<IncidentPort, 'listIncidents' | 'applyIncidents' | 'getIncident'>;

/** The quiet rules of this sweep: the store's, with ALERT_MAINTENANCE's windows first; tags from the machine listing. */
export async function loadQuietRules(store: Pick<QuietPort, 'listQuietRules'>, config: Pick<Config, 'alerts'>, machines: ReadonlyMap<string, MachineInfo>): Promise<{ rules: QuietRules; quiet: Quiet }> {
  const stored = await store.listQuietRules();
  const configured = (config.alerts.maintenance ?? []).map((w) => ({ ...w, hits: 0, lastHitAt: null }));
  const rules: QuietRules = { ...stored, windows: [...configured, ...stored.windows] };
  return { rules, quiet: new Quiet(rules, (uuid) => machines.get(uuid)?.tags ?? []) };
}

/**
 * How many firing incidents whose firing is still unsent (held back, or released by this pass) each silence that
 * ended and whose end is not yet said held back, as the release pass found them; `complete` false when the pass did
 * not look at every firing incident (it stopped at RELEASE_PER_SWEEP, or did not look), so the counts are unknown.
 */
export interface StillFiring {
  bySilence: Map<string, number>;
  complete: boolean;
}

/**
 * Notifies each firing incident whose firing was held back and that no silence or window holds back now (its
 * firing, late, with an event id of its own). Looks only when something can have held one back: a window, or a
 * silence in force or ended within RELEASE_LOOKBACK_MS. Returns how many were notified; fills `stillFiring`, when
 * given, for the ended silences' notices.
 */
export async function releaseHeldIncidents(ctx: IncidentSweepContext & { store: QuietSweepStore }, rules: QuietRules, stillFiring?: StillFiring): Promise<number> {
  const now = ctx.now();
  const since = now - RELEASE_LOOKBACK_MS;
  const ending = rules.silences.filter((s) => !s.endNoticed && s.endsAt <= now && s.hits > 0);
  if (stillFiring) stillFiring.complete = ending.length === 0;
  if (rules.windows.length === 0 && !rules.silences.some((s) => s.endsAt > since)) return 0;
  let released = 0;
  let looked = 0;
  let cursor: string | undefined;
  do {
    const page = await ctx.store.listIncidents({ state: 'firing', limit: RELEASE_PAGE, ...(cursor ? { cursor } : {}) });
    for (const held of page.incidents) {
      if (held.notified) continue;
      if (stillFiring && ctx.alerts.quiet) {
        for (const s of ending) if (ctx.alerts.quiet.silenceHeldFiring(s.id, held)) stillFiring.bySilence.set(s.id, (stillFiring.bySilence.get(s.id) ?? 0) + 1);
      }
      for (let attempt = 0, incident: typeof held | null = held; attempt < 3 && incident; attempt++) {
        const w = releaseIncident(ctx.alerts, incident, ctx.now());
        if (!w) break;
        if (await ctx.store.applyIncidents([w])) {
          noteIncidentWrites(ctx.counts, ctx.log, [w]);
          ctx.onChange();
          released++;
          break;
        }
        incident = await ctx.store.getIncident(held.key); // changed meanwhile (resolved, repeated): decide again
      }
    }
    looked += page.incidents.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && looked < RELEASE_PER_SWEEP && !ctx.signal.aborted);
  if (stillFiring) stillFiring.complete = !cursor;
  if (released > 0) ctx.log.info('incidents held back by silences or maintenance windows notified now that none holds them back', { released });
  return released;
}

/** What a sweep tells the chat robots of an ended silence with: its store and source, and what still fires. */
export interface SilenceNoticeContext {
  storeId: string;
  source: string;
  stillFiring: StillFiring;
}

/**
 * Says once, in the log, that a silence ended: who made it and why, who ended it early, what it held back; and,
 * given `notices`, to the chat robots when it held anything back (the notice goes into the outbox by the same store
 * step that marks the end said, so it is appended once however many sweeps race).
 */
export async function noticeEndedSilences(store: Pick<QuietPort, 'noticeSilenceEnded'>, rules: QuietRules, now: number, log: Logger, notices?: SilenceNoticeContext): Promise<number> {
  let noticed = 0;
  for (const s of rules.silences) {
    if (s.endNoticed || s.endsAt > now) continue;
    const firing = notices?.stillFiring.complete ? notices.stillFiring.bySilence.get(s.id) ?? 0 : null;
    const notice = notices && s.hits > 0 ? buildSilenceEndedNotice(notices.storeId, notices.source, s, firing, now) : null;
    if (!(await store.noticeSilenceEnded(s.id, notice))) continue;
    noticed++;
    log.info('silence ended', {
      silenceId: s.id, createdBy: s.createdBy, comment: s.comment, endsAt: new Date(s.endsAt).toISOString(), heldBack: s.hits,
      ...(s.endedBy !== undefined ? { endedBy: s.endedBy } : {}),
      ...(notice ? { noticeEventId: notice.id, stillFiring: firing } : {}),
    });
  }
  return noticed;
}

/** Forgets silences that ended (and were said to) longer than INCIDENT_RETENTION ago, as resolved incidents are. */
export async function forgetOldSilences(store: Pick<QuietPort, 'deleteQuietRule'>, rules: QuietRules, before: number, log: Logger): Promise<number> {
  let forgotten = 0;
  for (const s of rules.silences) if (s.endNoticed && s.endsAt <= before && (await store.deleteQuietRule('silence', s.id))) forgotten++;
  if (forgotten > 0) log.info('silences past INCIDENT_RETENTION forgotten', { forgotten });
  return forgotten;
}

/** Adds the hits the sweep counted to the store; returns how many incidents were held back and how many not opened. */
export async function saveQuietHits(store: Pick<QuietPort, 'addQuietHits'>, quiet: Quiet): Promise<{ heldBack: number; expected: number }> {
  const hits = quiet.takeHits();
  // ALERT_MAINTENANCE's windows are not in the store: their hits are in the sweep's summary only.
  if (hits.length > 0) await store.addQuietHits(hits);
  let heldBack = 0;
  let expected = 0;
  for (const h of hits) {
    if (h.kind === 'expectation') expected += h.count;
    else heldBack += h.count;
  }
  return { heldBack, expected };
}
