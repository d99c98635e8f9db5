// GET /v1/events (the event history) and GET /metrics (the Prometheus text format) on the HTTP API.
import { handleHttp } from '../../lib/http';
import { changeOf, keyOf } from '../helpers/store-fixtures';
import { harness, NOW, urlEvent } from './http-helpers';

const T0 = NOW - 3_600_000;

async function withEvents(n: number) {
  const h = harness();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = changeOf(keyOf(1 + (i % 2)), Math.floor(i / 2), i % 4 < 2 ? 'COLLECTING' : 'FAILED', { at: T0 + i * 1_000 });
    ids.push(c.event.id);
    expect(await h.store.recordChange(c)).toBe(true);
  }
  return { h, ids };
}

describe('GET /v1/events', () => {
  test('answers {events, nextCursor}, newest first, and the cursor leads to the rest', async () => {
    const { h, ids } = await withEvents(5);
    const first = await h.call(urlEvent('GET', '/v1/events', { query: { limit: '3' } }));
    expect(first.statusCode).toBe(200);
    expect(first.json.events.map((e: { id: string }) => e.id)).toEqual(ids.slice(2).reverse());
    const rest = await h.call(urlEvent('GET', '/v1/events', { query: { limit: '3', cursor: first.json.nextCursor } }));
    expect(rest.json).toEqual({ events: expect.any(Array), nextCursor: null });
    expect(rest.json.events.map((e: { id: string }) => e.id)).toEqual(ids.slice(0, 2).reverse());
  });

  test('filters by type (short or full name), uuid and time', async () => {
    const { h, ids } = await withEvents(4);
    const short = await h.call(urlEvent('GET', '/v1/events', { query: { type: 'task.status.changed', uuid: keyOf(1).uuid } }));
    expect(short.json.events.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[0]]);
    const full = await h.call(urlEvent('GET', '/v1/events', { query: { type: 'com.tencentcloud.cwp.task.status.changed', since: new Date(T0 + 1_000).toISOString(), until: new Date(T0 + 2_000).toISOString() } }));
    expect(full.json.events.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
    const none = await h.call(urlEvent('GET', '/v1/events', { query: { type: 'ports.changed' } }));
    expect(none.json).toEqual({ events: [], nextCursor: null });
  });

  test.each([
    [{ type: 'nope.changed' }, 'invalid_type', 'type'],
    [{ since: 'yesterday' }, 'invalid_since', 'since'],
    [{ until: '2026-13-45T00:00:00Z' }, 'invalid_until', 'until'],
    [{ limit: '0' }, 'invalid_limit', 'limit'],
    [{ limit: '501' }, 'invalid_limit', 'limit'],
    [{ uuid: 'not-a-uuid' }, 'invalid_uuid', 'uuid'],
    [{ cursor: 'garbage' }, 'invalid_cursor', 'cursor'],
    [{ since: '2026-12-02T00:00:00Z', until: '2026-12-01T00:00:00Z' }, 'invalid_since', 'since'],
  ])('%j is a 400 %s naming the field', async (query, code, field) => {
    const h = harness();
    const r = await h.call(urlEvent('GET', '/v1/events', { query }));
    expect(r.statusCode).toBe(400);
    expect(r.json.error.code).toBe(code);
    expect(r.json.error.field).toBe(field);
  });
});

describe('GET /metrics', () => {
  test('answers the Prometheus text format: gauges of the store\'s state and the stored counters', async () => {
    const { h } = await withEvents(4);
    await h.store.incrementCounters([{ name: 'cwp_bridge_deliveries_total', labels: { sink: 'https://hook.example#abc', result: 'delivered' }, by: 3 }]);
    await h.store.putLastSweep({ requestId: 'r', startedAt: new Date(NOW - 10_000).toISOString(), outcome: 'ok', error: null, checked: 1, changed: 1, published: 1, retried: 0, throttled: 0, failed: 0, dueLeft: 0, outboxLeft: 0, deadLetters: 0, tookMs: 1_500 });
    const r = await handleHttp(urlEvent('GET', '/metrics'), { request_id: 'scf-req-1' }, h.deps);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4');
    const lines = r.body.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+)$/);
    expect(lines).toContain('cwp_bridge_events_published_total{type="com.tencentcloud.cwp.task.status.changed"} 4');
    expect(lines).toContain('cwp_bridge_deliveries_total{result="delivered",sink="https://hook.example#abc"} 3');
    expect(lines).toContain('cwp_bridge_outbox_events{sink="not-yet-sent"} 4');
    expect(lines).toContain('cwp_bridge_last_sweep_outcome{outcome="ok"} 1');
    expect(lines).toContain('cwp_bridge_last_sweep_outcome{outcome="auth"} 0');
    expect(lines).toContain('cwp_bridge_last_sweep_duration_seconds 1.5');
    expect(lines).toContain(`cwp_bridge_last_sweep_timestamp_seconds ${(NOW - 10_000) / 1000}`);
  });

  test('needs the metrics scope: a read-only token is refused', async () => {
    const h = harness({ env: { API_TOKENS: 'ro:read:tok-rrrrrrrrrrrrrrrrrrrrrrrr' } });
    const r = await h.call(urlEvent('GET', '/metrics', { headers: { authorization: 'Bearer tok-rrrrrrrrrrrrrrrrrrrrrrrr' } }));
    expect(r.statusCode).toBe(403);
  });
});
