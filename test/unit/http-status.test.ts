// GET /v1/status/{kind}/{uuid} and /v1/status/{uuid}: live CWP answers mapped through the error table.
import { YunjingClient as CwpClient } from '../../lib/cwp/yunjing';
import { TencentError, TRANSPORT_CODES } from '../../lib/errors';
import type { TencentCaller } from '../../lib/tencent/types';
import { statusDeadlineMs } from '../../lib/http';
import { fixture, harness, NOW, tencentError, UUID, urlEvent, type Script } from './http-helpers';

const one = (kind = 'process', uuid = UUID) => urlEvent('GET', `/v1/status/${kind}/${uuid}`);
const both = (uuid = UUID) => urlEvent('GET', `/v1/status/${uuid}`);
const cwpFixture = fixture<{ statuses: string[]; processErrors: string[]; portErrors: string[] }>('cwp-responses.json');

async function single(script: Script) {
  const h = harness({ script: { process: script } });
  return h.call(one());
}

describe('GET /v1/status/{kind}/{uuid}', () => {
  test.each(cwpFixture.statuses)('CWP status %s is 200 with the state', async (state) => {
    const r = await single(state as Script);
    expect(r.statusCode).toBe(200);
    expect(r.json).toEqual({ uuid: UUID, kind: 'process', state, requestId: 'req-process', observedAt: new Date(NOW).toISOString() });
  });

  test('AGENT_OFFLINE is 200 with that state', async () => {
    const r = await single('AGENT_OFFLINE');
    expect(r.statusCode).toBe(200);
    expect(r.json.state).toBe('AGENT_OFFLINE');
    expect(r.json.error).toBeUndefined();
  });

  test('NO_TASK is 404 with the state in the body', async () => {
    const r = await single('NO_TASK');
    expect(r.statusCode).toBe(404);
    expect(r.json).toMatchObject({ uuid: UUID, kind: 'process', state: 'NO_TASK', error: { code: 'no_task', requestId: 'scf-req-1' } });
  });

  test('UNKNOWN_AGENT is 404 with the state in the body', async () => {
    const r = await single('UNKNOWN_AGENT');
    expect(r.statusCode).toBe(404);
    expect(r.json).toMatchObject({ state: 'UNKNOWN_AGENT', error: { code: 'unknown_agent' } });
  });

  test('InvalidParameter is 400 with the Tencent code passed through', async () => {
    const r = await single(tencentError('InvalidParameter.InvalidFormat'));
    expect(r.statusCode).toBe(400);
    expect(r.json.error).toEqual({
      code: 'InvalidParameter.InvalidFormat',
      message: 'InvalidParameter.InvalidFormat happened',
      requestId: 'scf-req-1',
      upstreamRequestId: 'tc-req-1',
      category: 'invalid',
    });
  });

  test('RequestLimitExceeded is 429 with Retry-After from the error', async () => {
    const r = await single(tencentError('RequestLimitExceeded', { retryAfterSeconds: 3 }));
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('3');
    expect(r.json.error.code).toBe('RequestLimitExceeded');
  });

  test('RequestLimitExceeded without a hint is 429 with Retry-After: 1', async () => {
    const r = await single(tencentError('RequestLimitExceeded.UinLimitExceeded'));
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('1');
  });

  test('InternalError is 502', async () => {
    const r = await single(tencentError('InternalError'));
    expect(r.statusCode).toBe(502);
    expect(r.json.error.code).toBe('InternalError');
  });

  test('a Bridge.Timeout from the client is 504', async () => {
    const r = await single(tencentError(TRANSPORT_CODES.timeout));
    expect(r.statusCode).toBe(504);
    expect(r.json.error.code).toBe('Bridge.Timeout');
  });

  test('an abort of our own deadline is 504 Bridge.Timeout', async () => {
    const h = harness({
      script: {
        process: (_k, _u, options) =>
          new Promise((_resolve, reject) => options.signal!.addEventListener('abort', () => reject(options.signal!.reason))),
      },
    });
    const r = await h.call(one(), { request_id: 'x' }, { statusDeadlineMs: 20 });
    expect(r.statusCode).toBe(504);
    expect(r.json.error.code).toBe('Bridge.Timeout');
  });

  test('a network failure is 503', async () => {
    expect((await single(tencentError(TRANSPORT_CODES.network))).statusCode).toBe(503);
  });

  test('AuthFailure is 502 (our credentials, not the caller\'s)', async () => {
    const r = await single(tencentError('AuthFailure.SecretIdNotFound'));
    expect(r.statusCode).toBe(502);
    expect(r.json.error).toMatchObject({ code: 'AuthFailure.SecretIdNotFound', category: 'auth' });
  });

  test('an unknown code is 502 with the code passed through', async () => {
    const r = await single(tencentError('Brand.New.Code'));
    expect(r.statusCode).toBe(502);
    expect(r.json.error.code).toBe('Brand.New.Code');
  });

  test.each([...new Set([...cwpFixture.processErrors, ...cwpFixture.portErrors])])('documented error %s gets its error-table status', async (code) => {
    const e = new TencentError({ code, message: code });
    const h = harness({
      script: {
        // What CwpClient does: codes that imply a state come back as an observation.
        process: async (kind, uuid) => {
          if (e.row.state) return { uuid, kind, state: e.row.state, requestId: 'r', observedAt: NOW };
          throw e;
        },
      },
    });
    const r = await h.call(one());
    expect(r.statusCode).toBe(e.row.httpStatus);
  });

  test('a bad kind is 400 invalid_kind naming the field and the allowed kinds', async () => {
    const h = harness();
    const r = await h.call(one('processes'));
    expect(r.statusCode).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'invalid_kind', field: 'kind' });
    expect(r.json.error.message).toMatch(/process or port/);
    expect(h.cwp.calls).toHaveLength(0);
  });

  test('a bad uuid is 400 invalid_uuid naming the field and the form, without calling CWP', async () => {
    const h = harness();
    const r = await h.call(one('process', 'not-a-uuid'));
    expect(r.statusCode).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'invalid_uuid', field: 'uuid' });
    expect(r.json.error.message).toMatch(/8-4-4-4-12/);
    expect(h.cwp.calls).toHaveLength(0);
  });

  test('an upper-case uuid is normalised and passes a deadline signal to CWP', async () => {
    const h = harness();
    const r = await h.call(one('port', UUID.toUpperCase()));
    expect(r.statusCode).toBe(200);
    expect(h.cwp.calls[0]).toMatchObject({ kind: 'port', uuid: UUID });
    expect(h.cwp.calls[0]!.options.signal).toBeInstanceOf(AbortSignal);
    const deadline = (h.cwp.calls[0]!.options as { deadline?: number }).deadline!;
    expect(deadline - Date.now()).toBeGreaterThan(9_000);
    expect(deadline - Date.now()).toBeLessThanOrEqual(10_000);
  });

  test('the deadline is ~10 s, or a bit under the function\'s remaining time', () => {
    expect(statusDeadlineMs(undefined)).toBe(10_000);
    expect(statusDeadlineMs({ getRemainingTimeInMillis: () => 60_000 })).toBe(10_000);
    expect(statusDeadlineMs({ getRemainingTimeInMillis: () => 3_000 })).toBe(2_000);
    expect(statusDeadlineMs({ getRemainingTimeInMillis: () => 10 })).toBe(100);
  });
});

describe('GET /v1/status/{uuid}', () => {
  test('asks both kinds concurrently and answers both', async () => {
    let inflight = 0;
    let peak = 0;
    const slow = (state: 'COMPLETE' | 'COLLECTING'): Script => async (kind, uuid) => {
      inflight++;
      peak = Math.max(peak, inflight);
      await new Promise((r) => setTimeout(r, 5));
      inflight--;
      return { uuid, kind, state, requestId: `req-${kind}`, observedAt: NOW };
    };
    const h = harness({ script: { process: slow('COMPLETE'), port: slow('COLLECTING') } });
    const r = await h.call(both());
    expect(peak).toBe(2);
    expect(r.statusCode).toBe(200);
    expect(r.json).toEqual({
      uuid: UUID,
      tasks: {
        process: { state: 'COMPLETE', requestId: 'req-process', observedAt: new Date(NOW).toISOString() },
        port: { state: 'COLLECTING', requestId: 'req-port', observedAt: new Date(NOW).toISOString() },
      },
    });
  });

  test('/v1/status/{kind} without a uuid is 400 saying the uuid is missing', async () => {
    const r = await harness().call(urlEvent('GET', '/v1/status/port'));
    expect(r.statusCode).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'invalid_uuid', field: 'uuid' });
    expect(r.json.error.message).toMatch(/^missing uuid/);
  });

  test('one state and one error is 200 with an error entry', async () => {
    const h = harness({ script: { process: 'COMPLETE', port: tencentError('InternalError') } });
    const r = await h.call(both());
    expect(r.statusCode).toBe(200);
    expect(r.json.tasks.port.error).toMatchObject({ code: 'InternalError', status: 502 });
    expect(r.json.error).toBeUndefined();
  });

  test('both failing the same way answers that status with the shared code', async () => {
    const h = harness({ script: { process: 'UNKNOWN_AGENT', port: 'UNKNOWN_AGENT' } });
    const r = await h.call(both());
    expect(r.statusCode).toBe(404);
    expect(r.json.error.code).toBe('unknown_agent');
    expect(r.json.tasks.process.state).toBe('UNKNOWN_AGENT');
  });

  test('both throttled is 429 with the larger Retry-After', async () => {
    const h = harness({ script: { process: tencentError('RequestLimitExceeded', { retryAfterSeconds: 2 }), port: tencentError('RequestLimitExceeded', { retryAfterSeconds: 5 }) } });
    const r = await h.call(both());
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('5');
  });

  test('both failing with the same status but different codes is that status, code upstream_error', async () => {
    const h = harness({ script: { process: tencentError('InternalError'), port: tencentError(TRANSPORT_CODES.badBody) } });
    const r = await h.call(both());
    expect(r.statusCode).toBe(502);
    expect(r.json.error.code).toBe('upstream_error');
    expect(r.json.error.message).toMatch(/^process: .*; port: /);
  });

  test('failures with different statuses are 200', async () => {
    const h = harness({ script: { process: 'NO_TASK', port: tencentError('InternalError') } });
    expect((await h.call(both())).statusCode).toBe(200);
  });
});

describe('with the real CwpClient over a stub caller', () => {
  function viaClient(answer: (action: string) => unknown) {
    const actions: string[] = [];
    const caller: TencentCaller = {
      async call<T>(action: string) {
        actions.push(action);
        const a = answer(action);
        if (a instanceof Error) throw a;
        return { response: a as T, requestId: 'tc-req-2' };
      },
    };
    const h = harness({ deps: { cwp: new CwpClient(caller, () => NOW) } });
    return { h, actions };
  }

  test('a Status answer is 200 with Tencent\'s request id', async () => {
    const { h, actions } = viaClient(() => ({ Status: 'COMPLETE' }));
    const r = await h.call(one('port'));
    expect(r.statusCode).toBe(200);
    expect(r.json).toMatchObject({ state: 'COMPLETE', requestId: 'tc-req-2', kind: 'port' });
    expect(actions).toEqual(['DescribeOpenPortTaskStatus']);
  });

  test('FailedOperation.AgentOffline is 200 AGENT_OFFLINE', async () => {
    const { h } = viaClient(() => new TencentError({ code: 'FailedOperation.AgentOffline', message: 'The agent is offline.', requestId: 'x' }));
    const r = await h.call(one('port'));
    expect(r.statusCode).toBe(200);
    expect(r.json.state).toBe('AGENT_OFFLINE');
  });

  test('FailedOperation.ProcessTaskNotFound is 404 NO_TASK', async () => {
    const { h } = viaClient(() => new TencentError({ code: 'FailedOperation.ProcessTaskNotFound', message: 'no task' }));
    const r = await h.call(one('process'));
    expect(r.statusCode).toBe(404);
    expect(r.json.state).toBe('NO_TASK');
  });

  test('ResourceNotFound is 404 UNKNOWN_AGENT', async () => {
    const { h } = viaClient(() => new TencentError({ code: 'ResourceNotFound', message: 'no agent' }));
    expect((await h.call(one('process'))).json.state).toBe('UNKNOWN_AGENT');
  });

  test('a Status the bridge does not know is 502 Bridge.UnknownStatus', async () => {
    const { h } = viaClient(() => ({ Status: 'PAUSED' }));
    const r = await h.call(one('process'));
    expect(r.statusCode).toBe(502);
    expect(r.json.error.code).toBe('Bridge.UnknownStatus');
  });
});
