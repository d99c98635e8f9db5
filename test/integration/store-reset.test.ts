// A Redis store wiped between two sweeps (FLUSHDB of the test's own database: for the store, what FLUSHALL or a
// restart without persistence does; FLUSHALL itself would wipe the other suites' databases on the shared server).
// Against the emulator, with both functions: the poll function's sweep and the api function's handler, each with the
// store id its instance saw. The reset must be loud (an error line, outcome store_reset, /healthz degraded until
// acknowledged), the repeated transitions after it must carry new ids, and the API watches must come back from
// their export.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { startEmulator, type Emulator } from '../../dev/emulator';
import { handleHttp, type HttpDeps } from '../../lib/http';
import { createLogger } from '../../lib/log';
import { StoreIdentityWatch } from '../../lib/state/identity-watch';
import { RedisStateStore } from '../../lib/state/redis/store';
import type { SweepSummary } from '../../lib/types';
import { statusData } from '../helpers/events';
import { eventSchemaProblems } from '../helpers/event-schema';
import { testRedisUrl } from '../helpers/redis';
import { functionUrlEvent, parseResponse } from '../helpers/scf-events';
import { deleteRedisPrefix } from '../helpers/store-fixtures';
import { harness, RecordingSink, sweepUntil, uuidOf } from '../helpers/sweep-harness';
import { runCleanups, type Cleanup } from '../helpers/test-stores';

/** This suite's own database: FLUSHDB here touches no other suite. */
const DB_URL = testRedisUrl(11);
const TOKEN = 'tok-store-reset-0123456789abcdef';
/** RFC 9562: 8-4-4-4-12 hex, version 8 in the top bits of octet 6, variant 10 in the top bits of octet 8. */
const isUuidV8 = (id: string) => {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return false;
  const b = Buffer.from(id.replace(/-/g, ''), 'hex');
  return b[6]! >> 4 === 8 && b[8]! >> 6 === 0b10;
};

let emulator: Emulator;
const cleanups: Cleanup[] = [];
beforeEach(async () => {
  emulator = await startEmulator({ quiet: true });
});
afterEach(async () => {
  await runCleanups(cleanups);
  await emulator.close();
});

test('a store wiped between two sweeps: new ids for the repeated transitions, an error line, outcome store_reset, /healthz degraded until acknowledged; the API watches restored from their export', async () => {
  const prefix = `test-reset-${randomUUID()}`;
  cleanups.push(() => deleteRedisPrefix(prefix, DB_URL));
  const store = await RedisStateStore.open(DB_URL, { prefix });
  cleanups.push(() => store.close());
  const raw = new Redis(DB_URL);
  cleanups.push(() => void raw.disconnect());

  const [envAgent, apiAgent] = [uuidOf(0xe1), uuidOf(0xe2)];
  emulator.script(envAgent, 'process', [{ atMs: 0, state: 'COLLECTING' }]);
  emulator.script(apiAgent, 'process', [{ atMs: 0, state: 'FAILED' }]);
  const sink = new RecordingSink(`reset-${prefix}`);
  const h = harness(emulator, store, { WATCH_UUIDS: envAgent, WATCH_KINDS: 'process', API_TOKENS: TOKEN }, [sink]);
  cleanups.push(h.close);
  const apiLines: string[] = [];
  const api: HttpDeps = { config: h.config, store, cwp: h.deps.cwp, logger: createLogger({ write: (l) => apiLines.push(l) }), identityWatch: new StoreIdentityWatch('api') };
  const call = async (method: string, path: string, body?: unknown) =>
    parseResponse(await handleHttp(functionUrlEvent({ method, path, headers: { authorization: `Bearer ${TOKEN}` }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }), undefined, api));

  // Before: an API watch (backed up), both agents' first states published.
  expect((await call('PUT', `/v1/watches/${apiAgent}`, { kinds: ['process'] })).status).toBe(201);
  const backup = (await call('GET', '/v1/watches/export')).body;
  expect(backup).toMatchObject({ version: 1, storeId: expect.any(String), watches: [{ uuid: apiAgent, kinds: ['process'], addedAt: expect.any(Number) }], total: 1 });
  await sweepUntil('the first states', [h], () => sink.events.length >= 2);
  const before = new Map(sink.events.map((e) => [e.subject, e]));
  expect(statusData(before.get(`${envAgent}/process`)!)).toMatchObject({ previous: null, state: 'COLLECTING' });
  expect((await call('GET', '/healthz')).body.status).toBe('ok');

  await raw.flushdb();

  // After: the sweep notices at once, and runs: the env agent's state is published again as a first observation.
  const published = sink.events.length;
  const summaries: SweepSummary[] = await sweepUntil('the env agent observed afresh', [h], () => sink.events.slice(published).some((e) => e.subject === `${envAgent}/process`));
  expect(summaries[0]).toMatchObject({ outcome: 'store_reset', error: expect.stringContaining('was reset') });
  expect(summaries.slice(1).every((s) => s.outcome === 'ok')).toBe(true);
  const again = sink.events.slice(published).find((e) => e.subject === `${envAgent}/process`)!;
  const first = before.get(`${envAgent}/process`)!;
  // The same transition (previous null -> COLLECTING, version 1), in another store: another id.
  expect(statusData(again)).toMatchObject({ previous: null, state: 'COLLECTING' });
  expect(again.id).not.toBe(first.id);
  expect(new Set(sink.events.map((e) => e.id)).size).toBe(sink.events.length);

  const resets = h.logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'state store was reset');
  expect(resets).toEqual([expect.objectContaining({ level: 'error', storeIdBefore: backup.storeId, lostApiWatches: 1, lostOutbox: 0, fix: expect.stringContaining('/v1/watches/import') })]);
  expect(resets[0].storeIdNow).not.toBe(backup.storeId);

  // The api function: its own instance saw the old id too; /healthz of any instance shows the recorded reset.
  const health = (await call('GET', '/healthz')).body;
  expect(health).toMatchObject({ status: 'degraded', storeResetAt: expect.any(String), storeReset: { previousStoreId: backup.storeId, noticedBy: 'poll', lost: { apiWatches: 1, outbox: 0 } } });
  expect(health.problem).toMatch(/state store was reset .* POST \/v1\/watches\/import .* POST \/v1\/store\/reset-acknowledged/);
  expect(apiLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'state store was reset')).toHaveLength(1);

  // The operator puts the watches back (twice: the import is idempotent) and acknowledges the reset.
  expect((await call('GET', '/v1/watches')).body.watches.map((w: { uuid: string }) => w.uuid)).toEqual([envAgent]);
  expect((await call('POST', '/v1/watches/import', backup)).body).toEqual({ imported: 1, unchanged: 0, total: 1 });
  expect((await call('POST', '/v1/watches/import', backup)).body).toEqual({ imported: 0, unchanged: 1, total: 1 });
  expect((await store.getWatch(apiAgent))?.addedAt).toBe(backup.watches[0].addedAt);
  expect((await call('POST', '/v1/store/reset-acknowledged')).body).toMatchObject({ acknowledged: true });
  expect((await call('GET', '/healthz')).body).toMatchObject({ status: 'ok', problem: null });
  expect((await call('GET', '/healthz')).body).not.toHaveProperty('storeResetAt');

  // The restored watch is polled again; every id published here is an RFC 9562 UUIDv8 and each event fits its schema.
  await sweepUntil('the restored API watch observed', [h], () => sink.events.slice(published).some((e) => e.subject === `${apiAgent}/process`));
  expect(sink.events.map((e) => e.id).filter((id) => !isUuidV8(id))).toEqual([]);
  expect(sink.events.map(eventSchemaProblems).filter((p) => p.length > 0)).toEqual([]);
}, 120_000);
