// Live CWP answers as HTTP: the status comes from the error table (lib/errors), nowhere else.
import { InvalidUuidError } from '../cwp/port';
import { ERROR_TABLE, isTencentError, TRANSPORT_CODES } from '../errors';
import type { TaskKind, TaskObservation, TaskState } from '../types';
import type { ScfContext } from '../scf/types';
import { HttpError, safeMessage } from './respond';

/** Default deadline of a live status call (both kinds run concurrently under it). */
export const STATUS_DEADLINE_MS = 10_000;
/** Kept free before the function's own end, to answer. */
export const DEADLINE_MARGIN_MS = 1_000;
const MIN_DEADLINE_MS = 100;

/** The deadline of a live call: ~10 s, or a bit under the function's remaining time when that is shorter. */
export function statusDeadlineMs(context?: ScfContext, cap: number = STATUS_DEADLINE_MS): number {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (typeof remaining !== 'number' || !Number.isFinite(remaining)) return cap;
  return Math.max(MIN_DEADLINE_MS, Math.min(cap, remaining - DEADLINE_MARGIN_MS));
}

/** HTTP status per task state, read from the error table's rows that imply a state; CWP's own statuses are 200. */
const STATE_STATUS = new Map<TaskState, { status: number; code: string; meaning: string }>();
for (const row of ERROR_TABLE) {
  if (row.state !== null && !STATE_STATUS.has(row.state)) {
    STATE_STATUS.set(row.state, { status: row.httpStatus, code: row.state.toLowerCase(), meaning: row.meaning });
  }
}

export function httpStatusOfState(state: TaskState): number {
  return STATE_STATUS.get(state)?.status ?? 200;
}

export interface StateView {
  uuid: string;
  kind: TaskKind;
  state: TaskState;
  /** Tencent's RequestId of the answer. */
  requestId: string;
  /** ISO 8601 */
  observedAt: string;
}

export function stateView(o: TaskObservation): StateView {
  return { uuid: o.uuid, kind: o.kind, state: o.state, requestId: o.requestId, observedAt: new Date(o.observedAt).toISOString() };
}

/**
 * The answer for an observation: 200 with the state, or, for a state the table maps to a non-2xx
 * (NO_TASK, UNKNOWN_AGENT: 404), an HttpError carrying the state beside the error envelope.
 */
export function observationOutcome(o: TaskObservation): { status: number; body: StateView } | HttpError {
  const view = stateView(o);
  const s = STATE_STATUS.get(o.state);
  if (!s || s.status < 300) return { status: s?.status ?? 200, body: view };
  return new HttpError(s.status, s.code, `${o.kind} task of ${o.uuid}: ${s.meaning}`, { body: { ...view } });
}

/**
 * A failed live call as an HttpError: a TencentError keeps its code (passed through) and gets its row's
 * status; 429 carries Retry-After; an abort by our own deadline is 504 Bridge.Timeout. Anything else is
 * rethrown (an unexpected exception: 500 upstream of here).
 */
export function upstreamError(e: unknown, deadline: AbortSignal): HttpError {
  if (isTencentError(e)) {
    const status = e.row.httpStatus;
    const headers: Record<string, string> = {};
    if (status === 429) headers['retry-after'] = String(Math.max(1, Math.ceil(e.retryAfterSeconds ?? 1)));
    const message = safeMessage(e.message || e.row.meaning);
    return new HttpError(status, e.code, message, { headers, details: { upstreamRequestId: e.requestId, category: e.row.kind } });
  }
  if (e instanceof InvalidUuidError) {
    return new HttpError(400, 'invalid_uuid', e.message);
  }
  if (deadline.aborted || (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))) {
    return new HttpError(504, TRANSPORT_CODES.timeout, 'CWP did not answer before the deadline');
  }
  throw e;
}
