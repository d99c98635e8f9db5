// What a local store keeps its state in: the primitives every port method of the local stores runs through.
import type { CheckToRecord, SweepLease } from '../store';
import type { LocalState } from './state';

/**
 * Where a local store keeps its LocalState: the primitives every port method runs through. A method passes a
 * function of the state; the Persistence runs it on the current state, one call at a time.
 */
export interface Persistence {
  /** For logs and /healthz: `memory:`, `file:<dir>`. */
  readonly description: string;
  /** Runs `fn` on the current state. `fn` changes nothing that is saved (claimIdleKeys' idleTaken is not). */
  read<T>(fn: (state: LocalState) => T): Promise<T>;
  /**
   * Runs `fn` on the current state and makes its change durable before resolving. `changed` tells from its
   * answer whether it changed anything (a refused compare-and-set needs no save); without it, it did.
   */
  write<T>(fn: (state: LocalState) => T, changed?: (result: T) => boolean): Promise<T>;
  /** recordCheck (LocalState.recordCheck): losing one only means a key is polled again, so it may be saved later. */
  check(check: CheckToRecord): Promise<void>;
  /** The sweep lease of a store other processes can open too (file: one writer at a time); absent: `shared`. */
  acquireSweepLease?(): Promise<SweepLease>;
  close(): Promise<void>;
}
