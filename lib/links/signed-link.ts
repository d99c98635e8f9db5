// Signed one-click links of chat messages: `<CONSOLE_URL>/v1/links/<token>`, the token being
// base64url(payload) "." base64url(HMAC-SHA256(LINK_SECRET, domain + payload)). The payload binds the action
// (acknowledge, or silence for some hours), the incident key, the store id (a link of another bridge, or of a
// store since reset, is refused) and the expiry (24 h after the message). Nothing is stored: the signature is the
// whole proof, so a link works on every instance and needs no clean-up.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const LINK_PATH = '/v1/links';
/** How long a link works after the message that carries it was rendered. */
export const LINK_TTL_MS = 24 * 3_600_000;
/** What a link may do. */
export const LINK_ACTIONS = ['ack', 'silence'] as const;
export type LinkAction = (typeof LINK_ACTIONS)[number];

export interface LinkClaims {
  action: LinkAction;
  /** The incident key (lib/alerts/rules.ts incidentKey). */
  key: string;
  /** The store the incident lives in (StorePort.identity). */
  storeId: string;
  /** Epoch ms after which the link is refused (410). */
  expiresAt: number;
  /** How long a silence lasts (silence only). */
  hours?: number;
}

/** Keeps these signatures apart from any other HMAC made with the same secret. */
const DOMAIN = 'cwp-task-bridge signed link v1\n';
/** A token is short; anything longer is refused before any work. */
const MAX_TOKEN_CHARS = 1024;

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(DOMAIN + payload).digest();
}

/** The token of `claims`, signed with `secret`. */
export function signLink(secret: string, claims: LinkClaims): string {
  const body: Record<string, unknown> = { a: claims.action, k: claims.key, s: claims.storeId, e: Math.floor(claims.expiresAt / 1000) };
  if (claims.hours !== undefined) body.h = claims.hours;
  const payload = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The link's URL under `consoleUrl` (the Function URL, no trailing slash). */
export function linkUrl(consoleUrl: string, token: string): string {
  return `${consoleUrl}${LINK_PATH}/${token}`;
}

export type LinkCheck =
  | { ok: true; claims: LinkClaims }
  /** Not a token this secret signed (malformed, tampered, or signed with another secret): 403. */
  | { ok: false; why: 'invalid' }
  /** Signed, but for another store (another bridge, or this store before a reset): 403. */
  | { ok: false; why: 'other_store'; claims: LinkClaims }
  /** Signed and for this store, but past its expiry: 410. */
  | { ok: false; why: 'expired'; claims: LinkClaims };

function claimsOf(payload: string): LinkClaims | null {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  if (!(LINK_ACTIONS as readonly unknown[]).includes(b.a) || typeof b.k !== 'string' || typeof b.s !== 'string' || typeof b.e !== 'number' || !Number.isSafeInteger(b.e)) return null;
  if (b.h !== undefined && !(typeof b.h === 'number' && b.h > 0 && b.h <= 24 * 30)) return null;
  if (b.a === 'silence' && b.h === undefined) return null;
  return { action: b.a as LinkAction, key: b.k, storeId: b.s, expiresAt: b.e * 1000, ...(typeof b.h === 'number' ? { hours: b.h } : {}) };
}

/**
 * Checks `token` against `secret`, the store `storeId` and the time `now` (epoch ms). The signature first: until
 * it holds, nothing of the payload is trusted or told.
 */
export function verifyLink(secret: string, token: string, storeId: string, now: number): LinkCheck {
  if (token.length > MAX_TOKEN_CHARS) return { ok: false, why: 'invalid' };
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return { ok: false, why: 'invalid' };
  // Compared as text: base64url has more than one spelling of the same last bits, and a changed character must fail.
  const given = Buffer.from(m[2]!, 'ascii');
  const expected = Buffer.from(mac(secret, m[1]!).toString('base64url'), 'ascii');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, why: 'invalid' };
  const claims = claimsOf(m[1]!);
  if (!claims) return { ok: false, why: 'invalid' };
  if (claims.storeId !== storeId) return { ok: false, why: 'other_store', claims };
  if (now > claims.expiresAt) return { ok: false, why: 'expired', claims };
  return { ok: true, claims };
}
