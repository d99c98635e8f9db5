// The event of an incident a person on call is told of (lib/alerts): it started firing, still fires and nobody
// acknowledged it (a repeat), was acknowledged, or resolved. Subject: the incident key, which is what a receiver
// passes as PagerDuty's dedup_key. A pending incident that resolves before it fires has no event.
import type { Incident, IncidentNotification } from '../alerts/types';
import { eventId } from './ids';
import type { IncidentChangedData, IncidentChangedEvent } from './types';

export const INCIDENT_CHANGED = 'com.tencentcloud.cwp.incident.changed';

/**
 * Stable for one notification of one incident in one store: (key, notification, repeat number). A racing sweep that
 * computes the same notification builds the same id, and a receiver can dedupe on it. The one place the id is made.
 */
export function incidentEventId(storeId: string, key: string, notification: IncidentNotification, repeat: number): string {
  return eventId(storeId, [INCIDENT_CHANGED, key, notification, notification === 'repeat' ? repeat : 0]);
}

/** The id of the firing notified when a silence or window that held it back no longer does (one per incident). */
export function releasedEventId(storeId: string, key: string): string {
  return eventId(storeId, [INCIDENT_CHANGED, key, 'firing', 'released']);
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * The event telling of `incident` (in the store `storeId`) as it now is (the state after the change), `notification` saying why, sent at
 * `at`; `previous` is the state it left (null when it fired as it opened).
 */
export function buildIncidentChangedEvent(storeId: string, source: string, incident: Incident, notification: IncidentNotification, previous: IncidentChangedData['previous'], at: number): IncidentChangedEvent {
  const i = incident;
  const until = i.resolvedAt ?? at;
  const data: IncidentChangedData = {
    key: i.key,
    type: i.type,
    uuid: i.agent.uuid,
    state: i.state === 'resolved' ? 'resolved' : 'firing',
    previous,
    notification,
    acknowledged: i.acknowledged,
    ...(i.acknowledgedBy !== undefined ? { acknowledgedBy: i.acknowledgedBy } : {}),
    ...(i.ackComment !== undefined ? { comment: i.ackComment } : {}),
    severity: i.severity,
    agent: { ...i.agent },
    summary: i.summary,
    openedAt: iso(i.openedAt)!,
    firingAt: iso(i.firingAt),
    resolvedAt: iso(i.resolvedAt),
    durationSeconds: Math.max(0, Math.floor((until - i.openedAt) / 1000)),
    ...(notification === 'resolved' && i.resolvedReason ? { reason: i.resolvedReason } : {}),
    ...(notification === 'repeat' ? { repeat: i.repeats } : {}),
    ...(i.kind !== undefined ? { kind: i.kind } : {}),
    ...(i.port !== undefined ? { port: i.port } : {}),
    ...(i.processName !== undefined ? { processName: i.processName } : {}),
    ...(i.fullPath !== undefined ? { fullPath: i.fullPath } : {}),
    ...(i.username !== undefined ? { username: i.username } : {}),
    eventIds: [...i.eventIds],
  };
  return {
    specversion: '1.0',
    type: INCIDENT_CHANGED,
    source,
    id: incidentEventId(storeId, i.key, notification, i.repeats),
    subject: i.key,
    time: new Date(at).toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}
