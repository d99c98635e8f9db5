// Property-based fuzzing of the api function's core, handleHttp, over both SCF HTTP event shapes (built from
// the real fixtures in test/fixtures) and over events that are not HTTP events at all. Fixed seeds and bounded
// run counts: deterministic, and a few seconds on two cores.
//
// The properties, for every input:
// - handleHttp resolves (never throws, never rejects) to an integrated response whose body is JSON;
// - every 4xx/5xx body is the error envelope {error: {code, message, requestId}} (requestId = x-request-id);
// - a 5xx only when the fake CWP or the store was told to fail (500 only when told to fail in a way no route
//   expects);
// - a request without a valid token to any path but /healthz is 401, and the same 401 whatever the path,
//   method, query or body;
// - an event that is not an HTTP event is 400 invalid_event;
// - no token (right or wrong) nor the Tencent secret key in any body or log line.
import fc from 'fast-check';
import { handleHttp, type HttpDeps } from '../../lib/http';
import { MAX_BODY_BYTES } from '../../lib/scf/http-event';
import type { ScfHttpResponse } from '../../lib/scf/types';
import { StoreError } from '../../lib/state/errors';
import { MemoryStateStore } from '../../lib/state/local/memory';
import type { TaskKind } from '../../lib/types';
import { apigwEvent as apigwFromCall, functionUrlEvent as functionUrlFromCall } from '../helpers/scf-events';
import { apigwEvent, ENV_UUID, fakeCwp, fixture, NOW, recordingLogger, SECRET_KEY, tencentError, testConfig, TOKEN, TOKEN2, UUID, urlEvent, type Script } from './http-helpers';

const SEED = 0x5eed_0010;
const RUNS = { requests: 1000, unauthenticated: 400, events: 300 };

// ------------------------------------------------------------------------------------------------ deps

/** What the fake dependencies are told to do. */
type Failure = 'none' | 'cwp-tencent' | 'cwp-bug' | 'store-down' | 'store-bug';
/** A failure that no route expects, so a 500 internal_error is the right answer. */
const BUG_FAILURES: readonly Failure[] = ['cwp-bug', 'store-bug'];

const CONFIG = testConfig();

/** A store whose every method rejects, with a StoreError (`down`) or a plain Error (`bug`). */
function failingStore(how: 'down' | 'bug'): HttpDeps['store'] {
  const real = new MemoryStateStore();
  return new Proxy(real, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return async () => {
        throw how === 'down' ? new StoreError('memory:', String(prop), 'the store is down') : new Error('a store bug');
      };
    },
  });
}

function depsFor(failure: Failure, tencentCode: string): { deps: HttpDeps; lines: Array<Record<string, unknown>> } {
  const script: Partial<Record<TaskKind, Script>> = {};
  if (failure === 'cwp-tencent') script.process = script.port = tencentError(tencentCode);
  if (failure === 'cwp-bug') script.process = script.port = new Error('a CWP client bug');
  const { logger, lines } = recordingLogger();
  const store = failure === 'store-down' ? failingStore('down') : failure === 'store-bug' ? failingStore('bug') : new MemoryStateStore();
  return { deps: { config: CONFIG, store, cwp: fakeCwp(script), logger, now: () => NOW }, lines };
}

// ------------------------------------------------------------------------------------------ generators

const garbageChar = fc.oneof(
  fc.constantFrom('%', '%Z', '%ZZ', '%E0%A4%A', '%C0%AF', '%00', '%2F', '%25', '%F0%9F%98%80', '%ff', '/', '//', '?', '#', '\u0000', '\r\n', ' ', '\uD800', '\uDFFF', '..', '€', '😀'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
);
const garbage = (maxLength: number) => fc.string({ unit: garbageChar, maxLength });

const segment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('v1', 'status', 'process', 'port', 'watches', 'agents', 'deliveries', 'replay', 'healthz', 'nosuch', UUID, ENV_UUID, UUID.toUpperCase()) },
  { weight: 2, arbitrary: garbage(12) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-fA-F-]{0,40}$/) },
);
const kindParam = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('process', 'port') }, { weight: 1, arbitrary: segment });
const uuidParam = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(UUID, ENV_UUID, UUID.toUpperCase(), '00000000-0000-4000-8000-000000000001') }, { weight: 1, arbitrary: segment });

const anyMethod = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'POST', 'PATCH', 'HEAD', 'OPTIONS', 'get', 'Put', 'delete') },
  { weight: 1, arbitrary: garbage(12) },
);

/** A route's pattern with its parameters filled in, mostly with the route's own method (in any case). */
const route = (m: string, parts: fc.Arbitrary<string[]>) =>
  fc.record({ method: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(m, m.toLowerCase()) }, { weight: 1, arbitrary: anyMethod }), segments: parts });

const target: fc.Arbitrary<{ method: string; segments: string[] }> = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(
    route('GET', fc.constant(['healthz'])),
    route('GET', fc.tuple(kindParam, uuidParam).map(([k, u]) => ['v1', 'status', k, u])),
    route('GET', uuidParam.map((u) => ['v1', 'status', u])),
    route('GET', uuidParam.map((u) => ['v1', 'agents', u])),
    route('GET', fc.constant(['v1', 'watches'])),
    route('PUT', uuidParam.map((u) => ['v1', 'watches', u])),
    route('DELETE', uuidParam.map((u) => ['v1', 'watches', u])),
    route('GET', fc.constant(['v1', 'deliveries'])),
    route('POST', fc.constant(['v1', 'deliveries', 'replay'])),
  ) },
  { weight: 1, arbitrary: fc.record({ method: anyMethod, segments: fc.array(segment, { maxLength: 6 }) }) },
);

/** A method and a raw path as a trigger may carry it: slashes doubled or missing, a query left on, or anything at all. */
const methodAndPath: fc.Arbitrary<{ method: string; path: string }> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(target, fc.constantFrom('/', '/', '//', ''), fc.constantFrom('', '', '/', '//'), fc.option(garbage(10), { nil: undefined, freq: 4 }))
    .map(([t, lead, trail, q]) => ({ method: t.method, path: `${lead}${t.segments.join('/')}${trail}${q === undefined ? '' : `?${q}`}` })) },
  { weight: 1, arbitrary: fc.record({ method: anyMethod, path: garbage(40) }) },
  { weight: 1, arbitrary: fc.record({ method: anyMethod, path: fc.nat({ max: 10_000 }).map((n) => '/v1/' + 'a/'.repeat(n)) }) },
);

/** How the request authenticates; only `valid*` carry a token that is configured. */
type Auth = 'none' | 'valid' | 'valid-lower' | 'valid2' | 'wrong' | 'malformed' | 'bare-token' | 'basic' | 'empty' | 'two-headers';
const AUTHS: readonly Auth[] = ['none', 'valid', 'valid-lower', 'valid2', 'wrong', 'malformed', 'bare-token', 'basic', 'empty', 'two-headers'];
const isAuthenticated = (a: Auth) => a === 'valid' || a === 'valid-lower' || a === 'valid2';
const WRONG_TOKEN = 'wrong-tok-7f3a9c1e5b2d8f40';

function authHeaders(auth: Auth, headerName: string): Record<string, unknown> {
  switch (auth) {
    case 'none': return {};
    case 'valid': return { [headerName]: `Bearer ${TOKEN}` };
    case 'valid-lower': return { [headerName]: `bearer   ${TOKEN} ` };
    case 'valid2': return { [headerName]: `Bearer ${TOKEN2}` };
    case 'wrong': return { [headerName]: `Bearer ${WRONG_TOKEN}` };
    case 'malformed': return { [headerName]: `Bearer ${TOKEN} ${TOKEN2}` };
    case 'bare-token': return { [headerName]: TOKEN };
    case 'basic': return { [headerName]: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` };
    case 'empty': return { [headerName]: '' };
    case 'two-headers': return { Authorization: `Bearer ${TOKEN}`, authorization: `Bearer ${WRONG_TOKEN}` };
  }
}

const headerName = fc.oneof(fc.constantFrom('accept', 'Content-Type', 'X-Forwarded-For', 'constructor', '__proto__', 'toString', 'x-scf-remote-addr'), garbage(10))
  .filter((k) => k.toLowerCase() !== 'authorization');
const headerValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: garbage(20) },
  { weight: 1, arbitrary: fc.array(fc.oneof(garbage(5), fc.integer(), fc.constant(null)), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.object({ maxDepth: 1 })) },
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 5 });

const query = fc.oneof(
  fc.dictionary(fc.oneof(fc.constantFrom('limit', 'offset', 'status', 'token', '__proto__'), garbage(6)), fc.oneof(fc.constantFrom('dead', 'alive', '0', '1', '500', '501', '-1', '1.5', ''), garbage(10)), { maxKeys: 4 }),
  garbage(30),
);

/** An object nested `depth` levels deep, through objects or arrays. */
function nested(depth: number, viaArrays: boolean): unknown {
  let v: unknown = viaArrays ? [] : {};
  for (let i = 1; i < depth; i++) v = viaArrays ? [v] : { a: v };
  return v;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

interface BodyCase {
  body: unknown;
  isBase64Encoded: unknown;
}

/**
 * A value fast-check must not hold itself (it inspects and prints what it generates, and a revoked proxy or a
 * throwing getter breaks that): made afresh for each call, shown by its name.
 */
class Hostile {
  constructor(readonly name: string, readonly make: () => unknown) {}
  toString(): string {
    return `Hostile(${this.name})`;
  }
}
const hostile = (name: string, make: () => unknown) => new Hostile(name, make);
const realise = (v: unknown): unknown => (v instanceof Hostile ? v.make() : v);

const body: fc.Arbitrary<BodyCase> = fc.oneof(
  // none, and the routes' own bodies (weighted so that most requests reach a route)
  { weight: 6, arbitrary: fc.constantFrom<unknown>(null, undefined, '', '{}', '{"kinds":["port"]}', '{"kinds":["process","port"]}', '{"kinds":[]}', '{"kinds":"port"}', '{"eventIds":["e1"]}', '{"eventIds":[]}', 'null', '[]', '{"x":1}')
    .map((b) => ({ body: b, isBase64Encoded: false })) },
  // any JSON or any text, unicode and lone surrogates included
  fc.oneof(fc.json({ maxDepth: 3 }), garbage(60)).map((b) => ({ body: b, isBase64Encoded: undefined })),
  // base64: valid JSON, valid but not UTF-8, garbage; the flag as a boolean or a string
  fc.tuple(fc.oneof(fc.json({ maxDepth: 2 }).map(b64), fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a).toString('base64')), garbage(40), fc.base64String({ maxLength: 40 })), fc.constantFrom<unknown>(true, 'true'))
    .map(([b, flag]) => ({ body: b, isBase64Encoded: flag })),
  // around the 64 KiB limit: plain, multi-byte, and base64
  fc.tuple(fc.integer({ min: -3, max: 3 }), fc.constantFrom('plain', 'euro', 'base64', 'base64-spaced'))
    .map(([delta, how]): BodyCase => {
      const n = MAX_BODY_BYTES + delta;
      if (how === 'plain') return { body: 'x'.repeat(n), isBase64Encoded: false };
      if (how === 'euro') return { body: '€'.repeat(Math.floor(n / 3)) + 'x'.repeat(n % 3), isBase64Encoded: false }; // 3 bytes each
      const encoded = Buffer.alloc(n, 0x61).toString('base64');
      return { body: how === 'base64' ? encoded : encoded.replace(/(.{76})/g, '$1\n'), isBase64Encoded: true };
    }),
  // bodies that arrive already parsed: any value, deep, cyclic, with a bigint, with a getter that throws
  fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withNullPrototype: true, withSparseArray: true, withTypedArray: true, withObjectString: true, withBoxedValues: true })
    .map((b) => ({ body: b, isBase64Encoded: undefined })),
  fc.tuple(fc.integer({ min: 1, max: 6000 }), fc.boolean()).map(([d, viaArrays]) => ({ body: nested(d, viaArrays), isBase64Encoded: undefined })),
  fc.constantFrom(
    hostile('cyclic', () => {
      const o: Record<string, unknown> = { kinds: ['port'] };
      o.self = [o];
      return o;
    }),
    hostile('bigint', () => ({ kinds: [1n] })),
    hostile('throwing getter', () => ({ get kinds(): never { throw new Error('a getter that throws'); } })),
    hostile('revoked proxy', () => {
      const p = Proxy.revocable({}, {});
      p.revoke();
      return p.proxy;
    }),
    hostile('64 KiB + 8 parsed', () => ({ s: 'x'.repeat(MAX_BODY_BYTES) })),
    hostile('a billion holes', () => {
      const holes: unknown[] = [];
      holes.length = 1e9;
      return holes;
    }),
    hostile('symbol', () => Symbol('body')),
    hostile('function', () => () => 'a function'),
  ).map((h) => ({ body: h, isBase64Encoded: undefined })),
);

type Builder = 'helpers-apigw' | 'helpers-url' | 'scf-apigw' | 'scf-url';

interface RequestCase {
  builder: Builder;
  method: string;
  path: string;
  auth: Auth;
  headers: Record<string, unknown>;
  query: Record<string, string> | string;
  body: BodyCase;
  failure: Failure;
  tencentCode: string;
}

/** Half the requests carry a configured token, the other half one of the ways of not having one. */
const anyAuth = fc.oneof(fc.constantFrom<Auth>('valid', 'valid-lower', 'valid2'), fc.constantFrom(...AUTHS));

const requestCase = (authArb: fc.Arbitrary<Auth>): fc.Arbitrary<RequestCase> => fc.record({
  builder: fc.constantFrom<Builder>('helpers-apigw', 'helpers-url', 'scf-apigw', 'scf-url'),
  target: methodAndPath,
  auth: authArb,
  headers,
  query,
  body,
  failure: fc.oneof({ weight: 4, arbitrary: fc.constant<Failure>('none') }, { weight: 1, arbitrary: fc.constantFrom<Failure>('cwp-tencent', 'cwp-bug', 'store-down', 'store-bug') }),
  tencentCode: fc.constantFrom('InternalError', 'RequestLimitExceeded', 'AuthFailure.SignatureFailure', 'ResourceNotFound', 'FailedOperation.AgentOffline', 'InvalidParameter.InvalidFormat', 'ActionOffline', 'LimitExceeded', 'Bogus.Code'),
}).map(({ target: t, ...rest }) => ({ ...rest, method: t.method, path: t.path }));

/** The SCF event of a case, through the shared builders, then the raw fields a builder would normalise. */
function eventOf(c: RequestCase, path = c.path): Record<string, unknown> {
  const apigw = c.builder === 'helpers-apigw' || c.builder === 'scf-apigw';
  const auth = authHeaders(c.auth, apigw ? 'Authorization' : 'authorization');
  let e: Record<string, unknown>;
  if (c.builder === 'helpers-apigw') e = apigwEvent(c.method, path, { auth: false });
  else if (c.builder === 'helpers-url') e = urlEvent(c.method, path, { auth: false });
  else if (c.builder === 'scf-apigw') e = apigwFromCall({ method: c.method, path }, 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
  else e = functionUrlFromCall({ method: c.method, path });
  e.headers = { ...(e.headers as Record<string, unknown>), ...c.headers, ...auth };
  if (apigw) e.queryStringParameters = typeof c.query === 'string' ? {} : c.query;
  e.queryString = c.query;
  e.body = realise(c.body.body);
  if (c.body.isBase64Encoded === undefined) delete e.isBase64Encoded;
  else e.isBase64Encoded = c.body.isBase64Encoded;
  return e;
}

// -------------------------------------------------------------------------------------------- oracles

const SECRETS = [TOKEN, TOKEN2, WRONG_TOKEN, SECRET_KEY];

/** The routing path's segments, as handleHttp reads them: no query, empty segments dropped. */
function segmentsOf(path: string): string[] {
  const q = path.indexOf('?');
  return (q >= 0 ? path.slice(0, q) : path).split('/').filter((s) => s.length > 0);
}
const isPublicPath = (path: string) => {
  const s = segmentsOf(path);
  return s.length === 1 && s[0] === 'healthz';
};

/** What every answer must be, whatever the input; the parsed body. */
function checkEnvelope(r: ScfHttpResponse, lines: Array<Record<string, unknown>>): any {
  expect(r.isBase64Encoded).toBe(false);
  expect(Number.isInteger(r.statusCode) && r.statusCode >= 200 && r.statusCode <= 599).toBe(true);
  expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
  const requestId = r.headers['x-request-id'];
  expect(requestId).toMatch(/^[\x21-\x7e]{1,128}$/);
  expect(typeof r.body).toBe('string');
  const json = JSON.parse(r.body);
  if (r.statusCode >= 400) {
    expect(typeof json.error?.code).toBe('string');
    expect(json.error.code.length).toBeGreaterThan(0);
    expect(typeof json.error.message).toBe('string');
    expect(json.error.message.length).toBeGreaterThan(0);
    expect(json.error.requestId).toBe(requestId);
  }
  const logged = JSON.stringify(lines);
  for (const s of SECRETS) {
    expect(r.body.includes(s)).toBe(false);
    expect(logged.includes(s)).toBe(false);
  }
  return json;
}

async function call(event: unknown, deps: HttpDeps): Promise<ScfHttpResponse> {
  // Awaited inside: a synchronous throw and a rejection both fail the property.
  return handleHttp(event, { request_id: 'scf-fuzz-1' }, deps);
}

// ------------------------------------------------------------------------------------------ properties

describe('handleHttp under fuzzing', () => {
  test(`any request of either event shape (${RUNS.requests} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(requestCase(anyAuth), async (c) => {
        const { deps, lines } = depsFor(c.failure, c.tencentCode);
        const r = await call(eventOf(c), deps);
        const json = checkEnvelope(r, lines);
        const readable = c.method.length > 0;
        if (!readable) {
          expect([r.statusCode, json.error.code]).toEqual([400, 'invalid_event']);
          return;
        }
        const isPublic = isPublicPath(c.path);
        if (!isPublic && !isAuthenticated(c.auth)) {
          expect([r.statusCode, json.error.code]).toEqual([401, 'unauthorized']);
          expect(r.headers['www-authenticate']).toMatch(/^Bearer realm="cwp-task-bridge"/);
        }
        if (r.statusCode >= 500) expect(c.failure).not.toBe('none');
        if (r.statusCode === 500) expect(BUG_FAILURES).toContain(c.failure);
        if (isPublic) expect([200, 400, 405, 413, 503]).toContain(r.statusCode);
      }),
      { seed: SEED, numRuns: RUNS.requests },
    );
  });

  test(`without a valid token, every path but /healthz gets the same 401 (${RUNS.unauthenticated} runs)`, async () => {
    const unauthenticated = fc.constantFrom(...AUTHS.filter((a) => !isAuthenticated(a)));
    const answers = new Map<Auth, unknown>();
    await fc.assert(
      fc.asyncProperty(requestCase(unauthenticated).filter((c) => c.method.length > 0 && !isPublicPath(c.path)), async (c) => {
        const { deps, lines } = depsFor(c.failure, c.tencentCode);
        const r = await call(eventOf(c), deps);
        const json = checkEnvelope(r, lines);
        const seen = { status: r.statusCode, code: json.error.code, message: json.error.message, challenge: r.headers['www-authenticate'] };
        // One answer per kind of missing or bad credential, the same for every path, method, query and body.
        if (!answers.has(c.auth)) {
          const ref = await call(eventOf({ ...c, method: 'GET', body: { body: null, isBase64Encoded: undefined } }, '/v1/nosuch'), depsFor('none', '').deps);
          const refJson = JSON.parse(ref.body);
          answers.set(c.auth, { status: ref.statusCode, code: refJson.error.code, message: refJson.error.message, challenge: ref.headers['www-authenticate'] });
        }
        expect(seen).toEqual(answers.get(c.auth));
        expect(seen.status).toBe(401);
      }),
      { seed: SEED + 1, numRuns: RUNS.unauthenticated },
    );
  });

  test(`events that are not HTTP events are 400 invalid_event (${RUNS.events} runs)`, async () => {
    const throwing = (field: string) => hostile(`${field} throws`, () => {
      const e = urlEvent('GET', '/v1/watches');
      Object.defineProperty(e, field, { enumerable: true, get: () => { throw new Error(`${field} cannot be read`); } });
      return e;
    });
    const notAnObject = fc.oneof(
      fc.constantFrom<unknown>(null, undefined, 0, -1, NaN, Infinity, true, false, '', 10n, [], [urlEvent('GET', '/healthz')]),
      fc.oneof(fc.integer(), fc.double(), fc.bigInt(), garbage(40), fc.json()),
      fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 4 }),
      fc.constantFrom(
        hostile('symbol', () => Symbol('event')),
        hostile('function', () => () => 'a function'),
        hostile('revoked proxy', () => {
          const p = Proxy.revocable({}, {});
          p.revoke();
          return p.proxy;
        }),
        hostile('a proxy whose every trap throws', () => new Proxy({}, { get: () => { throw new Error('trap'); }, has: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); } })),
        throwing('httpMethod'),
        throwing('path'),
        throwing('headers'),
        throwing('requestContext'),
        throwing('queryString'),
        hostile('timer event', () => fixture('scf-timer-event.json')),
        hostile('{}', () => ({})),
        hostile('null prototype', () => Object.create(null)),
      ),
      // an object with the fields of an HTTP event, but of the wrong types
      fc.record({ httpMethod: fc.oneof(fc.constant(''), fc.integer(), fc.constant(null), fc.array(fc.string())), path: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), headers: fc.anything({ maxDepth: 1 }) }),
      fc.record({ httpMethod: fc.constantFrom('GET', 'PUT'), path: fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string()), fc.object({ maxDepth: 1 })) }),
    );
    await fc.assert(
      fc.asyncProperty(notAnObject, async (event) => {
        const { deps, lines } = depsFor('none', '');
        const r = await call(realise(event), deps);
        const json = checkEnvelope(r, lines);
        expect([r.statusCode, json.error.code]).toEqual([400, 'invalid_event']);
      }),
      { seed: SEED + 2, numRuns: RUNS.events },
    );
  });
});
