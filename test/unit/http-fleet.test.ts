// The HTTP API with WATCH_DISCOVER: discovered watches in the list, their deletion refused with the fix, a
// collection on a discovered agent accepted, and /healthz saying where discovery is.
import type { MachineInfo } from '../../lib/types';
import { loadConfig } from '../../lib/config';
import { harness, NOW, SECRET_KEY, TOKEN, UUID, urlEvent } from './http-helpers';

const CREDS_FOR_API = { TENCENTCLOUD_SECRET_ID: 'AKIDexample', TENCENTCLOUD_SECRET_KEY: SECRET_KEY, API_TOKENS: TOKEN };

const machine = (uuid: string, extra: Partial<MachineInfo> = {}): MachineInfo => ({
  uuid, name: 'web-01', ip: '10.0.0.5', tags: ['prod'], type: 'CVM', region: 'ap-guangzhou', status: 'ONLINE',
  firstSeenAt: NOW - 60_000, lastSeenAt: NOW - 1_000, seenInListing: 1, ...extra,
});
const cursor = { listing: 2, target: 0, offset: 0, targetsKey: 'k', startedAt: null, lastCompletedAt: NOW - 60_000, skippedNoUuid: 0, lastSkippedNoUuid: 3 };

describe('the API with WATCH_DISCOVER', () => {
  test('GET /v1/watches lists a discovered agent with its machine', async () => {
    const h = harness({ env: { WATCH_DISCOVER: 'CVM:ap-guangzhou' } });
    await h.store.putMachines([machine(UUID)]);
    const r = await h.call(urlEvent('GET', '/v1/watches'));
    expect(r.statusCode).toBe(200);
    expect(r.json.watches.filter((w: { source: string }) => w.source !== 'env')).toEqual([{ uuid: UUID, kinds: ['process', 'port'], source: 'discovered', addedAt: NOW - 60_000, machine: machine(UUID) }]);
  });

  test('GET /v1/agents/{uuid} of a discovered agent shows its discovered watch and machine', async () => {
    const h = harness({ env: { WATCH_DISCOVER: 'CVM:ap-guangzhou' } });
    await h.store.putMachines([machine(UUID)]);
    const r = await h.call(urlEvent('GET', `/v1/agents/${UUID}`));
    expect(r.statusCode).toBe(200);
    expect(r.json.watch).toEqual({ uuid: UUID, kinds: ['process', 'port'], source: 'discovered', addedAt: NOW - 60_000, machine: machine(UUID) });
  });

  test('discovered machines are not watched while WATCH_DISCOVER is off', async () => {
    const h = harness();
    await h.store.putMachines([machine(UUID)]);
    expect((await h.call(urlEvent('GET', '/v1/watches'))).json.watches.map((w: { source: string }) => w.source)).toEqual(['env']);
  });

  test('DELETE of a discovered agent is 409 watch_discovered, naming the settings to change', async () => {
    const h = harness({ env: { WATCH_DISCOVER: 'CVM:ap-guangzhou' } });
    await h.store.putMachines([machine(UUID)]);
    const r = await h.call(urlEvent('DELETE', `/v1/watches/${UUID}`));
    expect(r.statusCode).toBe(409);
    expect(r.json.error).toMatchObject({ code: 'watch_discovered' });
    expect(r.json.error.message).toMatch(/WATCH_DISCOVER_FILTERS/);
  });

  test('a collection on a discovered agent is started', async () => {
    const h = harness({ env: { WATCH_DISCOVER: 'CVM:ap-guangzhou' } });
    await h.store.putMachines([machine(UUID)]);
    const r = await h.call(urlEvent('POST', `/v1/collections/port/${UUID}`));
    expect(r.statusCode).toBe(202);
  });

  test('/healthz says where discovery is, and warns when no listing completed for three periods', async () => {
    const h = harness({ env: { WATCH_DISCOVER: 'CVM:ap-guangzhou', DISCOVER_EVERY: '10m' } });
    await h.store.saveDiscovery(cursor, null);
    const fresh = await h.call(urlEvent('GET', '/healthz', { auth: false }));
    expect(fresh.json.discovery).toEqual({ listing: 2, inProgress: false, lastCompletedAt: new Date(NOW - 60_000).toISOString(), skippedNoUuid: 3, every: '600s' });
    expect(fresh.json.warnings).toEqual([]);
    await h.store.saveDiscovery({ ...cursor, lastCompletedAt: NOW - 31 * 60_000 }, null);
    const stale = await h.call(urlEvent('GET', '/healthz', { auth: false }));
    expect(stale.json.warnings).toEqual([expect.stringMatching(/has not completed a listing for over 30 min/)]);
  });

  test('the api function reads DISCOVER_EVERY too, so /healthz warns after three of the poll\'s periods, not 600 s', async () => {
    const env = { WATCH_DISCOVER: 'CVM:ap-guangzhou', DISCOVER_EVERY: '10s' };
    expect(loadConfig({ ...CREDS_FOR_API, ...env }, { role: 'api' }).watch.discover?.everyMs).toBe(10_000);
    const h = harness({ env });
    await h.store.saveDiscovery({ ...cursor, lastCompletedAt: NOW - 31_000 }, null);
    const stale = await h.call(urlEvent('GET', '/healthz', { auth: false }));
    expect(stale.json.discovery.every).toBe('10s');
    expect(stale.json.warnings).toEqual([expect.stringMatching(/has not completed a listing for over/)]);
  });
});
