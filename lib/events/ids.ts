// Event ids: RFC 9562 UUIDs of version 8 (custom), 122 bits of a SHA-256 of the store's id and what makes the
// event that event. So a retried publish or a racing invocation builds the same id, and receivers can dedupe
// on it; while the same transition in another store (another stage, a demo run, the store after a reset, whose
// versions start again at 0) gets another id, and a receiver's dedupe never drops a real event.
import { createHash } from 'node:crypto';

/** An RFC 9562 UUID of version 8 with the variant bits set, as every event id is (and the schemas say). */
export const EVENT_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * The id of the event `parts` name (its type and what identifies it, e.g. uuid, kind, previous, state,
 * version) in the store `storeId` (StorePort.identity). Every event type builds its id here.
 */
export function eventId(storeId: string, parts: ReadonlyArray<string | number | null>): string {
  const b = createHash('sha256').update([storeId, ...parts.map((p) => (p === null ? 'null' : String(p)))].join('|')).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80; // version 8: custom
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10: RFC 9562
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
