// handleHttp as a whole: routing, the response envelope, config errors, unexpected errors, the access log.
import { ConfigError, loadConfig } from '../../lib/config';
import { handleHttp } from '../../lib/http';
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
