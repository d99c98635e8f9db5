// Checks a redis:// STATE_STORE before anything connects. ioredis reads the URL with Node's legacy url.parse,
// which for a URL the WHATWG parser refuses prints a deprecation warning holding the whole URL (password and
// all) and then connects somewhere else: an unencoded `#` in the password makes the rest of the URL a fragment.
// So the URL must parse cleanly as WHATWG does, with a host and nothing after a `#`. Problems never show the value.

/** Why a redis:// URL would be misread, or null when it is fine. */
export function redisUrlProblem(raw: string): string | null {
  const fix = 'percent-encode special characters in the password (# as %23, ? as %3F, / as %2F, @ as %40); the value is not shown';
  if (raw.includes('#')) return `contains an unencoded #, which ends the URL for the Redis client (everything after it, host included, would be lost); ${fix}`;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `is not a valid URL; use redis://[:password@]host:port/db and ${fix}`;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return 'must start with redis:// or rediss://';
  if (!u.hostname) return `has no host; use redis://[:password@]host:port/db and ${fix}`;
  if (u.pathname !== '' && u.pathname !== '/' && !/^\/\d{1,2}$/.test(u.pathname)) return `has the path ${JSON.stringify(u.pathname.length > 12 ? '…' : u.pathname)}: after the host only /<db number> may follow; ${fix}`;
  return null;
}
