// The Redis store's lifecycle ports (StorePort, RetentionPort): who the store is and whether it was found reset,
// and what it forgets so that nothing grows for ever. A link in the chain connection.ts -> delivery.ts ->
// lifecycle.ts -> store.ts (RedisStateStore); its scripts are lifecycle-scripts.ts.
import { randomUUID } from 'node:crypto';
import { TASK_KINDS, type StoreIdentity, type StoreReset } from '../../types';
import { keyId } from '../rules';
import type { RetentionPort, StorePort, SweepLease } from '../store';
import { RedisDeliveryStore } from './delivery';

const nullable = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
/** Keys read per page when a store written before retention is adopted. */
const ADOPT_PAGE = 1_000;

export abstract class RedisLifecycleStore extends RedisDeliveryStore implements StorePort, RetentionPort {
  // --- the store itself ---

  identity(now: number): Promise<StoreIdentity> {
    return this.run('identity', async () => {
      const [storeId, createdAt, made] = (await this.script('identity', { store: this.k('store') }, { storeId: randomUUID(), now })) as [string, string, number];
      // The first use of this store by a version with retention: what an earlier version left gets its indexes.
      if (Number(made) === 1) await this.adoptUnindexed(now);
      return { storeId, createdAt: Number(createdAt) };
    });
  }

  recordReset(reset: StoreReset): Promise<void> {
    return this.run('recordReset', async () => {
      const { lost } = reset;
      const text = (n: number | null) => (n === null ? '' : String(n));
      await this.script('recordReset', { reset: this.k('reset') }, {
        at: reset.at, storeId: reset.storeId, previousStoreId: reset.previousStoreId, noticedBy: reset.noticedBy,
        apiWatches: text(lost.apiWatches), outbox: text(lost.outbox), deadLetters: text(lost.deadLetters),
      });
    });
  }

  getReset(): Promise<StoreReset | null> {
    return this.run('getReset', async () => this.toReset(await this.redis.hgetall(this.k('reset'))));
  }

  acknowledgeReset(): Promise<StoreReset | null> {
    return this.run('acknowledgeReset', async () => {
      const [h] = (await this.exec(this.redis.multi().hgetall(this.k('reset')).del(this.k('reset')))) as [Record<string, string>, number];
      return this.toReset(h);
    });
  }

  /** Overlapping sweeps on Redis are safe: claims and the shared rate limit keep them apart. */
  async acquireSweepLease(): Promise<SweepLease> {
    return { kind: 'shared' };
  }

  private toReset(h: Record<string, string>): StoreReset | null {
    if (!h.storeId) return null;
    return {
      at: Number(h.at), storeId: h.storeId, previousStoreId: h.previousStoreId ?? '', noticedBy: h.noticedBy === 'api' ? 'api' : 'poll',
      lost: { apiWatches: nullable(h.apiWatches), outbox: nullable(h.outbox), deadLetters: nullable(h.deadLetters) },
    };
  }

  /**
   * A store an earlier version wrote kept every record of an agent it no longer watched, and its dead letters
   * without the indexes retention reads: mark those records as left now, and index those letters. Once per store
   * (when its identity is made), a page of keys per round trip.
   */
  private async adoptUnindexed(now: number): Promise<void> {
    const recPrefix = `${this.k('rec')}:`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${recPrefix}*`, 'COUNT', ADOPT_PAGE);
      cursor = next;
      if (keys.length > 0) await this.script('adoptRecords', { left: this.k('left') }, { now, prefix: `${this.prefix}:` }, { keys: [], args: keys.map((k) => k.slice(recPrefix.length)) });
    } while (cursor !== '0');
    const total = await this.redis.zcard(this.k('dead'));
    for (let start = 0; start < total; start += ADOPT_PAGE) {
      const members = await this.redis.zrange(this.k('dead'), start, start + ADOPT_PAGE - 1);
      if (members.length > 0) await this.script('adoptDeadLetters', this.deadLetterKeys(), { sinkPrefix: this.deadSinkPrefix() }, { keys: [], args: members });
    }
  }

  // --- retention ---

  purgeUnwatched(leftBefore: number, limit: number): Promise<number> {
    return this.run('purgeUnwatched', async () => {
      if (limit <= 0) return 0;
      return Number(await this.script('purgeUnwatched', { left: this.k('left'), readsV: this.k('reads', 'v') }, { leftBefore, limit, prefix: `${this.prefix}:` }));
    });
  }

  forgetAgent(uuid: string): Promise<number> {
    return this.run('forgetAgent', async () => {
      const ids = TASK_KINDS.map((kind) => keyId({ uuid, kind }));
      return Number(await this.script('forgetKeys', { left: this.k('left'), readsV: this.k('reads', 'v') }, { prefix: `${this.prefix}:` }, { keys: [], args: ids }));
    });
  }

  expireDeadLetters(deadBefore: number, maxPerSink: number, limit: number): Promise<number> {
    return this.run('expireDeadLetters', async () => {
      if (limit <= 0) return 0;
      return Number(await this.script('expireDeadLetters', this.deadLetterKeys(), { deadBefore, maxPerSink, limit, sinkPrefix: this.deadSinkPrefix() }));
    });
  }

  /** Inspection for tests and tools, not part of any port: the keys off the watch list and when they left, by key id. */
  leftKeys(): Promise<Array<[string, number]>> {
    return this.run('leftKeys', async () => {
      const flat = await this.redis.zrange(this.k('left'), 0, -1, 'WITHSCORES');
      const out: Array<[string, number]> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
      return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    });
  }
}
