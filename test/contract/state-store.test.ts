// The StateStore contract (lib/state/store.ts), one suite run against every implementation: memory, file
// (a temp dir) and Redis (the suite's own, test/helpers/redis.ts; a unique key prefix per test). Then what only a shared store must
// also do: two processes (file) or two connections (Redis) racing on one compare-and-set.
import { fork } from 'node:child_process';
import path from 'node:path';
import { describeRedisUrl } from '../../lib/state/redis/store';
import type { SweepSummary } from '../../lib/types';
import {
  FIXTURES, type InspectableStore, changeOf, deadLetterOf, eventFor, fileFixture, keyOf, pending, redisFixture, uuidOf, type StoreFixture,
} from '../helpers/store-fixtures';
import { buildFileStoreBundle } from '../helpers/store-bundle';
import { statusData } from '../helpers/events';

describe.each(FIXTURES)('StateStore contract: %s', (_name, makeFixture) => {
  let fixture: StoreFixture;
  let store: InspectableStore;

  beforeEach(async () => {
    fixture = makeFixture();
    store = await fixture.open();
  });
  afterEach(async () => {
    await fixture.cleanup();
  });

  describe('records and schedule', () => {
    test('an unknown key has no record', async () => {
      expect(await store.getRecord(keyOf(1))).toBeNull();
      expect(await store.getRecordsForAgent(uuidOf(1))).toEqual([]);
    });

    test('syncSchedule adds missing keys due now, unobserved at version 0, and returns how many it added', async () => {
      expect(await store.syncSchedule([keyOf(1), keyOf(1, 'port'), keyOf(2)], 500)).toBe(3);
      expect(await store.getRecord(keyOf(1, 'port'))).toEqual({
        uuid: uuidOf(1), kind: 'port', state: null, version: 0, since: null, lastChecked: null, nextDue: 500, requestId: null,
      });
      expect(await store.syncSchedule([keyOf(1), keyOf(1, 'port'), keyOf(2)], 600)).toBe(0);
      expect(await store.countDue(600)).toBe(3);
    });

    test('syncSchedule removes unlisted keys from the schedule but keeps their records', async () => {
      await store.syncSchedule([keyOf(1), keyOf(2)], 500);
      await store.recordChange(changeOf(keyOf(2), 0, 'COMPLETE'));
      expect(await store.syncSchedule([keyOf(1)], 600)).toBe(0);
      expect((await store.dueKeys(10_000, 10)).map((r) => r.uuid)).toEqual([uuidOf(1)]);
      expect(await store.getRecord(keyOf(2))).toMatchObject({ state: 'COMPLETE', version: 1 });
    });

    test('a key listed again keeps its state and version and is due at once', async () => {
      await store.syncSchedule([keyOf(1)], 500);
      await store.recordChange(changeOf(keyOf(1), 0, 'COMPLETE', { nextDue: 90_000 }));
      await store.syncSchedule([], 600);
      expect(await store.syncSchedule([keyOf(1)], 700)).toBe(1);
      expect(await store.dueKeys(700, 10)).toEqual([expect.objectContaining({ state: 'COMPLETE', version: 1, nextDue: 700 })]);
    });

    test('syncSchedule of a long list (past any chunking), both kinds, duplicates, one key listed again', async () => {
      await store.syncSchedule([keyOf(7, 'port')], 100);
      await store.recordChange(changeOf(keyOf(7, 'port'), 0, 'COMPLETE', { nextDue: 90_000 }));
      await store.syncSchedule([], 200);
      const keys = [];
      for (let n = 1; n <= 1_300; n++) keys.push(keyOf(n), keyOf(n, 'port'));
      expect(await store.syncSchedule([...keys, keyOf(5), keyOf(5, 'port')], 500)).toBe(2_600);
      expect(await store.countDue(500)).toBe(2_600);
      expect(await store.countDue(500, { kind: 'port', lane: 'cold' })).toBe(1);
      expect(await store.countDue(500, { kind: 'process', lane: 'hot' })).toBe(1_300);
      expect(await store.getRecord(keyOf(7, 'port'))).toMatchObject({ state: 'COMPLETE', version: 1, nextDue: 500 });
      expect(await store.getRecord(keyOf(1_300, 'port'))).toEqual({
        uuid: uuidOf(1_300), kind: 'port', state: null, version: 0, since: null, lastChecked: null, nextDue: 500, requestId: null,
      });
      expect(await store.syncSchedule(keys.slice(0, 1_000), 600)).toBe(0);
      expect(await store.countDue(600)).toBe(1_000);
    });

    test('dueKeys returns only due keys, most overdue first, at most limit', async () => {
      const keys = [1, 2, 3, 4, 5].map((n) => keyOf(n));
      await store.syncSchedule(keys, 0);
      const dues = [400, 100, 300, 9_000, 200];
      for (const [i, k] of keys.entries()) await store.recordCheck({ key: k, observedAt: 0, nextDue: dues[i]! });
      expect((await store.dueKeys(1_000, 10)).map((r) => r.nextDue)).toEqual([100, 200, 300, 400]);
      expect((await store.dueKeys(1_000, 2)).map((r) => r.uuid)).toEqual([uuidOf(2), uuidOf(5)]);
      expect(await store.dueKeys(1_000, 0)).toEqual([]);
      expect(await store.countDue(1_000)).toBe(4);
    });

    test('dueKeys breaks ties by key id', async () => {
      await store.syncSchedule([keyOf(3), keyOf(1, 'port'), keyOf(1), keyOf(2)], 100);
      expect((await store.dueKeys(100, 10)).map((r) => `${r.uuid.slice(-1)}/${r.kind}`)).toEqual(['1/port', '1/process', '2/process', '3/process']);
    });

    test('dueKeys and countDue filter by kind and lane; a change moves a key to the cold lane', async () => {
      await store.syncSchedule([keyOf(1), keyOf(1, 'port'), keyOf(2)], 100);
      expect((await store.dueKeys(100, 10, { kind: 'port' })).map((r) => r.kind)).toEqual(['port']);
      expect(await store.countDue(100, { lane: 'hot' })).toBe(3);
      await store.recordChange(changeOf(keyOf(2), 0, 'COMPLETE', { nextDue: 100 }));
      expect((await store.dueKeys(100, 10, { kind: 'process', lane: 'cold' })).map((r) => r.uuid)).toEqual([uuidOf(2)]);
      expect((await store.dueKeys(100, 10, { kind: 'process', lane: 'hot' })).map((r) => r.uuid)).toEqual([uuidOf(1)]);
      expect(await store.countDue(100, { lane: 'cold' })).toBe(1);
      await store.recordChange(changeOf(keyOf(2), 1, 'COLLECTING', { nextDue: 100 }));
      expect(await store.countDue(100, { lane: 'cold' })).toBe(0);
    });

    test('claimDueKeys takes due keys of one kind and lane, most overdue first, so a second claim does not get them', async () => {
      const keys = [1, 2, 3].map((n) => keyOf(n));
      await store.syncSchedule([...keys, keyOf(1, 'port')], 0);
      for (const [i, k] of keys.entries()) await store.recordCheck({ key: k, observedAt: 0, nextDue: 300 - 100 * i });
      const first = await store.claimDueKeys(1_000, 2, { kind: 'process', lane: 'hot' }, 5_000);
      expect(first.map((r) => [r.uuid, r.nextDue])).toEqual([[uuidOf(3), 100], [uuidOf(2), 200]]);
      expect((await store.claimDueKeys(1_000, 10, { kind: 'process', lane: 'hot' }, 5_000)).map((r) => r.uuid)).toEqual([uuidOf(1)]);
      expect(await store.claimDueKeys(1_000, 10, { kind: 'process', lane: 'hot' }, 5_000)).toEqual([]);
      expect(await store.countDue(1_000, { kind: 'port' })).toBe(1);
      expect(await store.countDue(6_000, { kind: 'process' })).toBe(3); // the lease ran out
    });

    test('releaseClaims puts unchecked keys back at their due time, but not keys checked since the claim', async () => {
      await store.syncSchedule([keyOf(1), keyOf(2)], 100);
      const claimed = await store.claimDueKeys(1_000, 10, { kind: 'process', lane: 'hot' }, 5_000);
      await store.recordCheck({ key: keyOf(2), observedAt: 1_100, nextDue: 4_000 });
      await store.releaseClaims(claimed.map((record) => ({ record, claimedUntil: 6_000 })));
      expect((await store.dueKeys(1_000, 10)).map((r) => r.uuid)).toEqual([uuidOf(1)]);
      expect(await store.nextDueAt('process')).toBe(100);
      expect(await store.countDue(4_000)).toBe(2);
    });

    test('nextDueAt is the earliest scheduled due time, per kind, or null', async () => {
      expect(await store.nextDueAt()).toBeNull();
      await store.syncSchedule([keyOf(1), keyOf(2, 'port')], 0);
      await store.recordCheck({ key: keyOf(1), observedAt: 0, nextDue: 700 });
      await store.recordCheck({ key: keyOf(2, 'port'), observedAt: 0, nextDue: 300 });
      expect(await store.nextDueAt('process')).toBe(700);
      expect(await store.nextDueAt()).toBe(300);
    });

    test('recordCheck moves the schedule and lastChecked without bumping the version', async () => {
      await store.syncSchedule([keyOf(1)], 100);
      await store.recordChange(changeOf(keyOf(1), 0, 'COLLECTING', { at: 200, nextDue: 300 }));
      await store.recordCheck({ key: keyOf(1), observedAt: 400, nextDue: 5_000 });
      expect(await store.getRecord(keyOf(1))).toMatchObject({ state: 'COLLECTING', version: 1, since: 200, lastChecked: 400, nextDue: 5_000 });
      expect(await store.countDue(4_999)).toBe(0);
      expect(await store.dueKeys(5_000, 10)).toHaveLength(1);
    });

    test('recordCheck on a key no longer scheduled updates its record but does not schedule it', async () => {
      await store.syncSchedule([keyOf(1)], 100);
      await store.syncSchedule([], 100);
      await store.recordCheck({ key: keyOf(1), observedAt: 400, nextDue: 500 });
      expect(await store.getRecord(keyOf(1))).toMatchObject({ lastChecked: 400, nextDue: 500 });
      expect(await store.countDue(10_000)).toBe(0);
    });

    test('getRecordsForAgent returns the records of both kinds of one agent only', async () => {
      await store.syncSchedule([keyOf(1), keyOf(1, 'port'), keyOf(2)], 100);
      const recs = await store.getRecordsForAgent(uuidOf(1));
      expect(recs.map((r) => r.kind).sort()).toEqual(['port', 'process']);
      expect(recs.every((r) => r.uuid === uuidOf(1))).toBe(true);
    });
  });

  describe('recordChange', () => {
    test('applies on the expected version: sets the state, bumps the version and appends the event to the outbox', async () => {
      await store.syncSchedule([keyOf(1)], 100);
      const change = changeOf(keyOf(1), 0, 'COLLECTING', { at: 200, nextDue: 900 });
      expect(await store.recordChange(change)).toBe(true);
      expect(await store.getRecord(keyOf(1))).toEqual({
        uuid: uuidOf(1), kind: 'process', state: 'COLLECTING', version: 1, since: 200, lastChecked: 200, nextDue: 900, requestId: 'req-1',
      });
      expect(await store.listOutbox(10)).toEqual([{ event: change.event, createdAt: 200, targets: null, deliveries: {} }]);
      expect(await store.nextDueAt()).toBe(900);
    });

    test('records the first observation of a key that was never scheduled', async () => {
      expect(await store.recordChange(changeOf(keyOf(7), 0, 'AGENT_OFFLINE'))).toBe(true);
      expect(await store.getRecord(keyOf(7))).toMatchObject({ state: 'AGENT_OFFLINE', version: 1 });
      expect(await store.countDue(Number.MAX_SAFE_INTEGER)).toBe(0);
    });

    test('refuses a stale version and writes nothing', async () => {
      await store.syncSchedule([keyOf(1)], 100);
      await store.recordChange(changeOf(keyOf(1), 0, 'COLLECTING', { at: 200, nextDue: 900 }));
      const before = await store.getRecord(keyOf(1));
      expect(await store.recordChange(changeOf(keyOf(1), 0, 'FAILED', { at: 300, nextDue: 400 }))).toBe(false);
      expect(await store.getRecord(keyOf(1))).toEqual(before);
      expect(await store.countOutbox()).toBe(1);
      expect(await store.nextDueAt()).toBe(900);
    });

    test('of ten concurrent changes from one version exactly one succeeds, with one outbox entry', async () => {
      await store.syncSchedule([keyOf(1)], 100);
      const states = ['COLLECTING', 'COMPLETE', 'FAILED', 'AGENT_OFFLINE', 'NO_TASK'] as const;
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.recordChange(changeOf(keyOf(1), 0, states[i % 5]!, { at: 200 + i }))));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.countOutbox()).toBe(1);
      expect(await store.getRecord(keyOf(1))).toMatchObject({ version: 1 });
    });

    test('keeps `since` when the state is recorded again unchanged, and resets it on a new state', async () => {
      await store.recordChange(changeOf(keyOf(1), 0, 'COLLECTING', { at: 200 }));
      await store.recordChange(changeOf(keyOf(1), 1, 'COLLECTING', { at: 300 }));
      expect(await store.getRecord(keyOf(1))).toMatchObject({ since: 200, version: 2 });
      await store.recordChange(changeOf(keyOf(1), 2, 'COMPLETE', { at: 400 }));
      expect(await store.getRecord(keyOf(1))).toMatchObject({ since: 400, version: 3 });
    });
  });

  describe('outbox and deliveries', () => {
    const three = () => [1, 2, 3].map((n) => changeOf(keyOf(n), 0, 'COMPLETE', { at: 100 * n }));

    test('lists entries oldest first, honours the limit, and counts them', async () => {
      const changes = three();
      for (const c of changes) await store.recordChange(c);
      expect((await store.listOutbox(10)).map((e) => e.event.id)).toEqual(changes.map((c) => c.event.id));
      expect((await store.listOutbox(2)).map((e) => e.event.id)).toEqual(changes.slice(0, 2).map((c) => c.event.id));
      expect(await store.countOutbox()).toBe(3);
    });

    test('updateDelivery keeps one delivery state per event and sink', async () => {
      const [a] = three();
      await store.recordChange(a!);
      await store.updateDelivery(a!.event.id, 'webhook:https://x/', pending(1));
      await store.updateDelivery(a!.event.id, 'console', { status: 'delivered', attempts: 1, nextAttemptAt: 0, lastError: null, finishedAt: 1_500 });
      await store.updateDelivery(a!.event.id, 'webhook:https://x/', pending(2, 4_000));
      expect((await store.listOutbox(1))[0]!.deliveries).toEqual({
        'webhook:https://x/': pending(2, 4_000),
        console: { status: 'delivered', attempts: 1, nextAttemptAt: 0, lastError: null, finishedAt: 1_500 },
      });
    });

    test('updateDelivery of an event no longer in the outbox does not bring it back', async () => {
      await store.updateDelivery('ev-gone', 'console', pending());
      expect(await store.countOutbox()).toBe(0);
    });

    test('claimDelivery gives one (event, sink) to one drain at a time, until its lease ends or the delivery is written', async () => {
      const [a] = three();
      await store.recordChange(a!);
      const id = a!.event.id;
      const claims = await Promise.all(Array.from({ length: 5 }, () => store.claimDelivery(id, 'console', 10_000, 60_000)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.claimDelivery(id, 'webhook:https://x/', 10_000, 60_000)).toBe(true); // another sink is its own claim
      expect(await store.claimDelivery(id, 'console', 69_999, 60_000)).toBe(false);
      expect(await store.claimDelivery(id, 'console', 70_001, 60_000)).toBe(true); // the lease ran out
      await store.updateDelivery(id, 'console', pending(1, 80_000));
      expect(await store.claimDelivery(id, 'console', 79_999, 60_000)).toBe(false); // not due yet
      expect(await store.claimDelivery(id, 'console', 80_000, 60_000)).toBe(true);
    });

    test('claimDelivery refuses a delivery that is final or an event no longer in the outbox', async () => {
      const [a] = three();
      await store.recordChange(a!);
      await store.updateDelivery(a!.event.id, 'console', { status: 'delivered', attempts: 1, nextAttemptAt: 0, lastError: null, finishedAt: 1_500 });
      expect(await store.claimDelivery(a!.event.id, 'console', 10_000, 60_000)).toBe(false);
      expect(await store.claimDelivery('ev-never-there', 'console', 10_000, 60_000)).toBe(false);
    });

    test('removeFromOutbox removes only that event', async () => {
      const changes = three();
      for (const c of changes) await store.recordChange(c);
      await store.removeFromOutbox(changes[1]!.event.id);
      await store.removeFromOutbox('ev-never-there');
      expect((await store.listOutbox(10)).map((e) => e.event.id)).toEqual([changes[0]!.event.id, changes[2]!.event.id]);
    });
  });

  describe('dead letters', () => {
    const evA = eventFor(keyOf(1), 'COLLECTING', 'COMPLETE', 2);
    const evB = eventFor(keyOf(2), 'COLLECTING', 'FAILED', 2);

    test('are added, listed in order of addition, and counted; a second add of (event, sink) replaces the first', async () => {
      await store.addDeadLetter(deadLetterOf(evA, 'webhook:https://a/'));
      await store.addDeadLetter(deadLetterOf(evB, 'webhook:https://a/'));
      await store.addDeadLetter(deadLetterOf(evA, 'cmq-topic:t'));
      await store.addDeadLetter({ ...deadLetterOf(evA, 'webhook:https://a/'), reason: 'HTTP 410', deadAt: 5_000 });
      expect(await store.countDeadLetters()).toBe(3);
      const listed = await store.listDeadLetters(10);
      expect(listed.map((d) => [d.event.id, d.sinkId, d.reason])).toEqual([
        [evB.id, 'webhook:https://a/', 'HTTP 400'],
        [evA.id, 'cmq-topic:t', 'HTTP 400'],
        [evA.id, 'webhook:https://a/', 'HTTP 410'],
      ]);
      expect(listed[0]).toEqual(deadLetterOf(evB, 'webhook:https://a/'));
      expect(await store.listDeadLetters(1)).toHaveLength(1);
    });

    test('replay moves letters back to the outbox, each targeted at the sink that failed it, with fresh attempts', async () => {
      await store.addDeadLetter(deadLetterOf(evA, 'webhook:https://a/'));
      await store.addDeadLetter(deadLetterOf(evB, 'cmq-queue:q'));
      expect(await store.replayDeadLetters(null, 9_000)).toBe(2);
      expect(await store.countDeadLetters()).toBe(0);
      expect(await store.listOutbox(10)).toEqual([
        { event: evA, createdAt: 9_000, targets: ['webhook:https://a/'], deliveries: {} },
        { event: evB, createdAt: 9_000, targets: ['cmq-queue:q'], deliveries: {} },
      ]);
    });

    test('replay of chosen event ids leaves the other letters', async () => {
      await store.addDeadLetter(deadLetterOf(evA, 'webhook:https://a/'));
      await store.addDeadLetter(deadLetterOf(evB, 'webhook:https://a/'));
      expect(await store.replayDeadLetters([evB.id, 'ev-unknown'], 9_000)).toBe(1);
      expect((await store.listDeadLetters(10)).map((d) => d.event.id)).toEqual([evA.id]);
      expect((await store.listOutbox(10)).map((e) => e.event.id)).toEqual([evB.id]);
    });

    test('replay of an event still pending for other sinks adds the failed sink to that entry and resets its delivery', async () => {
      const change = changeOf(keyOf(1), 0, 'COMPLETE');
      await store.recordChange(change);
      await store.updateDelivery(change.event.id, 'webhook:https://a/', { status: 'dead', attempts: 3, nextAttemptAt: 0, lastError: 'HTTP 400', finishedAt: 2_000 });
      await store.updateDelivery(change.event.id, 'console', pending());
      await store.addDeadLetter(deadLetterOf(change.event, 'webhook:https://a/'));
      expect(await store.replayDeadLetters(null, 9_000)).toBe(1);
      expect(await store.listOutbox(10)).toEqual([{ event: change.event, createdAt: change.observedAt, targets: null, deliveries: { console: pending() } }]);
    });

    test('replay of two sinks of one event makes one entry targeted at both', async () => {
      await store.addDeadLetter(deadLetterOf(evA, 'webhook:https://a/'));
      await store.addDeadLetter(deadLetterOf(evA, 'cmq-topic:t'));
      expect(await store.replayDeadLetters([evA.id], 9_000)).toBe(2);
      const [entry, ...rest] = await store.listOutbox(10);
      expect(rest).toEqual([]);
      expect(entry!.targets!.slice().sort()).toEqual(['cmq-topic:t', 'webhook:https://a/']);
    });
  });

  describe('result reads and snapshots (the full loop)', () => {
    const snap = (takenAt: number, encoded = `enc-${takenAt}`) => ({ encoded, takenAt });

    test('a change to COMPLETE makes its read pending, once, with the version to read; other states do not', async () => {
      await store.recordChange(changeOf(keyOf(1), 0, 'COLLECTING', { at: 100 }));
      expect(await store.claimPendingReads(1_000, 10, 5_000)).toEqual([]);
      await store.recordChange(changeOf(keyOf(1), 1, 'COMPLETE', { previous: 'COLLECTING', at: 200 }));
      expect(await store.claimPendingReads(1_000, 10, 5_000)).toEqual([{ key: keyOf(1), forVersion: 2 }]);
      // Claimed: not handed out again until the lease ends.
      expect(await store.claimPendingReads(2_000, 10, 5_000)).toEqual([]);
      expect(await store.claimPendingReads(7_000, 10, 5_000)).toEqual([{ key: keyOf(1), forVersion: 2 }]);
    });

    test('pending reads can be claimed per kind, oldest first', async () => {
      await store.recordChange(changeOf(keyOf(5, 'process'), 0, 'COMPLETE', { at: 100 }));
      await store.recordChange(changeOf(keyOf(5, 'port'), 0, 'COMPLETE', { at: 200 }));
      await store.recordChange(changeOf(keyOf(6, 'port'), 0, 'COMPLETE', { at: 300 }));
      expect(await store.claimPendingReads(1_000, 10, 5_000, 'port')).toEqual([{ key: keyOf(5, 'port'), forVersion: 1 }, { key: keyOf(6, 'port'), forVersion: 1 }]);
      expect(await store.claimPendingReads(1_000, 10, 5_000, 'port')).toEqual([]);
      expect(await store.claimPendingReads(1_000, 10, 5_000)).toEqual([{ key: keyOf(5, 'process'), forVersion: 1 }]);
    });

    test('a released read is due again at its retry time; a read replaced by a newer completion is not released', async () => {
      await store.recordChange(changeOf(keyOf(2), 0, 'COMPLETE', { at: 100 }));
      const [read] = await store.claimPendingReads(1_000, 10, 60_000);
      await store.releasePendingRead(read!, 3_000);
      expect(await store.claimPendingReads(2_000, 10, 60_000)).toEqual([]);
      expect(await store.claimPendingReads(3_000, 10, 60_000)).toEqual([{ key: keyOf(2), forVersion: 1 }]);
    });

    test('recordSnapshot is a compare-and-set on the last snapshot, stores the event with it, and ends that read', async () => {
      await store.recordChange(changeOf(keyOf(3), 0, 'COMPLETE', { at: 100 }));
      await store.removeFromOutbox((await store.listOutbox(1))[0]!.event.id);
      expect(await store.getSnapshot(keyOf(3))).toBeNull();
      expect(await store.recordSnapshot(keyOf(3), null, snap(500), 1, null)).toBe(true);
      expect(await store.recordSnapshot(keyOf(3), null, snap(600), 1, null)).toBe(false);
      expect(await store.getSnapshot(keyOf(3))).toEqual(snap(500));
      expect(await store.claimPendingReads(10_000, 10, 1_000)).toEqual([]);
      const event = eventFor(keyOf(3), 'COMPLETE', 'COMPLETE', 9);
      expect(await store.recordSnapshot(keyOf(3), 500, snap(900), 1, event)).toBe(true);
      expect(await store.getSnapshot(keyOf(3))).toEqual(snap(900));
      expect((await store.listOutbox(10)).map((e) => e.event.id)).toEqual([event.id]);
    });

    test('a snapshot of an older completion leaves the newer completion\'s read pending', async () => {
      await store.recordChange(changeOf(keyOf(4), 0, 'COMPLETE', { at: 100 }));
      await store.recordChange(changeOf(keyOf(4), 1, 'COLLECTING', { previous: 'COMPLETE', at: 200 }));
      await store.recordChange(changeOf(keyOf(4), 2, 'COMPLETE', { previous: 'COLLECTING', at: 300 }));
      expect(await store.recordSnapshot(keyOf(4), null, snap(400), 1, null)).toBe(true);
      expect(await store.claimPendingReads(10_000, 10, 1_000)).toEqual([{ key: keyOf(4), forVersion: 3 }]);
    });
  });

  describe('spare budget and parked keys (the fleet)', () => {
    test('getRecords reads many keys in order, null where unknown', async () => {
      await store.syncSchedule([keyOf(1), keyOf(2)], 100);
      const got = await store.getRecords([keyOf(2), keyOf(9), keyOf(1)]);
      expect(got.map((r) => r?.uuid ?? null)).toEqual([uuidOf(2), null, uuidOf(1)]);
    });

    test('claimIdleKeys takes keys that are not due, least recently checked first, never checked before all', async () => {
      await store.syncSchedule([keyOf(1), keyOf(2), keyOf(3)], 100);
      await store.recordCheck({ key: keyOf(1), observedAt: 300, nextDue: 10_000 });
      await store.recordCheck({ key: keyOf(2), observedAt: 200, nextDue: 10_000 });
      await store.recordCheck({ key: keyOf(3), observedAt: 400, nextDue: 10_000 });
      expect((await store.claimIdleKeys(1_000, 2, 'process', 900)).map((r) => r.uuid)).toEqual([uuidOf(2), uuidOf(1)]);
    });

    test('a key taken by claimIdleKeys goes to the back of the order, so the next call takes others', async () => {
      await store.syncSchedule([keyOf(1), keyOf(2)], 100);
      for (const n of [1, 2]) await store.recordCheck({ key: keyOf(n), observedAt: 100 + n, nextDue: 10_000 });
      expect((await store.claimIdleKeys(1_000, 1, 'process', 5_000)).map((r) => r.uuid)).toEqual([uuidOf(1)]);
      expect((await store.claimIdleKeys(1_001, 1, 'process', 5_000)).map((r) => r.uuid)).toEqual([uuidOf(2)]);
    });

    test('claimIdleKeys leaves out due keys, claimed keys, keys checked after checkedBefore, other kinds and unscheduled keys', async () => {
      await store.syncSchedule([keyOf(1), keyOf(2), keyOf(3), keyOf(4), keyOf(5, 'port'), keyOf(6)], 100);
      await store.recordCheck({ key: keyOf(1), observedAt: 200, nextDue: 500 }); // due at 1,000
      await store.recordCheck({ key: keyOf(2), observedAt: 200, nextDue: 5_000 });
      await store.recordCheck({ key: keyOf(3), observedAt: 950, nextDue: 5_000 }); // checked too recently
      await store.recordCheck({ key: keyOf(4), observedAt: 200, nextDue: 5_000 });
      await store.recordCheck({ key: keyOf(5, 'port'), observedAt: 200, nextDue: 5_000 });
      await store.recordCheck({ key: keyOf(6), observedAt: 200, nextDue: 5_000 });
      await store.syncSchedule([keyOf(1), keyOf(2), keyOf(3), keyOf(4), keyOf(5, 'port')], 100); // 6 unwatched
      // Claim keys 1 and 2 the due way (the due score moves to the lease while the record keeps its nextDue).
      expect((await store.claimDueKeys(5_000, 2, { kind: 'process', lane: 'hot' }, 10_000)).map((r) => r.uuid)).toEqual([uuidOf(1), uuidOf(2)]);
      expect((await store.claimIdleKeys(1_000, 10, 'process', 900)).map((r) => r.uuid)).toEqual([uuidOf(4)]);
    });

    test('a parked key is out of the spare-budget order, and back in once a check unparks it', async () => {
      await store.syncSchedule([keyOf(1)], 100);
      await store.recordChange({ ...changeOf(keyOf(1), 0, 'AGENT_OFFLINE', { at: 200, nextDue: 90_000 }), parked: true });
      expect(await store.getRecord(keyOf(1))).toMatchObject({ state: 'AGENT_OFFLINE', parked: true, nextDue: 90_000 });
      expect(await store.claimIdleKeys(1_000, 10, 'process', 900)).toEqual([]);
      await store.recordCheck({ key: keyOf(1), observedAt: 300, nextDue: 5_000 });
      expect((await store.getRecord(keyOf(1)))?.parked).toBeUndefined();
      expect((await store.claimIdleKeys(1_000, 10, 'process', 900)).map((r) => r.uuid)).toEqual([uuidOf(1)]);
    });

    test('a parked key listed again keeps its due time instead of coming due at once', async () => {
      await store.syncSchedule([keyOf(1)], 100);
      await store.recordCheck({ key: keyOf(1), observedAt: 200, nextDue: 90_000, parked: true });
      await store.syncSchedule([], 300);
      expect(await store.syncSchedule([keyOf(1)], 400)).toBe(1);
      expect(await store.countDue(1_000)).toBe(0);
      expect(await store.nextDueAt('process')).toBe(90_000);
      expect(await store.claimIdleKeys(1_000, 10, 'process', 900)).toEqual([]);
    });
  });

  describe('machines and discovery (the fleet)', () => {
    const machine = (n: number, listing: number, extra: Partial<import('../../lib/types').MachineInfo> = {}) => ({
      uuid: uuidOf(n), name: `vm-${n}`, ip: `10.0.0.${n}`, tags: ['prod'], type: 'CVM', region: 'ap-guangzhou', status: 'ONLINE' as const,
      firstSeenAt: 1_000 * listing, lastSeenAt: 1_000 * listing, seenInListing: listing, ...extra,
    });
    const cursor = (listing: number) => ({ listing, target: 1, offset: 200, targetsKey: 'k', startedAt: 10, lastCompletedAt: null, skippedNoUuid: 3, lastSkippedNoUuid: 0 });

    test('putMachines adds and updates machines by uuid, keeping the first sighting', async () => {
      await store.putMachines([machine(1, 1), machine(2, 1, { tags: [] })]);
      await store.putMachines([machine(1, 2, { name: 'renamed', status: 'OFFLINE' })]);
      expect(await store.listMachines()).toEqual([
        { ...machine(1, 2, { name: 'renamed', status: 'OFFLINE' }), firstSeenAt: 1_000 },
        machine(2, 1, { tags: [] }),
      ]);
      expect(await store.getMachine(uuidOf(2))).toEqual(machine(2, 1, { tags: [] }));
      expect(await store.getMachine(uuidOf(3))).toBeNull();
    });

    test('forgetMachine deletes a machine not listed since lastListing and appends its event, once', async () => {
      await store.putMachines([machine(1, 1), machine(2, 3)]);
      const event = eventFor(keyOf(1), null, 'AGENT_OFFLINE', 1);
      expect(await store.forgetMachine(uuidOf(2), 1, null)).toBe(false); // listed in 3: stays
      expect(await store.forgetMachine(uuidOf(1), 1, event)).toBe(true);
      expect(await store.forgetMachine(uuidOf(1), 1, event)).toBe(false);
      expect((await store.listMachines()).map((m) => m.uuid)).toEqual([uuidOf(2)]);
      expect((await store.listOutbox(10)).map((e) => e.event.id)).toEqual([event.id]);
    });

    test('claimDiscovery holds a lease: a second claim is busy until it ends or is given up', async () => {
      expect(await store.claimDiscovery(1_000, 30_000)).toEqual({ cursor: null });
      expect(await store.claimDiscovery(2_000, 30_000)).toBe('busy');
      await store.saveDiscovery(cursor(1), 40_000);
      expect(await store.claimDiscovery(35_000, 30_000)).toBe('busy');
      expect(await store.claimDiscovery(40_001, 30_000)).toEqual({ cursor: cursor(1) });
      await store.saveDiscovery(cursor(2), null);
      expect(await store.claimDiscovery(40_002, 30_000)).toEqual({ cursor: cursor(2) });
      expect(await store.getDiscovery()).toEqual(cursor(2));
    });
  });

  describe('watches, last sweep, health', () => {
    test('putWatch adds, lists by uuid, replaces kinds and keeps the first addedAt; deleteWatch says whether there was one', async () => {
      expect(await store.putWatch(uuidOf(2), ['process', 'port'], 100)).toEqual({ uuid: uuidOf(2), kinds: ['process', 'port'], source: 'api', addedAt: 100 });
      await store.putWatch(uuidOf(1), ['port'], 200);
      await store.putWatch(uuidOf(2), ['port'], 300);
      expect(await store.listWatches()).toEqual([
        { uuid: uuidOf(1), kinds: ['port'], source: 'api', addedAt: 200 },
        { uuid: uuidOf(2), kinds: ['port'], source: 'api', addedAt: 100 },
      ]);
      expect(await store.deleteWatch(uuidOf(1))).toBe(true);
      expect(await store.deleteWatch(uuidOf(1))).toBe(false);
      expect((await store.listWatches()).map((w) => w.uuid)).toEqual([uuidOf(2)]);
    });

    test('getWatch reads one watch and countWatches counts them, without listing', async () => {
      expect(await store.getWatch(uuidOf(3))).toBeNull();
      expect(await store.countWatches()).toBe(0);
      await store.putWatch(uuidOf(3), ['process'], 100);
      await store.putWatch(uuidOf(4), ['port'], 200);
      await store.putWatch(uuidOf(3), ['port'], 300);
      expect(await store.getWatch(uuidOf(3))).toEqual({ uuid: uuidOf(3), kinds: ['port'], source: 'api', addedAt: 100 });
      expect(await store.countWatches()).toBe(2);
      await store.deleteWatch(uuidOf(4));
      expect(await store.countWatches()).toBe(1);
    });

    test('the last sweep summary round-trips', async () => {
      expect(await store.getLastSweep()).toBeNull();
      const summary: SweepSummary = {
        requestId: 'r1', startedAt: '2026-11-24T10:00:00.000Z', outcome: 'store', error: 'boom', checked: 5, changed: 2, published: 2,
        retried: 1, throttled: 0, failed: 1, dueLeft: 3, outboxLeft: 0, deadLetters: 0, tookMs: 1234,
      };
      await store.putLastSweep(summary);
      expect(await store.getLastSweep()).toEqual(summary);
    });

    test('ping answers and the description names the store', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      expect(store.description).toMatch(/^(memory:|file:|redis:\/\/)/);
    });

    test('returned objects are copies: changing them changes nothing stored', async () => {
      await store.recordChange(changeOf(keyOf(1), 0, 'COMPLETE'));
      const rec = (await store.getRecord(keyOf(1)))!;
      rec.version = 99;
      const [entry] = await store.listOutbox(1);
      statusData(entry!.event).state = 'FAILED';
      expect(await store.getRecord(keyOf(1))).toMatchObject({ version: 1 });
      expect(statusData((await store.listOutbox(1))[0]!.event).state).toBe('COMPLETE');
    });
  });

  test('a reopened durable store has everything written before close', async () => {
    if (!fixture.persistent) return;
    await store.syncSchedule([keyOf(1), keyOf(2)], 100);
    await store.recordChange(changeOf(keyOf(1), 0, 'COMPLETE', { nextDue: 800 }));
    await store.recordCheck({ key: keyOf(2), observedAt: 150, nextDue: 600 });
    await store.putWatch(uuidOf(1), ['process'], 100);
    await store.addDeadLetter(deadLetterOf(eventFor(keyOf(3), null, 'FAILED', 1), 'console'));
    await store.close();
    const again = await fixture.open();
    expect(await again.getRecord(keyOf(1))).toMatchObject({ state: 'COMPLETE', version: 1 });
    expect(await again.getRecord(keyOf(2))).toMatchObject({ lastChecked: 150, nextDue: 600 });
    expect((await again.dueKeys(1_000, 10)).map((r) => r.nextDue)).toEqual([600, 800]);
    expect(await again.countOutbox()).toBe(1);
    expect(await again.countDeadLetters()).toBe(1);
    expect(await again.listWatches()).toHaveLength(1);
  });
});

describe('file store shared by two processes', () => {
  let bundle: string;
  const fixture = fileFixture();

  beforeAll(() => {
    bundle = buildFileStoreBundle();
  });
  afterAll(() => fixture.cleanup());

  test('two processes racing compare-and-set on the same keys: exactly one wins each key, and both see the result', async () => {
    const KEYS = 25;
    const store = await fixture.open();
    await store.syncSchedule(Array.from({ length: KEYS }, (_, i) => keyOf(i)), 100);
    const child = path.join(__dirname, '../helpers/store-file-child.js');
    const procs = ['A', 'B'].map((name) => fork(child, [bundle, fixture.dir, name, String(KEYS)], { stdio: 'inherit' }));
    const ready = procs.map((p) => new Promise<void>((resolve) => p.once('message', () => resolve())));
    await Promise.all(ready);
    const results = procs.map((p) => new Promise<{ won: number[]; error?: string }>((resolve) => p.once('message', (m) => resolve(m as { won: number[] }))));
    for (const p of procs) p.send('go');
    const [a, b] = await Promise.all(results);
    expect(a!.error ?? b!.error).toBeUndefined();
    expect([...a!.won, ...b!.won].sort((x, y) => x - y)).toEqual(Array.from({ length: KEYS }, (_, i) => i));
    expect(await store.countOutbox()).toBe(KEYS);
    for (let i = 0; i < KEYS; i++) expect(await store.getRecord(keyOf(i))).toMatchObject({ version: 1 });
  });
});

describe('Redis store shared by two connections', () => {
  const fixture = redisFixture();
  afterAll(() => fixture.cleanup());

  test('two connections racing compare-and-set on the same keys: exactly one wins each key', async () => {
    const [s1, s2] = [await fixture.open(), await fixture.open()];
    const KEYS = 50;
    const race = await Promise.all(
      Array.from({ length: KEYS }, (_, i) => [s1!, s2!].map((s, j) => s.recordChange(changeOf(keyOf(i), 0, j === 0 ? 'COLLECTING' : 'COMPLETE')))).flat(),
    );
    for (let i = 0; i < KEYS; i++) expect([race[2 * i], race[2 * i + 1]].filter(Boolean)).toHaveLength(1);
    expect(await s1!.countOutbox()).toBe(KEYS);
    expect(await s2!.countOutbox()).toBe(KEYS);
  });

  test('the description never shows the password', () => {
    expect(describeRedisUrl('redis://default:hunter2@10.0.0.5:6380/3?password=x')).toBe('redis://default:***@10.0.0.5:6380/3');
    expect(describeRedisUrl('redis://127.0.0.1')).toBe('redis://127.0.0.1:6379/0');
  });
});
