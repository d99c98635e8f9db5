// The local stores' history and counters (HistoryPort, CounterPort) on a LocalState: the history is its HistoryLog
// (history-log.ts), which LocalState.appendToOutbox writes in the same step as the outbox; the counters a Map by
// counters.ts key. A link in the chain delivery.ts -> lifecycle.ts -> incidents.ts -> history.ts -> store.ts.
import { counterKey, parseCounterKey, sortCounters, type CounterIncrement, type CounterValue } from '../counters';
import type { HistoryFilter, HistoryPage, HistoryQuery } from '../history';
import type { CounterPort, HistoryPort } from '../store';
import { LocalIncidentStore } from './incidents';

export abstract class LocalHistoryStore extends LocalIncidentStore implements HistoryPort, CounterPort {
  searchHistory(query: HistoryQuery): Promise<HistoryPage> {
    return this.persistence.read((s) => s.history.search(query));
  }

  countHistory(filter?: HistoryFilter): Promise<number> {
    return this.persistence.read((s) => (filter ? s.history.count(filter) : s.history.size));
  }

  trimHistory(now: number, limit: number): Promise<number> {
    return this.persistence.write((s) => s.history.trim(now, limit), (dropped) => dropped > 0);
  }

  incrementCounters(increments: CounterIncrement[]): Promise<void> {
    if (increments.length === 0) return Promise.resolve();
    return this.persistence.write((s) => {
      for (const i of increments) {
        const key = counterKey(i.name, i.labels);
        s.counters.set(key, (s.counters.get(key) ?? 0) + i.by);
      }
    });
  }

  readCounters(): Promise<CounterValue[]> {
    return this.persistence.read((s) => sortCounters([...s.counters].map(([key, value]) => parseCounterKey(key, value))));
  }
}
