// The routes that look after the store itself: a reset noticed by the api function and shown by /healthz until
// acknowledged, the API watches' backup (export) and restore (import), discarding dead letters, and forgetting an
// agent at once. Against a memory store and the handler, as the api function runs them.
import { StoreIdentityWatch } from '../../lib/state/identity-watch';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { sinkLabel } from '../../lib/util/redact';
import { enqueue } from '../helpers/outbox-fixtures';
import { ENV_UUID, harness, NOW, UUID, urlEvent } from './http-helpers';

const ADMIN = 'operator-token-0123456789';
const WRITER = 'automation-token-0123456789';
const TOKENS = `ops:admin:${ADMIN},ci:write:${WRITER}`;
const as = (token: string, body?: unknown) => ({ headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
const uuidOf = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

describe('a reset store, as the api function sees it', () => {
  test('the api function notices on a request: one error line, the reset recorded; /healthz degraded with storeResetAt until acknowledged (admin)', async () => {
    const h = harness({ env: { API_TOKENS: TOKENS }, deps: { identityWatch: new StoreIdentityWatch('api') } });
    expect((await h.call(urlEvent('GET', '/v1/watches', as(ADMIN)))).statusCode).toBe(200);
    const before = (await h.store.identity(NOW)).storeId;

    // The store is wiped (a new, empty one answers): the next request notices.
    const wiped = new MemoryStateStore();
    h.deps.store = wiped;
    expect((await h.call(urlEvent('GET', '/v1/watches', as(ADMIN)))).statusCode).toBe(200);
    const lines = h.lines.filter((l) => l.msg === 'state store was reset');
    expect(lines).toEqual([expect.objectContaining({ level: 'error', storeIdBefore: before, storeIdNow: (await wiped.identity(NOW)).storeId })]);

    const health = await h.call(urlEvent('GET', '/healthz', { auth: false }));
    expect(health.json).toMatchObject({ status: 'degraded', storeResetAt: new Date(NOW).toISOString(), storeReset: { previousStoreId: before, noticedBy: 'api' } });
    expect(health.json.problem).toContain('POST /v1/watches/import');

    expect((await h.call(urlEvent('POST', '/v1/store/reset-acknowledged', as(WRITER)))).json.error).toMatchObject({ code: 'insufficient_scope', scope: 'admin' });
    const ack = await h.call(urlEvent('POST', '/v1/store/reset-acknowledged', as(ADMIN)));
    expect(ack.json).toMatchObject({ acknowledged: true, reset: { previousStoreId: before } });
    expect((await h.call(urlEvent('GET', '/healthz', { auth: false }))).json).toMatchObject({ status: 'ok', problem: null });
    expect((await h.call(urlEvent('POST', '/v1/store/reset-acknowledged', as(ADMIN)))).json).toEqual({ acknowledged: false, reset: null });
    expect(h.lines.filter((l) => l.msg === 'state store was reset')).toHaveLength(1);
  });
});

describe('GET /v1/watches/export and POST /v1/watches/import', () => {
  test('export is admin only, and holds the API watches (not WATCH_UUIDS) with the store id', async () => {
    const h = harness({ env: { API_TOKENS: TOKENS } });
    await h.store.putWatch(UUID, ['port'], 1_000);
    expect((await h.call(urlEvent('GET', '/v1/watches/export', as(WRITER)))).statusCode).toBe(403);
    const r = await h.call(urlEvent('GET', '/v1/watches/export', as(ADMIN)));
    expect(r.json).toEqual({ version: 1, exportedAt: new Date(NOW).toISOString(), storeId: (await h.store.identity(0)).storeId, watches: [{ uuid: UUID, kinds: ['port'], addedAt: 1_000 }], total: 1 });
  });

  test('export pages with limit and offset, each page a body import takes', async () => {
    const h = harness({ env: { API_TOKENS: TOKENS } });
    for (let n = 1; n <= 5; n++) await h.store.putWatch(uuidOf(n), ['process'], n);
    const page = await h.call(urlEvent('GET', '/v1/watches/export', { ...as(ADMIN), query: { limit: '2', offset: '2' } }));
    expect(page.json).toMatchObject({ watches: [{ uuid: uuidOf(3) }, { uuid: uuidOf(4) }], total: 5, nextOffset: 4 });
    const other = harness({ env: { API_TOKENS: TOKENS } });
    expect((await other.call(urlEvent('POST', '/v1/watches/import', as(ADMIN, page.json)))).json).toEqual({ imported: 2, unchanged: 0, total: 2 });
  });

  test('import is idempotent: the same body twice imports once; a watch whose kinds differ is replaced, keeping its addedAt', async () => {
    const h = harness({ env: { API_TOKENS: TOKENS } });
    await h.store.putWatch(uuidOf(2), ['process'], 500);
    const body = { version: 1, watches: [{ uuid: uuidOf(1), kinds: ['process', 'port'], addedAt: 123 }, { uuid: uuidOf(2), kinds: ['port'], addedAt: 999 }] };
    expect((await h.call(urlEvent('POST', '/v1/watches/import', as(ADMIN, body)))).json).toEqual({ imported: 2, unchanged: 0, total: 2 });
    expect((await h.call(urlEvent('POST', '/v1/watches/import', as(ADMIN, body)))).json).toEqual({ imported: 0, unchanged: 2, total: 2 });
    expect(await h.store.getWatch(uuidOf(1))).toMatchObject({ kinds: ['process', 'port'], addedAt: 123, source: 'api' });
    expect(await h.store.getWatch(uuidOf(2))).toMatchObject({ kinds: ['port'], addedAt: 500 });
  });

  test.each([
    [{ version: 2, watches: [] }, 'version'],
    [{ version: 1, watches: [{ uuid: UUID, kinds: ['port'] }, { uuid: 'not-a-uuid', kinds: ['port'] }] }, 'watches[1].uuid'],
    [{ version: 1, watches: [{ uuid: UUID, kinds: [] }] }, 'watches[0].kinds'],
    [{ version: 1, watches: [{ uuid: UUID, kinds: ['files'] }] }, 'watches[0].kinds[0]'],
    [{ version: 1, watches: [{ uuid: UUID, kinds: ['port'], addedAt: 'yesterday' }] }, 'watches[0].addedAt'],
    [{ version: 1, watches: [{ uuid: UUID, kinds: ['port'], colour: 'red' }] }, 'watches[0].colour'],
    [{ version: 1, watches: [{ uuid: UUID, kinds: ['port'] }, { uuid: UUID.toUpperCase(), kinds: ['process'] }] }, 'watches[1].uuid'],
  ])('a bad entry is 400 naming its index and field, and nothing is imported: %j', async (body, field) => {
    const h = harness({ env: { API_TOKENS: TOKENS } });
    const r = await h.call(urlEvent('POST', '/v1/watches/import', as(ADMIN, body)));
    expect(r.statusCode).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'invalid_body', field });
    expect(r.json.error.message.startsWith(`${field}:`)).toBe(true);
    expect(await h.store.countWatches()).toBe(0);
  });

  test('an agent of WATCH_UUIDS is 409 naming the entry; nothing is imported', async () => {
    const h = harness({ env: { API_TOKENS: TOKENS } });
    const r = await h.call(urlEvent('POST', '/v1/watches/import', as(ADMIN, { version: 1, watches: [{ uuid: UUID, kinds: ['port'] }, { uuid: ENV_UUID, kinds: ['port'] }] })));
    expect(r.statusCode).toBe(409);
    expect(r.json.error).toMatchObject({ code: 'watch_from_env', field: 'watches[1].uuid' });
    expect(await h.store.countWatches()).toBe(0);
  });

  test('past MAX_WATCHES it is 409 naming how many fit, and nothing is imported', async () => {
    const h = harness({ env: { API_TOKENS: TOKENS, MAX_WATCHES: '3' } });
    await h.store.putWatch(uuidOf(1), ['port'], 1);
    const watches = [1, 2, 3, 4].map((n) => ({ uuid: uuidOf(n), kinds: ['port'] }));
    const r = await h.call(urlEvent('POST', '/v1/watches/import', as(ADMIN, { version: 1, watches })));
    expect(r.statusCode).toBe(409);
    expect(r.json.error).toMatchObject({ code: 'too_many_watches', maxWatches: 3, room: 2 });
    expect(r.json.error.message).toContain('leaves room for 2');
    expect(await h.store.countWatches()).toBe(1);
  });

  test('import needs admin', async () => {
    const h = harness({ env: { API_TOKENS: TOKENS } });
    expect((await h.call(urlEvent('POST', '/v1/watches/import', as(WRITER, '{not json')))).json.error).toMatchObject({ code: 'insufficient_scope', scope: 'admin' });
  });
});

describe('DELETE /v1/deliveries: discarding dead letters', () => {
  async function withLetters() {
    const h = harness({ env: { API_TOKENS: TOKENS } });
    const events = await enqueue(h.store, UUID, 'process', ['COLLECTING', 'COMPLETE']);
    for (const e of events) {
      await h.store.addDeadLetter({ event: e, sinkId: 'webhook:https://hooks.example.com/T0KEN/x', reason: 'HTTP 400', attempts: 1, deadAt: 1 });
      await h.store.addDeadLetter({ event: e, sinkId: 'console', reason: 'HTTP 400', attempts: 1, deadAt: 1 });
    }
    return { h, events };
  }

  test('{"sinkId"} takes the sink as GET /v1/deliveries shows it, never needing its URL', async () => {
    const { h } = await withLetters();
    const shown = (await h.call(urlEvent('GET', '/v1/deliveries', as(ADMIN)))).json.deliveries.map((d: { sinkId: string }) => d.sinkId);
    const label = sinkLabel('webhook:https://hooks.example.com/T0KEN/x');
    expect(shown).toContain(label);
    expect((await h.call(urlEvent('DELETE', '/v1/deliveries', as(ADMIN, { sinkId: label })))).json).toEqual({ discarded: 2 });
    expect((await h.store.listDeadLetters(10)).map((l) => l.sinkId)).toEqual(['console', 'console']);
  });

  test('{"eventIds"} takes those events\' letters, on every sink; {} (or no body) takes all', async () => {
    const { h, events } = await withLetters();
    expect((await h.call(urlEvent('DELETE', '/v1/deliveries', as(ADMIN, { eventIds: [events[0]!.id] })))).json).toEqual({ discarded: 2 });
    expect((await h.call(urlEvent('DELETE', '/v1/deliveries', as(ADMIN)))).json).toEqual({ discarded: 2 });
    expect(await h.store.countDeadLetters()).toBe(0);
  });

  test('a sinkId no letter has is 404 listing the sinks that have some; both filters at once is 400; write is refused', async () => {
    const { h } = await withLetters();
    const r = await h.call(urlEvent('DELETE', '/v1/deliveries', as(ADMIN, { sinkId: 'webhook:https://other.example.com/…#00000000' })));
    expect(r.statusCode).toBe(404);
    expect(r.json.error).toMatchObject({ code: 'unknown_sink', field: 'sinkId' });
    expect(r.json.error.message).toContain('console');
    expect(r.json.error.message).not.toContain('T0KEN');
    expect((await h.call(urlEvent('DELETE', '/v1/deliveries', as(ADMIN, { sinkId: 'console', eventIds: ['x'] })))).statusCode).toBe(400);
    expect((await h.call(urlEvent('DELETE', '/v1/deliveries', as(WRITER)))).json.error).toMatchObject({ code: 'insufficient_scope', scope: 'admin' });
    expect(await h.store.countDeadLetters()).toBe(4);
  });
});

describe('DELETE /v1/watches/{uuid}?forget=true', () => {
  test('deletes the watch and forgets the agent\'s records and snapshots at once', async () => {
    const h = harness({ env: { API_TOKENS: TOKENS } });
    await h.store.putWatch(UUID, ['process', 'port'], 1);
    await enqueue(h.store, UUID, 'process', ['COMPLETE']);
    await h.store.recordSnapshot({ uuid: UUID, kind: 'process' }, null, { encoded: 'e', takenAt: 5 }, 1, null);
    const r = await h.call(urlEvent('DELETE', `/v1/watches/${UUID}`, { ...as(WRITER), query: { forget: 'true' } }));
    expect(r.json).toEqual({ deleted: UUID, forgotten: 1 });
    expect(await h.store.getRecordsForAgent(UUID)).toEqual([]);
    expect(await h.store.getSnapshot({ uuid: UUID, kind: 'process' })).toBeNull();
  });

  test('an agent no longer watched but still remembered is forgotten (deleted null); one with neither is 404', async () => {
    const h = harness({ env: { API_TOKENS: TOKENS } });
    await enqueue(h.store, UUID, 'port', ['FAILED']);
    expect((await h.call(urlEvent('DELETE', `/v1/watches/${UUID}`, { ...as(WRITER), query: { forget: 'true' } }))).json).toEqual({ deleted: null, forgotten: 1 });
    expect((await h.call(urlEvent('DELETE', `/v1/watches/${UUID}`, { ...as(WRITER), query: { forget: 'true' } }))).statusCode).toBe(404);
  });

  test('forget must be true or false', async () => {
    const h = harness({ env: { API_TOKENS: TOKENS } });
    const r = await h.call(urlEvent('DELETE', `/v1/watches/${UUID}`, { ...as(WRITER), query: { forget: 'yes' } }));
    expect(r.statusCode).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'invalid_forget', field: 'forget' });
  });
});
