// Tokens with names and scopes (API_TOKENS `name:scopes:token`): what each scope may do, the 403 a token without
// the scope gets, and the audit line every write leaves (the token's name, never the token).
import { loadConfig, ConfigError } from '../../lib/config';
import { parseApiTokens } from '../../lib/config/tokens';
import { ROUTES } from '../../lib/http';
import { harness, TOKEN, UUID, urlEvent } from './http-helpers';

const READER = 'dashboard-token-0123456789';
const WRITER = 'automation-token-0123456789';
const ADMIN = 'operator-token-0123456789';
const METRICS = 'scraper-token-0123456789';
const TOKENS = `dash:read:${READER},ci:write:${WRITER},ops:admin:${ADMIN},prom:metrics:${METRICS},${TOKEN}`;

function withTokens() {
  return harness({ env: { API_TOKENS: TOKENS } });
}

const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

function problemsOf(tokens: string): string[] {
  try {
    loadConfig({ TENCENTCLOUD_SECRET_ID: 'AKIDexample', TENCENTCLOUD_SECRET_KEY: 'key', API_TOKENS: tokens, STATE_STORE: 'memory:' });
    return [];
  } catch (e) {
    return (e as ConfigError).problems;
  }
}

describe('API_TOKENS entries', () => {
  test('a bare token has every scope and is called unnamed', () => {
    expect(parseApiTokens([TOKEN])).toEqual({ tokens: [{ name: 'unnamed', scopes: ['read', 'write', 'alerts', 'metrics', 'admin'], secret: TOKEN }], problems: [] });
  });

  test('name:scopes:token gives the token its name and scopes joined by +', () => {
    expect(parseApiTokens([`grafana:read+metrics:${READER}`]).tokens).toEqual([{ name: 'grafana', scopes: ['read', 'metrics'], secret: READER }]);
  });

  test('the token part may itself contain ":"', () => {
    expect(parseApiTokens([`ci:write:abc:def:0123456789abcdef`]).tokens[0]).toEqual({ name: 'ci', scopes: ['write'], secret: 'abc:def:0123456789abcdef' });
  });

  test('an unknown scope is a problem naming the entry, the scope and the valid ones, never the token', () => {
    const problems = problemsOf(`dash:read+wirte:${READER}`);
    expect(problems).toEqual([expect.stringContaining('API_TOKENS: entry 1 ("dash") has unknown scope "wirte"; scopes are read, write, alerts, metrics, admin')]);
    expect(problems.join()).not.toContain(READER);
  });

  test('an entry with one ":" is a problem that shows both accepted forms', () => {
    const problems = problemsOf(`dash:${READER}`);
    expect(problems).toEqual([expect.stringContaining('name:scopes:token')]);
    expect(problems.join()).not.toContain(READER);
  });

  test('no scopes, a bad name, a short token and a name used twice are each listed, all at once', () => {
    const problems = problemsOf(`a::${READER},-x:read:${WRITER},b:read:short,a:read:${ADMIN}`);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toContain('entry 1 ("a") has no scopes');
    expect(problems[1]).toContain('entry 2 has an invalid name');
    expect(problems[2]).toContain('entry 3 ("b"): a token of 5 characters is too short');
    expect(problems[3]).toContain('entry 4 ("a"): the name is used twice');
  });
});

describe('scopes on the routes', () => {
  test('every route but /healthz, /openapi.json and the signed links needs a scope (or, for /v1/whoami alone, any valid token)', () => {
    for (const r of ROUTES) {
      if (r.public) expect(['/healthz', '/openapi.json', '/v1/links/{token}']).toContain(r.pattern);
      else if (r.scope === 'any') expect(r.pattern).toBe('/v1/whoami');
      else expect(['read', 'write', 'alerts', 'metrics', 'admin']).toContain(r.scope);
    }
  });

  test('a read token gets 403 insufficient_scope on PUT /v1/watches/{uuid}, naming the scope', async () => {
    const h = withTokens();
    const r = await h.call(urlEvent('PUT', `/v1/watches/${UUID}`, as(READER)));
    expect(r.statusCode).toBe(403);
    expect(r.json.error).toMatchObject({ code: 'insufficient_scope', scope: 'write' });
    expect(r.json.error.message).toContain('"write" scope');
    expect(r.json.error.message).toContain('token "dash"');
    expect(r.headers['www-authenticate']).toContain('error="insufficient_scope", scope="write"');
    expect(await h.store.getWatch(UUID)).toBeNull();
  });

  test('a read token reads every GET route it is offered', async () => {
    const h = withTokens();
    for (const path of ['/v1/watches', `/v1/status/process/${UUID}`, '/v1/deliveries']) {
      expect((await h.call(urlEvent('GET', path, as(READER)))).statusCode).toBe(200);
    }
  });

  test('a read token gets 403 on each write route, before its body is looked at', async () => {
    const h = withTokens();
    const writes: Array<[string, string]> = [['PUT', `/v1/watches/${UUID}`], ['DELETE', `/v1/watches/${UUID}`], ['POST', `/v1/collections/process/${UUID}`], ['POST', `/v1/collections/${UUID}`], ['POST', '/v1/deliveries/replay']];
    for (const [method, path] of writes) {
      const r = await h.call(urlEvent(method, path, { ...as(READER), body: '{not json' }));
      expect([method, path, r.statusCode, r.json.error.code]).toEqual([method, path, 403, 'insufficient_scope']);
    }
  });

  test('a name:write:token gets 201 on PUT /v1/watches/{uuid} and one audit line with its name', async () => {
    const h = withTokens();
    const r = await h.call(urlEvent('PUT', `/v1/watches/${UUID}`, as(WRITER)));
    expect(r.statusCode).toBe(201);
    const audits = h.lines.filter((l) => l.msg === 'audit');
    expect(audits).toEqual([expect.objectContaining({ msg: 'audit', token: 'ci', method: 'PUT', path: `/v1/watches/${UUID}`, status: 201 })]);
    expect(JSON.stringify(h.lines)).not.toContain(WRITER);
  });

  test('a refused write is audited too, with its 403', async () => {
    const h = withTokens();
    await h.call(urlEvent('DELETE', `/v1/watches/${UUID}`, as(READER)));
    expect(h.lines.filter((l) => l.msg === 'audit')).toEqual([expect.objectContaining({ token: 'dash', method: 'DELETE', status: 403 })]);
  });

  test('reads leave no audit line', async () => {
    const h = withTokens();
    await h.call(urlEvent('GET', '/v1/watches', as(READER)));
    expect(h.lines.filter((l) => l.msg === 'audit')).toEqual([]);
  });

  test('replaying dead letters needs admin: write is refused, admin and a bare token may', async () => {
    const h = withTokens();
    expect((await h.call(urlEvent('POST', '/v1/deliveries/replay', as(WRITER)))).json.error).toMatchObject({ code: 'insufficient_scope', scope: 'admin' });
    expect((await h.call(urlEvent('POST', '/v1/deliveries/replay', as(ADMIN)))).statusCode).toBe(202);
    expect((await h.call(urlEvent('POST', '/v1/deliveries/replay', as(TOKEN)))).statusCode).toBe(202);
    expect(h.lines.filter((l) => l.msg === 'audit').map((l) => l.token)).toEqual(['ci', 'ops', 'unnamed']);
  });

  test('a metrics-only token may not read the API', async () => {
    const h = withTokens();
    const r = await h.call(urlEvent('GET', '/v1/watches', as(METRICS)));
    expect(r.statusCode).toBe(403);
    expect(r.json.error.scope).toBe('read');
  });

  test('a wrong token is still 401, whatever the scopes of the others', async () => {
    const h = withTokens();
    expect((await h.call(urlEvent('PUT', `/v1/watches/${UUID}`, as('not-a-token-at-all-0000')))).statusCode).toBe(401);
    expect(h.lines.filter((l) => l.msg === 'audit')).toEqual([]);
  });
});

describe('GET /v1/whoami', () => {
  test('answers the calling token its name and scopes, never the token', async () => {
    const h = withTokens();
    const r = await h.call(urlEvent('GET', '/v1/whoami', as(READER)));
    expect(r.statusCode).toBe(200);
    expect(r.json).toEqual({ name: 'dash', scopes: ['read'] });
    expect(r.body).not.toContain(READER);
  });

  test('needs no scope: a metrics-only token, which may read nothing else, learns what it may do', async () => {
    const h = withTokens();
    expect((await h.call(urlEvent('GET', '/v1/whoami', as(METRICS)))).json).toEqual({ name: 'prom', scopes: ['metrics'] });
  });

  test('a bare token is unnamed with every scope', async () => {
    const h = withTokens();
    expect((await h.call(urlEvent('GET', '/v1/whoami', as(TOKEN)))).json).toEqual({ name: 'unnamed', scopes: ['read', 'write', 'alerts', 'metrics', 'admin'] });
  });

  test('needs a valid token: 401 without one, like every other route', async () => {
    const h = withTokens();
    expect((await h.call(urlEvent('GET', '/v1/whoami', { auth: false }))).statusCode).toBe(401);
    expect((await h.call(urlEvent('GET', '/v1/whoami', as('not-a-token-at-all-0000')))).statusCode).toBe(401);
  });
});
