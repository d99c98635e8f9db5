// The one error every state store throws: which store, which operation, and why (the cause kept). The sweep
// maps it to outcome `store`, the HTTP routes to 503 `store_unavailable`; nobody parses its message.

/**
 * Marks a StoreError by a registered symbol rather than by class identity: the shipped bundles carry the store
 * backends as separately compiled modules (scripts/build.mjs), each with its own copy of this class.
 */
const STORE_ERROR = Symbol.for('cwp-task-bridge.StoreError');

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly [STORE_ERROR] = true;
  constructor(
    /** The store, as described for logs (`file:<dir>`, `redis://host:port/db`; never a password). */
    readonly store: string,
    /** What was being done: a port method (`recordChange`) or a step of one (`open`, `lock`). */
    readonly operation: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isStoreError(e: unknown): e is StoreError {
  return typeof e === 'object' && e !== null && (e as { [STORE_ERROR]?: unknown })[STORE_ERROR] === true;
}
