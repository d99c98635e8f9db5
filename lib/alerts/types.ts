// The vocabulary of alerts: what an incident is about and where it stands. The incident record and its rules are
// built on these in lib/alerts; the event that tells a receiver of a change is in lib/events (incident.changed).

/**
 * What an incident is about. `agent.offline`: one per agent, whatever the number of kinds. `collection.failed`:
 * per agent and kind. `agent.unknown`: CWP does not know the agent. `port.opened`: per agent, port and process.
 * `process.suspicious`: per agent and process identity, for a process started from a world-writable or hidden
 * place, or named in ALERT_PROCESS_NAMES.
 */
export type IncidentType = 'agent.offline' | 'collection.failed' | 'agent.unknown' | 'port.opened' | 'process.suspicious';
export const INCIDENT_TYPES: readonly IncidentType[] = ['agent.offline', 'collection.failed', 'agent.unknown', 'port.opened', 'process.suspicious'];

/** `pending`: opened, not yet notified (an agent offline for less than ALERT_OFFLINE_FOR). `firing`, `resolved`. */
export type IncidentState = 'pending' | 'firing' | 'resolved';
export const INCIDENT_STATES: readonly IncidentState[] = ['pending', 'firing', 'resolved'];

/**
 * Why a notification was sent: the incident started firing, is still firing and nobody acknowledged it
 * (ALERT_REPEAT_EVERY), was acknowledged, or resolved.
 */
export type IncidentNotification = 'firing' | 'repeat' | 'acknowledged' | 'resolved';

/** Why an incident resolved: the condition ended, its agent is no longer watched, or a person accepted it. */
export type ResolvedReason = 'recovered' | 'unwatched' | 'accepted';
