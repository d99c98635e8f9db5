// A router small enough to read at a glance: patterns of literal segments and `{name}` parameters, matched
// segment by segment. A path that matches some route but not the method is 405 with the allowed methods.
// Matching never throws, whatever the path: a parameter that is not validly percent-encoded is reported in
// the match (`badParam`), and the handler answers it (400) only after authentication, so that an
// unauthenticated caller cannot tell one route from another.
import type { Scope } from '../config/tokens';
import { HttpError } from './respond';

/**
 * A route is either public (no token: /healthz) or needs a token: with a scope, or `any` valid token whatever its
 * scopes (GET /v1/whoami, which is how a caller learns what its token may do).
 */
export type Route<H> = {
  method: string;
  /** e.g. '/v1/status/{kind}/{uuid}' */
  pattern: string;
  handler: H;
} & ({ public: true; scope?: undefined } | { public?: undefined; scope: Scope | 'any' });

export type RouteMatch<H> =
  /**
   * `params` are percent-decoded; one that cannot be decoded stays as it was in the path, and `badParam`
   * names the first such parameter (null when all decoded).
   */
  | { kind: 'found'; route: Route<H>; params: Record<string, string>; badParam: string | null }
  /** `badParam`: as for `found`, over the routes whose pattern matched the path. */
  | { kind: 'method_not_allowed'; allow: string[]; public: boolean; badParam: string | null }
  | { kind: 'not_found' };

type Segment = { literal: string } | { param: string };

interface Compiled<H> {
  route: Route<H>;
  segments: Segment[];
}

export class Router<H> {
  private readonly compiled: Compiled<H>[];

  constructor(readonly routes: readonly Route<H>[]) {
    this.compiled = routes.map((route) => ({
      route,
      segments: split(route.pattern).map((s): Segment => (/^\{\w+\}$/.test(s) ? { param: s.slice(1, -1) } : { literal: s })),
    }));
  }

  /** The route for `method` and `path`. Never throws. */
  match(method: string, path: string): RouteMatch<H> {
    const parts = split(path);
    const allow: string[] = [];
    let anyPublic = false;
    let badParam: string | null = null;
    for (const c of this.compiled) {
      const m = matchSegments(c.segments, parts);
      if (!m) continue;
      badParam ??= m.badParam;
      if (c.route.method === method) return { kind: 'found', route: c.route, params: m.params, badParam };
      if (!allow.includes(c.route.method)) allow.push(c.route.method);
      anyPublic ||= c.route.public === true;
    }
    return allow.length > 0 ? { kind: 'method_not_allowed', allow: allow.sort(), public: anyPublic, badParam } : { kind: 'not_found' };
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function matchSegments(segments: Segment[], parts: string[]): { params: Record<string, string>; badParam: string | null } | null {
  if (segments.length !== parts.length) return null;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if ('literal' in s && s.literal !== parts[i]) return null;
  }
  const params: Record<string, string> = {};
  let badParam: string | null = null;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if ('literal' in s) continue;
    try {
      params[s.param] = decodeURIComponent(parts[i]!);
    } catch {
      params[s.param] = parts[i]!;
      badParam ??= s.param;
    }
  }
  return { params, badParam };
}

/** What a path or method looks like in a message: at most 200 characters. */
function clip(s: string): string {
  return s.length > 200 ? s.slice(0, 199) + '…' : s;
}

/** The answer to a path parameter that is not validly percent-encoded (after authentication). */
export function badlyEncoded(param: string): HttpError {
  return new HttpError(400, `invalid_${param}`, `${param} is not validly percent-encoded`, { details: { field: param } });
}

export function notFound(path: string): HttpError {
  return new HttpError(404, 'not_found', `no route for ${clip(path)}`);
}

export function methodNotAllowed(method: string, path: string, allow: string[]): HttpError {
  return new HttpError(405, 'method_not_allowed', `${clip(method)} is not allowed on ${clip(path)}; allowed: ${allow.join(', ')}`, { headers: { allow: allow.join(', ') } });
}
