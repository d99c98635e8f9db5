// The QuietPort contract (lib/state/store.ts), run against memory, file and Redis: silences, maintenance windows
// and expectations stored by id with their hits; a silence ended early keeps its first end; its end is noticed once,
// and the call that notices it appends its notice for the chat robots to the outbox (not the history); and an incident
// notification held back by a silence is in the outbox marked `silenced`.
import { incidentsForStatusChange, type AlertContext } from '../../lib/alerts/rules';
import { Quiet } from '../../lib/alerts/quiet';
import { INCIDENT_TYPES, type Expectation, type MaintenanceWindow, type Silence } from '../../lib/alerts/types';
import { FIXTURES, uuidOf, type InspectableStore, type StoreFixture } from '../helpers/store-fixtures';
import { TEST_STORE_ID } from '../helpers/events';
import { buildSilenceEndedNotice } from '../../lib/events/silence-ended';

const T = 1_700_000_000_000;
const HOUR = 3_600_000;

const silence = (id: string, over: Partial<Silence> = {}): Silence => ({
  id, matchers: [{ name: 'machineName', value: 'db-*', op: 'glob' }], startsAt: T, endsAt: T + HOUR, createdBy: 'alice', comment: 'reboot', createdAt: T, ...over,
});
const window = (id: string): MaintenanceWindow => ({
  id, matchers: [{ name: 'tag', value: 'db', op: '=' }], days: ['Sun'], start: '22:00', end: '02:00', timezone: 'Europe/Berlin', createdBy: 'bob', comment: 'patching', createdAt: T + 1, origin: 'api',
});
const expectation = (id: string): Expectation => ({
  id, matchers: [{ name: 'machineName', value: 'redis-*', op: 'glob' }], ports: [{ port: 6379, processName: 'redis-server' }], processes: [], createdBy: 'carol', comment: 'redis', createdAt: T + 2,
});

describe.each(FIXTURES)('QuietPort contract: %s', (_name, makeFixture) => {
  let fixture: StoreFixture;
  let store: InspectableStore;

  beforeEach(async () => {
    fixture = makeFixture();
    store = await fixture.open();
  });
  afterEach(async () => {
    await fixture.cleanup();
  });

  test('a store without quiet rules lists none', async () => {
    expect(await store.listQuietRules()).toEqual({ silences: [], windows: [], expectations: [] });
  });

  test('rules of each kind are listed oldest first, with no hits yet', async () => {
    await store.putQuietRule('silence', silence('s2', { createdAt: T + 5 }));
    await store.putQuietRule('silence', silence('s1'));
    await store.putQuietRule('window', window('w1'));
    await store.putQuietRule('expectation', expectation('e1'));
    const rules = await store.listQuietRules();
    expect(rules.silences.map((s) => s.id)).toEqual(['s1', 's2']);
    expect(rules.silences[0]).toEqual({ ...silence('s1'), hits: 0, lastHitAt: null, endNoticed: false });
    expect(rules.windows).toEqual([{ ...window('w1'), hits: 0, lastHitAt: null }]);
    expect(rules.expectations).toEqual([{ ...expectation('e1'), hits: 0, lastHitAt: null }]);
  });

  test('hits add up per rule, the last hit is the latest, and a rule gone meanwhile is skipped', async () => {
    await store.putQuietRule('expectation', expectation('e1'));
    await store.addQuietHits([{ kind: 'expectation', id: 'e1', count: 2, at: T + 10 }, { kind: 'expectation', id: 'gone', count: 1, at: T }]);
    await store.addQuietHits([{ kind: 'expectation', id: 'e1', count: 1, at: T + 5 }]);
    const [e] = (await store.listQuietRules()).expectations;
    expect(e).toMatchObject({ id: 'e1', hits: 3, lastHitAt: T + 10 });
  });

  test('putting a rule again replaces it and keeps its hits', async () => {
    await store.putQuietRule('expectation', expectation('e1'));
    await store.addQuietHits([{ kind: 'expectation', id: 'e1', count: 4, at: T }]);
    await store.putQuietRule('expectation', { ...expectation('e1'), comment: 'changed' });
    expect((await store.listQuietRules()).expectations[0]).toMatchObject({ comment: 'changed', hits: 4 });
  });

  test('deleting removes a rule; deleting what is not there is false', async () => {
    await store.putQuietRule('window', window('w1'));
    expect(await store.deleteQuietRule('window', 'w1')).toBe(true);
    expect(await store.deleteQuietRule('window', 'w1')).toBe(false);
    expect((await store.listQuietRules()).windows).toEqual([]);
  });

  test('a silence ended early ends then, by whom; the first end stands; an unknown one is null', async () => {
    await store.putQuietRule('silence', silence('s1'));
    expect(await store.endSilence('s1', T + 60_000, 'dave')).toMatchObject({ id: 's1', endsAt: T + 60_000, endedBy: 'dave' });
    expect(await store.endSilence('s1', T + 120_000, 'erin')).toMatchObject({ endsAt: T + 60_000, endedBy: 'dave' });
    expect((await store.listQuietRules()).silences[0]).toMatchObject({ endsAt: T + 60_000, endedBy: 'dave' });
    expect(await store.endSilence('nope', T, 'dave')).toBeNull();
  });

  test('a silence ended after its endsAt keeps its endsAt', async () => {
    await store.putQuietRule('silence', silence('s1'));
    const s = await store.endSilence('s1', T + 2 * HOUR, 'dave');
    expect(s?.endsAt).toBe(T + HOUR);
    expect(s?.endedBy).toBeUndefined();
  });

  test("a silence's end is noticed once", async () => {
    await store.putQuietRule('silence', silence('s1'));
    expect(await store.noticeSilenceEnded('s1')).toBe(true);
    expect(await store.noticeSilenceEnded('s1')).toBe(false);
    expect(await store.noticeSilenceEnded('nope')).toBe(false);
    expect((await store.listQuietRules()).silences[0]?.endNoticed).toBe(true);
  });

  test("the call that notices a silence's end appends its notice to the outbox, once, outside the history and the counters", async () => {
    await store.putQuietRule('silence', silence('s1'));
    const [s] = (await store.listQuietRules()).silences;
    const notice = buildSilenceEndedNotice(TEST_STORE_ID, '/s', { ...s!, hits: 2 }, 0, T + HOUR);
    expect(await store.noticeSilenceEnded('s1', notice)).toBe(true);
    expect(await store.noticeSilenceEnded('s1', notice)).toBe(false);
    const outbox = await store.listOutbox(10);
    expect(outbox).toEqual([{ event: notice, createdAt: T + HOUR, targets: null, deliveries: {} }]);
    expect(await store.countHistory()).toBe(0);
    expect(await store.readCounters()).toEqual([]);
  });

  test('a notice for a silence that is not stored is not appended', async () => {
    const notice = buildSilenceEndedNotice(TEST_STORE_ID, '/s', { ...silence('gone'), hits: 1, lastHitAt: null, endNoticed: false }, null, T + HOUR);
    expect(await store.noticeSilenceEnded('gone', notice)).toBe(false);
    expect(await store.countOutbox()).toBe(0);
  });

  test('an incident notification a silence holds back is in the outbox marked silenced; others are not', async () => {
    const quiet = new Quiet({ silences: [{ ...silence('s1', { matchers: [{ name: 'uuid', value: uuidOf(1), op: '=' }] }), hits: 0, lastHitAt: null, endNoticed: false }], windows: [], expectations: [] });
    const ctx: AlertContext = { storeId: TEST_STORE_ID, source: '/s', settings: { offlineForMs: 0, repeatEveryMs: null, processNames: [], types: [...INCIDENT_TYPES], retentionMs: HOUR }, quiet };
    const held = incidentsForStatusChange(ctx, { uuid: uuidOf(1), kind: 'process', state: 'FAILED', eventId: 'e1', at: T + 1, open: [] });
    const sent = incidentsForStatusChange(ctx, { uuid: uuidOf(2), kind: 'process', state: 'FAILED', eventId: 'e2', at: T + 1, open: [] });
    expect(await store.applyIncidents([...held, ...sent])).toBe(true);
    const outbox = await store.listOutbox(10);
    expect(outbox.map((e) => [e.event.subject, e.silenced === true])).toEqual([[held[0]!.incident.key, true], [sent[0]!.incident.key, false]]);
    expect(await store.getIncident(held[0]!.incident.key)).toMatchObject({ notified: false, silencedBy: ['s1'] });
  });
});
