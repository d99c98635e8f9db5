// Routing per sink (issue #13): which events one sink takes, from its <PREFIX>_MIN_SEVERITY, _KINDS, _STATES and
// _EVENT_TYPES settings (lib/config/routing.ts parses them for every prefix the sink kinds declare). A pure
// predicate, so deliver.ts can ask it of every event through Sink.accepts, and so the rules read and test as a table.
//
// Semantics: every setting that is set must match (AND); an unset one matches everything. STATES looks at the
// state of status.changed events only: a ports.changed or processes.changed event has no state and passes it
// (leave those out with EVENT_TYPES). Severity is ordered info < warning: MIN_SEVERITY=warning keeps warnings.
// An agent.unwatched event (WATCH_DISCOVER) names the kinds it stopped: KINDS takes it if any of them matches.
import type { EventRoute } from '../config/routing';
import type { BridgeEvent, Severity } from '../events/types';
import type { Sink } from './sink';

export { EVERY_EVENT, type EventRoute } from '../config/routing';
export { EVENT_TYPES, type EventType } from '../events/types';

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1 };

/** Whether a sink with this route takes the event. */
export function routeAccepts(route: EventRoute, event: BridgeEvent): boolean {
  if (SEVERITY_RANK[event.data.severity] < SEVERITY_RANK[route.minSeverity]) return false;
  // An agent.unwatched event is about every kind it stopped: a sink takes it when it takes any of them.
  // A scan.status.changed event (cwp) is about the account's scan, not a kind: KINDS does not filter it (EVENT_TYPES does).
  const kinds = event.type === 'com.tencentcloud.cwp.agent.unwatched' ? event.data.kinds : event.type === 'com.tencentcloud.cwp.scan.status.changed' ? null : [event.data.kind];
  if (route.kinds && kinds && !kinds.some((k) => route.kinds!.includes(k))) return false;
  if (route.types && !route.types.includes(event.type)) return false;
  if (route.states && event.type === 'com.tencentcloud.cwp.task.status.changed' && !route.states.includes(event.data.state)) return false;
  return true;
}

/** Whether the route lets everything through (then a sink needs no accepts()). */
export function routesEverything(route: EventRoute): boolean {
  return route.minSeverity === 'info' && route.kinds === null && route.states === null && route.types === null;
}

/** The sink with `accepts` set from its route (left as it is when the route takes every event). */
export function withRoute<S extends Sink>(sink: S, route: EventRoute): S {
  if (!routesEverything(route)) sink.accepts = (event) => routeAccepts(route, event);
  return sink;
}
