// The error table against the README's error table: every documented CWP code, every transport code, the fallback for
// unknown codes, and family matching. Expectations are written out from the documentation, not read from the table.
import { ERROR_TABLE, lookupError, TencentError, TRANSPORT_CODES, type ErrorKind, type RetryPolicy } from '../../lib/errors';
import { TASK_STATES, type TaskState } from '../../lib/types';
import { loadFixture } from '../helpers/fixtures';

interface CwpResponses {
  processErrors: string[];
  portErrors: string[];
  commonErrors: string[];
}
interface CwpResultResponses {
  actions: Record<string, { errors: string[] }>;
}
const fixture = loadFixture<CwpResponses>('cwp-responses.json');
const resultFixture = loadFixture<CwpResultResponses>('cwp-result-responses.json');
const machinesFixture = loadFixture<CwpResultResponses>('cwp-machines-responses.json');
const resultCodes = Object.values(resultFixture.actions).flatMap((a) => a.errors);
const machineCodes = Object.values(machinesFixture.actions).flatMap((a) => a.errors);
const documentedCodes = [...new Set([...fixture.processErrors, ...fixture.portErrors, ...fixture.commonErrors, ...resultCodes, ...machineCodes])].sort();

type Expected = { kind: ErrorKind; retry: RetryPolicy; httpStatus: number; state: TaskState | null };
const expected = (kind: ErrorKind, retry: RetryPolicy, httpStatus: number, state: TaskState | null = null): Expected => ({ kind, retry, httpStatus, state });

/** The README's error table, row by row, for every code the fixture documents. */
const DOCUMENTED_ROWS: Record<string, Expected> = {
  'FailedOperation.AgentOffline': expected('state', 'never', 200, 'AGENT_OFFLINE'),
  'FailedOperation.ProcessTaskNotFound': expected('not-found', 'never', 404, 'NO_TASK'),
  'FailedOperation.OpenPortTaskNotFound': expected('not-found', 'never', 404, 'NO_TASK'),
  ResourceNotFound: expected('not-found', 'never', 404, 'UNKNOWN_AGENT'),
  // CWP could not start a collection ("failed to create the task"): not a state of the task, not retried at once.
  'FailedOperation.CreateProcessTask': expected('internal', 'never', 502),
  'FailedOperation.CreateOpenPortTask': expected('internal', 'never', 502),
  InvalidParameter: expected('invalid', 'never', 400),
  'InvalidParameter.IllegalRequest': expected('invalid', 'never', 400),
  'InvalidParameter.InvalidFormat': expected('invalid', 'never', 400),
  'InvalidParameter.ParsingError': expected('invalid', 'never', 400),
  // DescribeMachines: a required parameter (MachineType, MachineRegion) given but empty. Our request is wrong.
  'InvalidParameter.MissingParameter': expected('invalid', 'never', 400),
  InvalidParameterValue: expected('invalid', 'never', 400),
  MissingParameter: expected('invalid', 'never', 400),
  RequestLimitExceeded: expected('throttled', 'backoff', 429),
  'RequestLimitExceeded.UinLimitExceeded': expected('throttled', 'backoff', 429),
  'RequestLimitExceeded.IPLimitExceeded': expected('throttled', 'backoff', 429),
  'RequestLimitExceeded.GlobalRegionUinLimitExceeded': expected('throttled', 'backoff', 429),
  InternalError: expected('retryable', 'bounded', 502),
  ResourceInUse: expected('retryable', 'bounded', 503),
  'AuthFailure.SignatureExpire': expected('auth', 'resign-once', 502),
  'AuthFailure.InvalidAuthorization': expected('auth', 'never', 502),
  'AuthFailure.InvalidSecretId': expected('auth', 'never', 502),
  'AuthFailure.MFAFailure': expected('auth', 'never', 502),
  'AuthFailure.SecretIdNotFound': expected('auth', 'never', 502),
  'AuthFailure.SignatureFailure': expected('auth', 'never', 502),
  'AuthFailure.TokenFailure': expected('auth', 'never', 502),
  'AuthFailure.UnauthorizedOperation': expected('auth', 'never', 502),
  // The API is not there (retired, wrong endpoint or version): gone, not retried, 502 with the code passed through.
  // "Our deployment is wrong" and the rest: internal.
  ActionOffline: expected('gone', 'never', 502),
  DryRunOperation: expected('internal', 'never', 502),
  FailedOperation: expected('internal', 'never', 502),
  InvalidAction: expected('gone', 'never', 502),
  LimitExceeded: expected('internal', 'never', 502),
  NoSuchVersion: expected('gone', 'never', 502),
  UnsupportedOperation: expected('gone', 'never', 502),
};

const pick = ({ kind, retry, httpStatus, state }: Expected) => ({ kind, retry, httpStatus, state });

describe('every code the CWP docs list', () => {
  test('is covered by the expectations of this test (the fixture added nothing unseen)', () => {
    expect(documentedCodes.filter((code) => !(code in DOCUMENTED_ROWS))).toEqual([]);
  });

  test.each(documentedCodes)('%s has a row of its own or of its family', (code) => {
    expect(ERROR_TABLE).toContain(lookupError(code));
  });

  test.each(documentedCodes)('%s maps as the documented error table says', (code) => {
    expect(pick(lookupError(code))).toEqual(DOCUMENTED_ROWS[code]);
  });
});

describe('the collection and result actions', () => {
  test('the fixture lists the four actions, each with its documented codes', () => {
    expect(Object.keys(resultFixture.actions).sort()).toEqual(['CreateOpenPortTask', 'CreateProcessTask', 'DescribeOpenPorts', 'DescribeProcesses']);
    for (const action of Object.values(resultFixture.actions)) expect(action.errors.length).toBeGreaterThan(3);
  });

  test.each(['FailedOperation.CreateProcessTask', 'FailedOperation.CreateOpenPortTask'])('%s has an exact row that says what failed', (code) => {
    const row = lookupError(code);
    expect(row.code).toBe(code);
    expect(row.meaning).toMatch(/could not start/);
  });
});

describe('the machine listing (DescribeMachines)', () => {
  test('the fixture lists DescribeMachines with its documented codes, all of them in the table', () => {
    expect(Object.keys(machinesFixture.actions)).toEqual(['DescribeMachines']);
    expect(machineCodes.sort()).toEqual(['InternalError', 'InvalidParameter.InvalidFormat', 'InvalidParameter.MissingParameter', 'InvalidParameter.ParsingError', 'MissingParameter']);
    for (const code of machineCodes) expect(ERROR_TABLE).toContain(lookupError(code));
  });

  test('InvalidParameter.MissingParameter is invalid (ours to fix), not the MissingParameter family', () => {
    const row = lookupError('InvalidParameter.MissingParameter');
    expect(row.code).toBe('InvalidParameter.MissingParameter');
    expect(pick(row)).toEqual(expected('invalid', 'never', 400));
  });
});

describe('transport codes', () => {
  const TRANSPORT_ROWS: Record<keyof typeof TRANSPORT_CODES, Expected> = {
    httpStatus: expected('retryable', 'bounded', 502),
    badBody: expected('retryable', 'bounded', 502),
    emptyBody: expected('retryable', 'bounded', 502),
    network: expected('retryable', 'bounded', 503),
    timeout: expected('retryable', 'bounded', 504),
    unknownStatus: expected('internal', 'never', 502),
  };

  test.each(Object.entries(TRANSPORT_CODES))('%s (%s) has its own exact row', (name, code) => {
    const row = lookupError(code);
    expect(row.code).toBe(code);
    expect(ERROR_TABLE).toContain(row);
    expect(pick(row)).toEqual(TRANSPORT_ROWS[name as keyof typeof TRANSPORT_CODES]);
  });

  test('all live in the Bridge namespace, which Tencent never uses', () => {
    for (const code of Object.values(TRANSPORT_CODES)) expect(code).toMatch(/^Bridge\.[A-Z]\w+$/);
  });
});

describe('unknown codes', () => {
  test.each(['Totally.Unknown', 'SomethingNew', 'InternalErrorX', 'RequestLimitExceededSoon', 'Auth'])('%s passes through as internal, not retried, 502', (code) => {
    expect(lookupError(code)).toEqual({ code, kind: 'internal', retry: 'never', httpStatus: 502, state: null, meaning: expect.any(String) });
  });

  test('a TencentError keeps the unknown code it was given', () => {
    const error = new TencentError({ code: 'Brand.NewCode', message: 'new' });
    expect(error.code).toBe('Brand.NewCode');
    expect(error.row).toMatchObject({ code: 'Brand.NewCode', kind: 'internal', httpStatus: 502 });
  });
});

describe('families', () => {
  test.each([
    ['InvalidParameterValue.TooLong', 'InvalidParameterValue*'],
    ['InvalidParameterValue', 'InvalidParameterValue*'],
    ['InvalidParameter.Other', 'InvalidParameter*'],
    ['FailedOperation.Other', 'FailedOperation*'],
    ['AuthFailure.Other', 'AuthFailure*'],
    ['UnauthorizedOperation.NoPermission', 'UnauthorizedOperation*'],
    ['RequestLimitExceeded.Something.Deeper', 'RequestLimitExceeded*'],
    ['MissingParameter.Uuid', 'MissingParameter*'],
    ['InternalError.DbError', 'InternalError*'],
  ])('%s matches the longest family prefix, %s', (code, family) => {
    expect(lookupError(code).code).toBe(family);
  });

  test.each([
    ['FailedOperation.AgentOffline'],
    ['FailedOperation.ProcessTaskNotFound'],
    ['FailedOperation.CreateOpenPortTask'],
    ['AuthFailure.SignatureExpire'],
  ])('the exact row %s wins over its family', (code) => {
    expect(lookupError(code).code).toBe(code);
  });

  test('a family matches only at a dot boundary', () => {
    expect(lookupError('InvalidParameterX').kind).toBe('internal');
    expect(lookupError('InvalidParameterX').code).toBe('InvalidParameterX');
  });
});

describe('the table itself', () => {
  test('has no code twice', () => {
    const codes = ERROR_TABLE.map((r) => r.code);
    expect(codes.length).toBe(new Set(codes).size);
  });

  test('implies only states the bridge knows', () => {
    for (const r of ERROR_TABLE) if (r.state !== null) expect(TASK_STATES).toContain(r.state);
  });

  test('throttled rows back off and retryable rows are bounded, and only they', () => {
    for (const r of ERROR_TABLE) {
      expect(r.kind === 'throttled').toBe(r.retry === 'backoff');
      expect(r.kind === 'retryable').toBe(r.retry === 'bounded');
    }
  });

  test('only auth rows re-sign', () => {
    for (const r of ERROR_TABLE.filter((row) => row.retry === 'resign-once')) expect(r.kind).toBe('auth');
  });

  test('answers only the HTTP statuses of the documented error table', () => {
    for (const r of ERROR_TABLE) expect([200, 400, 404, 429, 502, 503, 504]).toContain(r.httpStatus);
  });

  test('every row says what it means', () => {
    for (const r of ERROR_TABLE) expect(r.meaning.length).toBeGreaterThan(5);
  });
});
