import { lookupError, type ErrorRow } from './table';

/** The one error type for every failed Tencent Cloud call, whatever failed: the API, HTTP, or the network. */
export class TencentError extends Error {
  override readonly name = 'TencentError';
  readonly code: string;
  readonly requestId: string | null;
  /** The HTTP status of the upstream answer, when there was one. */
  readonly upstreamStatus: number | null;
  /** Seconds to wait, when the upstream said so (Retry-After). */
  readonly retryAfterSeconds: number | null;
  readonly action: string | null;
  readonly row: ErrorRow;

  constructor(init: { code: string; message: string; requestId?: string | null; upstreamStatus?: number | null; retryAfterSeconds?: number | null; action?: string | null; cause?: unknown }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.requestId = init.requestId ?? null;
    this.upstreamStatus = init.upstreamStatus ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
    this.action = init.action ?? null;
    this.row = lookupError(init.code);
  }

  /** A plain object for logs: no stack, no request payload, no credentials. */
  toLog(): Record<string, unknown> {
    return { code: this.code, message: this.message, requestId: this.requestId, upstreamStatus: this.upstreamStatus, action: this.action, kind: this.row.kind };
  }
}

export function isTencentError(e: unknown): e is TencentError {
  return e instanceof TencentError;
}
