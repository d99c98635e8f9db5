// A router small enough to read at a glance: patterns of literal segments and `{name}` parameters, matched
// segment by segment. A path that matches some route but not the method is 405 with the allowed methods.
import { HttpError } from './respond';

export interface Route<H> {
  method: string;
  /** e.g. '/v1/status/{kind}/{uuid}' */
  pattern: string;
  /** No auth (only /healthz). */
  public?: boolean;
  handler: H;
}

export type RouteMatch<H> =
  | { kind: 'found'; route: Route<H>; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allow: string[]; public: boolean }
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

  match(method: string, path: string): RouteMatch<H> {
    const parts = split(path);
    const allow: string[] = [];
    let anyPublic = false;
    for (const c of this.compiled) {
      const params = matchSegments(c.segments, parts);
      if (!params) continue;
      if (c.route.method === method) return { kind: 'found', route: c.route, params };
      if (!allow.includes(c.route.method)) allow.push(c.route.method);
      anyPublic ||= c.route.public === true;
    }
    return allow.length > 0 ? { kind: 'method_not_allowed', allow: allow.sort(), public: anyPublic } : { kind: 'not_found' };
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | null {
  if (segments.length !== parts.length) return null;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if ('literal' in s && s.literal !== parts[i]) return null;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if ('literal' in s) continue;
    try {
      params[s.param] = decodeURIComponent(parts[i]!);
    } catch {
      throw new HttpError(400, `invalid_${s.param}`, `${s.param} is not validly percent-encoded`);
    }
  }
  return params;
}

export function notFound(path: string): HttpError {
  return new HttpError(404, 'not_found', `no route for ${path}`);
}

export function methodNotAllowed(method: string, path: string, allow: string[]): HttpError {
  return new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${path}; allowed: ${allow.join(', ')}`, { headers: { allow: allow.join(', ') } });
}
