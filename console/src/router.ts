// Routes live in the URL's hash (`#/agents/<uuid>`), so the server serves one page whatever the view and a link
// to a view works wherever the console is mounted. A route is a path and a query: `#/incidents?state=firing`.

export interface Route {
  /** `overview`, `incidents`, `incident`, `agent`, `history`, `rules`, `deliveries`, or `unknown`. */
  page: 'overview' | 'incidents' | 'incident' | 'agent' | 'history' | 'rules' | 'deliveries' | 'unknown';
  /** The path's parameter: an agent's Uuid, an incident's key. */
  id: string | null;
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = (q >= 0 ? raw.slice(0, q) : raw).replace(/\/+$/, '') || '/';
  const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const [first, second] = parts;
  if (parts.length === 0) return { page: 'overview', id: null, query };
  if (first === 'incidents' && second !== undefined) return { page: 'incident', id: second, query };
  if (first === 'agents' && second !== undefined) return { page: 'agent', id: second, query };
  if (parts.length === 1 && (first === 'incidents' || first === 'history' || first === 'rules' || first === 'deliveries')) return { page: first, id: null, query };
  return { page: 'unknown', id: null, query };
}

/** `link('agents', uuid)` -> `#/agents/<uuid>`; a query is added when given. */
export function link(path: string, id?: string | null, query?: Record<string, string | undefined>): string {
  let out = `#/${path}${id ? `/${encodeURIComponent(id)}` : ''}`;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v) q.set(k, v);
  const qs = q.toString();
  if (qs) out += `?${qs}`;
  return out;
}
