// Routing settings per sink (issue #13): <PREFIX>_MIN_SEVERITY, <PREFIX>_KINDS, <PREFIX>_STATES and
// <PREFIX>_EVENT_TYPES for every sink prefix. Parsed here into one EventRoute per prefix (lib/sinks/route.ts
// says what a route does); every bad value is named with its variable, the values it does not know, and the fix.
import * as z from 'zod/mini';
import { commaList } from './fields';
import { EVENT_TYPES, EVERY_EVENT, type EventRoute, type EventType } from '../sinks/route';
import { TASK_KINDS, TASK_STATES, type TaskKind, type TaskState } from '../types';

/** The sinks that can be routed, by the prefix of their settings. */
export const SINK_PREFIXES = ['WEBHOOK', 'CMQ', 'EB', 'WECOM', 'DINGTALK', 'FEISHU', 'SLACK'] as const;
export type SinkPrefix = (typeof SINK_PREFIXES)[number];

const SUFFIXES = ['MIN_SEVERITY', 'KINDS', 'STATES', 'EVENT_TYPES'] as const;
export type RoutingVariable = `${SinkPrefix}_${(typeof SUFFIXES)[number]}`;

/** Every routing variable, as ENV lists them. */
export const ROUTING_ENV: readonly RoutingVariable[] = SINK_PREFIXES.flatMap((p) => SUFFIXES.map((s) => `${p}_${s}` as const));

export type Routes = Record<SinkPrefix, EventRoute>;

const severity = z.enum(['info', 'warning'], { error: 'must be info or warning' });


const EVENT_TYPE_PREFIX = 'com.tencentcloud.cwp.';

/** `ports.changed` for `com.tencentcloud.cwp.ports.changed`; the full name as it is. */
function fullEventType(v: string): string {
  return v.startsWith(EVENT_TYPE_PREFIX) ? v : EVENT_TYPE_PREFIX + v;
}

/**
 * The values of a list variable that are among `known`, or a problem naming the unknown ones. An empty list (only
 * commas) is a problem too: it would route nothing, which is never what someone who set it meant.
 */
function knownValues<T extends string>(name: string, raw: string, known: readonly T[], what: string, normalise: (v: string) => string = (v) => v, hint = ''): { values: T[] | null; problem: string | null } {
  const given = commaList(raw);
  if (given.length === 0) return { values: null, problem: `${name}: names no ${what}; use ${known.join(', ')} (comma separated)${hint}, or leave it unset for all` };
  const unknown = given.filter((v) => !(known as readonly string[]).includes(normalise(v)));
  if (unknown.length > 0) {
    const shown = unknown.map((v) => `"${v}"`).join(', ');
    return { values: null, problem: `${name}: ${shown} ${unknown.length === 1 ? `is not ${/^[aeiou]/.test(what) ? 'an' : 'a'}` : 'are not'} ${what}${unknown.length === 1 ? '' : 's'}; use ${known.join(', ')} (comma separated)${hint}` };
  }
  return { values: [...new Set(given.map(normalise))] as T[], problem: null };
}

/** One route per sink prefix from the (trimmed, non-empty) variables present; problems name each bad variable. */
export function parseRoutes(present: Readonly<Record<string, string>>): { routes: Routes; problems: string[] } {
  const problems: string[] = [];
  const routes = {} as Routes;
  for (const prefix of SINK_PREFIXES) {
    const route: { -readonly [K in keyof EventRoute]: EventRoute[K] } = { ...EVERY_EVENT };
    const sev = present[`${prefix}_MIN_SEVERITY`];
    if (sev !== undefined) {
      const parsed = z.safeParse(severity, sev);
      if (parsed.success) route.minSeverity = parsed.data;
      else problems.push(`${prefix}_MIN_SEVERITY: "${sev}" ${parsed.error.issues[0]?.message ?? 'must be info or warning'}`);
    }
    const kinds = present[`${prefix}_KINDS`];
    if (kinds !== undefined) {
      const r = knownValues<TaskKind>(`${prefix}_KINDS`, kinds, TASK_KINDS, 'task kind');
      if (r.problem) problems.push(r.problem);
      else route.kinds = r.values;
    }
    const states = present[`${prefix}_STATES`];
    if (states !== undefined) {
      const r = knownValues<TaskState>(`${prefix}_STATES`, states, TASK_STATES, 'task state', (v) => v.toUpperCase());
      if (r.problem) problems.push(r.problem);
      else route.states = r.values;
    }
    const types = present[`${prefix}_EVENT_TYPES`];
    if (types !== undefined) {
      const r = knownValues<EventType>(`${prefix}_EVENT_TYPES`, types, EVENT_TYPES, 'event type', fullEventType, `; the part after ${EVENT_TYPE_PREFIX} is enough, e.g. ports.changed`);
      if (r.problem) problems.push(r.problem);
      else route.types = r.values;
    }
    routes[prefix] = route;
  }
  return { routes, problems };
}
