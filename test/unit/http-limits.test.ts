// Bounded state from the API: MAX_WATCHES caps the API's watches, GET /v1/watches is paged, a PUT costs O(1)
// in the number of watches, and each token has a request budget (429 with Retry-After).
import { LocalRequestBudget, gcraStep } from '../../lib/ratelimit/budget';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { apigwEvent, harness, TOKEN, TOKEN2, urlEvent } from './http-helpers';

const uuidOf = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

describe('MAX_WATCHES', () => {
  test('a new watch beyond the cap is 409 too_many_watches naming the variable; replacing one is still allowed', async () => {
    const h = harness({ env: { MAX_WATCHES: '2' } });
    expect((await h.call(urlEvent('PUT', `/v1/watches/${uuidOf(1)}`))).statusCode).toBe(201);
    expect((await h.call(urlEvent('PUT', `/v1/watches/${uuidOf(2)}`))).statusCode).toBe(201);
    const third = await h.call(urlEvent('PUT', `/v1/watches/${uuidOf(3)}`));
    expect(third.statusCode).toBe(409);
    expect(third.json.error).toMatchObject({ code: 'too_many_watches', maxWatches: 2 });
    expect(third.json.error.message).toMatch(/MAX_WATCHES/);
    const replaced = await h.call(urlEvent('PUT', `/v1/watches/${uuidOf(2)}`, { body: '{"kinds":["port"]}' }));
    expect(replaced.statusCode).toBe(200);
    expect(await h.store.countWatches()).toBe(2);
  });

  test('a PUT never reads the whole watch list', async () => {
    const h = harness();
    for (let i = 0; i < 50; i++) await h.store.putWatch(uuidOf(100 + i), ['process'], 1);
    const listWatches = jest.spyOn(MemoryStateStore.prototype, 'listWatches');
    try {
      expect((await h.call(urlEvent('PUT', `/v1/watches/${uuidOf(1)}`))).statusCode).toBe(201);
      expect((await h.call(urlEvent('PUT', `/v1/watches/${uuidOf(1)}`))).statusCode).toBe(200);
      expect(listWatches).not.toHaveBeenCalled();
    } finally {
      listWatches.mockRestore();
    }
  });
});

describe('GET /v1/watches is paged', () => {
  test('limit and offset walk the whole list, WATCH_UUIDS first, with total and nextOffset', async () => {
    const env = uuidOf(999);
    const h = harness({ env: { WATCH_UUIDS: env } });
    for (let i = 0; i < 5; i++) await h.store.putWatch(uuidOf(10 + i), ['port'], 1);
    const seen: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const r = await h.call(urlEvent('GET', '/v1/watches', { query: { limit: '2', offset: String(offset) } }));
      expect(r.statusCode).toBe(200);
      expect(r.json).toMatchObject({ total: 6, limit: 2, offset, count: r.json.watches.length });
      seen.push(...r.json.watches.map((w: { uuid: string }) => w.uuid));
      offset = r.json.nextOffset;
    }
    expect(seen).toEqual([env, ...[10, 11, 12, 13, 14].map(uuidOf)]);
  });

  test.each([['limit', '0'], ['limit', '1001'], ['limit', 'ten'], ['offset', '-1']])('?%s=%s is 400 naming the field', async (field, value) => {
    const r = await harness().call(urlEvent('GET', '/v1/watches', { query: { [field]: value } }));
    expect(r.statusCode).toBe(400);
    expect(r.json.error).toMatchObject({ code: `invalid_${field}`, field });
  });
});

describe('the request budget of a token', () => {
  test('past its burst a token gets 429 with Retry-After, while another token still gets through', async () => {
    let now = 1_000_000;
    const h = harness({ env: { API_RATE_LIMIT: '1', API_RATE_BURST: '3' }, deps: { tokenBudget: new LocalRequestBudget(1, 3, () => now) } });
    for (let i = 0; i < 3; i++) expect((await h.call(urlEvent('GET', '/v1/watches'))).statusCode).toBe(200);
    const over = await h.call(apigwEvent('GET', '/v1/watches'));
    expect(over.statusCode).toBe(429);
    expect(over.headers['retry-after']).toBe('1');
    expect(over.json.error.code).toBe('rate_limited');
    expect(over.body).not.toContain(TOKEN);
    expect((await h.call(urlEvent('GET', '/v1/watches', { headers: { authorization: `Bearer ${TOKEN2}` } }))).statusCode).toBe(200);
    now += 1_000;
    expect((await h.call(urlEvent('GET', '/v1/watches'))).statusCode).toBe(200);
  });

  test('an unauthenticated request is 401, and spends no budget', async () => {
    const budget = new LocalRequestBudget(1, 1, () => 0);
    const h = harness({ deps: { tokenBudget: budget } });
    for (let i = 0; i < 3; i++) expect((await h.call(urlEvent('GET', '/v1/watches', { auth: false }))).statusCode).toBe(401);
    expect((await h.call(urlEvent('GET', '/v1/watches'))).statusCode).toBe(200);
  });

  test('GCRA: one request per interval on average, a burst at once, and the wait until the next', () => {
    let tat = 0;
    const admitted: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const s = gcraStep(tat, 10_000, 100, 3);
      admitted.push(s.admitted);
      if (s.admitted) tat = s.tat;
      else expect(s.retryAfterMs).toBe(100);
    }
    expect(admitted).toEqual([true, true, true, false]);
  });

  test('holdOff refuses every take of that key until the hold ends, then takes resume at the rate, not in a burst', async () => {
    let now = 10_000;
    const budget = new LocalRequestBudget(1, 4, () => now);
    await budget.holdOff('robot', 60_000);
    expect(await budget.take('robot')).toEqual({ ok: false, retryAfterMs: 60_000 });
    expect(await budget.take('other')).toEqual({ ok: true });
    now += 60_000;
    expect(await budget.take('robot')).toEqual({ ok: true });
    expect(await budget.take('robot')).toEqual({ ok: false, retryAfterMs: 1_000 });
  });
});
