// The lifecycle ports (StorePort, RetentionPort) and discarding dead letters, one suite against every store
// (memory, file, Redis): who a store is and whether it was found reset, what leaves the watch list and when it
// is forgotten, which dead letters expire. Then what one family alone does: the file store's sweep lease across
// processes, and a Redis store written before retention adopted when its identity is first made.
import { fork } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import { RedisStateStore } from '../../lib/state/redis/store';
import type { StoreReset } from '../../lib/types';
import { buildFileStoreBundle } from '../helpers/store-bundle';
import { FIXTURES, REDIS_URL, changeOf, deadLetterOf, deleteRedisPrefix, eventFor, fileFixture, keyOf, uniquePrefix, uuidOf, type InspectableStore, type StoreFixture } from '../helpers/store-fixtures';

const reset = (storeId: string, lost: Partial<StoreReset['lost']> = {}, at = 5_000): StoreReset => ({
  at, storeId, previousStoreId: 'old-store', noticedBy: 'poll', lost: { apiWatches: null, outbox: null, deadLetters: null, ...lost },
});

describe.each(FIXTURES)('StateStore lifecycle: %s', (_name, makeFixture) => {
  let fixture: StoreFixture;
  let store: InspectableStore;

  beforeEach(async () => {
    fixture = makeFixture();
    store = await fixture.open();
  });
  afterEach(async () => {
    await fixture.cleanup();
  });

  describe('identity and resets', () => {
    test('a store gets a random id on first use and keeps it, with when it was made', async () => {
      const first = await store.identity(1_000);
      expect(first).toEqual({ storeId: expect.stringMatching(/^[0-9a-f-]{36}$/), createdAt: 1_000 });
      expect(await store.identity(2_000)).toEqual(first);
      if (fixture.persistent) expect(await (await fixture.open()).identity(3_000)).toEqual(first);
    });

    test('racing first uses agree on one id', async () => {
      const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => store.identity(1_000 + i)));
      expect(new Set(ids.map((i) => i.storeId)).size).toBe(1);
    });

    test('a reset is kept until acknowledged, and acknowledging answers it once', async () => {
      expect(await store.getReset()).toBeNull();
      await store.recordReset(reset('new-store', { apiWatches: 25, outbox: 10 }));
      expect(await store.getReset()).toEqual(reset('new-store', { apiWatches: 25, outbox: 10 }));
      expect(await store.acknowledgeReset()).toEqual(reset('new-store', { apiWatches: 25, outbox: 10 }));
      expect(await store.getReset()).toBeNull();
      expect(await store.acknowledgeReset()).toBeNull();
    });

    test('a second notice of the same reset keeps the first one\'s time and fills in only what it did not know', async () => {
      await store.recordReset(reset('new-store', { apiWatches: 25 }, 5_000));
      await store.recordReset({ ...reset('new-store', { apiWatches: 3, outbox: 10 }, 6_000), noticedBy: 'api' });
      expect(await store.getReset()).toEqual(reset('new-store', { apiWatches: 25, outbox: 10 }, 5_000));
    });
  });

  describe('what leaves the watch list, and when it is forgotten', () => {
    test('syncSchedule marks the keys it unschedules as left then, and unmarks a key scheduled again', async () => {
      await store.syncSchedule([keyOf(1), keyOf(2)], 100);
      await store.syncSchedule([keyOf(1)], 200);
      expect(await store.leftKeys()).toEqual([[`${uuidOf(2)}/process`, 200]]);
      await store.syncSchedule([keyOf(1), keyOf(2)], 300);
      expect(await store.leftKeys()).toEqual([]);
    });

    test('a late write to an unscheduled key marks it (once: the first mark stands), so nothing unscheduled is kept for ever', async () => {
      await store.recordCheck({ key: keyOf(3), observedAt: 400, nextDue: 900 });
      await store.recordChange(changeOf(keyOf(3), 0, 'COMPLETE', { at: 500 }));
      await store.recordSnapshot(keyOf(4, 'port'), null, { encoded: 'e', takenAt: 600 }, 1, null);
      expect(await store.leftKeys()).toEqual([[`${uuidOf(3)}/process`, 400], [`${uuidOf(4)}/port`, 600]]);
    });

    test('purgeUnwatched forgets keys left at or before the cutoff, earliest first, at most `limit`: records, snapshots, pending reads', async () => {
      await store.syncSchedule([keyOf(1), keyOf(2), keyOf(3, 'port')], 100);
      await store.recordChange(changeOf(keyOf(3, 'port'), 0, 'COMPLETE', { at: 150 })); // a pending read
      await store.recordSnapshot(keyOf(3, 'port'), null, { encoded: 'e', takenAt: 160 }, 99, null);
      await store.syncSchedule([keyOf(1)], 200); // 2 and 3 leave at 200
      await store.syncSchedule([], 300); // 1 leaves at 300

      expect(await store.purgeUnwatched(250, 1)).toBe(1);
      expect(await store.getRecord(keyOf(2))).toBeNull();
      expect(await store.getRecord(keyOf(3, 'port'))).not.toBeNull();
      expect(await store.purgeUnwatched(250, 10)).toBe(1);
      expect(await store.getRecord(keyOf(3, 'port'))).toBeNull();
      expect(await store.getSnapshot(keyOf(3, 'port'))).toBeNull();
      expect(await store.claimPendingReads(10_000, 10, 1_000)).toEqual([]);
      expect(await store.leftKeys()).toEqual([[`${uuidOf(1)}/process`, 300]]);
      expect(await store.getRecord(keyOf(1))).not.toBeNull();
    });

    test('a key watched again before the purge is kept', async () => {
      await store.syncSchedule([keyOf(1)], 100);
      await store.recordChange(changeOf(keyOf(1), 0, 'FAILED', { at: 150 }));
      await store.syncSchedule([], 200);
      await store.syncSchedule([keyOf(1)], 250);
      expect(await store.purgeUnwatched(10_000, 10)).toBe(0);
      expect(await store.getRecord(keyOf(1))).toMatchObject({ state: 'FAILED', version: 1 });
    });

    test('forgetAgent forgets both kinds at once, scheduled or not, and answers how many keys it had', async () => {
      await store.syncSchedule([keyOf(5), keyOf(5, 'port'), keyOf(6)], 100);
      await store.recordChange(changeOf(keyOf(5, 'port'), 0, 'COMPLETE', { at: 150 }));
      await store.recordSnapshot(keyOf(5, 'port'), null, { encoded: 'e', takenAt: 160 }, 1, null);
      expect(await store.forgetAgent(uuidOf(5))).toBe(2);
      expect(await store.getRecordsForAgent(uuidOf(5))).toEqual([]);
      expect(await store.getSnapshot(keyOf(5, 'port'))).toBeNull();
      expect((await store.dueKeys(10_000, 10)).map((r) => r.uuid)).toEqual([uuidOf(6)]);
      expect(await store.claimPendingReads(10_000, 10, 1_000)).toEqual([]);
      expect(await store.forgetAgent(uuidOf(5))).toBe(0);
    });
  });

  describe('dead letters: expiry and discarding', () => {
    const ev = (n: number) => eventFor(keyOf(n), null, 'FAILED', 1);
    const add = async (n: number, sinkId: string, deadAt: number) => store.addDeadLetter(deadLetterOf(ev(n), sinkId, deadAt));
    const letters = async () => (await store.listDeadLetters(100)).map((l) => `${l.event.id.slice(-14)}@${l.sinkId}`);

    test('expireDeadLetters drops those dead before the cutoff, oldest first, at most `limit`', async () => {
      await add(1, 'webhook:a', 3_000);
      await add(2, 'webhook:a', 1_000);
      await add(3, 'console', 2_000);
      expect(await store.expireDeadLetters(2_500, 100, 1)).toBe(1);
      expect(await store.countDeadLetters()).toBe(2);
      expect((await store.listDeadLetters(10)).map((l) => l.deadAt)).toEqual([3_000, 2_000]);
      expect(await store.expireDeadLetters(2_500, 100, 10)).toBe(1);
      expect((await store.listDeadLetters(10)).map((l) => l.deadAt)).toEqual([3_000]);
    });

    test('past maxPerSink, each sink\'s oldest (in order of addition) go; other sinks keep theirs', async () => {
      for (let n = 1; n <= 4; n++) await add(n, 'webhook:a', 10_000 + n);
      await add(9, 'console', 10_000);
      expect(await store.expireDeadLetters(0, 2, 100)).toBe(2);
      expect(await letters()).toEqual([`${ev(3).id.slice(-14)}@webhook:a`, `${ev(4).id.slice(-14)}@webhook:a`, `${ev(9).id.slice(-14)}@console`]);
      expect(await store.deadLetterSinks()).toEqual(['console', 'webhook:a']);
    });

    test('a letter added again moves last in its sink\'s order too', async () => {
      await add(1, 'webhook:a', 100);
      await add(2, 'webhook:a', 200);
      await add(1, 'webhook:a', 300);
      expect(await store.expireDeadLetters(0, 1, 100)).toBe(1);
      expect((await store.listDeadLetters(10)).map((l) => l.event.id)).toEqual([ev(1).id]);
    });

    test('discardDeadLetters: by event, by sink, or all; the sinks with letters follow', async () => {
      await add(1, 'webhook:a', 100);
      await add(1, 'console', 100);
      await add(2, 'webhook:a', 200);
      await add(3, 'console', 300);
      expect(await store.discardDeadLetters({ eventIds: [ev(1).id, 'no-such-event'] })).toBe(2);
      expect(await store.discardDeadLetters({ sinkIds: ['console'] })).toBe(1);
      expect(await store.deadLetterSinks()).toEqual(['webhook:a']);
      expect(await store.discardDeadLetters(null)).toBe(1);
      expect(await store.countDeadLetters()).toBe(0);
      expect(await store.deadLetterSinks()).toEqual([]);
    });

    test('a replayed letter leaves the indexes retention reads', async () => {
      await store.syncSchedule([keyOf(1)], 100);
      await store.recordChange(changeOf(keyOf(1), 0, 'FAILED'));
      const [entry] = await store.listOutbox(1);
      await store.addDeadLetter(deadLetterOf(entry!.event, 'webhook:a', 100));
      expect(await store.replayDeadLetters(null, 200)).toBe(1);
      expect(await store.deadLetterSinks()).toEqual([]);
      expect(await store.expireDeadLetters(10_000, 1, 100)).toBe(0);
    });
  });

  test('overlapping sweeps of one process may all sweep (memory and Redis: shared; file: the one lease, held by every sweep of the process)', async () => {
    const a = await store.acquireSweepLease();
    const b = await store.acquireSweepLease();
    expect(a.kind).not.toBe('busy');
    expect(b.kind).not.toBe('busy');
    if (a.kind === 'held') await a.release();
    if (b.kind === 'held') await b.release();
  });
});

describe('file store: one sweeping process per directory', () => {
  test('a second process gets busy, naming the holder, until the first releases the lease', async () => {
    const fixture = fileFixture();
    try {
      const store = await fixture.open();
      const lease = await store.acquireSweepLease();
      expect(lease.kind).toBe('held');
      const bundle = buildFileStoreBundle();
      const other = () => runChild(bundle, fixture.dir);
      expect(await other()).toEqual({ kind: 'busy', holder: expect.stringMatching(new RegExp(`^pid ${process.pid} on .+ since \\d{4}-`)) });
      if (lease.kind === 'held') await lease.release();
      expect(await other()).toEqual({ kind: 'held' });
    } finally {
      await fixture.cleanup();
    }
  });

  test('the lease of a process that died is taken over at once', async () => {
    const fixture = fileFixture();
    try {
      const bundle = buildFileStoreBundle();
      // The child takes the lease and exits without releasing it.
      expect(await runChild(bundle, fixture.dir, { keep: true })).toEqual({ kind: 'held' });
      const store = await fixture.open();
      const lease = await store.acquireSweepLease();
      expect(lease.kind).toBe('held');
      if (lease.kind === 'held') await lease.release();
    } finally {
      await fixture.cleanup();
    }
  });
});

/**
 * Opens the file store in a child process and tries its sweep lease: what it got (released at once unless `keep`),
 * once the child has exited (so a kept lease's holder is gone).
 */
function runChild(bundle: string, dir: string, options: { keep?: boolean } = {}): Promise<{ kind: string; holder?: string }> {
  const script = path.join(__dirname, '../helpers/store-lease-child.js');
  return new Promise((resolve, reject) => {
    const child = fork(script, [bundle, dir, options.keep ? 'keep' : 'release'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let answer: { kind: string; holder?: string } | null = null;
    child.once('message', (m) => (answer = m as { kind: string; holder?: string }));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 && answer ? resolve(answer) : reject(new Error(`lease child exited with ${code}${answer ? '' : ', no answer'}`))));
  });
}

describe('Redis store written before retention', () => {
  test('its first identity marks records no longer scheduled as left, and indexes its dead letters', async () => {
    const prefix = uniquePrefix();
    const store = await RedisStateStore.open(REDIS_URL, { prefix });
    const raw = new Redis(REDIS_URL);
    try {
      await store.syncSchedule([keyOf(1), keyOf(2)], 100);
      await store.recordChange(changeOf(keyOf(2), 0, 'COMPLETE'));
      await store.syncSchedule([keyOf(1)], 200);
      await store.addDeadLetter(deadLetterOf(eventFor(keyOf(2), null, 'COMPLETE', 1), 'webhook:a', 150));
      // What an earlier version wrote: no identity, no marks, no dead-letter indexes.
      await raw.del(`${prefix}:store`, `${prefix}:left`, `${prefix}:dead:at`, `${prefix}:dead:sinks`, ...(await raw.keys(`${prefix}:dead:sink:*`)));

      await store.identity(9_000);

      expect(await store.leftKeys()).toEqual([[`${uuidOf(2)}/process`, 9_000]]);
      expect(await store.deadLetterSinks()).toEqual(['webhook:a']);
      expect(await store.expireDeadLetters(200, 100, 10)).toBe(1);
      expect(await store.purgeUnwatched(9_000, 10)).toBe(1);
      expect(await store.getRecord(keyOf(2))).toBeNull();
    } finally {
      raw.disconnect();
      await store.close();
      await deleteRedisPrefix(prefix);
    }
  });
});
