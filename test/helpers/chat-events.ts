// Events for the chat sink tests: status changes and ports/processes changes of numbered agents, with the
// machine name and IP the discovery of #12 adds to status events; incident.changed events made by the alert rules.
import { buildResultsChangedEvent, buildStatusChangedEvent } from '../../lib/events';
import { acknowledgeIncident, incidentForClock, incidentsForResultsChange, incidentsForStatusChange, resolveIncident, type AlertContext } from '../../lib/alerts/rules';
import { INCIDENT_TYPES, type IncidentWrite, type ResolvedReason } from '../../lib/alerts/types';
import type { TaskKind, TaskState } from '../../lib/types';
import type { CloudEvent, IncidentChangedEvent, PortItem, ProcessItem } from '../../lib/events/types';
import { TEST_STORE_ID } from './events';

export const T0 = Date.parse('2026-11-24T10:00:00Z');

/** The Uuid of demo agent `i` (distinct, valid 8-4-4-4-12). */
export function agentUuid(i: number): string {
  const hex = i.toString(16).padStart(12, '0');
  return `6b6cd843-6bc1-4011-a74c-${hex}`;
}

export function statusEvent(i: number, previous: TaskState | null, state: TaskState, options: { machine?: boolean; version?: number; at?: number } = {}): CloudEvent {
  const e = buildStatusChangedEvent({ storeId: TEST_STORE_ID, source: '/cwp-task-bridge/ap-guangzhou', uuid: agentUuid(i), kind: 'process', previous, state, version: options.version ?? 1, observedAt: options.at ?? T0 + i, requestId: `req-${i}` });
  if (options.machine !== false) Object.assign(e.data, { machineName: `web-${String(i).padStart(2, '0')}`, machineIp: `10.0.${Math.floor(i / 256)}.${i % 256}` });
  return e;
}

/** `n` agents that went offline in one sweep. */
export function offlineEvents(n: number, from = 0): CloudEvent[] {
  return Array.from({ length: n }, (_, k) => statusEvent(from + k, 'COLLECTING', 'AGENT_OFFLINE'));
}

export function portsEvent(i: number, added: number, removed = 0): CloudEvent {
  return buildResultsChangedEvent({ storeId: TEST_STORE_ID,
    source: '/cwp-task-bridge/ap-guangzhou', uuid: agentUuid(i), kind: 'port',
    added: Array.from({ length: Math.min(added, 50) }, (_, k) => ({ port: 20000 + k, pid: 100 + k, processName: 'nginx' })),
    removed: Array.from({ length: Math.min(removed, 50) }, (_, k) => ({ port: 80 + k, pid: 900 + k, processName: 'httpd' })),
    addedCount: added, removedCount: removed, total: 10 + added, truncated: added > 50 || removed > 50,
    takenAt: T0 + i, previousTakenAt: T0 - 600_000, requestId: `req-p-${i}`, forVersion: 2,
  });
}

const INCIDENT_CONTEXT: AlertContext = { storeId: TEST_STORE_ID, source: '/cwp-task-bridge/ap-guangzhou', settings: { offlineForMs: 0, repeatEveryMs: 4 * 3_600_000, processNames: [], types: [...INCIDENT_TYPES], retentionMs: 86_400_000 } };

/** What an incident opened at `at` by one observation (a status change or a results change) of agent `i`. */
type Opening = { status: TaskState; kind?: TaskKind } | { port: PortItem } | { process: ProcessItem };

/**
 * The incident.changed events of one incident of demo agent `i` (machine web-<i>, 10.0.<i/256>.<i%256>): it fires
 * at `at`; with `resolvedAt` it resolves then (`reason` recovered, or unwatched); with `repeatAt` it repeats then;
 * with `ackBy` it is acknowledged (at `at` + 1 min).
 */
export function incidentEvents(i: number, opening: Opening, options: { at?: number; resolvedAt?: number; reason?: ResolvedReason; repeatAt?: number; ackBy?: string; comment?: string; machine?: boolean } = {}): { firing: IncidentChangedEvent; resolved?: IncidentChangedEvent; repeat?: IncidentChangedEvent; acknowledged?: IncidentChangedEvent } {
  const at = options.at ?? T0;
  const machine = options.machine === false ? undefined : { name: `web-${String(i).padStart(2, '0')}`, ip: `10.0.${Math.floor(i / 256)}.${i % 256}` };
  const uuid = agentUuid(i);
  let writes: IncidentWrite[];
  if ('status' in opening) writes = incidentsForStatusChange(INCIDENT_CONTEXT, { uuid, kind: opening.kind ?? 'process', state: opening.status, eventId: `ev-${i}`, at, ...(machine ? { machine } : {}), open: [] });
  else if ('port' in opening) writes = incidentsForResultsChange(INCIDENT_CONTEXT, { uuid, kind: 'port', previous: [], current: [opening.port], eventId: `ev-${i}`, at, ...(machine ? { machine } : {}), open: [] }).writes;
  else writes = incidentsForResultsChange(INCIDENT_CONTEXT, { uuid, kind: 'process', previous: [], current: [opening.process], eventId: `ev-${i}`, at, ...(machine ? { machine } : {}), open: [] }).writes;
  const fired = writes[0]!;
  const out: ReturnType<typeof incidentEvents> = { firing: fired.event! };
  let incident = fired.incident;
  if (options.repeatAt !== undefined) {
    const w = incidentForClock(INCIDENT_CONTEXT, incident, options.repeatAt);
    out.repeat = w.event!;
    incident = w.incident;
  }
  if (options.ackBy !== undefined) {
    const w = acknowledgeIncident(INCIDENT_CONTEXT, incident, options.ackBy, options.comment, at + 60_000);
    if (typeof w === 'string') throw new Error(`acknowledgement refused: ${w}`);
    out.acknowledged = w.event!;
    incident = w.incident;
  }
  if (options.resolvedAt !== undefined) out.resolved = resolveIncident(INCIDENT_CONTEXT, incident, options.reason ?? 'recovered', options.resolvedAt, null).event!;
  return out;
}

/** `n` agents offline at `at` (firing at once), each back at `backAt` when given. */
export function offlineIncidents(n: number, from = 0, at = T0, backAt?: number): { firing: IncidentChangedEvent[]; resolved: IncidentChangedEvent[] } {
  const all = Array.from({ length: n }, (_, k) => incidentEvents(from + k, { status: 'AGENT_OFFLINE' }, { at, ...(backAt !== undefined ? { resolvedAt: backAt } : {}) }));
  return { firing: all.map((e) => e.firing), resolved: all.flatMap((e) => (e.resolved ? [e.resolved] : [])) };
}
