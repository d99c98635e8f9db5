// The counters the store keeps across instances (CounterPort), by a canonical key: the metric's name and its
// labels, sorted, in the Prometheus form `name{a="x",b="y"}`, so every backend (and the Lua of the outbox append)
// names a counter alike.

export interface CounterIncrement {
  name: string;
  labels: Readonly<Record<string, string>>;
  by: number;
}

export interface CounterValue {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Counted by the outbox append itself, with the event's type as `type`. */
export const EVENTS_PUBLISHED = 'cwp_bridge_events_published_total';
export const DELIVERIES = 'cwp_bridge_deliveries_total';
export const CWP_REQUESTS = 'cwp_bridge_cwp_requests_total';

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function counterKey(name: string, labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels).sort().map((k) => `${k}="${escapeLabel(labels[k]!)}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

/** The key of events_published_total for one event type (the Lua fragment builds the same string). */
export const publishedKey = (type: string): string => counterKey(EVENTS_PUBLISHED, { type });

/** Reads a key back into its name and labels. */
export function parseCounterKey(key: string, value: number): CounterValue {
  const brace = key.indexOf('{');
  if (brace === -1) return { name: key, labels: {}, value };
  const labels: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const m of key.slice(brace + 1, -1).matchAll(re)) labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return { name: key.slice(0, brace), labels, value };
}

/** Adds increments up in memory (the same counter once), for one batched incrementCounters. */
export class CounterBatch {
  private readonly byKey = new Map<string, CounterIncrement>();

  add(name: string, labels: Record<string, string>, by = 1): void {
    const key = counterKey(name, labels);
    const had = this.byKey.get(key);
    if (had) had.by += by;
    else this.byKey.set(key, { name, labels, by });
  }

  /** The increments so far, and an empty batch after. */
  take(): CounterIncrement[] {
    const out = [...this.byKey.values()];
    this.byKey.clear();
    return out;
  }

  get size(): number {
    return this.byKey.size;
  }
}

export const sortCounters = (values: CounterValue[]): CounterValue[] =>
  values.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : counterKey('', a.labels) < counterKey('', b.labels) ? -1 : 1));
