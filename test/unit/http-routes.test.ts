// /healthz, /v1/agents, /v1/watches, /v1/deliveries over a MemoryStateStore.
import type { DeadLetter, SweepSummary } from '../../lib/types';
import type { CloudEvent } from '../../lib/events/types';
import { sinkLabel } from '../../lib/util/redact';
import { apigwEvent, ENV_UUID, harness, NOW, UUID, urlEvent } from './http-helpers';

const OTHER = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

function sweep(outcome: SweepSummary['outcome'], error: string | null = null): SweepSummary {
  return { requestId: 'sweep-1', startedAt: new Date(NOW).toISOString(), outcome, error, checked: 2, changed: 1, published: 1, retried: 0, throttled: 0, failed: 0, dueLeft: 0, outboxLeft: 0, deadLetters: 0, tookMs: 12 };
}

function event(id: string): CloudEvent {
  return {
    specversion: '1.0',
    type: 'com.tencentcloud.cwp.task.status.changed',
    source: '/cwp-task-bridge/ap-guangzhou',
    id,
    subject: `${UUID}/process`,
    time: new Date(NOW).toISOString(),
    datacontenttype: 'application/json',
    data: { uuid: UUID, kind: 'process', previous: null, state: 'COMPLETE', severity: 'info', observedAt: new Date(NOW).toISOString(), requestId: 'r', next: 'DescribeProcesses' },
  };
}

function letter(id: string, sinkId = 'webhook:https://hooks.example.com/a'): DeadLetter {
  return { event: event(id), sinkId, reason: 'HTTP 400', attempts: 1, deadAt: NOW };
}

describe('GET /healthz', () => {
  test('is 200 ok with the store and no sweep yet', async () => {
    const r = await harness().call(urlEvent('GET', '/healthz', { auth: false }));
    expect(r.statusCode).toBe(200);
    expect(r.json).toEqual({ status: 'ok', store: 'memory:', durable: false, lastSweep: null, problem: null, warnings: [] });
  });

  test('inside SCF, warns that a memory store does not survive across instances', async () => {
    const r = await harness().call(urlEvent('GET', '/healthz'), { request_id: 'r', function_name: 'cwp-task-bridge-api' });
    expect(r.statusCode).toBe(200);
    expect(r.json.status).toBe('ok');
    expect(r.json.warnings[0]).toMatch(/does not survive across SCF instances/);
  });

  test('shows the last sweep summary', async () => {
    const h = harness();
    await h.store.putLastSweep(sweep('ok'));
    const r = await h.call(urlEvent('GET', '/healthz'));
    expect(r.json.status).toBe('ok');
    expect(r.json.lastSweep).toMatchObject({ outcome: 'ok', checked: 2 });
  });

  test('is 200 degraded, saying the credentials were rejected, when the last sweep stopped on auth', async () => {
    const h = harness();
    await h.store.putLastSweep(sweep('auth', 'AuthFailure.SignatureFailure: signature mismatch'));
    const r = await h.call(urlEvent('GET', '/healthz'));
    expect(r.statusCode).toBe(200);
    expect(r.json.status).toBe('degraded');
    expect(r.json.problem).toMatch(/rejected the credentials.*AuthFailure\.SignatureFailure/);
    expect(r.json.lastSweep).toMatchObject({ outcome: 'auth', error: 'AuthFailure.SignatureFailure: signature mismatch' });
  });

  test('is 200 degraded when the last sweep stopped on the store', async () => {
    const h = harness();
    await h.store.putLastSweep(sweep('store', 'ECONNREFUSED'));
    const r = await h.call(urlEvent('GET', '/healthz'));
    expect(r.statusCode).toBe(200);
    expect(r.json.status).toBe('degraded');
  });

  test('is 503 when the store ping fails, without credentials from the store URL', async () => {
    const h = harness();
    h.store.ping = async () => {
      throw new Error('connect ECONNREFUSED redis://default:hunter2hunter2@10.0.0.5:6379');
    };
    const r = await h.call(urlEvent('GET', '/healthz'));
    expect(r.statusCode).toBe(503);
    expect(r.json).toMatchObject({ status: 'unavailable', error: { code: 'store_unavailable' } });
    expect(r.body).not.toContain('hunter2');
  });

  test('any other method on /healthz is 405 with Allow: GET', async () => {
    const r = await harness().call(urlEvent('POST', '/healthz', { auth: false }));
    expect(r.statusCode).toBe(405);
    expect(r.headers.allow).toBe('GET');
  });
});

describe('GET /v1/agents/{uuid}', () => {
  test('answers the stored states without calling CWP', async () => {
    const h = harness();
    await h.store.syncSchedule([{ uuid: UUID, kind: 'process' }], NOW);
    const r = await h.call(urlEvent('GET', `/v1/agents/${UUID}`));
    expect(r.statusCode).toBe(200);
    expect(r.json).toMatchObject({ uuid: UUID, watch: null, tasks: { process: { state: null, version: 0, nextDue: new Date(NOW).toISOString() } } });
    expect(h.cwp.calls).toHaveLength(0);
  });

  test('a watched agent with no records yet is 200 with its watch', async () => {
    const r = await harness().call(urlEvent('GET', `/v1/agents/${ENV_UUID}`));
    expect(r.statusCode).toBe(200);
    expect(r.json).toEqual({ uuid: ENV_UUID, watch: { uuid: ENV_UUID, kinds: ['process', 'port'], source: 'env', addedAt: null }, tasks: {} });
  });

  test('an unknown, unwatched agent is 404', async () => {
    const r = await harness().call(urlEvent('GET', `/v1/agents/${OTHER}`));
    expect(r.statusCode).toBe(404);
    expect(r.json.error.code).toBe('not_found');
  });

  test('a bad uuid is 400 invalid_uuid', async () => {
    const r = await harness().call(urlEvent('GET', '/v1/agents/xyz'));
    expect(r.statusCode).toBe(400);
    expect(r.json.error.field).toBe('uuid');
  });
});

describe('watches', () => {
  test('GET /v1/watches merges WATCH_UUIDS (env) with the API watches', async () => {
    const h = harness();
    await h.store.putWatch(UUID, ['port'], NOW);
    const r = await h.call(urlEvent('GET', '/v1/watches'));
    expect(r.statusCode).toBe(200);
    expect(r.json).toEqual({
      count: 2,
      watches: [
        { uuid: ENV_UUID, kinds: ['process', 'port'], source: 'env', addedAt: null },
        { uuid: UUID, kinds: ['port'], source: 'api', addedAt: NOW },
      ],
      // The page (issue #10: GET /v1/watches is paged).
      total: 2, offset: 0, limit: 500, nextOffset: null,
    });
  });

  test('GET /v1/watches shows an agent in both WATCH_UUIDS and the API once, as env, with the kinds the sweep polls', async () => {
    const h = harness({ env: { WATCH_KINDS: 'process' } });
    await h.store.putWatch(ENV_UUID, ['port'], NOW);
    const r = await h.call(urlEvent('GET', '/v1/watches'));
    expect(r.json).toEqual({ count: 1, watches: [{ uuid: ENV_UUID, kinds: ['process', 'port'], source: 'env', addedAt: null }], total: 1, offset: 0, limit: 500, nextOffset: null });
  });

  test('PUT with no body watches the WATCH_KINDS and answers 201', async () => {
    const h = harness({ env: { WATCH_KINDS: 'process' } });
    const r = await h.call(urlEvent('PUT', `/v1/watches/${UUID}`));
    expect(r.statusCode).toBe(201);
    expect(r.json).toEqual({ created: true, watch: { uuid: UUID, kinds: ['process'], source: 'api', addedAt: NOW } });
    expect(await h.store.listWatches()).toHaveLength(1);
  });

  test('PUT with kinds replaces an existing watch and answers 200', async () => {
    const h = harness();
    await h.call(urlEvent('PUT', `/v1/watches/${UUID}`));
    const r = await h.call(urlEvent('PUT', `/v1/watches/${UUID.toUpperCase()}`, { body: '{"kinds":["port","port"]}' }));
    expect(r.statusCode).toBe(200);
    expect(r.json.watch.kinds).toEqual(['port']);
    expect(r.json.created).toBe(false);
  });

  test('PUT with a bad kind is 400 naming the field', async () => {
    const r = await harness().call(urlEvent('PUT', `/v1/watches/${UUID}`, { body: '{"kinds":["process","ports"]}' }));
    expect(r.statusCode).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'invalid_body', field: 'kinds[1]' });
    expect(r.json.error.message).toMatch(/^kinds\[1\]: must be process or port/);
  });

  test('PUT with an empty kinds list is 400', async () => {
    const r = await harness().call(urlEvent('PUT', `/v1/watches/${UUID}`, { body: '{"kinds":[]}' }));
    expect(r.statusCode).toBe(400);
    expect(r.json.error.field).toBe('kinds');
  });

  test('PUT with an unknown field is 400 naming it', async () => {
    const r = await harness().call(urlEvent('PUT', `/v1/watches/${UUID}`, { body: '{"kind":["port"]}' }));
    expect(r.statusCode).toBe(400);
    expect(r.json.error.field).toBe('kind');
  });

  test('PUT with a body that is not JSON is 400 naming the body', async () => {
    const r = await harness().call(urlEvent('PUT', `/v1/watches/${UUID}`, { body: '{kinds:' }));
    expect(r.statusCode).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'invalid_body', field: 'body' });
  });

  test('PUT on a WATCH_UUIDS agent is 409', async () => {
    const r = await harness().call(urlEvent('PUT', `/v1/watches/${ENV_UUID}`));
    expect(r.statusCode).toBe(409);
    expect(r.json.error.code).toBe('watch_from_env');
  });

  test('DELETE removes an API watch', async () => {
    const h = harness();
    await h.store.putWatch(UUID, ['port'], NOW);
    const r = await h.call(apigwEvent('DELETE', `/v1/watches/${UUID}`));
    expect(r.statusCode).toBe(200);
    expect(r.json).toEqual({ deleted: UUID });
    expect(await h.store.listWatches()).toEqual([]);
  });

  test('DELETE of an agent that is not an API watch is 404', async () => {
    const r = await harness().call(urlEvent('DELETE', `/v1/watches/${UUID}`));
    expect(r.statusCode).toBe(404);
  });

  test('DELETE of a WATCH_UUIDS agent is 409 saying where it comes from', async () => {
    const r = await harness().call(urlEvent('DELETE', `/v1/watches/${ENV_UUID}`));
    expect(r.statusCode).toBe(409);
    expect(r.json.error.message).toMatch(/WATCH_UUIDS/);
  });

  test('GET on /v1/watches/{uuid} is 405 with Allow', async () => {
    const r = await harness().call(urlEvent('GET', `/v1/watches/${UUID}`));
    expect(r.statusCode).toBe(405);
    expect(r.headers.allow).toBe('DELETE, PUT');
    expect(r.json.error.code).toBe('method_not_allowed');
  });
});

describe('deliveries', () => {
  test('GET /v1/deliveries?status=dead lists dead letters with the total', async () => {
    const h = harness();
    await h.store.addDeadLetter(letter('e1'));
    await h.store.addDeadLetter(letter('e2'));
    const r = await h.call(urlEvent('GET', '/v1/deliveries', { query: { status: 'dead', limit: '1' } }));
    expect(r.statusCode).toBe(200);
    expect(r.json).toMatchObject({ status: 'dead', total: 2, count: 1 });
    expect(r.json.deliveries[0]).toMatchObject({ eventId: 'e1', sinkId: sinkLabel('webhook:https://hooks.example.com/a'), reason: 'HTTP 400', attempts: 1, deadAt: new Date(NOW).toISOString() });
  });

  test('GET /v1/deliveries shows a webhook by origin and hash, never its URL, also where an old reason quotes it', async () => {
    const h = harness();
    const hook = 'https://hooks.slack.com/services/T000/B000/SECRETPATH?key=SECRETKEY123';
    await h.store.addDeadLetter({ ...letter('e1', `webhook:${hook}`), reason: `receiver answered HTTP 404: Cannot POST /services/T000/B000/SECRETPATH?key=SECRETKEY123 (${hook})` });
    await h.store.addDeadLetter(letter('e2', 'cmq-queue:alerts'));
    const r = await h.call(urlEvent('GET', '/v1/deliveries'));
    expect(r.statusCode).toBe(200);
    expect(r.body).not.toMatch(/SECRET|services|key=/);
    const [hooked, queued] = r.json.deliveries as Array<{ eventId: string; sinkId: string; reason: string }>;
    expect(hooked).toMatchObject({ eventId: 'e1', sinkId: sinkLabel(`webhook:${hook}`), reason: 'receiver answered HTTP 404: Cannot POST … (…)' });
    expect(hooked!.sinkId).toMatch(/^webhook:https:\/\/hooks\.slack\.com\/…#[0-9a-f]{8}$/);
    expect(queued).toMatchObject({ eventId: 'e2', sinkId: 'cmq-queue:alerts', reason: 'HTTP 400' });
    // Replay goes by event id, and the store still holds the full id to deliver to.
    expect((await h.call(urlEvent('POST', '/v1/deliveries/replay', { body: '{"eventIds":["e1"]}' }))).json).toEqual({ replayed: 1 });
    expect((await h.store.listOutbox(10))[0]).toMatchObject({ targets: [`webhook:${hook}`] });
  });

  test('status defaults to dead', async () => {
    const r = await harness().call(urlEvent('GET', '/v1/deliveries'));
    expect(r.statusCode).toBe(200);
    expect(r.json).toMatchObject({ status: 'dead', total: 0, deliveries: [] });
  });

  test('another status is 400 naming the allowed ones', async () => {
    const r = await harness().call(urlEvent('GET', '/v1/deliveries', { query: { status: 'pending' } }));
    expect(r.statusCode).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'invalid_status', field: 'status', message: 'status must be one of: dead' });
  });

  test.each(['0', '501', 'ten', '1.5', '-1'])('limit=%s is 400 naming limit', async (limit) => {
    const r = await harness().call(urlEvent('GET', '/v1/deliveries', { query: { limit } }));
    expect(r.statusCode).toBe(400);
    expect(r.json.error.field).toBe('limit');
  });

  test('POST /v1/deliveries/replay with {} replays every dead letter: 202', async () => {
    const h = harness();
    await h.store.addDeadLetter(letter('e1'));
    await h.store.addDeadLetter(letter('e2'));
    const r = await h.call(urlEvent('POST', '/v1/deliveries/replay', { body: '{}' }));
    expect(r.statusCode).toBe(202);
    expect(r.json).toEqual({ replayed: 2 });
    expect(await h.store.countDeadLetters()).toBe(0);
    expect(await h.store.countOutbox()).toBe(2);
  });

  test('POST /v1/deliveries/replay with eventIds replays those only', async () => {
    const h = harness();
    await h.store.addDeadLetter(letter('e1'));
    await h.store.addDeadLetter(letter('e2'));
    const r = await h.call(urlEvent('POST', '/v1/deliveries/replay', { body: '{"eventIds":["e2"]}' }));
    expect(r.json).toEqual({ replayed: 1 });
    expect((await h.store.listDeadLetters(10)).map((l) => l.event.id)).toEqual(['e1']);
  });

  test('replay goes through deps.replayDeadLetters when given', async () => {
    const replay = jest.fn(async () => 7);
    const h = harness({ deps: { replayDeadLetters: replay } });
    const r = await h.call(urlEvent('POST', '/v1/deliveries/replay'));
    expect(r.json).toEqual({ replayed: 7 });
    expect(replay).toHaveBeenCalledWith(null, NOW);
  });

  test('replay with a bad eventIds is 400 naming the field', async () => {
    const h = harness();
    const r1 = await h.call(urlEvent('POST', '/v1/deliveries/replay', { body: '{"eventIds":"e1"}' }));
    expect(r1.statusCode).toBe(400);
    expect(r1.json.error.field).toBe('eventIds');
    const r2 = await h.call(urlEvent('POST', '/v1/deliveries/replay', { body: '{"eventIds":["ok",""]}' }));
    expect(r2.json.error.field).toBe('eventIds[1]');
  });
});
