// A sink that only counts what it is sent, for the benchmarks whose children run a sweep: what is measured is the
// sweep, not a receiver.
import type { SendResult, Sink } from '../lib/sinks/sink';

export class CountingSink implements Sink {
  readonly concurrency = 16;
  count = 0;

  constructor(readonly id: string) {}

  async send(): Promise<SendResult> {
    this.count++;
    return { ok: true };
  }
}
