// The quiet-rule routes over a MemoryStateStore (lib/http/quiet.ts): what each answers, the field a bad body names,
// the states a silence lists under, ALERT_MAINTENANCE's windows read-only, and the line each write leaves.
import { harness, NOW, urlEvent, UUID } from './http-helpers';

const HOUR_MS = 3_600_000;
const json = (method: string, path: string, body: unknown, query?: Record<string, string>) =>
  urlEvent(method, path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, ...(query ? { query } : {}) });
const iso = (ms: number) => new Date(ms).toISOString();
const silence = { matchers: [{ name: 'machineName', value: 'db-*', op: 'glob' }], endsAt: iso(NOW + HOUR_MS), createdBy: 'alice', comment: 'reboot' };

describe('silences', () => {
  test('POST answers 201 with the silence; GET lists it by state with what it held back', async () => {
    const h = harness();
    const made = await h.call(json('POST', '/v1/silences', silence));
    expect(made.statusCode).toBe(201);
    expect(made.json).toMatchObject({ id: expect.any(String), state: 'active', startsAt: iso(NOW), endsAt: iso(NOW + HOUR_MS), createdBy: 'alice', comment: 'reboot', heldBack: 0 });
    const pending = await h.call(json('POST', '/v1/silences', { ...silence, startsAt: iso(NOW + 60_000) }));
    expect(pending.json.state).toBe('pending');
    const active = await h.call(urlEvent('GET', '/v1/silences', { query: { state: 'active' } }));
    expect(active.json.silences.map((s: { id: string }) => s.id)).toEqual([made.json.id]);
    expect((await h.call(urlEvent('GET', '/v1/silences'))).json.silences).toHaveLength(2);
    expect(await h.call(urlEvent('GET', '/v1/silences', { query: { state: 'over' } }))).toMatchObject({ statusCode: 400, json: { error: { code: 'invalid_state', field: 'state' } } });
  });

  test('a bad body is 400 naming the field, with every problem listed', async () => {
    const r = await h().call(json('POST', '/v1/silences', { matchers: [{ name: 'host', value: 'x' }], endsAt: iso(NOW + 40 * 24 * HOUR_MS) }));
    expect(r.statusCode).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'invalid_body', field: 'matchers[0].name' });
    expect(r.json.problems.map((p: { field: string }) => p.field)).toEqual(['matchers[0].name', 'endsAt', 'createdBy', 'comment']);
  });

  test('matchers that leave every agent in are 409 too_broad, unless force', async () => {
    const broad = { ...silence, matchers: [{ name: 'machineName', value: '*', op: 'glob' }] };
    const h1 = h();
    expect(await h1.call(json('POST', '/v1/silences', broad))).toMatchObject({ statusCode: 409, json: { error: { code: 'too_broad', field: 'matchers' } } });
    expect(await h1.call(json('POST', '/v1/silences', { ...broad, force: true }))).toMatchObject({ statusCode: 201, json: { force: true } });
  });

  test("DELETE ends it now, by the token's name; an unknown one is 404; each write leaves a line naming it and the token", async () => {
    const h1 = h();
    const made = await h1.call(json('POST', '/v1/silences', silence));
    const ended = await h1.call(urlEvent('DELETE', `/v1/silences/${made.json.id}`));
    expect(ended).toMatchObject({ statusCode: 200, json: { id: made.json.id, state: 'expired', endsAt: iso(NOW), endedBy: 'unnamed' } });
    expect((await h1.call(urlEvent('DELETE', `/v1/silences/${UUID}`))).statusCode).toBe(404);
    expect((await h1.call(urlEvent('DELETE', '/v1/silences/not-an-id'))).json.error).toMatchObject({ code: 'invalid_id', field: 'id' });
    expect(h1.lines.filter((l) => l.msg === 'silence created' || l.msg === 'silence ended').map((l) => [l.msg, l.id, l.token])).toEqual([
      ['silence created', made.json.id, 'unnamed'], ['silence ended', made.json.id, 'unnamed'],
    ]);
  });
});

describe('maintenance windows', () => {
  const w = { matchers: [{ name: 'tag', value: 'db' }], days: ['Sun'], start: '02:00', end: '04:00', timezone: 'Asia/Shanghai', createdBy: 'ops', comment: 'patching' };

  test("ALERT_MAINTENANCE's are listed first, read-only; the API's are made and deleted", async () => {
    const h1 = h({ ALERT_MAINTENANCE: JSON.stringify([{ ...w, comment: 'from the deployment' }]) });
    const made = await h1.call(json('POST', '/v1/maintenance', w));
    expect(made).toMatchObject({ statusCode: 201, json: { origin: 'api', days: ['Sun'], timezone: 'Asia/Shanghai', heldBack: 0 } });
    const listed = (await h1.call(urlEvent('GET', '/v1/maintenance'))).json.windows;
    expect(listed.map((x: { origin: string }) => x.origin)).toEqual(['config', 'api']);
    expect(await h1.call(urlEvent('DELETE', `/v1/maintenance/${listed[0].id}`))).toMatchObject({ statusCode: 409, json: { error: { code: 'configured' } } });
    expect(await h1.call(urlEvent('DELETE', `/v1/maintenance/${made.json.id}`))).toMatchObject({ statusCode: 200, json: { deleted: made.json.id } });
  });

  test('a time zone Intl does not know is 400 naming timezone', async () => {
    expect((await h().call(json('POST', '/v1/maintenance', { ...w, timezone: 'Asia/Atlantis' }))).json.error).toMatchObject({ code: 'invalid_body', field: 'timezone' });
  });
});

describe('expectations', () => {
  test('made, listed with hits, deleted', async () => {
    const h1 = h();
    const made = await h1.call(json('POST', '/v1/expectations', { matchers: [{ name: 'machineName', value: 'redis-*', op: 'glob' }], ports: [{ port: 6379 }], createdBy: 'ops', comment: 'redis' }));
    expect(made).toMatchObject({ statusCode: 201, json: { ports: [{ port: 6379 }], processes: [], hits: 0, lastHitAt: null } });
    expect((await h1.call(urlEvent('GET', '/v1/expectations'))).json.expectations).toHaveLength(1);
    expect((await h1.call(urlEvent('DELETE', `/v1/expectations/${made.json.id}`))).statusCode).toBe(200);
    expect((await h1.call(urlEvent('DELETE', `/v1/expectations/${made.json.id}`))).statusCode).toBe(404);
  });
});

function h(env: Record<string, string> = {}) {
  return harness({ env });
}
