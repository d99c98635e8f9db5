// Routing per sink (issue #13): which events one sink takes, from its <PREFIX>_MIN_SEVERITY, _KINDS, _STATES and
// _EVENT_TYPES settings (lib/config/routing.ts parses them for every prefix the sink kinds declare). A pure
// predicate, so deliver.ts can ask it of every event through Sink.accepts, and so the rules read and test as a table.
//
// Semantics: every setting that is set must match (AND); an unset one matches everything. STATES looks at the
// state of status.changed events only: a ports.changed or processes.changed event has no state and passes it
// (leave those out with EVENT_TYPES). Severity is ordered info < warning: MIN_SEVERITY=warning keeps warnings.
// An agent.unwatched event (WATCH_DISCOVER) names the kinds it stopped: KINDS takes it if any of them matches.
// An incident.changed event is routed by what its incident is about: KINDS by its kind when it has one
// (collection.failed; port for port.opened, process for process.suspicious; agent.offline and agent.unknown are
// about every kind and pass), STATES by the task state that opens it (agent.offline: AGENT_OFFLINE,
// collection.failed: FAILED, agent.unknown: UNKNOWN_AGENT; port.opened and process.suspicious pass), all of its
// notifications alike, so a sink that takes an incident's firing takes its resolution too. A notice (a silence
// that ended, lib/events/silence-ended.ts) is routed as an incident.changed with neither kind nor state; only the
// sinks that take notices (the chat robots) are ever handed one.
import type { IncidentType } from '../alerts/types';
import type { EventRoute } from '../config/routing';
import type { BridgeEvent, Severity } from '../events/types';
import type { TaskKind, TaskState } from '../types';
import type { Sink } from './sink';
import { isNotice } from '../events/silence-ended';

export { EVERY_EVENT, type EventRoute } from '../config/routing';
export { EVENT_TYPES, type EventType } from '../events/types';

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1 };

/** The task state that opens an incident of each type, for STATES (null: none, so STATES does not filter it). */
const INCIDENT_STATE: Record<IncidentType, TaskState | null> = {
  'agent.offline': 'AGENT_OFFLINE',
  'collection.failed': 'FAILED',
  'agent.unknown': 'UNKNOWN_AGENT',
  'port.opened': null,
  'process.suspicious': null,
};

/** The kinds an event is about, for KINDS (null: every kind). */
function kindsOf(event: BridgeEvent): readonly TaskKind[] | null {
  // An agent.unwatched event is about every kind it stopped: a sink takes it when it takes any of them.
  if (event.type === 'com.tencentcloud.cwp.agent.unwatched') return event.data.kinds;
  // A scan.status.changed event (cwp) is about the account's scan, not a kind: KINDS does not filter it (EVENT_TYPES does).
  if (event.type === 'com.tencentcloud.cwp.scan.status.changed') return null;
  if (event.type === 'com.tencentcloud.cwp.incident.changed') return event.data.kind === undefined ? null : [event.data.kind];
  if (isNotice(event)) return null;
  return [event.data.kind];
}

/** The task state an event is about, for STATES (null: it has none, and STATES lets it through). */
function stateOf(event: BridgeEvent): TaskState | null {
  if (event.type === 'com.tencentcloud.cwp.task.status.changed') return event.data.state;
  if (event.type === 'com.tencentcloud.cwp.incident.changed') return INCIDENT_STATE[event.data.type];
  return null;
}

/** Whether a sink with this route takes the event. */
export function routeAccepts(route: EventRoute, event: BridgeEvent): boolean {
  if (SEVERITY_RANK[event.data.severity] < SEVERITY_RANK[route.minSeverity]) return false;
  const kinds = kindsOf(event);
  if (route.kinds && kinds !== null && !kinds.some((k) => route.kinds!.includes(k))) return false;
  // A notice (a silence that ended) is about incidents: a robot takes it when it takes incident.changed.
  const type = isNotice(event) ? 'com.tencentcloud.cwp.incident.changed' : event.type;
  if (route.types && !route.types.includes(type)) return false;
  const state = stateOf(event);
  if (route.states && state !== null && !route.states.includes(state)) return false;
  return true;
}

/** Whether the route lets every event through (then a sink needs no accepts()); silences aside. */
export function routesEverything(route: EventRoute): boolean {
  return route.minSeverity === 'info' && route.kinds === null && route.states === null && route.types === null;
}

/** The sink with `accepts` set from its route (left as it is when the route takes every event), and ignoresSilences. */
export function withRoute<S extends Sink>(sink: S, route: EventRoute): S {
  if (!routesEverything(route)) sink.accepts = (event) => routeAccepts(route, event);
  if (route.ignoreSilences) (sink as { ignoresSilences?: boolean }).ignoresSilences = true;
  return sink;
}
