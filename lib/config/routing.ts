// The settings every sink kind shares, per routing prefix (issue #13): <PREFIX>_MIN_SEVERITY, <PREFIX>_KINDS,
// <PREFIX>_STATES, <PREFIX>_EVENT_TYPES and <PREFIX>_IGNORE_SILENCES (issue #20) for each prefix the sink kinds declare (lib/sinks/kinds.ts). Parsed here
// into one EventRoute per prefix (lib/sinks/route.ts applies it); every bad value is named with its variable, the
// values it does not know, and the fix. A further setting every sink kind takes goes here too, beside these four.
import * as z from 'zod/mini';
import { EVENT_TYPES, type EventType, type Severity } from '../events/types';
import { TASK_KINDS, TASK_STATES, type TaskKind, type TaskState } from '../types';
import { commaList } from './fields';

/** Which events one sink takes. `null`: every value. */
export interface EventRoute {
  minSeverity: Severity;
  kinds: readonly TaskKind[] | null;
  /** The states of status.changed events the sink takes; other event types are not filtered by it. */
  states: readonly TaskState[] | null;
  types: readonly EventType[] | null;
  /** <PREFIX>_IGNORE_SILENCES=true: the sink is sent the incident notifications silences and maintenance windows hold back too. */
  ignoreSilences: boolean;
}

/** The route of a sink with no routing settings: every event, but what silences hold back. */
export const EVERY_EVENT: EventRoute = Object.freeze({ minSeverity: 'info', kinds: null, states: null, types: null, ignoreSilences: false });

const SUFFIXES = ['MIN_SEVERITY', 'KINDS', 'STATES', 'EVENT_TYPES', 'IGNORE_SILENCES'] as const;

/** The routing variables of these prefixes, five each. */
export function routingVariables(prefixes: readonly string[]): string[] {
  return prefixes.flatMap((p) => SUFFIXES.map((s) => `${p}_${s}`));
}

/** One route per routing prefix (WEBHOOK, EB, WECOM, …). */
export type Routes = Readonly<Record<string, EventRoute>>;

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

/** One route per prefix from the (trimmed, non-empty) variables present; problems name each bad variable. */
export function parseRoutes(present: Readonly<Record<string, string>>, prefixes: readonly string[]): { routes: Routes; problems: string[] } {
  const problems: string[] = [];
  const routes: Record<string, EventRoute> = {};
  for (const prefix of prefixes) {
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
    const ignore = present[`${prefix}_IGNORE_SILENCES`];
    if (ignore !== undefined) {
      const v = ignore.toLowerCase();
      if (v === 'true' || v === 'false') route.ignoreSilences = v === 'true';
      else problems.push(`${prefix}_IGNORE_SILENCES: "${ignore}" must be true or false (true: this sink is sent the incident notifications silences and maintenance windows hold back)`);
    }
    routes[prefix] = route;
  }
  return { routes, problems };
}
