// Bearer-token auth against API_TOKENS. Both sides are hashed with SHA-256 first, so timingSafeEqual compares
// two 32-byte digests: neither the content nor the length of a token leaks through timing, and every
// configured token is compared (no early exit on the first match).
import { createHash, timingSafeEqual } from 'node:crypto';
import { hasScope, type ApiToken, type Scope } from '../config/tokens';
import type { RequestBudget } from '../ratelimit/budget';
import { HttpError } from './respond';

const REALM = 'cwp-task-bridge';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time string equality (time independent of where, or whether, the strings differ, and of their lengths). */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

const digestCache = new WeakMap<readonly unknown[], Buffer[]>();

function tokenDigests(tokens: readonly string[] | readonly ApiToken[]): Buffer[] {
  let d = digestCache.get(tokens);
  if (!d) {
    d = tokens.map((t) => digest(typeof t === 'string' ? t : t.secret));
    digestCache.set(tokens, d);
  }
  return d;
}

/** The index of `candidate` among `tokens`, or -1; compares against all of them whatever the outcome. */
function indexOfToken(candidate: string, tokens: readonly string[] | readonly ApiToken[]): number {
  const c = digest(candidate);
  let found = -1;
  tokenDigests(tokens).forEach((t, i) => {
    if (timingSafeEqual(c, t) && found === -1) found = i;
  });
  return found;
}

/** Whether `candidate` equals one of `tokens`; compares against all of them whatever the outcome. */
export function matchesAnyToken(candidate: string, tokens: readonly string[]): boolean {
  return indexOfToken(candidate, tokens) !== -1;
}

/** The token of an `Authorization: Bearer <token>` header; null when absent; undefined when malformed. */
export function bearerToken(headers: Record<string, string>): string | null | undefined {
  const h = headers['authorization'];
  if (h === undefined || h.trim() === '') return null;
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(h.trim());
  return m ? m[1] : undefined;
}

/**
 * Throws the HttpError that answers an unauthenticated request; returns when the token is good.
 * Missing and wrong tokens are both 401 with `WWW-Authenticate` (RFC 6750): the caller has not proved who it
 * is, which 403 (known caller, not allowed) would misstate. No configured token is 503, not 401, so an
 * operator sees a configuration problem rather than blaming the caller.
 */
export function authenticate(headers: Record<string, string>, tokens: readonly ApiToken[]): ApiToken {
  if (tokens.length === 0) {
    throw new HttpError(503, 'config_invalid', 'API_TOKENS is not set: the API refuses every request until a bearer token is configured');
  }
  const token = bearerToken(headers);
  if (token === null) {
    throw new HttpError(401, 'unauthorized', 'missing Authorization header; send Authorization: Bearer <token>', {
      headers: { 'www-authenticate': `Bearer realm="${REALM}"` },
    });
  }
  if (token === undefined) {
    throw new HttpError(401, 'unauthorized', 'malformed Authorization header; send Authorization: Bearer <token>', {
      headers: { 'www-authenticate': `Bearer realm="${REALM}", error="invalid_request"` },
    });
  }
  const i = indexOfToken(token, tokens);
  if (i === -1) {
    throw new HttpError(401, 'unauthorized', 'the bearer token is not valid', {
      headers: { 'www-authenticate': `Bearer realm="${REALM}", error="invalid_token"` },
    });
  }
  return tokens[i]!;
}

/**
 * Throws 403 `insufficient_scope` when the caller's token lacks the scope a route needs (RFC 6750 section 3.1: the
 * caller is known, it may not do this). The message names the scope, the token's name and what it has.
 */
export function requireScope(caller: ApiToken, scope: Scope): void {
  if (hasScope(caller, scope)) return;
  throw new HttpError(403, 'insufficient_scope', `this needs the "${scope}" scope; token "${caller.name}" has ${caller.scopes.join('+')}. Use a token with ${scope} (API_TOKENS name:${scope}:token), or admin`, {
    headers: { 'www-authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${scope}"` },
    details: { scope },
  });
}

/**
 * Takes one request from the caller's budget (API_RATE_LIMIT per second per token, API_RATE_BURST at once), after
 * authenticate. The budget is keyed by a digest of the token, never the token itself. Over budget: 429 with
 * Retry-After. A budget that cannot be read (Redis gone) lets the request through: the routes answer for the store.
 */
export async function spendTokenBudget(headers: Record<string, string>, budget: RequestBudget, ratePerSecond: number): Promise<void> {
  const token = bearerToken(headers);
  if (!token) return;
  let answer;
  try {
    answer = await budget.take(digest(token).toString('hex').slice(0, 32));
  } catch {
    return;
  }
  if (answer.ok) return;
  const seconds = Math.max(1, Math.ceil(answer.retryAfterMs / 1000));
  throw new HttpError(429, 'rate_limited', `this token is over its request budget (API_RATE_LIMIT ${ratePerSecond} per second); retry after ${seconds} s`, {
    headers: { 'retry-after': String(seconds) },
  });
}
