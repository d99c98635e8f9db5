// Event ids: UUID-shaped (readable in logs and CMQ consoles), 128 bits of a SHA-256 of what makes the event
// that event, so a retried publish or a racing invocation builds the same id and receivers can dedupe on it.
import { createHash } from 'node:crypto';

export function digestId(text: string): string {
  const d = createHash('sha256').update(text).digest('hex');
  return `${d.slice(0, 8)}-${d.slice(8, 12)}-${d.slice(12, 16)}-${d.slice(16, 20)}-${d.slice(20, 32)}`;
}
