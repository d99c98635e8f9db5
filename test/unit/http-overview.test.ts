// GET /v1/overview: the console's overview in one answer, read from the store and its event history.
import { incidentsForStatusChange } from '../../lib/alerts/rules';
import { INCIDENT_TYPES } from '../../lib/alerts/types';
import { changeOf } from '../helpers/store-fixtures';
import { TEST_STORE_ID } from '../helpers/events';
import { harness, NOW, urlEvent } from './http-helpers';

const AGENT = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const OTHER = '0f9e8d7c-6b5a-4948-8372-6150a4b3c2d1';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function setUp() {
  const h = harness();
  await h.store.putWatch(AGENT, ['process', 'port'], NOW - 10 * DAY);
  await h.store.putWatch(OTHER, ['process'], NOW - 10 * DAY);
  // AGENT's process went offline two days ago and stays so; its port completed 30 min ago; OTHER collects since 5 h.
  await h.store.recordChange(changeOf({ uuid: AGENT, kind: 'process' }, 0, 'AGENT_OFFLINE', { previous: null, at: NOW - 2 * DAY }));
  await h.store.recordChange(changeOf({ uuid: AGENT, kind: 'port' }, 0, 'COMPLETE', { at: NOW - 30 * 60_000 }));
  await h.store.recordChange(changeOf({ uuid: OTHER, kind: 'process' }, 0, 'COLLECTING', { at: NOW - 5 * HOUR }));
  await h.store.putLastSweep({ requestId: 'r', startedAt: new Date(NOW - 60_000).toISOString(), outcome: 'ok', error: null, checked: 3, changed: 1, published: 1, retried: 0, throttled: 0, failed: 0, dueLeft: 0, outboxLeft: 3, deadLetters: 0, tookMs: 900 });
  return h;
}

describe('GET /v1/overview', () => {
  test('agents by condition, the last sweep, the outbox per sink and no firing incident', async () => {
    const h = await setUp();
    const r = await h.call(urlEvent('GET', '/v1/overview'));
    expect(r.statusCode).toBe(200);
    const watched = r.json.agents.total;
    expect(r.json.agents.byCondition).toMatchObject({ offline: 1, collecting: 1 });
    expect(Object.values(r.json.agents.byCondition as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(watched);
    expect(r.json.lastSweep).toMatchObject({ outcome: 'ok', checked: 3, tookMs: 900 });
    expect(r.json.outbox).toEqual([{ sink: 'not-yet-sent', events: 3, oldestAt: new Date(NOW - 2 * DAY).toISOString() }]);
    expect(r.json.deadLetters).toEqual([]);
    expect(r.json.incidentsFiring).toEqual([]);
    expect(r.json.discovery).toBeNull();
  });

  test('events per hour over the last 24 hours, from the history', async () => {
    const h = await setUp();
    const r = await h.call(urlEvent('GET', '/v1/overview'));
    const series = r.json.eventsPerHour as Array<{ hour: string; events: number }>;
    expect(series).toHaveLength(24);
    expect(series[23]!.hour).toBe(new Date(Math.floor(NOW / HOUR) * HOUR).toISOString());
    // NOW is on the hour: 30 min ago is in the hour before it, 5 h ago five hours before; two days ago is outside.
    expect(series[22]!.events).toBe(1);
    expect(series[18]!.events).toBe(1);
    expect(series.reduce((a, s) => a + s.events, 0)).toBe(2);
  });

  test('agents offline per day over 7 days: from the day one went offline until today', async () => {
    const h = await setUp();
    const r = await h.call(urlEvent('GET', '/v1/overview'));
    const days = r.json.agentsOfflinePerDay as Array<{ day: string; agents: number }>;
    expect(days.map((d) => d.day)).toEqual(Array.from({ length: 7 }, (_, i) => new Date(NOW - (6 - i) * DAY).toISOString().slice(0, 10)));
    expect(days.map((d) => d.agents)).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(r.json.agentsOfflineTruncated).toBe(false);
  });

  test('the firing incidents, newest first, as GET /v1/incidents shows them', async () => {
    const h = await setUp();
    const ctx = { storeId: TEST_STORE_ID, source: '/s', settings: { offlineForMs: 0, repeatEveryMs: null, processNames: [], types: [...INCIDENT_TYPES], retentionMs: 86_400_000 } };
    for (const [uuid, at] of [[AGENT, NOW - 2 * HOUR], [OTHER, NOW - HOUR]] as const) {
      expect(await h.store.applyIncidents(incidentsForStatusChange(ctx, { uuid, kind: 'port', state: 'UNKNOWN_AGENT', eventId: `ev-${uuid}`, at, open: [] }))).toBe(true);
    }
    const r = await h.call(urlEvent('GET', '/v1/overview'));
    const listed = await h.call(urlEvent('GET', '/v1/incidents', { query: { state: 'firing' } }));
    expect(r.json.incidentsFiring.map((i: { agent: { uuid: string } }) => i.agent.uuid)).toEqual([OTHER, AGENT]);
    expect(r.json.incidentsFiring).toEqual(listed.json.incidents);
  });

  test('needs a token with the read scope', async () => {
    const h = harness({ env: { API_TOKENS: 'scraper:metrics:tok-mmmmmmmmmmmmmmmmmmmmmmmm' } });
    const r = await h.call(urlEvent('GET', '/v1/overview', { headers: { authorization: 'Bearer tok-mmmmmmmmmmmmmmmmmmmmmmmm' } }));
    expect(r.statusCode).toBe(403);
  });
});
