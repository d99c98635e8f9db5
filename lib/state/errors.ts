// The one error every state store throws: which store, which operation, and why (the cause kept). The sweep
// maps it to outcome `store`, the HTTP routes to 503 `store_unavailable`; nobody parses its message.
export class StoreError extends Error {
  override readonly name = 'StoreError';
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
  return e instanceof StoreError;
}
