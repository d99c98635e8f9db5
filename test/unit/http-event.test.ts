import { MAX_BODY_BYTES, normalizeEvent, normalizePath, type HttpRequest } from '../../lib/scf/http-event';
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

describe('handleHttp with odd events', () => {
  test('a timer event answers 400 invalid_event as JSON', async () => {
    const h = harness();
    const r = await h.call(fixture('scf-timer-event.json'));
    expect(r.statusCode).toBe(400);
    expect(r.json.error).toEqual({ code: 'invalid_event', message: expect.stringMatching(/httpMethod/), requestId: 'scf-req-1' });
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  test('an oversized body answers 413 before auth or routing', async () => {
    const h = harness();
    const r = await h.call(urlEvent('PUT', `/v1/watches/${UUID}`, { body: ' '.repeat(70_000), auth: false }));
    expect(r.statusCode).toBe(413);
    expect(r.json.error.code).toBe('payload_too_large');
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
