// The Redis store's history and counters (HistoryPort, CounterPort). A link in the chain connection.ts ->
// delivery.ts -> lifecycle.ts -> incidents.ts -> history.ts -> store.ts (RedisStateStore). The history is written
// by every script that appends to the outbox (history-scripts.ts), to which `historyArg` (connection.ts) hands the limits; a search
// is plain commands: one index read from the new end down (ZREVRANGEBYLEX), then the events in one HMGET.
import type { BridgeEvent } from '../../events/types';
import { counterKey, parseCounterKey, sortCounters, type CounterIncrement, type CounterValue } from '../counters';
import { encodeHistoryCursor, historyBounds, historyIndexOf, type HistoryFilter, type HistoryPage, type HistoryQuery } from '../history';
import type { CounterPort, HistoryPort } from '../store';
import { RedisIncidentStore } from './incidents';

export abstract class RedisHistoryStore extends RedisIncidentStore implements HistoryPort, CounterPort {
  async searchHistory(query: HistoryQuery): Promise<HistoryPage> {
    const { below, lowest } = historyBounds(query); // a bad cursor rejects as BadCursorError, not a StoreError
    return this.run('searchHistory', async () => {
      const index = this.k('hist', ...historyIndexOf(query));
      const places = await this.redis.zrevrangebylex(index, below === '~' ? '+' : `(${below}`, lowest === '' ? '-' : `[${lowest}`, 'LIMIT', 0, query.limit + 1);
      const more = places.length > query.limit;
      const page = places.slice(0, query.limit);
      if (page.length === 0) return { events: [], nextCursor: null };
      const values = await this.redis.hmget(this.k('hist', 'ev'), ...page);
      const events: BridgeEvent[] = [];
      // An event trimmed between the two reads is left out; the cursor still continues below the page.
      for (const v of values) {
        if (v === null) continue;
        let at = 0;
        for (let i = 0; i < 3; i++) at = v.indexOf('\t', at) + 1;
        events.push(JSON.parse(v.slice(at)) as BridgeEvent);
      }
      return { events, nextCursor: more ? encodeHistoryCursor(page[page.length - 1]!) : null };
    });
  }

  countHistory(filter?: HistoryFilter): Promise<number> {
    if (!filter) return this.run('countHistory', () => this.redis.zcard(this.k('hist')));
    const { below, lowest } = historyBounds({ ...filter, limit: 0 });
    return this.run('countHistory', () => this.redis.zlexcount(this.k('hist', ...historyIndexOf(filter)), lowest === '' ? '-' : `[${lowest}`, below === '~' ? '+' : `(${below}`));
  }

  trimHistory(now: number, limit: number): Promise<number> {
    return this.run('trimHistory', async () => Number(await this.script('trimHistory', {}, { history: this.historyArg, now, limit })));
  }

  incrementCounters(increments: CounterIncrement[]): Promise<void> {
    if (increments.length === 0) return Promise.resolve();
    return this.run('incrementCounters', async () => {
      await this.script('incrementCounters', { counters: this.k('counters') }, {}, { keys: [], args: increments.flatMap((i) => [counterKey(i.name, i.labels), Math.round(i.by)]) });
    });
  }

  readCounters(): Promise<CounterValue[]> {
    return this.run('readCounters', async () => {
      const h = await this.redis.hgetall(this.k('counters'));
      return sortCounters(Object.entries(h).map(([key, value]) => parseCounterKey(key, Number(value))));
    });
  }
}
