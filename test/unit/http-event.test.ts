import { MAX_BODY_BYTES, MAX_BODY_DEPTH, normalizeEvent, normalizePath, type HttpRequest } from '../../lib/scf/http-event';
import { apigwEvent, fixture, harness, UUID, urlEvent } from './http-helpers';

function ok(event: unknown, context?: { request_id?: string }, options?: { basePath?: string }): HttpRequest {
  const n = normalizeEvent(event, context, options);
  if (!n.ok) throw new Error(`expected ok, got ${n.error.status} ${n.error.message}`);
  return n.request;
}

function bad(event: unknown) {
  const n = normalizeEvent(event, { request_id: 'scf-1' });
  if (n.ok) throw new Error('expected a bad event');
  return n;
}

describe('normalizeEvent', () => {
  test('reads the API Gateway fixture as it is', () => {
    const r = ok(fixture('scf-apigw-event.json'));
    expect(r).toMatchObject({ method: 'POST', path: '/test/value', body: '{"test":"body"}', requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', trigger: 'apigw' });
    expect(r.query).toEqual({ foo: 'bar', bob: 'alice' });
  });

  test('lower-cases the API Gateway header names', () => {
    const r = ok(fixture('scf-apigw-event.json'));
    expect(r.headers['user-agent']).toBe('User Agent String');
    expect(r.headers['accept-language']).toBe('en-US,en,cn');
    expect(Object.keys(r.headers).every((k) => k === k.toLowerCase())).toBe(true);
  });

  test('reads the Function URL fixture as it is', () => {
    const r = ok(fixture('scf-function-url-event.json'), { request_id: 'scf-req-9' });
    expect(r).toMatchObject({ method: 'POST', path: '/', body: '{"test":"hello world"}', requestId: 'scf-req-9', trigger: 'function-url' });
    expect(r.query).toEqual({ a: '1', b: '2' });
    expect(r.headers['x-scf-remote-addr']).toBe('111.206.96.145');
  });

  test('both event shapes normalise to the same request', () => {
    const init = { query: { limit: '5' }, body: '{"x":1}' };
    const a = ok(apigwEvent('put', `/v1/watches/${UUID}`, init));
    const b = ok(urlEvent('PUT', `/v1/watches/${UUID}`, init));
    for (const r of [a, b]) {
      expect(r).toMatchObject({ method: 'PUT', path: `/v1/watches/${UUID}`, body: '{"x":1}', query: { limit: '5' } });
      expect(r.headers.authorization).toMatch(/^Bearer /);
    }
  });

  test('request id: requestContext first, then the SCF context, then a random uuid', () => {
    expect(ok(apigwEvent('GET', '/healthz'), { request_id: 'scf' }).requestId).toBe('c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
    expect(ok(urlEvent('GET', '/healthz'), { request_id: 'scf' }).requestId).toBe('scf');
    expect(ok(urlEvent('GET', '/healthz')).requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('strips trailing slashes and the configured base path', () => {
    expect(ok(urlEvent('GET', '/v1/watches/')).path).toBe('/v1/watches');
    expect(ok(urlEvent('GET', '/release/v1/watches'), undefined, { basePath: '/release/' }).path).toBe('/v1/watches');
    expect(ok(urlEvent('GET', '/release'), undefined, { basePath: 'release' }).path).toBe('/');
    expect(normalizePath('/releases/v1', '/release')).toBe('/releases/v1');
    expect(normalizePath('/v1/watches?x=1')).toBe('/v1/watches');
  });

  test('joins repeated headers and accepts a query string given as a string', () => {
    const e = urlEvent('GET', '/v1/deliveries', { headers: { 'X-A': '1', 'x-a': '2' } });
    e.queryString = 'status=dead&limit=3';
    const r = ok(e);
    expect(r.headers['x-a']).toBe('1, 2');
    expect(r.query).toEqual({ status: 'dead', limit: '3' });
  });

  test('decodes a base64 body when flagged', () => {
    const r = ok(urlEvent('POST', '/x', { body: Buffer.from('{"kinds":["port"]}').toString('base64'), isBase64Encoded: true }));
    expect(r.body).toBe('{"kinds":["port"]}');
  });

  test('leaves a body that is not flagged base64 as it is', () => {
    expect(ok(urlEvent('POST', '/x', { body: 'eyJ9' })).body).toBe('eyJ9');
  });

  test('a body that is not valid base64 is 400 naming the body', () => {
    const n = bad(urlEvent('POST', '/x', { body: 'not base64 at all!', isBase64Encoded: true }));
    expect(n.error).toMatchObject({ status: 400, code: 'invalid_body' });
    expect(n.error.message).toMatch(/base64/);
  });

  test('a body over 64 KiB is 413', () => {
    const n = bad(urlEvent('POST', '/x', { body: 'a'.repeat(MAX_BODY_BYTES + 1) }));
    expect(n.error).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(ok(urlEvent('POST', '/x', { body: 'a'.repeat(MAX_BODY_BYTES) })).body).toHaveLength(MAX_BODY_BYTES);
  });

  test('a base64 body over 64 KiB once decoded is 413', () => {
    const n = bad(urlEvent('POST', '/x', { body: Buffer.alloc(MAX_BODY_BYTES + 1, 65).toString('base64'), isBase64Encoded: true }));
    expect(n.error).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  test('an event that is not an HTTP event is 400 naming what is missing', () => {
    expect(bad(fixture('scf-timer-event.json')).error.message).toMatch(/missing httpMethod and path/);
    expect(bad({ httpMethod: 'GET' }).error.message).toMatch(/missing path$/);
    expect(bad(null).error).toMatchObject({ status: 400, code: 'invalid_event' });
    expect(bad('GET /healthz').error.code).toBe('invalid_event');
    expect(bad(null).requestId).toBe('scf-1');
  });
});

/** An object nested `depth` levels deep: {a:{a:{…}}}. */
function nested(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let at = root;
  for (let i = 1; i < depth; i++) at = (at.a = {}) as Record<string, unknown>;
  return root;
}

function withBody(body: unknown): Record<string, unknown> {
  return { ...urlEvent('PUT', `/v1/watches/${UUID}`), body };
}

describe('normalizeEvent never throws', () => {
  test('a body that arrives parsed is read as its JSON text', () => {
    expect(ok(withBody({ kinds: ['port'] })).body).toBe('{"kinds":["port"]}');
    expect(ok(withBody([1, 'two', null])).body).toBe('[1,"two",null]');
    expect(ok(withBody(nested(MAX_BODY_DEPTH))).body).toContain('{"a":');
  });

  test('a parsed body nested 5,000 deep is 400 invalid_body naming the body and the depth', () => {
    const n = bad(withBody(nested(5000)));
    expect(n.error).toMatchObject({ status: 400, code: 'invalid_body', details: { field: 'body' } });
    expect(n.error.message).toBe(`body is nested deeper than ${MAX_BODY_DEPTH} levels`);
    expect(bad(withBody(nested(MAX_BODY_DEPTH + 1))).error.code).toBe('invalid_body');
    const arrays: unknown[] = [];
    let at = arrays;
    for (let i = 0; i < 5000; i++) at.push((at = []));
    expect(bad(withBody(arrays)).error.code).toBe('invalid_body');
  });

  test('a parsed body that contains itself, or holds a bigint, is 400 invalid_body', () => {
    const cyclic: Record<string, unknown> = { kinds: ['port'] };
    cyclic.self = { back: cyclic };
    expect(bad(withBody(cyclic)).error).toMatchObject({ status: 400, code: 'invalid_body', message: expect.stringMatching(/^body .*itself/) });
    expect(bad(withBody({ kinds: [1n] })).error).toMatchObject({ status: 400, code: 'invalid_body', message: expect.stringMatching(/^body .*bigint/) });
    // A shared (not cyclic) object is fine, as it is for JSON.stringify.
    const shared = { x: 1 };
    expect(ok(withBody({ a: shared, b: shared })).body).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  test('a parsed body is bounded by the same 64 KiB as a string body: 413 past it, as soon as it is seen', () => {
    const pad = (n: number) => ({ s: 'x'.repeat(n) }); // {"s":"…"} is n + 8 bytes
    expect(ok(withBody(pad(MAX_BODY_BYTES - 8))).body).toHaveLength(MAX_BODY_BYTES);
    expect(bad(withBody(pad(MAX_BODY_BYTES - 7))).error).toMatchObject({ status: 413, code: 'payload_too_large', details: { field: 'body' } });
    // A billion-slot array is not walked, let alone serialised.
    const started = Date.now();
    expect(bad(withBody(new Array(1e9))).error.status).toBe(413);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('a body whose getters throw is 400 invalid_body; an event whose getters throw is 400 invalid_event', () => {
    const body = { get kinds(): never { throw new Error('getter'); } };
    expect(bad(withBody(body)).error).toMatchObject({ status: 400, code: 'invalid_body' });
    const e = { ...urlEvent('GET', '/v1/watches'), get headers(): never { throw new Error('getter'); } };
    expect(bad(e).error).toMatchObject({ status: 400, code: 'invalid_event' });
    expect(bad({ get httpMethod(): never { throw new Error('getter'); }, path: '/' }).error.code).toBe('invalid_event');
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(bad(revoked.proxy).error).toMatchObject({ status: 400, code: 'invalid_event' });
    expect(bad(revoked.proxy).requestId).toBe('scf-1');
  });

  test('when only the body is bad, the rest of the request is kept for auth and routing', () => {
    const n = bad(withBody(nested(5000)));
    expect(n.request).toMatchObject({ method: 'PUT', path: `/v1/watches/${UUID}`, body: null });
    expect(n.request?.headers.authorization).toMatch(/^Bearer /);
    expect(bad(null).request).toBeUndefined();
  });

  test('a header or query parameter named like an Object member is just a name', () => {
    const e = urlEvent('GET', '/v1/watches', { headers: { constructor: 'c', __proto__: 'p', toString: 't' } as Record<string, string>, query: { constructor: 'q' } });
    const r = ok(e);
    expect(r.headers.constructor).toBe('c');
    expect(r.headers.tostring).toBe('t');
    expect(r.query.constructor).toBe('q');
  });

  test('a gateway request id that cannot go into a header as it is gives way to the SCF one', () => {
    for (const bad of ['id\r\nset-cookie: x', 'x'.repeat(129), '', 'ünïcode']) {
      const e = apigwEvent('GET', '/healthz');
      (e.requestContext as Record<string, unknown>).requestId = bad;
      expect(ok(e, { request_id: 'scf-2' }).requestId).toBe('scf-2');
    }
  });
});

describe('handleHttp with odd events', () => {
  test('a timer event answers 400 invalid_event as JSON', async () => {
    const h = harness();
    const r = await h.call(fixture('scf-timer-event.json'));
    expect(r.statusCode).toBe(400);
    expect(r.json.error).toEqual({ code: 'invalid_event', message: expect.stringMatching(/httpMethod/), requestId: 'scf-req-1' });
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  test('an oversized body answers 413 before routing, but only after auth (401 without a token)', async () => {
    const h = harness();
    const r = await h.call(urlEvent('PUT', `/v1/watches/${UUID}`, { body: ' '.repeat(70_000) }));
    expect(r.statusCode).toBe(413);
    expect(r.json.error.code).toBe('payload_too_large');
    expect((await h.call(urlEvent('PUT', '/v1/nosuch', { body: ' '.repeat(70_000) }))).statusCode).toBe(413);
    const anonymous = await h.call(urlEvent('PUT', `/v1/watches/${UUID}`, { body: ' '.repeat(70_000), auth: false }));
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json.error.code).toBe('unauthorized');
  });

  test('a base64 JSON body reaches the route decoded', async () => {
    const h = harness();
    const body = Buffer.from(JSON.stringify({ kinds: ['port'] })).toString('base64');
    const r = await h.call(apigwEvent('PUT', `/v1/watches/${UUID}`, { body, isBase64Encoded: true }));
    expect(r.statusCode).toBe(201);
    expect(r.json.watch.kinds).toEqual(['port']);
  });

  test('routes on the path after the base path option', async () => {
    const h = harness();
    const r = await h.call(apigwEvent('GET', '/release/healthz/'), undefined, { basePath: '/release' });
    expect(r.statusCode).toBe(200);
  });
});

describe('trailing slash', () => {
  test('the path is routed without it, and the request says whether it was there (the console redirects /ui to /ui/)', () => {
    const e = (p: string) => normalizeEvent({ httpMethod: 'GET', path: p, headers: {} });
    const withSlash = e('/ui/?x=1');
    const without = e('/ui');
    expect(withSlash.ok && [withSlash.request.path, withSlash.request.trailingSlash]).toEqual(['/ui', true]);
    expect(without.ok && [without.request.path, without.request.trailingSlash]).toEqual(['/ui', false]);
  });
});
