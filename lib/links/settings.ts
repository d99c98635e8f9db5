// CONSOLE_URL and LINK_SECRET: with both set, each chat message of a firing incident carries signed links
// (signed-link.ts) to the api function. Both functions read them: the poll function signs, the api function checks.
// They go together, so one without the other is a problem naming both; checked at start-up with every other setting.

export interface LinkSettings {
  /** The Function URL the links point at (no trailing slash): `<consoleUrl>/v1/links/<token>`. */
  consoleUrl: string;
  /** The HMAC-SHA256 key of the links; at least LINK_SECRET_MIN_CHARS characters. */
  secret: string;
}

export const LINK_ENV = ['CONSOLE_URL', 'LINK_SECRET'] as const;
export const LINK_SECRET_MIN_CHARS = 32;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Why `raw` is not a usable CONSOLE_URL (null: it is). */
function consoleUrlProblem(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'is not a URL; use the api function\'s Function URL, e.g. https://1250000000-abcdefgh.ap-guangzhou.tencentscf.com';
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopback(u.hostname))) {
    return `must be https:// (plain http only to a loopback address such as http://127.0.0.1:8080); it was ${u.protocol.replace(/:$/, '')}`;
  }
  if (u.username || u.password) return 'must not carry credentials (user:password@)';
  if (u.search || u.hash) return 'must not have a query or a fragment; use the Function URL (and its path prefix, if any)';
  return null;
}

/**
 * The link settings from the present (non-blank) variables: null when neither is set; problems pushed (each naming
 * its variable) when one is bad or set without the other.
 */
export function parseLinkSettings(present: Readonly<Record<string, string>>, problems: string[]): LinkSettings | null {
  const url = present.CONSOLE_URL;
  const secret = present.LINK_SECRET;
  if (url === undefined && secret === undefined) return null;
  const before = problems.length;
  if (url === undefined || secret === undefined) {
    const missing = url === undefined ? 'CONSOLE_URL' : 'LINK_SECRET';
    const set = url === undefined ? 'LINK_SECRET' : 'CONSOLE_URL';
    problems.push(`${missing}: is required when ${set} is set: signed chat links need both CONSOLE_URL (the api function's Function URL) and LINK_SECRET (at least ${LINK_SECRET_MIN_CHARS} characters); set both, or neither`);
  }
  if (url !== undefined) {
    const p = consoleUrlProblem(url);
    if (p) problems.push(`CONSOLE_URL: ${p}`);
  }
  if (secret !== undefined && secret.length < LINK_SECRET_MIN_CHARS) {
    problems.push(`LINK_SECRET: is ${secret.length} characters; use at least ${LINK_SECRET_MIN_CHARS} random characters (e.g. openssl rand -base64 32)`);
  }
  if (problems.length > before || url === undefined || secret === undefined) return null;
  return { consoleUrl: new URL(url).toString().replace(/\/+$/, ''), secret };
}
