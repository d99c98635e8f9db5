// GET and POST /v1/links/{token} through the api handler: opening a signed chat link shows a confirmation page and
// changes nothing; only its button (POST) acts, with an audit line naming the incident and `via: "link"`; a bad,
// expired or foreign link gets a clear page (403/410), and the token never reaches the log.
import { incidentsForStatusChange, type AlertContext } from '../../lib/alerts/rules';
import { INCIDENT_TYPES } from '../../lib/alerts/types';
import { CONSOLE_CSP } from '../../lib/console/serve';
import { LINK_TTL_MS, signLink, type LinkClaims } from '../../lib/links/signed-link';
import { handleHttp } from '../../lib/http';
import { harness, NOW, UUID, urlEvent, type Harness } from './http-helpers';

const SECRET = 's'.repeat(48);
const LINKS_ENV = { CONSOLE_URL: 'https://fn.example.com', LINK_SECRET: SECRET };

/** A harness with links on and one firing agent.offline incident of UUID; its key and the store's id. */
async function withFiringIncident(env: Record<string, string> = LINKS_ENV): Promise<{ h: Harness; key: string; storeId: string; alerts: AlertContext }> {
  const h = harness({ env });
  const { storeId } = await h.store.identity(NOW);
  const ctx: AlertContext = { storeId, source: '/s', settings: { offlineForMs: 0, repeatEveryMs: 60_000, processNames: [], types: [...INCIDENT_TYPES], retentionMs: 86_400_000 } };
  const [write] = incidentsForStatusChange(ctx, { uuid: UUID, kind: 'port', state: 'AGENT_OFFLINE', eventId: 'ev-1', at: NOW - 60_000, machine: { name: 'web-01', ip: '10.0.0.5' }, open: [] });
  expect(await h.store.applyIncidents([write!])).toBe(true);
  expect(write!.incident.state).toBe('firing');
  return { h, key: write!.incident.key, storeId, alerts: ctx };
}

function token(c: Omit<LinkClaims, 'expiresAt'> & { expiresAt?: number }, secret = SECRET): string {
  return signLink(secret, { expiresAt: NOW + LINK_TTL_MS, ...c });
}

// The pages are HTML: through handleHttp itself (the harness's call reads JSON).
const get = (h: Harness, t: string) => handleHttp(urlEvent('GET', `/v1/links/${t}`, { auth: false }), { request_id: 'scf-req-1' }, h.deps);
const post = (h: Harness, t: string, body: string | null = 'by=alice') =>
  handleHttp(urlEvent('POST', `/v1/links/${t}`, { auth: false, body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), { request_id: 'scf-req-1' }, h.deps);

describe('opening a link (GET)', () => {
  it('shows a confirmation page with what will happen and a POST form, and changes nothing', async () => {
    const { h, key, storeId } = await withFiringIncident();
    const outboxBefore = await h.store.countOutbox();
    const r = await get(h, token({ action: 'ack', key, storeId }));
    expect(r.statusCode).toBe(200);
    expect(r.headers!['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers!['content-security-policy']).toBe(CONSOLE_CSP);
    expect(r.headers!['referrer-policy']).toBe('no-referrer');
    expect(r.body).toContain('Acknowledge this incident?');
    expect(r.body).toContain(key);
    expect(r.body).toMatch(/<form method="post">[\s\S]*<button type="submit">Acknowledge<\/button>/);
    expect(r.body).not.toMatch(/<script|style=/);
    const incident = await h.store.getIncident(key);
    expect(incident!.acknowledged).toBe(false);
    expect(await h.store.countOutbox()).toBe(outboxBefore);
  });

  it('opened again and again (a link preview), it still changes nothing', async () => {
    const { h, key, storeId } = await withFiringIncident();
    const t = token({ action: 'ack', key, storeId });
    for (let i = 0; i < 3; i++) expect((await get(h, t)).statusCode).toBe(200);
    expect((await h.store.getIncident(key))!.acknowledged).toBe(false);
  });

  it('a silence link says for how long', async () => {
    const { h, key, storeId } = await withFiringIncident();
    const r = await get(h, token({ action: 'silence', key, storeId, hours: 1 }));
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('Silence this incident for 1 hour?');
  });
});

describe('pressing the button (POST)', () => {
  it('acknowledges the incident by the name given, with an audit line naming the incident and via link', async () => {
    const { h, key, storeId } = await withFiringIncident();
    const r = await post(h, token({ action: 'ack', key, storeId }), 'by=alice%20ops');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain(`Incident ${key} is acknowledged by alice ops`);
    const incident = await h.store.getIncident(key);
    expect(incident).toMatchObject({ acknowledged: true, acknowledgedBy: 'alice ops' });
    // The acknowledgement's incident.changed event waits in the outbox, as the acknowledge route's does.
    const outbox = await h.store.listOutbox(10);
    expect(outbox.some((o) => o.event.type === 'com.tencentcloud.cwp.incident.changed' && (o.event.data as { notification: string }).notification === 'acknowledged')).toBe(true);
    expect(h.lines.filter((l) => l.msg === 'audit')).toEqual([expect.objectContaining({ via: 'link', action: 'ack', incident: key, by: 'alice ops', status: 200 })]);
  });

  it('a blank name acknowledges as "chat link"; a second press changes nothing more', async () => {
    const { h, key, storeId } = await withFiringIncident();
    const t = token({ action: 'ack', key, storeId });
    expect((await post(h, t, null)).statusCode).toBe(200);
    expect((await h.store.getIncident(key))!.acknowledgedBy).toBe('chat link');
    const again = await post(h, t, 'by=bob');
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('already acknowledged by chat link');
    expect((await h.store.getIncident(key))!.acknowledgedBy).toBe('chat link');
  });

  it('silence makes a 1 h silence on the incident\'s agent and type, with an audit line', async () => {
    const { h, key, storeId } = await withFiringIncident();
    const r = await post(h, token({ action: 'silence', key, storeId, hours: 1 }));
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('is silenced until');
    const { silences } = await h.store.listQuietRules();
    expect(silences).toHaveLength(1);
    expect(silences[0]).toMatchObject({
      matchers: [{ name: 'uuid', value: UUID, op: '=' }, { name: 'type', value: 'agent.offline', op: '=' }],
      createdBy: 'alice', endsAt: silences[0]!.startsAt + 3_600_000,
    });
    expect((await h.store.getIncident(key))!.acknowledged).toBe(false);
    expect(h.lines.filter((l) => l.msg === 'audit')).toEqual([expect.objectContaining({ via: 'link', action: 'silence', incident: key, status: 200 })]);
  });
});

describe('links that cannot act', () => {
  it('an expired link is 410 with a page saying so, on GET and on POST, and acts on nothing', async () => {
    const { h, key, storeId } = await withFiringIncident();
    const t = token({ action: 'ack', key, storeId, expiresAt: NOW - 1000 });
    const g = await get(h, t);
    expect(g.statusCode).toBe(410);
    expect(g.body).toContain('This link has expired');
    const p = await post(h, t);
    expect(p.statusCode).toBe(410);
    expect((await h.store.getIncident(key))!.acknowledged).toBe(false);
  });

  it('a tampered link, or one signed with another secret, is 403', async () => {
    const { h, key, storeId } = await withFiringIncident();
    const good = token({ action: 'ack', key, storeId });
    const tampered = `${good.slice(0, 5)}${good[5] === 'x' ? 'y' : 'x'}${good.slice(6)}`;
    for (const t of [tampered, token({ action: 'ack', key, storeId }, 'o'.repeat(40))]) {
      const r = await post(h, t);
      expect(r.statusCode).toBe(403);
      expect(r.body).toContain('This link is not valid');
    }
    expect((await h.store.getIncident(key))!.acknowledged).toBe(false);
  });

  it('a link of another store is 403', async () => {
    const { h, key } = await withFiringIncident();
    const r = await get(h, token({ action: 'ack', key, storeId: 'another-store' }));
    expect(r.statusCode).toBe(403);
    expect(r.body).toContain('another state store');
  });

  it('acknowledging a resolved incident is a 409 page saying why, and changes nothing', async () => {
    const { h, key, storeId, alerts } = await withFiringIncident();
    const [resolve] = incidentsForStatusChange(alerts, { uuid: UUID, kind: 'port', state: 'COMPLETE', eventId: 'ev-2', at: NOW, open: [(await h.store.getIncident(key))!] });
    expect(await h.store.applyIncidents([resolve!])).toBe(true);
    expect((await h.store.getIncident(key))!.state).toBe('resolved');
    const r = await post(h, token({ action: 'ack', key, storeId }));
    expect(r.statusCode).toBe(409);
    expect(r.body).toContain('only a firing incident can be acknowledged');
    expect((await h.store.getIncident(key))!.acknowledged).toBe(false);
  });

  it('a link to an incident the store does not have gets a 404 page', async () => {
    const { h, storeId } = await withFiringIncident();
    const r = await get(h, token({ action: 'ack', key: 'agent.offline.nothing', storeId }));
    expect(r.statusCode).toBe(404);
    expect(r.headers!['content-type']).toBe('text/html; charset=utf-8');
  });

  it('without CONSOLE_URL and LINK_SECRET every link is 404: links are off', async () => {
    const { h, key, storeId } = await withFiringIncident({});
    const r = await post(h, token({ action: 'ack', key, storeId }));
    expect(r.statusCode).toBe(404);
    expect(r.body).toContain('Signed links are off');
  });

  it('the token never reaches the log', async () => {
    const { h, key, storeId } = await withFiringIncident();
    const t = token({ action: 'ack', key, storeId });
    await get(h, t);
    await post(h, t);
    expect(JSON.stringify(h.lines)).not.toContain(t.split('.')[1]!);
    expect(h.lines.filter((l) => l.msg === 'request').map((l) => l.path)).toEqual(['/v1/links/…', '/v1/links/…']);
  });
});
