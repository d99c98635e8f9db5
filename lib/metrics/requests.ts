// cwp_bridge_cwp_requests_total{action,result}: every CWP request of an instance, added up in memory (the client
// tells each outcome, lib/tencent/client.ts RequestCounter) and written to the store in one batch at the end of a
// sweep or of an API request that called CWP, so counting costs no round trip per request.
import { CounterBatch, CWP_REQUESTS } from '../state/counters';
import type { CounterPort } from '../state/store';
import type { RequestCounter } from '../tencent/client';

export class RequestTally implements RequestCounter {
  private readonly batch = new CounterBatch();

  count(action: string, result: string): void {
    this.batch.add(CWP_REQUESTS, { action, result });
  }

  get pending(): boolean {
    return this.batch.size > 0;
  }

  /** Writes what was counted since the last flush (nothing to write: no round trip). A failed write is put back. */
  async flush(store: Pick<CounterPort, 'incrementCounters'>): Promise<void> {
    if (this.batch.size === 0) return;
    const increments = this.batch.take();
    try {
      await store.incrementCounters(increments);
    } catch (e) {
      for (const i of increments) this.batch.add(i.name, { ...i.labels }, i.by);
      throw e;
    }
  }
}
