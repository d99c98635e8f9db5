import crypto from 'node:crypto';
import { bearerToken, constantTimeEqual, matchesAnyToken } from '../../lib/http';
import { apigwEvent, harness, TOKEN, TOKEN2, urlEvent } from './http-helpers';

describe('constant-time compare', () => {
  test('constantTimeEqual is plain equality in its results', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });

  test('compares SHA-256 digests of equal length whatever the inputs lengths', () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      constantTimeEqual('short', 'a much much longer candidate token');
      expect(spy).toHaveBeenCalledTimes(1);
      const [a, b] = spy.mock.calls[0]! as [Buffer, Buffer];
      expect(a.length).toBe(32);
      expect(b.length).toBe(32);
    } finally {
      spy.mockRestore();
    }
  });

  test('matchesAnyToken compares against every token, not stopping at the first match', () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      expect(matchesAnyToken(TOKEN, [TOKEN, TOKEN2, 'tok-cccccccccccccccccccc'])).toBe(true);
      expect(spy).toHaveBeenCalledTimes(3);
      expect(matchesAnyToken('nope', [TOKEN, TOKEN2])).toBe(false);
      expect(matchesAnyToken(TOKEN2, [TOKEN, TOKEN2])).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  test('bearerToken reads the scheme case-insensitively and flags malformed headers', () => {
    expect(bearerToken({ authorization: `bearer ${TOKEN}` })).toBe(TOKEN);
    expect(bearerToken({})).toBeNull();
    expect(bearerToken({ authorization: 'Basic dXNlcjpwYXNz' })).toBeUndefined();
    expect(bearerToken({ authorization: 'Bearer a b' })).toBeUndefined();
  });
});

describe('auth on the routes', () => {
  const path = '/v1/watches';

  test('missing Authorization is 401 with WWW-Authenticate: Bearer', async () => {
    const r = await harness().call(urlEvent('GET', path, { auth: false }));
    expect(r.statusCode).toBe(401);
    expect(r.headers['www-authenticate']).toMatch(/^Bearer realm="cwp-task-bridge"$/);
    expect(r.json.error).toMatchObject({ code: 'unauthorized', requestId: 'scf-req-1' });
  });

  test('a wrong token is 401 invalid_token, and the token is not echoed', async () => {
    const r = await harness().call(urlEvent('GET', path, { auth: false, headers: { authorization: 'Bearer wrong-token-wrong-token' } }));
    expect(r.statusCode).toBe(401);
    expect(r.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(r.body).not.toContain('wrong-token');
  });

  test('a non-Bearer scheme is 401 invalid_request', async () => {
    const r = await harness().call(urlEvent('GET', path, { auth: false, headers: { authorization: 'Basic dXNlcjpwYXNz' } }));
    expect(r.statusCode).toBe(401);
    expect(r.headers['www-authenticate']).toContain('error="invalid_request"');
  });

  test('a right token passes, in any header case, for either configured token', async () => {
    const h = harness();
    expect((await h.call(apigwEvent('GET', path))).statusCode).toBe(200);
    expect((await h.call(apigwEvent('GET', path, { auth: false, headers: { AUTHORIZATION: `Bearer ${TOKEN2}` } }))).statusCode).toBe(200);
  });

  test('unknown paths need a token too (401 before 404)', async () => {
    const r = await harness().call(urlEvent('GET', '/nope', { auth: false }));
    expect(r.statusCode).toBe(401);
  });

  test('/healthz needs no token', async () => {
    const r = await harness().call(urlEvent('GET', '/healthz', { auth: false }));
    expect(r.statusCode).toBe(200);
  });

  test('no configured API_TOKENS is 503 config_invalid, not 401', async () => {
    const r = await harness({ env: { API_TOKENS: '' } }).call(urlEvent('GET', path));
    expect(r.statusCode).toBe(503);
    expect(r.json.error.code).toBe('config_invalid');
    expect(r.json.error.message).toContain('API_TOKENS');
  });
});

describe('authentication comes first, whatever the path, method or encoding', () => {
  const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
  const deep = (): Record<string, unknown> => {
    const root: Record<string, unknown> = {};
    let at = root;
    for (let i = 0; i < 5000; i++) at = (at.a = {}) as Record<string, unknown>;
    return root;
  };
  const probes: Array<[string, () => Record<string, unknown>]> = [
    ['GET /v1/watches/%ZZ', () => urlEvent('GET', '/v1/watches/%ZZ', { auth: false })],
    ['PUT /v1/watches/%ZZ', () => urlEvent('PUT', '/v1/watches/%ZZ', { auth: false })],
    ['DELETE /v1/watches/%E0%A4%A', () => apigwEvent('DELETE', '/v1/watches/%E0%A4%A', { auth: false })],
    ['GET /v1/status/%ZZ/%ZZ', () => urlEvent('GET', '/v1/status/%ZZ/%ZZ', { auth: false })],
    ['GET /v1/status/process/%', () => apigwEvent('GET', '/v1/status/process/%', { auth: false })],
    ['GET /v1/agents/%C0%AF', () => urlEvent('GET', '/v1/agents/%C0%AF', { auth: false })],
    ['PATCH /v1/watches', () => urlEvent('PATCH', '/v1/watches', { auth: false })],
    ['GET /v1/nosuch/%ZZ', () => urlEvent('GET', '/v1/nosuch/%ZZ', { auth: false })],
    ['PUT with a body that is not base64', () => urlEvent('PUT', `/v1/watches/${UUID}`, { auth: false, body: 'not base64!', isBase64Encoded: true })],
    ['PUT with a body over 64 KiB', () => apigwEvent('PUT', `/v1/watches/${UUID}`, { auth: false, body: 'x'.repeat(70_000) })],
    ['PUT with a parsed body 5,000 deep', () => ({ ...urlEvent('PUT', `/v1/watches/${UUID}`, { auth: false }), body: deep() })],
    ['GET /v1/watches/%ZZ with a wrong token', () => urlEvent('GET', '/v1/watches/%ZZ', { auth: false, headers: { authorization: 'Bearer wrong-token-wrong-token' } })],
  ];

  test.each(probes)('%s without a valid token is 401, the same answer as an unknown path', async (_name, make) => {
    const h = harness();
    const event = make();
    const r = await h.call(event);
    expect(r.statusCode).toBe(401);
    expect(r.json.error.code).toBe('unauthorized');
    const wrong = Object.keys((event.headers as Record<string, string>) ?? {}).some((k) => k.toLowerCase() === 'authorization');
    const reference = await h.call(urlEvent('GET', '/v1/nosuch', { auth: false, ...(wrong ? { headers: { authorization: 'Bearer another-wrong-token' } } : {}) }));
    expect(r.json).toEqual({ error: { ...reference.json.error, requestId: r.headers['x-request-id'] } });
    expect(r.headers['www-authenticate']).toBe(reference.headers['www-authenticate']);
  });

  test('with a token, a badly encoded parameter is 400 naming it, as before', async () => {
    const h = harness();
    for (const [method, path, code] of [
      ['PUT', '/v1/watches/%ZZ', 'invalid_uuid'],
      ['GET', '/v1/watches/%ZZ', 'invalid_uuid'],
      ['GET', '/v1/status/%ZZ/x', 'invalid_kind'],
      ['GET', `/v1/status/process/%E0%A4%A`, 'invalid_uuid'],
      ['GET', '/v1/agents/%', 'invalid_uuid'],
    ] as const) {
      const r = await h.call(urlEvent(method, path));
      expect([method, path, r.statusCode, r.json.error.code]).toEqual([method, path, 400, code]);
      expect(r.json.error.message).toMatch(/is not validly percent-encoded$/);
    }
    expect((await h.call(urlEvent('GET', '/v1/nosuch/%ZZ'))).statusCode).toBe(404);
    expect((await h.call(urlEvent('PUT', `/v1/watches/${UUID}`, { body: 'not base64!', isBase64Encoded: true }))).json.error.code).toBe('invalid_body');
  });

  test('/healthz stays public, with any method or body', async () => {
    const h = harness();
    expect((await h.call(urlEvent('GET', '/healthz', { auth: false }))).statusCode).toBe(200);
    expect((await h.call(urlEvent('GET', '//healthz/', { auth: false }))).statusCode).toBe(200);
    expect((await h.call(urlEvent('DELETE', '/healthz', { auth: false }))).statusCode).toBe(405);
    expect((await h.call(urlEvent('GET', '/healthz', { auth: false, body: 'x'.repeat(70_000) }))).statusCode).toBe(413);
  });
});
