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
