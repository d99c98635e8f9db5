// The event history (lib/state/store.ts HistoryPort) on every store: each event appended to the outbox is kept in
// the same step, searched newest first by type, agent and time with a cursor that new events do not shift, and kept
// HISTORY_RETENTION and at most HISTORY_MAX events, trimmed from the old end as it grows.
import { appendFileSync, closeSync, existsSync, openSync, readdirSync, statSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import { buildScanStatusChangedEvent } from '../../lib/events';
import { incidentsForStatusChange } from '../../lib/alerts/rules';
import { INCIDENT_TYPES } from '../../lib/alerts/types';
import type { BridgeEvent } from '../../lib/events/types';
import { BadCursorError } from '../../lib/state/rules';
import type { HistoryQuery } from '../../lib/state/history';
import { changeOf, deadLetterOf, fileFixture, FIXTURES, historyFixtures, keyOf, type InspectableStore, type StoreFixture } from '../helpers/store-fixtures';
import { TEST_STORE_ID } from '../helpers/events';

const STATUS = 'com.tencentcloud.cwp.task.status.changed';
const SCAN = 'com.tencentcloud.cwp.scan.status.changed';
const T0 = Date.parse('2026-12-01T00:00:00.000Z');

const scanEvent = (taskId: number, at: number): BridgeEvent =>
  buildScanStatusChangedEvent({ storeId: TEST_STORE_ID, source: '/t', taskId, state: 'SYNCING', previous: null, startedAt: at, endedAt: null, observedAt: at, requestId: `r${taskId}` });

/**
 * `rounds` status changes of each of `agents` agents (their versions 1..rounds), agent by agent within a round, at
 * T0 + the event's number in seconds; a round's changes are written at once (the file store commits them together).
 */
async function publish(store: InspectableStore, agents: number, rounds: number, from = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let r = from; r < from + rounds; r++) {
    const changes = Array.from({ length: agents }, (_, a) => changeOf(keyOf(a + 1), r, r % 2 === 0 ? 'COLLECTING' : 'FAILED', { at: T0 + (r * agents + a) * 1_000 }));
    ids.push(...changes.map((c) => c.event.id));
    expect(await Promise.all(changes.map((c) => store.recordChange(c)))).toEqual(changes.map(() => true));
  }
  return ids;
}

const ids = (events: BridgeEvent[]): string[] => events.map((e) => e.id);

async function searchAll(store: InspectableStore, query: Omit<HistoryQuery, 'limit' | 'cursor'>, limit: number): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.searchHistory({ ...query, limit, ...(cursor ? { cursor } : {}) });
    out.push(...ids(page.events));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

describe.each(FIXTURES)('HistoryPort: %s', (_name, makeFixture) => {
  let fixture: StoreFixture;
  let store: InspectableStore;

  beforeEach(async () => {
    fixture = makeFixture();
    store = await fixture.open();
  });
  afterEach(async () => {
    await fixture.cleanup();
  });

  test('every event appended to the outbox is in the history, newest first; a refused change adds nothing', async () => {
    const published = await publish(store, 2, 3);
    expect(await store.recordChange(changeOf(keyOf(1), 0, 'COMPLETE', { at: T0 + 99_000 }))).toBe(false);
    const scan = scanEvent(1, T0 + 100_000);
    expect(await store.putRegister('scan', 0, 'x', scan)).toBe(true);
    const page = await store.searchHistory({ limit: 100 });
    expect(ids(page.events)).toEqual([scan.id, ...published.reverse()]);
    expect(page.nextCursor).toBeNull();
    expect(await store.countHistory()).toBe(7);
  });

  test('incident.changed events are kept too: those of applyIncidents and those a change carries', async () => {
    const settings = { offlineForMs: 60_000, repeatEveryMs: 3_600_000, processNames: [], types: [...INCIDENT_TYPES], retentionMs: 86_400_000 };
    const writes = incidentsForStatusChange({ storeId: TEST_STORE_ID, source: '/s', settings }, { uuid: keyOf(1).uuid, kind: 'process', state: 'FAILED', eventId: 'ev-1', at: T0, open: [] });
    expect(writes.length).toBeGreaterThan(0);
    expect(await store.applyIncidents(writes)).toBe(true);
    const found = (await store.searchHistory({ type: 'com.tencentcloud.cwp.incident.changed', limit: 10 })).events;
    expect(ids(found).sort()).toEqual(writes.flatMap((w) => (w.event ? [w.event.id] : [])).sort());
    expect((await store.searchHistory({ uuid: keyOf(1).uuid, limit: 10 })).events).toHaveLength(found.length);
    expect(await store.readCounters()).toContainEqual({ name: 'cwp_bridge_events_published_total', labels: { type: 'com.tencentcloud.cwp.incident.changed' }, value: found.length });
  });

  test('an event is kept once: delivered and removed from the outbox it stays; a replayed dead letter is not added again', async () => {
    const [first] = await publish(store, 1, 1);
    const entry = (await store.listOutbox(1))[0]!;
    await store.addDeadLetter(deadLetterOf(entry.event, 'https://hook.example/x'));
    await store.removeFromOutbox(first!);
    expect(await store.replayDeadLetters(null, T0 + 5_000)).toBe(1);
    expect(ids((await store.searchHistory({ limit: 10 })).events)).toEqual([first]);
  });

  test('filters: by type, by agent, by both, and by time (since and until inclusive)', async () => {
    await publish(store, 2, 2); // agent 1 at T0, T0+2s; agent 2 at T0+1s, T0+3s
    const scan = scanEvent(7, T0 + 10_000);
    await store.putRegister('scan', 0, 'x', scan);
    const uuid1 = keyOf(1).uuid;
    expect(await searchAll(store, { type: SCAN }, 10)).toEqual([scan.id]);
    const byAgent = (await store.searchHistory({ uuid: uuid1, limit: 10 })).events;
    expect(byAgent.map((e) => e.time)).toEqual([new Date(T0 + 2_000).toISOString(), new Date(T0).toISOString()]);
    expect((await store.searchHistory({ uuid: uuid1, type: STATUS, limit: 10 })).events).toHaveLength(2);
    expect((await store.searchHistory({ uuid: uuid1, type: SCAN, limit: 10 })).events).toHaveLength(0);
    expect((await store.searchHistory({ uuid: 'no-such-agent', limit: 10 })).events).toHaveLength(0);
    const window = (await store.searchHistory({ since: T0 + 1_000, until: T0 + 3_000, limit: 10 })).events;
    expect(window.map((e) => Date.parse(e.time))).toEqual([T0 + 3_000, T0 + 2_000, T0 + 1_000]);
  });

  test('countHistory counts what a search with the same filters would find, from the indexes', async () => {
    await publish(store, 2, 3); // agent 1 at T0, T0+2s, T0+4s; agent 2 at T0+1s, T0+3s, T0+5s
    await store.putRegister('scan', 0, 'x', scanEvent(1, T0 + 10_000));
    expect(await store.countHistory()).toBe(7);
    expect(await store.countHistory({ type: STATUS })).toBe(6);
    expect(await store.countHistory({ type: SCAN })).toBe(1);
    expect(await store.countHistory({ uuid: keyOf(2).uuid })).toBe(3);
    expect(await store.countHistory({ uuid: keyOf(2).uuid, type: STATUS, since: T0 + 2_000 })).toBe(2);
    expect(await store.countHistory({ since: T0 + 1_000, until: T0 + 4_000 })).toBe(4);
    expect(await store.countHistory({ uuid: 'nobody' })).toBe(0);
  });

  test('pages follow their cursor to the end, and events arriving meanwhile do not shift it', async () => {
    const published = await publish(store, 3, 4);
    const first = await store.searchHistory({ limit: 5 });
    expect(ids(first.events)).toEqual(published.slice(-5).reverse());
    await publish(store, 3, 2, 4); // newer events arrive
    const rest: string[] = [];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await store.searchHistory({ limit: 5, cursor });
      rest.push(...ids(page.events));
      cursor = page.nextCursor;
    }
    expect(rest).toEqual(published.slice(0, -5).reverse());
  });

  test('events at the same time keep the order they arrived in, across pages', async () => {
    const events = [1, 2, 3, 4, 5].map((n) => changeOf(keyOf(n), 0, 'COLLECTING', { at: T0 }));
    for (const c of events) await store.recordChange(c);
    expect(await searchAll(store, {}, 2)).toEqual(events.map((c) => c.event.id).reverse());
  });

  test('a cursor the history did not give is refused', async () => {
    await expect(store.searchHistory({ limit: 10, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toBeInstanceOf(BadCursorError);
  });
});

describe.each(historyFixtures({ retentionMs: 7 * 86_400_000, max: 20_000 }))('HistoryPort with HISTORY_MAX=20000: %s', (_name, makeFixture) => {
  let fixture: StoreFixture;
  afterEach(async () => {
    await fixture.cleanup();
  });

  test('30,000 events published: the 20,000 newest are found, newest first', async () => {
    fixture = makeFixture();
    const store = await fixture.open();
    const published = await publish(store, 100, 300);
    expect(await store.countHistory()).toBe(20_000);
    const found = await searchAll(store, {}, 500);
    expect(found).toEqual(published.slice(-20_000).reverse());
    // Each agent's index was trimmed with the rest: 200 of its 300 events remain.
    expect(await searchAll(store, { uuid: keyOf(1).uuid }, 500)).toHaveLength(200);
    if (fixture.persistent) {
      const again = await fixture.open();
      expect(await again.countHistory()).toBe(20_000);
      expect(ids((await again.searchHistory({ limit: 1 })).events)).toEqual([published[published.length - 1]]);
    }
  }, 120_000);
});

describe.each(historyFixtures({ retentionMs: 60_000, max: 200_000 }))('HistoryPort with HISTORY_RETENTION=60s: %s', (_name, makeFixture) => {
  let fixture: StoreFixture;
  afterEach(async () => {
    await fixture.cleanup();
  });

  test('an event older than the newest less the retention is dropped as new ones arrive', async () => {
    fixture = makeFixture();
    const store = await fixture.open();
    const old = await publish(store, 2, 2); // T0 .. T0+3s
    expect(await store.countHistory()).toBe(4);
    const late = changeOf(keyOf(9), 0, 'COLLECTING', { at: T0 + 62_000 });
    await store.recordChange(late);
    // T0 and T0+1s are over 60 s older than T0+62s; T0+2s and T0+3s are not yet.
    expect(await searchAll(store, {}, 10)).toEqual([late.event.id, old[3], old[2]]);
  });

  test('trimHistory drops what aged past the retention while nothing was appended', async () => {
    fixture = makeFixture();
    const store = await fixture.open();
    await publish(store, 2, 2);
    expect(await store.trimHistory(T0 + 62_500, 1_000)).toBe(3);
    expect(await store.countHistory()).toBe(1);
    expect(await store.trimHistory(T0 + 62_500, 1_000)).toBe(0);
  });
});

describe('the file store\'s history on disk', () => {
  test('segments hold the history beside state.json; one whose events are all trimmed is deleted', async () => {
    const fixture = fileFixture({ history: { retentionMs: 7 * 86_400_000, max: 6_000 } });
    try {
      const store = await fixture.open();
      await publish(store, 100, 120); // 12,000 events: segments of 5,000
      const dir = path.join(fixture.dir, 'history');
      expect(existsSync(path.join(fixture.dir, 'state.json'))).toBe(true);
      // The first segment (events 1..5000) is wholly trimmed (the 6,000 kept are 6001..12000).
      expect(readdirSync(dir).sort()).toEqual(['000000000005001.jsonl', '000000000010001.jsonl']);
      const again = await fixture.open();
      expect(await again.countHistory()).toBe(6_000);
    } finally {
      await fixture.cleanup();
    }
  }, 60_000);
});

describe('the file store\'s history after a crash', () => {
  test('lines past the committed length (a save that failed) are ignored, and a line torn by a power loss is skipped', async () => {
    const fixture = fileFixture();
    try {
      const store = await fixture.open();
      const published = await publish(store, 1, 3);
      await store.close();
      const segment = path.join(fixture.dir, 'history', readdirSync(path.join(fixture.dir, 'history'))[0]!);
      const committed = statSync(segment).size;
      appendFileSync(segment, '99\t1\tcom.tencentcloud.cwp.task.status.changed\t\tuncommitted\t{}\n');
      expect(ids((await (await fixture.open()).searchHistory({ limit: 10 })).events)).toEqual([...published].reverse());
      // The segments are not fsynced: a power loss may cut the last line short.
      truncateSync(segment, committed - 40);
      const again = await fixture.open();
      expect(ids((await again.searchHistory({ limit: 10 })).events)).toEqual(published.slice(0, 2).reverse());
      // The next save writes past what it can read: the store goes on.
      const [next] = await publish(again, 1, 1, 3);
      expect(ids((await (await fixture.open()).searchHistory({ limit: 1 })).events)).toEqual([next]);
    } finally {
      await fixture.cleanup();
    }
  });
});

describe('the file store\'s history with two writers', () => {
  test('a store that holds the history sees what another one appended and trimmed, as a fresh open does', async () => {
    const fixture = fileFixture({ history: { retentionMs: 7 * 86_400_000, max: 7_000 } });
    try {
      const a = await fixture.open();
      const b = await fixture.open();
      await publish(a, 50, 20); // 1,000 events
      expect(await b.countHistory()).toBe(1_000);
      await publish(b, 50, 60, 20); // 3,000 more, from the other writer
      await publish(a, 50, 100, 80); // 5,000 more: 9,000 written, the 7,000 newest kept, a segment dropped
      const fresh = await fixture.open();
      for (const s of [a, b, fresh]) expect(await s.countHistory()).toBe(7_000);
      const expected = await searchAll(fresh, { uuid: keyOf(3).uuid }, 500);
      expect(expected).toHaveLength(140);
      expect(await searchAll(a, { uuid: keyOf(3).uuid }, 500)).toEqual(expected);
      expect(await searchAll(b, { uuid: keyOf(3).uuid }, 500)).toEqual(expected);
      expect(await searchAll(b, {}, 500)).toEqual(await searchAll(fresh, {}, 500));
    } finally {
      await fixture.cleanup();
    }
  }, 60_000);

  test('a reload after the other writer saved reads only what it appended, not the history again', async () => {
    const fixture = fileFixture();
    try {
      const a = await fixture.open();
      const b = await fixture.open();
      await publish(a, 10, 1);
      expect(await b.countHistory()).toBe(10);
      // Spoil a line b has read already: a whole load would skip it, a reload of what was appended does not see it.
      const segment = path.join(fixture.dir, 'history', readdirSync(path.join(fixture.dir, 'history'))[0]!);
      const fd = openSync(segment, 'r+');
      writeSync(fd, 'x', 0);
      closeSync(fd);
      await publish(a, 10, 1, 1);
      expect(await b.countHistory()).toBe(20);
      expect(await (await fixture.open()).countHistory()).toBe(19);
    } finally {
      await fixture.cleanup();
    }
  });
});
