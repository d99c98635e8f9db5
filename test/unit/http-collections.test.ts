// Starting collections (POST /v1/collections/...) and reading back their results (GET /v1/agents/{uuid}/ports,
// /processes) over a memory store and a fake CWP.
import { buildStatusChangedEvent } from '../../lib/events';
import { encodeSnapshotRecord } from '../../lib/results/snapshot';
import { statusData } from '../helpers/events';
import { ENV_UUID, harness, NOW, tencentError, UUID, urlEvent } from './http-helpers';
import { TEST_STORE_ID } from '../helpers/events';

const post = (path: string, body?: string) => urlEvent('POST', path, body === undefined ? {} : { body });

async function watchedHarness(init: Parameters<typeof harness>[0] = {}) {
  const h = harness(init);
  await h.store.putWatch(UUID, ['process', 'port'], NOW);
  await h.store.syncSchedule([{ uuid: UUID, kind: 'process' }, { uuid: UUID, kind: 'port' }], NOW);
  return h;
}

describe('POST /v1/collections/{kind}/{uuid}', () => {
  test('starts the collection: 202, the key COLLECTING at once with its status event, due in the hot lane', async () => {
    const h = await watchedHarness();
    const event = buildStatusChangedEvent({ storeId: TEST_STORE_ID, source: 's', uuid: UUID, kind: 'process', previous: null, state: 'COMPLETE', version: 1, observedAt: NOW, requestId: 'r0' });
    await h.store.recordChange({ key: { uuid: UUID, kind: 'process' }, expectedVersion: 0, state: 'COMPLETE', requestId: 'r0', observedAt: NOW, nextDue: NOW + 600_000, event });
    const r = await h.call(post(`/v1/collections/process/${UUID}`));
    expect(r.statusCode).toBe(202);
    expect(r.json).toMatchObject({ uuid: UUID, kind: 'process', started: true, state: 'COLLECTING', previous: 'COMPLETE', requestId: 'create-process' });
    expect(h.cwp.calls.map((c) => c.kind)).toEqual(['process']);
    expect(await h.store.getRecord({ uuid: UUID, kind: 'process' })).toMatchObject({ state: 'COLLECTING', version: 2, nextDue: NOW + 3_000 });
    expect((await h.store.dueKeys(NOW + 3_000, 10, { kind: 'process', lane: 'hot' })).map((k) => k.uuid)).toEqual([UUID]);
    const events = (await h.store.listOutbox(10)).map((e) => statusData(e.event));
    expect(events.at(-1)).toMatchObject({ previous: 'COMPLETE', state: 'COLLECTING' });
  });

  test('a collection already running is 409 already_collecting, and no second task is started', async () => {
    const h = await watchedHarness();
    expect((await h.call(post(`/v1/collections/port/${UUID}`))).statusCode).toBe(202);
    const again = await h.call(post(`/v1/collections/port/${UUID}`));
    expect(again.statusCode).toBe(409);
    expect(again.json.error.code).toBe('already_collecting');
    expect(h.cwp.calls).toHaveLength(1);
  });

  test('an agent that is not watched is 409 not_watched, saying how to watch it', async () => {
    const h = harness();
    const r = await h.call(post(`/v1/collections/process/${UUID}`));
    expect(r.statusCode).toBe(409);
    expect(r.json.error).toMatchObject({ code: 'not_watched', field: 'uuid' });
    expect(r.json.error.message).toMatch(/PUT \/v1\/watches/);
    expect(h.cwp.calls).toHaveLength(0);
  });

  test('a WATCH_UUIDS agent can be collected', async () => {
    expect((await harness().call(post(`/v1/collections/port/${ENV_UUID}`))).statusCode).toBe(202);
  });

  test.each([
    ['FailedOperation.AgentOffline', 409, 'agent_offline'],
    ['ResourceNotFound', 404, 'unknown_agent'],
    ['InternalError', 502, 'InternalError'],
    ['AuthFailure.SignatureFailure', 502, 'AuthFailure.SignatureFailure'],
  ])('CWP answering %s is %i %s, and the key is left as it was', async (code, status, answer) => {
    const h = await watchedHarness({ script: { process: tencentError(code) } });
    const r = await h.call(post(`/v1/collections/process/${UUID}`));
    expect(r.statusCode).toBe(status);
    expect(r.json.error.code).toBe(answer);
    expect((await h.store.getRecord({ uuid: UUID, kind: 'process' }))?.state ?? null).toBeNull();
  });

  test('an unknown kind is 400 naming kind', async () => {
    const r = await (await watchedHarness()).call(post(`/v1/collections/files/${UUID}`));
    expect(r.statusCode).toBe(400);
    expect(r.json.error.field).toBe('kind');
  });
});

describe('POST /v1/collections/{uuid}', () => {
  test('starts both kinds by default: 202 with each outcome', async () => {
    const h = await watchedHarness();
    const r = await h.call(post(`/v1/collections/${UUID}`));
    expect(r.statusCode).toBe(202);
    expect(r.json.collections).toMatchObject({ process: { started: true }, port: { started: true } });
  });

  test('{"kinds":["port"]} starts only that kind', async () => {
    const h = await watchedHarness();
    const r = await h.call(post(`/v1/collections/${UUID}`, '{"kinds":["port"]}'));
    expect(r.statusCode).toBe(202);
    expect(Object.keys(r.json.collections)).toEqual(['port']);
  });

  test('when no kind starts and both fail alike, that status', async () => {
    const h = await watchedHarness({ script: { process: tencentError('FailedOperation.AgentOffline'), port: tencentError('FailedOperation.AgentOffline') } });
    const r = await h.call(post(`/v1/collections/${UUID}`));
    expect(r.statusCode).toBe(409);
    expect(r.json.error.code).toBe('agent_offline');
    expect(r.json.collections.process).toMatchObject({ started: false, error: { code: 'agent_offline' } });
  });

  test('a body that names no kind is 400 naming kinds', async () => {
    const r = await (await watchedHarness()).call(post(`/v1/collections/${UUID}`, '{"kinds":[]}'));
    expect(r.statusCode).toBe(400);
  });
});

describe('GET /v1/agents/{uuid}/ports and /processes', () => {
  test('404 no_snapshot before any collection was read, saying how to start one', async () => {
    const r = await harness().call(urlEvent('GET', `/v1/agents/${UUID}/ports`));
    expect(r.statusCode).toBe(404);
    expect(r.json.error.code).toBe('no_snapshot');
    expect(r.json.error.message).toMatch(/POST \/v1\/collections\/port\//);
  });

  test('the latest snapshot, when it was taken, and what changed against the one before', async () => {
    const h = harness();
    const items = [{ port: 22, pid: 10, processName: 'sshd' }, { port: 6379, pid: 77, processName: 'redis-server' }];
    const record = {
      latest: { uuid: UUID, kind: 'port' as const, takenAt: NOW, forVersion: 3, requestId: 'rq', items },
      previousTakenAt: NOW - 86_400_000,
      lastDiff: { added: [items[1]!], removed: [], addedCount: 1, removedCount: 0, truncated: false },
    };
    await h.store.recordSnapshot({ uuid: UUID, kind: 'port' }, null, { encoded: encodeSnapshotRecord(record), takenAt: NOW }, 3, null);
    const r = await h.call(urlEvent('GET', `/v1/agents/${UUID}/ports`));
    expect(r.statusCode).toBe(200);
    expect(r.json).toEqual({
      uuid: UUID, kind: 'port', takenAt: new Date(NOW).toISOString(), total: 2, items, baseline: false,
      previousTakenAt: new Date(NOW - 86_400_000).toISOString(), changes: record.lastDiff,
    });
    expect((await h.call(urlEvent('GET', `/v1/agents/${UUID}/processes`))).statusCode).toBe(404);
  });
});
