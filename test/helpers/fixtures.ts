// The one loader of test/fixtures/*.json: real payloads from the documentation (see test/fixtures/README.md).
// The SCF event files carry their origin in `_source`, which is dropped here so the event keeps its real shape.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const FIXTURES_DIR = path.join(__dirname, '..', 'fixtures');

export function loadFixture<T = Record<string, unknown>>(name: string): T {
  const value = JSON.parse(readFileSync(path.join(FIXTURES_DIR, name), 'utf8')) as Record<string, unknown>;
  delete value._source;
  return value as T;
}
