// Wire helpers shared by every HTTP caller (the Tencent client, the webhook sink, the chat sinks to come), the
// way alertmanager keeps notify/util.go: how to read a Retry-After, and how to name a network failure.

/** The longest Retry-After honoured: a receiver asking for more is held to a day. */
export const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

/**
 * Retry-After as milliseconds from `nowMs`: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3), capped at
 * MAX_RETRY_AFTER_MS. Undefined when absent or unparseable; 0 for a date in the past.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - nowMs);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/**
 * The system error code of a failed request (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, ...): on the error
 * itself (node:http) or a few `cause`s down (fetch/undici). Falls back to the error's name, never its message,
 * which may carry a URL with a secret path.
 */
export function describeNetworkError(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const c = current as { code?: unknown; cause?: unknown };
    if (typeof c.code === 'string') return c.code;
    current = c.cause;
  }
  return error instanceof Error ? error.name : 'unknown error';
}
