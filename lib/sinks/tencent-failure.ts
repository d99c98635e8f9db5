// What a failed Tencent Cloud API call (TDMQ's PublishCmqMsg / SendCmqMsg, EventBridge's PutEvents) means for the
// events it carried, from the error table's kind of its code: the sinks that call Tencent APIs share it.
import { isTencentError } from '../errors';
import type { SendResult } from './sink';

// Codes of the `internal` kind that mean our deployment is wrong: no retry will help, the event is dead.
const PERMANENT_INTERNAL = /^(InvalidAction|ActionOffline|NoSuchVersion|NoSuchProduct|UnsupportedOperation(\..*)?|DryRunOperation)$/;

/**
 * Dead at once: credentials or permission, a refused parameter or event, no such topic/queue/bus
 * (ResourceNotFound.*: the table only knows the bare code, so the family is matched here), or an action or
 * version the deployment should not call. Anything else is retried, with the server's Retry-After when it gave
 * one: throttling, 5xx, network faults, LimitExceeded.* (a quota, or an account suspended until paid: it passes),
 * FailedOperation.* and codes we do not know; the attempt cap ends those as dead letters if they persist.
 */
export function tencentSendFailure(e: unknown, target: string): SendResult {
  if (!isTencentError(e)) return { ok: false, retry: true, reason: `${target}: ${e instanceof Error ? e.message : String(e)}` };
  const reason = `${target}: ${e.code}: ${e.message}${e.requestId ? ` (RequestId ${e.requestId})` : ''}`;
  const kind = e.row.kind;
  if (kind === 'auth' || kind === 'invalid' || kind === 'not-found' || e.code.startsWith('ResourceNotFound') || PERMANENT_INTERNAL.test(e.code)) {
    return { ok: false, retry: false, reason };
  }
  return e.retryAfterSeconds !== null ? { ok: false, retry: true, reason, retryAfterMs: e.retryAfterSeconds * 1000 } : { ok: false, retry: true, reason };
}
