// The error table (the README's error table): every Tencent error code, and every way a call can fail on the wire,
// maps to exactly one row. The client decides retries from it, the sweep decides states from it, and the
// HTTP function decides its status code from it. Nothing else in the code base interprets error codes.
import type { TaskState } from '../types';

/**
 * `gone`: the action or API version the bridge calls is not offered (retired, or the wrong endpoint): nothing
 * will work until the operator acts, so the sweep stops at once and says so.
 */
export type ErrorKind = 'state' | 'retryable' | 'throttled' | 'auth' | 'invalid' | 'not-found' | 'gone' | 'internal';

/**
 * never: fail at once. bounded: a few attempts with backoff. backoff: throttled, more patient backoff that
 * honours the rate limiter. resign-once: sign again with a fresh timestamp, once.
 */
export type RetryPolicy = 'never' | 'bounded' | 'backoff' | 'resign-once';

export interface ErrorRow {
  /** The code, or a prefix ending in `*` that matches a family of codes. */
  code: string;
  kind: ErrorKind;
  retry: RetryPolicy;
  /** What the HTTP function answers. */
  httpStatus: number;
  /** The task state the code implies, when it implies one. */
  state: TaskState | null;
  /** One line for logs and the README. */
  meaning: string;
}

/** Codes the bridge makes up for failures that have no Tencent code (the wire, the body). */
export const TRANSPORT_CODES = {
  httpStatus: 'Bridge.UpstreamHttpError',
  badBody: 'Bridge.BadResponseBody',
  emptyBody: 'Bridge.EmptyResponse',
  network: 'Bridge.NetworkError',
  timeout: 'Bridge.Timeout',
  unknownStatus: 'Bridge.UnknownStatus',
} as const;

/** A collection refused on cwp because the account's asset scan is running (cwp runs one at a time): the bridge's own code. */
export const SCAN_RUNNING_CODE = 'Bridge.ScanRunning';

function row(code: string, kind: ErrorKind, retry: RetryPolicy, httpStatus: number, state: TaskState | null, meaning: string): ErrorRow {
  return { code, kind, retry, httpStatus, state, meaning };
}

/** Exact codes first; families (`X*`) after. Order matters only among families: the longest prefix wins. */
export const ERROR_TABLE: readonly ErrorRow[] = [
  // States implied by errors.
  row('FailedOperation.AgentOffline', 'state', 'never', 200, 'AGENT_OFFLINE', 'the agent is offline'),
  row('FailedOperation.ProcessTaskNotFound', 'not-found', 'never', 404, 'NO_TASK', 'no process collection task for this agent'),
  row('FailedOperation.OpenPortTaskNotFound', 'not-found', 'never', 404, 'NO_TASK', 'no open-port collection task for this agent'),
  row('ResourceNotFound', 'not-found', 'never', 404, 'UNKNOWN_AGENT', 'no such agent'),
  // Our request is wrong. DescribeMachines documents InvalidParameter.MissingParameter beside MissingParameter:
  // its own row so that it reads as what it is (a required parameter given empty), not as a family match.
  row('InvalidParameter.MissingParameter', 'invalid', 'never', 400, null, 'a required parameter is empty'),
  row('InvalidParameter*', 'invalid', 'never', 400, null, 'a parameter is invalid'),
  row('InvalidParameterValue*', 'invalid', 'never', 400, null, 'a parameter value is invalid'),
  row('MissingParameter*', 'invalid', 'never', 400, null, 'a required parameter is missing'),
  // Throttling.
  row('RequestLimitExceeded*', 'throttled', 'backoff', 429, null, 'the API rate limit was exceeded'),
  row('LimitExceeded*', 'internal', 'never', 502, null, 'a quota of the account is exceeded'),
  // Upstream faults.
  row('InternalError*', 'retryable', 'bounded', 502, null, 'CWP had an internal error'),
  row('ResourceInUse*', 'retryable', 'bounded', 503, null, 'the resource is busy'),
  row(TRANSPORT_CODES.httpStatus, 'retryable', 'bounded', 502, null, 'CWP answered a non-2xx HTTP status without an API error'),
  row(TRANSPORT_CODES.badBody, 'retryable', 'bounded', 502, null, 'CWP answered a body that is not JSON'),
  row(TRANSPORT_CODES.emptyBody, 'retryable', 'bounded', 502, null, 'CWP answered JSON without a Response object'),
  row(TRANSPORT_CODES.network, 'retryable', 'bounded', 503, null, 'the connection failed or was reset'),
  row(TRANSPORT_CODES.timeout, 'retryable', 'bounded', 504, null, 'CWP did not answer before the deadline'),
  row(TRANSPORT_CODES.unknownStatus, 'internal', 'never', 502, null, 'CWP answered a Status this bridge does not know'),
  // Not a wire failure but a refusal: cwp's ScanAsset answers FailedOperation while a scan runs (one at a time); the
  // account is busy, as with ResourceInUse: a start goes through once SyncAssetScan says FINISHED.
  row(SCAN_RUNNING_CODE, 'retryable', 'bounded', 503, null, 'the account\'s asset scan is running; cwp runs one at a time, start again when it has finished'),
  // Credentials and permissions.
  row('AuthFailure.SignatureExpire', 'auth', 'resign-once', 502, null, 'the request timestamp is outside the 5-minute window (clock skew)'),
  row('AuthFailure*', 'auth', 'never', 502, null, 'the credentials are wrong, expired or not allowed'),
  row('UnauthorizedOperation*', 'auth', 'never', 502, null, 'the credentials lack permission for this action'),
  // The API is not there: retired (yunjing is frozen), or our endpoint or version is wrong.
  row('InvalidAction', 'gone', 'never', 502, null, 'the action does not exist for this service or version'),
  row('ActionOffline', 'gone', 'never', 502, null, 'the action has been retired'),
  row('NoSuchVersion', 'gone', 'never', 502, null, 'the API version does not exist'),
  row('UnsupportedOperation*', 'gone', 'never', 502, null, 'the operation is not supported'),
  // A collection CWP could not start. Documented only as "failed to create the task" (no mention of a
  // task already running, so not a conflict); nothing says a retry at once would help, and the next sweep
  // tries again anyway, so: not retried, 502 with the code passed through.
  row('FailedOperation.CreateProcessTask', 'internal', 'never', 502, null, 'CWP could not start a process collection on the agent'),
  row('FailedOperation.CreateOpenPortTask', 'internal', 'never', 502, null, 'CWP could not start an open-port collection on the agent'),
  // Our deployment is wrong.
  row('DryRunOperation', 'internal', 'never', 502, null, 'a dry run was answered'),
  row('FailedOperation*', 'internal', 'never', 502, null, 'the operation failed'),
  // cwp's ScanAsset documents it, without saying when: the account may not do this (its edition, a quota).
  row('OperationDenied*', 'internal', 'never', 502, null, 'CWP refused the operation for this account'),
];

const UNKNOWN: Omit<ErrorRow, 'code'> = { kind: 'internal', retry: 'never', httpStatus: 502, state: null, meaning: 'an error code this bridge does not know' };

const exact = new Map<string, ErrorRow>();
const families: ErrorRow[] = [];
for (const r of ERROR_TABLE) {
  if (r.code.endsWith('*')) families.push(r);
  else exact.set(r.code, r);
}
families.sort((a, b) => b.code.length - a.code.length);

/** The row for a code: the exact code, else the longest matching family, else the `unknown` row (code kept). */
export function lookupError(code: string): ErrorRow {
  const hit = exact.get(code);
  if (hit) return hit;
  for (const f of families) {
    const prefix = f.code.slice(0, -1);
    if (code === prefix || code.startsWith(prefix + '.')) return f;
  }
  return { code, ...UNKNOWN };
}
