// API_TOKENS: who may call the api function, and what each caller may do. An entry is either a bare token (every
// scope, named `unnamed` in the audit log, as before scopes existed) or `name:scopes:token`, scopes joined by `+`.
// Problems name the entry by its position and its name, never its token.

/**
 * What a token may do. `read`: every GET. `write`: watches and collections. `alerts`: acknowledging, silencing
 * and accepting incidents. `metrics`: GET /metrics. `admin`: all of these, plus what cannot be undone or reaches
 * past one agent (replaying and discarding dead letters, importing watches, acknowledging a store reset).
 */
export type Scope = 'read' | 'write' | 'alerts' | 'metrics' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'write', 'alerts', 'metrics', 'admin'];

export interface ApiToken {
  /** Shown in audit lines and errors instead of the token; `unnamed` for a bare token. */
  name: string;
  scopes: Scope[];
  /** The bearer token itself: compared, never logged. */
  secret: string;
}

/** The name a bare token has in the audit log. */
export const UNNAMED_TOKEN = 'unnamed';
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MIN_SECRET = 16;

/** Whether `token` may use a route that needs `scope` (admin may use every route). */
export function hasScope(token: Pick<ApiToken, 'scopes'>, scope: Scope): boolean {
  return token.scopes.includes(scope) || token.scopes.includes('admin');
}

const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

/**
 * Parses the entries of API_TOKENS (already split on commas). A bare token has no `:`; anything with a `:` must be
 * `name:scopes:token` (the token itself may contain further `:`).
 */
export function parseApiTokens(entries: readonly string[]): { tokens: ApiToken[]; problems: string[] } {
  const tokens: ApiToken[] = [];
  const problems: string[] = [];
  const names = new Set<string>();
  entries.forEach((entry, i) => {
    const at = `entry ${i + 1}`;
    const first = entry.indexOf(':');
    if (first === -1) {
      if (entry.length < MIN_SECRET) problems.push(`API_TOKENS: a token of ${entry.length} characters is too short to be safe; use at least ${MIN_SECRET} (e.g. openssl rand -hex 24)`);
      tokens.push({ name: UNNAMED_TOKEN, scopes: [...SCOPES], secret: entry });
      return;
    }
    const second = entry.indexOf(':', first + 1);
    if (second === -1) {
      problems.push(`API_TOKENS: ${at} has one ":"; write a named token as name:scopes:token (e.g. grafana:read+metrics:<token>), or a bare token without ":"`);
      return;
    }
    const name = entry.slice(0, first);
    const scopeList = entry.slice(first + 1, second);
    const secret = entry.slice(second + 1);
    const label = NAME.test(name) ? `${at} ("${name}")` : at;
    if (!NAME.test(name)) problems.push(`API_TOKENS: ${at} has an invalid name; use 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit`);
    else if (names.has(name) || name === UNNAMED_TOKEN) problems.push(`API_TOKENS: ${label}: the name is used twice${name === UNNAMED_TOKEN ? ' (unnamed is what bare tokens are called)' : ''}; give each token its own name, so the audit log tells them apart`);
    names.add(name);
    const scopes = scopeList.split('+');
    const unknown = scopes.filter((s) => !isScope(s));
    if (scopeList === '' || unknown.length > 0) {
      problems.push(`API_TOKENS: ${label} has ${scopeList === '' ? 'no scopes' : `unknown scope${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => `"${s}"`).join(', ')}`}; scopes are ${SCOPES.join(', ')}, joined by + (e.g. read+write)`);
    }
    if (secret.length < MIN_SECRET) problems.push(`API_TOKENS: ${label}: a token of ${secret.length} characters is too short to be safe; use at least ${MIN_SECRET} (e.g. openssl rand -hex 24)`);
    tokens.push({ name, scopes: [...new Set(scopes.filter(isScope))], secret });
  });
  return { tokens, problems };
}
