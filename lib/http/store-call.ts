// A store call made by a route: a StoreError is a 503 `store_unavailable`; anything else is a bug (500).
import { isStoreError } from '../state/errors';
import type { StoreIdentity } from '../types';
import { HttpError, safeMessage } from './respond';

export async function storeCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!isStoreError(e)) throw e;
    throw new HttpError(503, 'store_unavailable', safeMessage(`the state store failed (${what}): ${e.message}`));
  }
}

/** The store's identity read for this request; only /healthz runs without one (when the store did not answer). */
export function identityOf(ctx: { identity: StoreIdentity | null }): StoreIdentity {
  if (!ctx.identity) throw new HttpError(503, 'store_unavailable', 'the state store did not say who it is');
  return ctx.identity;
}
