// The sweep's part in the quiet rules (lib/sweep/quiet.ts) on a memory store: what a silence held back is notified
// once none holds it back, once; a silence's end is said once, and to the chat robots (a notice in the outbox) when it
// held anything back, saying how much of it still fires; old silences are forgotten; the hits reach the store.
import { Quiet } from '../../lib/alerts/quiet';
import { incidentsForStatusChange, type AlertContext } from '../../lib/alerts/rules';
import { INCIDENT_TYPES, type Silence } from '../../lib/alerts/types';
import { createLogger } from '../../lib/log';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { forgetOldSilences, loadQuietRules, noticeEndedSilences, RELEASE_LOOKBACK_MS, releaseHeldIncidents, saveQuietHits, type StillFiring } from '../../lib/sweep/quiet';
import { isNotice } from '../../lib/events/silence-ended';
import { TEST_STORE_ID } from '../helpers/events';

const T = 1_700_000_000_000;
const HOUR = 3_600_000;
const UUID = '00000000-0000-4000-8000-000000000001';
const settings = { offlineForMs: 0, repeatEveryMs: null, processNames: [], types: [...INCIDENT_TYPES], retentionMs: 86_400_000 };
const silence = (over: Partial<Silence> = {}): Silence => ({ id: 's1', matchers: [{ name: 'uuid', value: UUID, op: '=' }], startsAt: T - HOUR, endsAt: T + HOUR, createdBy: 'alice', comment: 'reboot', createdAt: T - HOUR, ...over });

async function setup(at: number) {
  const store = new MemoryStateStore();
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) });
  const context = async (now: number) => {
    const { rules, quiet } = await loadQuietRules(store, { alerts: settings }, new Map());
    const alerts: AlertContext = { storeId: TEST_STORE_ID, source: '/s', settings, quiet };
    const ctx = { store, alerts, log, now: () => now, signal: new AbortController().signal, pollUntil: now + 1_000, keepPolling: false, counts: { fired: 0, resolved: 0 }, onChange: () => undefined };
    return { rules, quiet, alerts, ctx };
  };
  await store.putQuietRule('silence', silence());
  const { alerts, quiet } = await context(at);
  expect(await store.applyIncidents(incidentsForStatusChange(alerts, { uuid: UUID, kind: 'process', state: 'FAILED', eventId: 'e1', at, open: [] }))).toBe(true);
  await saveQuietHits(store, quiet);
  return { store, lines, context };
}

test('a firing held back is notified at the first sweep after its silence ends, once', async () => {
  const { store, context } = await setup(T);
  const during = await context(T + 1);
  expect(await releaseHeldIncidents(during.ctx, during.rules)).toBe(0);
  await store.endSilence('s1', T + 2, 'bob');
  const after = await context(T + 3);
  expect(await releaseHeldIncidents(after.ctx, after.rules)).toBe(1);
  expect(await releaseHeldIncidents(after.ctx, after.rules)).toBe(0);
  const [i] = (await store.listIncidents({ limit: 10, state: 'firing' })).incidents;
  expect(i).toMatchObject({ notified: true });
  const outbox = await store.listOutbox(10);
  expect(outbox.map((e) => [e.event.type === 'com.tencentcloud.cwp.incident.changed' && e.event.data.previous, e.silenced === true])).toEqual([[null, true], ['firing', false]]);
});

test('a silence that ended long ago is not looked at again', async () => {
  const { store, context } = await setup(T);
  await store.endSilence('s1', T + 2, 'bob');
  const late = await context(T + 2 + RELEASE_LOOKBACK_MS + 1);
  expect(await releaseHeldIncidents(late.ctx, late.rules)).toBe(0);
});

test("a silence's end is said once, with what it held back; past INCIDENT_RETENTION it is forgotten", async () => {
  const { store, lines, context } = await setup(T);
  const ended = await context(T + 2 * HOUR);
  expect(ended.rules.silences[0]).toMatchObject({ hits: 1 });
  expect(await noticeEndedSilences(store, ended.rules, T + 2 * HOUR, ended.ctx.log)).toBe(1);
  expect(await noticeEndedSilences(store, (await context(T + 2 * HOUR)).rules, T + 2 * HOUR, ended.ctx.log)).toBe(0);
  expect(lines.filter((l) => l.msg === 'silence ended')).toEqual([expect.objectContaining({ silenceId: 's1', createdBy: 'alice', comment: 'reboot', heldBack: 1 })]);
  const later = await context(T + 2 * HOUR);
  expect(await forgetOldSilences(store, later.rules, T, later.ctx.log)).toBe(0);
  expect(await forgetOldSilences(store, later.rules, T + 2 * HOUR, later.ctx.log)).toBe(1);
  expect((await store.listQuietRules()).silences).toEqual([]);
});

test("ALERT_MAINTENANCE's windows are matched beside the store's", async () => {
  const store = new MemoryStateStore();
  const w = { id: 'cfg-000000000001', matchers: [{ name: 'uuid' as const, value: UUID, op: '=' as const }], days: ['Sun' as const, 'Mon' as const, 'Tue' as const, 'Wed' as const, 'Thu' as const, 'Fri' as const, 'Sat' as const], start: '00:00', end: '23:59', timezone: 'UTC', createdBy: 'ops', comment: 'c', createdAt: 0, origin: 'config' as const };
  const { quiet } = await loadQuietRules(store, { alerts: { ...settings, maintenance: [w] } }, new Map());
  expect(quiet).toBeInstanceOf(Quiet);
  expect(quiet.silencersOf({ type: 'agent.offline', agent: { uuid: UUID } }, Date.UTC(2026, 0, 1, 12))).toEqual(['cfg-000000000001']);
});

/** A sweep's release pass then its notice of ended silences, as sweep.ts runs them; the notices it appended. */
async function releaseAndNotice(store: MemoryStateStore, context: Awaited<ReturnType<typeof setup>>['context'], now: number) {
  const { ctx, rules } = await context(now);
  const stillFiring: StillFiring = { bySilence: new Map(), complete: false };
  const released = await releaseHeldIncidents(ctx, rules, stillFiring);
  const noticed = await noticeEndedSilences(store, rules, now, ctx.log, { storeId: TEST_STORE_ID, source: '/s', stillFiring });
  const notices = (await store.listOutbox(100)).map((e) => e.event).filter(isNotice);
  return { released, noticed, notices };
}

test('a silence whose held-back incidents all resolved meanwhile tells the chat robots once: a notice saying all resolved', async () => {
  const { store, context } = await setup(T);
  const during = await context(T + 1);
  const open = await store.openIncidentsOf(UUID);
  expect(await store.applyIncidents(incidentsForStatusChange(during.alerts, { uuid: UUID, kind: 'process', state: 'COMPLETE', eventId: 'e2', at: T + 1, open }))).toBe(true);
  await store.endSilence('s1', T + 2, 'bob');

  const first = await releaseAndNotice(store, context, T + 3);
  expect(first).toMatchObject({ released: 0, noticed: 1 });
  expect(first.notices).toHaveLength(1);
  expect(first.notices[0]!.data).toMatchObject({ silenceId: 's1', createdBy: 'alice', comment: 'reboot', endedBy: 'bob', heldBack: 1, stillFiring: 0 });
  const again = await releaseAndNotice(store, context, T + 4);
  expect(again).toMatchObject({ released: 0, noticed: 0 });
  expect(again.notices).toHaveLength(1);
});

test('a silence that ended with an incident still firing: its notice counts it, beside the released firing', async () => {
  const { store, context } = await setup(T);
  await store.endSilence('s1', T + 2, 'bob');
  const { released, notices } = await releaseAndNotice(store, context, T + 3);
  expect(released).toBe(1);
  expect(notices.map((n) => n.data)).toEqual([expect.objectContaining({ heldBack: 1, stillFiring: 1 })]);
});

test('a silence that held nothing back ends with no notice, only the log line', async () => {
  const { store, lines, context } = await setup(T);
  await store.putQuietRule('silence', silence({ id: 's2', matchers: [{ name: 'uuid', value: '00000000-0000-4000-8000-000000000002', op: '=' }] }));
  await store.endSilence('s2', T + 2, 'bob');
  await store.endSilence('s1', T + 2, 'bob');
  const { noticed, notices } = await releaseAndNotice(store, context, T + 3);
  expect(noticed).toBe(2);
  expect(notices.map((n) => n.data.silenceId)).toEqual(['s1']);
  expect(lines.filter((l) => l.msg === 'silence ended').map((l) => l.silenceId).sort()).toEqual(['s1', 's2']);
});

test('a silence that ended longer ago than the release pass looks: its notice does not claim what still fires', async () => {
  const { store, context } = await setup(T);
  await store.endSilence('s1', T + 2, 'bob');
  const { notices } = await releaseAndNotice(store, context, T + 2 + RELEASE_LOOKBACK_MS + 1);
  expect(notices.map((n) => n.data)).toEqual([expect.objectContaining({ heldBack: 1, stillFiring: null })]);
});
