// How answers are read, against the official SDK: for the same body and status, our outcome agrees with the
// SDK's (code, message, RequestId) wherever the SDK gives a clean answer. Where it does not (docs/choices.md, the Tencent client:
// a raw FetchError for a non-JSON 200, a TypeError for `{}`, the API code lost under a non-2xx status, no
// Retry-After), ours is still one clean TencentError with the right code.
import { TencentError, TRANSPORT_CODES } from '../../lib/errors';
import { TencentClient, type TencentResult } from '../../lib/tencent';
import { apiError, apiSuccess, json, startCaptureServer, type CaptureServer, type ScriptedAnswer } from '../helpers/tencent-capture-server';
import { sdkClient, sdkOutcome, type SdkOutcome } from '../helpers/tencent-sdk';
import { loadFixture } from '../helpers/fixtures';

interface CwpResponses {
  success: { Response: Record<string, unknown> };
  error: { Response: { Error: { Code: string; Message: string }; RequestId: string } };
  statuses: string[];
  processErrors: string[];
  portErrors: string[];
  commonErrors: string[];
}
const fixture = loadFixture<CwpResponses>('cwp-responses.json');
const errorCodes = [...new Set([...fixture.processErrors, ...fixture.portErrors, ...fixture.commonErrors])].sort();

const ACTION = 'DescribeProcessTaskStatus';
const PAYLOAD = { Uuid: '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1' };
const CREDENTIALS = { secretId: 'AKIDparser', secretKey: 'parser-key', token: null };

let server: CaptureServer;
beforeAll(async () => {
  server = await startCaptureServer();
});
afterAll(() => server.close());

type OurOutcome = { ok: TencentResult<Record<string, unknown>> } | { error: TencentError };

/** Both clients, one answer: the SDK's outcome and ours. Ours makes one attempt (two for SignatureExpire). */
async function bothRead(answer: ScriptedAnswer): Promise<{ sdk: SdkOutcome; ours: OurOutcome }> {
  server.answer(answer);
  const sdk = await sdkOutcome(sdkClient({ endpointHost: `127.0.0.1:${server.port}`, version: '2018-02-28', region: 'ap-guangzhou', credentials: CREDENTIALS }), ACTION, PAYLOAD);
  server.answer(answer);
  const client = new TencentClient({
    endpoint: server.origin,
    service: '127',
    version: '2018-02-28',
    region: 'ap-guangzhou',
    credentials: CREDENTIALS,
    timeoutMs: 2_000,
    maxAttempts: 1,
    maxThrottledAttempts: 1,
    random: () => 0,
  });
  const ours = await client.call<Record<string, unknown>>(ACTION, PAYLOAD).then(
    (ok) => ({ ok }),
    (error: unknown) => {
      if (!(error instanceof TencentError)) throw error;
      return { error };
    },
  );
  return { sdk, ours };
}

function sdkError(outcome: SdkOutcome) {
  if (!('error' in outcome)) throw new Error(`the SDK resolved: ${JSON.stringify(outcome.ok)}`);
  return outcome.error;
}
function ourError(outcome: OurOutcome) {
  if (!('error' in outcome)) throw new Error(`our client resolved: ${JSON.stringify(outcome.ok)}`);
  return outcome.error;
}

describe('where the SDK answers cleanly, we agree with it', () => {
  test.each(fixture.statuses)('a success with Status %s: same Response and RequestId', async (status) => {
    const { sdk, ours } = await bothRead(apiSuccess({ Status: status }, `req-${status}`));
    if (!('ok' in sdk) || !('ok' in ours)) throw new Error('both should resolve');
    expect({ ...ours.ok.response, RequestId: ours.ok.requestId }).toEqual(sdk.ok);
    expect(ours.ok.response).not.toHaveProperty('RequestId');
  });

  test('the documented success body: same Response and RequestId', async () => {
    const { sdk, ours } = await bothRead(json(fixture.success));
    if (!('ok' in sdk) || !('ok' in ours)) throw new Error('both should resolve');
    expect({ ...ours.ok.response, RequestId: ours.ok.requestId }).toEqual(sdk.ok);
  });

  test('a success with nested and unicode fields: same Response', async () => {
    const response = { Status: 'COMPLETE', Processes: [{ Name: '未命名 😀', Pid: 1, Tags: { a: [true, null] } }], TotalCount: 1 };
    const { sdk, ours } = await bothRead(apiSuccess(response, 'req-nested'));
    if (!('ok' in sdk) || !('ok' in ours)) throw new Error('both should resolve');
    expect({ ...ours.ok.response, RequestId: ours.ok.requestId }).toEqual(sdk.ok);
  });

  test.each(errorCodes)('the API error %s: same code, message and RequestId', async (code) => {
    const { sdk, ours } = await bothRead(apiError(code, `${code}: described by the server`, `req-${code}`));
    const theirs = sdkError(sdk);
    const mine = ourError(ours);
    expect({ code: mine.code, message: mine.message, requestId: mine.requestId }).toEqual({ code: theirs.code, message: theirs.message, requestId: theirs.requestId });
  });

  test('the documented error body: same code, message and RequestId', async () => {
    const { sdk, ours } = await bothRead(json(fixture.error));
    const theirs = sdkError(sdk);
    const mine = ourError(ours);
    expect(mine).toMatchObject({ code: theirs.code, message: theirs.message, requestId: theirs.requestId });
    expect(mine.code).toBe('FailedOperation.AgentOffline');
  });

  test('HTTP 500 with an HTML page: both report status 500; ours as Bridge.UpstreamHttpError', async () => {
    const { sdk, ours } = await bothRead({ status: 500, headers: { 'Content-Type': 'text/html' }, body: '<html><h1>500 Internal Server Error</h1></html>' });
    const theirs = sdkError(sdk);
    expect(theirs).toMatchObject({ httpCode: 500, message: 'Internal Server Error', code: undefined });
    expect(ourError(ours)).toMatchObject({ code: TRANSPORT_CODES.httpStatus, upstreamStatus: theirs.httpCode });
  });
});

describe('where the SDK fails badly, ours is a clean TencentError', () => {
  test('a 200 that is not JSON: the SDK throws a raw FetchError, ours is Bridge.BadResponseBody', async () => {
    const { sdk, ours } = await bothRead({ status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'upstream connect error or disconnect/reset before headers' });
    expect(sdkError(sdk)).toMatchObject({ constructorName: 'FetchError', type: 'invalid-json', code: undefined, requestId: undefined });
    expect(ourError(ours)).toMatchObject({ code: TRANSPORT_CODES.badBody, upstreamStatus: 200, requestId: null });
  });

  test('a 200 with `{}`: the SDK throws a TypeError, ours is Bridge.EmptyResponse', async () => {
    const { sdk, ours } = await bothRead(json({}));
    expect(sdkError(sdk)).toMatchObject({ constructorName: 'TypeError', code: undefined });
    expect(ourError(ours)).toMatchObject({ code: TRANSPORT_CODES.emptyBody, upstreamStatus: 200 });
  });

  test('an empty 200 body: the SDK throws a raw FetchError, ours is Bridge.BadResponseBody', async () => {
    const { sdk, ours } = await bothRead({ status: 200, body: '' });
    expect(sdkError(sdk).constructorName).toBe('FetchError');
    expect(ourError(ours).code).toBe(TRANSPORT_CODES.badBody);
  });

  test('an API error under HTTP 400: the SDK keeps only the status text, ours keeps the API code', async () => {
    const { sdk, ours } = await bothRead(json({ Response: { Error: { Code: 'InvalidParameter.InvalidFormat', Message: 'bad Uuid' }, RequestId: 'req-400' } }, 400));
    expect(sdkError(sdk)).toMatchObject({ httpCode: 400, message: 'Bad Request', code: undefined, requestId: '' });
    expect(ourError(ours)).toMatchObject({ code: 'InvalidParameter.InvalidFormat', message: 'bad Uuid', requestId: 'req-400', upstreamStatus: 400 });
  });

  test('HTTP 429 with Retry-After: the SDK drops the header, ours keeps the seconds', async () => {
    const { sdk, ours } = await bothRead({ status: 429, headers: { 'Retry-After': '3' }, body: 'Too Many Requests' });
    expect(sdkError(sdk)).toMatchObject({ httpCode: 429, code: undefined });
    expect(JSON.stringify(sdkError(sdk))).not.toContain('"3"');
    expect(ourError(ours)).toMatchObject({ code: TRANSPORT_CODES.httpStatus, upstreamStatus: 429, retryAfterSeconds: 3 });
  });

  test('RequestLimitExceeded with Retry-After: same code as the SDK, and ours keeps the seconds', async () => {
    const { sdk, ours } = await bothRead(json({ Response: { Error: { Code: 'RequestLimitExceeded', Message: 'slow down' }, RequestId: 'req-rl' } }, 200, { 'Retry-After': '1' }));
    expect(ourError(ours)).toMatchObject({ code: sdkError(sdk).code, requestId: sdkError(sdk).requestId, retryAfterSeconds: 1 });
  });

  test('a reset connection: the SDK has only a message, ours is Bridge.NetworkError', async () => {
    const { sdk, ours } = await bothRead({ reset: true });
    expect(sdkError(sdk)).toMatchObject({ constructorName: 'TencentCloudSDKHttpException', code: undefined, requestId: '' });
    expect(ourError(ours).code).toBe(TRANSPORT_CODES.network);
  });
});
