// The memory StateStore (`memory:`): a LocalStateStore whose state lives in the process and nowhere else, for
// tests and one-off runs. Nothing survives the process; nothing is copied or saved on the way.
import type { CheckToRecord } from '../store';
import { LocalState } from './state';
import { DEFAULT_HISTORY_LIMITS, type HistoryLimits } from '../history';
import { LocalStateStore, type Persistence } from './store';

class InProcess implements Persistence {
  readonly description = 'memory:';
  private readonly state = new LocalState();

  constructor(history: HistoryLimits) {
    this.state.history.limits = history;
  }

  async read<T>(fn: (state: LocalState) => T): Promise<T> {
    return fn(this.state);
  }

  async write<T>(fn: (state: LocalState) => T): Promise<T> {
    return fn(this.state);
  }

  async check(check: CheckToRecord): Promise<void> {
    this.state.recordCheck(check);
  }

  /** Nothing to release, and the data stays readable: tests inspect a store after a handler closed it. */
  async close(): Promise<void> {}
}

export class MemoryStateStore extends LocalStateStore {
  /** `history`: HISTORY_RETENTION and HISTORY_MAX (default 7 days, 200,000 events). */
  constructor(history: HistoryLimits = DEFAULT_HISTORY_LIMITS) {
    super(new InProcess(history));
  }
}
