// handleHttp as a whole: routing, the response envelope, config errors, unexpected errors, the access log.
import { ConfigError, loadConfig } from '../../lib/config';
import { handleHttp, HttpError } from '../../lib/http';
import type { Logger } from '../../lib/log';
import { apigwEvent, harness, recordingLogger, reply, SECRET_KEY, TOKEN, UUID, urlEvent } from './http-helpers';

const STACK_LINE = /\n\s+at\s|\.ts:\d+|node_modules/;

describe('routing', () => {
  test('both event shapes route the same and answer the same', async () => {
    const h = harness({ script: { process: 'COLLECTING' } });
    const path = `/v1/status/process/${UUID}`;
    const a = await h.call(apigwEvent('GET', path));
    const b = await h.call(urlEvent('GET', path), { request_id: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef' });
    expect(a.statusCode).toBe(200);
    expect(b).toEqual(a);
  });

  test('an unknown route is 404 not_found', async () => {
    const r = await harness().call(urlEvent('GET', '/v2/anything'));
    expect(r.statusCode).toBe(404);
    expect(r.json.error).toEqual({ code: 'not_found', message: 'no route for /v2/anything', requestId: 'scf-req-1' });
  });

  test('a known path with the wrong method is 405 with Allow', async () => {
    const r = await harness().call(urlEvent('POST', `/v1/status/process/${UUID}`));
    expect(r.statusCode).toBe(405);
    expect(r.headers.allow).toBe('GET');
  });

  test('the method is matched case-insensitively', async () => {
    expect((await harness().call(urlEvent('get', '/v1/watches'))).statusCode).toBe(200);
  });

  test('every response is JSON with the request id header, errors included', async () => {
    const h = harness();
    const replies = await Promise.all([
      h.call(urlEvent('GET', '/healthz')),
      h.call(urlEvent('GET', '/nope')),
      h.call(urlEvent('GET', '/v1/watches', { auth: false })),
      h.call({ nothing: true }),
    ]);
    for (const r of replies) {
      expect(r.isBase64Encoded).toBe(false);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(r.headers['x-request-id']).toBe('scf-req-1');
      if (r.statusCode >= 400) expect(Object.keys(r.json.error)).toEqual(expect.arrayContaining(['code', 'message', 'requestId']));
    }
  });

  test('the answer has the integrated-response shape of the fixture', async () => {
    const r = await harness().call(urlEvent('GET', '/healthz'));
    expect(Object.keys(r).filter((k) => k !== 'json').sort()).toEqual(['body', 'headers', 'isBase64Encoded', 'statusCode']);
  });
});

describe('configuration errors', () => {
  function configError(): ConfigError {
    try {
      loadConfig({ TENCENTCLOUD_SECRET_KEY: SECRET_KEY, WATCH_UUIDS: 'my-private-host-name', API_TOKENS: 'shortsecret' }, { requireApiTokens: true });
    } catch (e) {
      if (e instanceof ConfigError) return e;
    }
    throw new Error('expected a ConfigError');
  }

  test('/healthz answers 503 listing the variables, never their values', async () => {
    const { logger } = recordingLogger();
    const r = reply(await handleHttp(urlEvent('GET', '/healthz', { auth: false }), { request_id: 'c1' }, configError(), { logger }));
    expect(r.statusCode).toBe(503);
    expect(r.json.status).toBe('config_invalid');
    expect(r.json.variables).toEqual(expect.arrayContaining(['TENCENTCLOUD_SECRET_ID', 'WATCH_UUIDS', 'API_TOKENS']));
    expect(r.json.problems.length).toBeGreaterThanOrEqual(3);
    expect(r.json.error).toMatchObject({ code: 'config_invalid', requestId: 'c1' });
    expect(r.body).not.toContain('my-private-host-name');
    expect(r.body).not.toContain('shortsecret');
    expect(r.body).not.toContain(SECRET_KEY);
  });

  test('every other route answers 503 config_invalid, even with a token', async () => {
    const { logger, lines } = recordingLogger();
    const r = reply(await handleHttp(urlEvent('GET', '/v1/watches'), undefined, configError(), { logger }));
    expect(r.statusCode).toBe(503);
    expect(r.json.error.code).toBe('config_invalid');
    expect(r.json.error.message).toMatch(/WATCH_UUIDS/);
    expect(lines.filter((l) => l.msg === 'request')).toHaveLength(1);
  });
});

describe('unexpected errors', () => {
  function boom() {
    const h = harness();
    const err = new Error('store exploded in a novel way');
    err.stack = `Error: store exploded\n    at Object.<anonymous> (/work/main/lib/state/memory.ts:12:3)`;
    h.deps.cwp.getTaskStatus = async () => {
      throw err;
    };
    return h;
  }

  test('an unexpected exception is 500 internal_error with the request id and no stack', async () => {
    const r = await boom().call(urlEvent('GET', `/v1/status/port/${UUID}`));
    expect(r.statusCode).toBe(500);
    expect(r.json.error).toEqual({ code: 'internal_error', message: expect.stringContaining('scf-req-1'), requestId: 'scf-req-1' });
    expect(r.body).not.toMatch(STACK_LINE);
    expect(r.body).not.toContain('exploded');
  });

  test('it is logged once, as one JSON line with the message', async () => {
    const h = boom();
    await h.call(urlEvent('GET', `/v1/status/port/${UUID}`));
    const errors = h.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'unexpected error', requestId: 'scf-req-1', error: { message: 'store exploded in a novel way' } });
    expect(JSON.stringify(errors[0])).not.toMatch(STACK_LINE);
  });

  test('no response carries a stack trace', async () => {
    const h = boom();
    const events = [
      urlEvent('GET', `/v1/status/port/${UUID}`),
      urlEvent('GET', `/v1/status/${UUID}`),
      urlEvent('GET', '/v1/status/bad/bad'),
      urlEvent('PUT', `/v1/watches/${UUID}`, { body: '{"kinds": [1]}' }),
      urlEvent('POST', '/v1/deliveries/replay', { body: 'not json' }),
      { httpMethod: 'GET', path: '/x', body: 42 },
    ];
    for (const e of events) expect((await h.call(e)).body).not.toMatch(STACK_LINE);
  });
});

describe('access log', () => {
  test('one line per request: method, path, status, ms, requestId', async () => {
    const h = harness();
    await h.call(urlEvent('GET', '/v1/deliveries', { query: { status: 'dead', limit: '5', token: 'leak-me-not' } }));
    const access = h.lines.filter((l) => l.msg === 'request');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ level: 'info', method: 'GET', path: '/v1/deliveries', status: 200, requestId: 'scf-req-1' });
    expect(typeof access[0]!.ms).toBe('number');
    expect(h.lines).toHaveLength(1);
  });

  test('no query value, header or token reaches the log', async () => {
    const h = harness();
    await h.call(urlEvent('GET', '/v1/deliveries', { query: { token: 'leak-me-not' } }));
    await h.call(urlEvent('GET', '/v1/watches', { auth: false, headers: { authorization: 'Bearer wrong-wrong-wrong-wrong' } }));
    const all = JSON.stringify(h.lines);
    expect(all).not.toContain('leak-me-not');
    expect(all).not.toContain('wrong-wrong');
    expect(all).not.toContain(TOKEN);
  });

  test('an error answer logs its code', async () => {
    const h = harness();
    await h.call(urlEvent('GET', '/v1/watches', { auth: false }));
    expect(h.lines[0]).toMatchObject({ status: 401, code: 'unauthorized' });
  });
});

describe('handleHttp never throws', () => {
  function nested(depth: number): Record<string, unknown> {
    const root: Record<string, unknown> = {};
    let at = root;
    for (let i = 1; i < depth; i++) at = (at.a = {}) as Record<string, unknown>;
    return root;
  }

  test('a parsed body nested 5,000 deep is 400 invalid_body with a token, 401 without', async () => {
    const h = harness();
    const withToken = await h.call({ ...urlEvent('PUT', `/v1/watches/${UUID}`), body: nested(5000) });
    expect(withToken.statusCode).toBe(400);
    expect(withToken.json.error).toMatchObject({ code: 'invalid_body', field: 'body', requestId: 'scf-req-1', message: expect.stringMatching(/^body is nested deeper/) });
    const without = await h.call({ ...urlEvent('PUT', `/v1/watches/${UUID}`, { auth: false }), body: nested(5000) });
    expect(without.statusCode).toBe(401);
  });

  test('whatever the event, the answer is a JSON error envelope, never a rejection', async () => {
    const h = harness();
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const events: unknown[] = [
      null, undefined, 0, 42, NaN, 'GET /healthz', '', true, 10n, Symbol('event'), () => 1, [], [urlEvent('GET', '/healthz')],
      revoked.proxy, Object.create(null), cyclic,
      { get httpMethod(): never { throw new Error('getter'); }, path: '/v1/watches' },
      { ...urlEvent('GET', '/v1/watches'), get queryString(): never { throw new Error('getter'); } },
      { ...urlEvent('PUT', `/v1/watches/${UUID}`), body: cyclic },
      { ...urlEvent('PUT', `/v1/watches/${UUID}`), body: { kinds: [10n] } },
      { ...urlEvent('PUT', `/v1/watches/${UUID}`), body: { get kinds(): never { throw new Error('getter'); } } },
      { ...urlEvent('PUT', `/v1/watches/${UUID}`), body: new Array(1e8) },
      { ...urlEvent('PUT', `/v1/watches/${UUID}`), body: Symbol('body') },
      { httpMethod: 'GET', path: '/v1/watches', headers: nested(5000) },
    ];
    for (const e of events) {
      const raw = await handleHttp(e, { request_id: 'scf-req-1' }, h.deps);
      const r = reply(raw);
      expect(r.statusCode).toBeGreaterThanOrEqual(400);
      expect(r.statusCode).toBeLessThan(500);
      expect(r.json.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String), requestId: r.headers['x-request-id'] }));
    }
  });

  test('odd but readable events are answered as the requests they are', async () => {
    const h = harness();
    const joined = await h.call({ ...urlEvent('GET', '/v1/watches'), headers: { authorization: [`Bearer ${TOKEN}`, 1, null] } });
    expect(joined.statusCode).toBe(200);
    const longId = await h.call({ ...urlEvent('GET', '/v1/watches'), requestContext: { requestId: 'x'.repeat(10_000) } });
    expect(longId.statusCode).toBe(200);
    expect(longId.headers['x-request-id']).toBe('scf-req-1');
  });

  test('a logger that throws does not turn the answer into a rejection', async () => {
    const h = harness();
    const throwing = () => {
      throw new Error('log sink gone');
    };
    const logger: Logger = { debug: throwing, info: throwing, warn: throwing, error: throwing, child: () => logger };
    h.deps.logger = logger;
    h.deps.cwp.getTaskStatus = async () => {
      throw new Error('boom');
    };
    expect((await h.call(urlEvent('GET', '/v1/watches'))).statusCode).toBe(200);
    const r = await h.call(urlEvent('GET', `/v1/status/port/${UUID}`));
    expect(r.statusCode).toBe(500);
    expect(r.json.error).toMatchObject({ code: 'internal_error', requestId: 'scf-req-1' });
  });

  test('an answer that cannot even be built is still a 500 JSON envelope', async () => {
    const h = harness();
    h.deps.cwp.getTaskStatus = async () => {
      // An HttpError whose details JSON cannot represent: building its answer throws.
      throw new HttpError(418, 'odd', 'odd', { details: { n: 1n } });
    };
    const r = await h.call(urlEvent('GET', `/v1/status/port/${UUID}`));
    expect(r.statusCode).toBe(500);
    expect(r.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'scf-req-1' });
    expect(r.json.error).toMatchObject({ code: 'internal_error', requestId: 'scf-req-1' });

    h.deps.cwp.getTaskStatus = async () => {
      // Something thrown whose every read throws.
      throw new Proxy({}, { get: () => { throw new Error('no'); }, getPrototypeOf: () => { throw new Error('no'); } });
    };
    expect((await h.call(urlEvent('GET', `/v1/status/port/${UUID}`))).statusCode).toBe(500);
  });
});
