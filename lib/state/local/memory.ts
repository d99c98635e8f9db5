// The memory StateStore (`memory:`): a LocalStateStore whose state lives in the process and nowhere else, for
// tests and one-off runs. Nothing survives the process; nothing is copied or saved on the way.
import type { CheckToRecord } from '../store';
import { LocalState } from './state';
import { LocalStateStore, type Persistence } from './store';

class InProcess implements Persistence {
  readonly description = 'memory:';
  private readonly state = new LocalState();

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
  constructor() {
    super(new InProcess());
  }
}
