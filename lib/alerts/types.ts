// The vocabulary of alerts: what an incident is about and where it stands, the incident record the store keeps,
// and the writes the rules (rules.ts) hand the store. The event that tells a receiver of a change is in
// lib/events (incident.changed).
import type { IncidentAgent, IncidentChangedEvent, Severity } from '../events/types';
import type { TaskKind } from '../types';

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

/** What a timeline entry records: the incident opened, fired, was repeated, acknowledged, resolved, or saw an event. */
export type TimelineWhat = 'opened' | 'fired' | 'repeated' | 'acknowledged' | 'resolved' | 'event';

/**
 * One line of an incident's timeline. `eventId`: on `event`, the state or results event that changed it; on a
 * notification (fired, repeated, acknowledged, resolved), the incident.changed event that told of it (none for a
 * pending incident that resolved unseen).
 */
export interface TimelineEntry {
  /** Epoch ms. */
  at: number;
  what: TimelineWhat;
  eventId?: string;
  /** On `acknowledged`: who, and what they said. */
  by?: string;
  comment?: string;
}

/**
 * An incident as the store keeps it. Times are epoch ms. One record per episode: the same subject opening again
 * after it resolved is a new incident with a new key.
 */
export interface Incident {
  /** Unique per episode, `[a-z0-9.-]` only (no encoding in a path; a valid PagerDuty dedup_key). */
  key: string;
  /** What it is about, unique among open incidents: `agent.offline/<uuid>`, `collection.failed/<uuid>/<kind>`, … */
  subject: string;
  type: IncidentType;
  state: IncidentState;
  acknowledged: boolean;
  acknowledgedBy?: string;
  acknowledgedAt?: number;
  ackComment?: string;
  severity: Severity;
  agent: IncidentAgent;
  /**
   * What it is about, where its type has it: the kind (collection.failed; `port` for port.opened, `process` for
   * process.suspicious: the collection that found it); the port and its process; the process.
   */
  kind?: TaskKind;
  port?: number;
  processName?: string;
  fullPath?: string;
  username?: string;
  /** One line a person reads: "web-01 (10.0.0.5) offline". */
  summary: string;
  openedAt: number;
  firingAt: number | null;
  resolvedAt: number | null;
  resolvedReason?: ResolvedReason;
  /** The state and results events that changed it, bounded (the first few and the latest). */
  eventIds: string[];
  /** The compare-and-set token: 1 when opened, one more with every write. */
  revision: number;
  /** While pending: when it fires. */
  fireAt: number | null;
  /** While firing, unacknowledged, with repeats on: when it is notified again. */
  nextRepeatAt: number | null;
  /** How many repeats were notified. */
  repeats: number;
  /** Whether its firing was notified: false while a silence or maintenance window holds it back. */
  notified: boolean;
  /** The silences and maintenance windows that held back its last notification (ids), while they do. */
  silencedBy?: string[];
  /** Bounded: the first few entries and the latest. */
  timeline: TimelineEntry[];
}

/**
 * One incident write of an atomic step: the incident as it is to be stored, the revision it was computed from (0:
 * a new incident, which applies only while no open incident has its subject), and the incident.changed event to
 * append to the outbox with it, if the change is one a receiver is told of.
 */
export interface IncidentWrite {
  incident: Incident;
  expectedRevision: number;
  event: IncidentChangedEvent | null;
  /** The event is held back by a silence or window: only sinks with <P>_IGNORE_SILENCES=true are sent it. */
  silenced?: boolean;
}

/** A page of GET /v1/incidents. */
export interface IncidentQuery {
  state?: IncidentState;
  type?: IncidentType;
  uuid?: string;
  limit: number;
  /** Opaque: where the previous page stopped (rules.ts in lib/state encodes it). */
  cursor?: string;
}

export interface IncidentPage {
  incidents: Incident[];
  /** Null at the end. */
  nextCursor: string | null;
}

// ------------------------------------------------------------------------------------- quiet rules

/** What a matcher looks at: the agent (uuid, machineName, machineIp, tag) or the incident (type, kind, port, processName). */
export type MatcherName = 'uuid' | 'machineName' | 'machineIp' | 'tag' | 'type' | 'kind' | 'port' | 'processName';
export const MATCHER_NAMES: readonly MatcherName[] = ['uuid', 'machineName', 'machineIp', 'tag', 'type', 'kind', 'port', 'processName'];
/** `=` equal, `!=` not equal, `glob` (`*` any run, `?` one character; nothing else is special), `cidr` (machineIp only). */
export type MatcherOp = '=' | '!=' | 'glob' | 'cidr';
export const MATCHER_OPS: readonly MatcherOp[] = ['=', '!=', 'glob', 'cidr'];

export interface Matcher {
  name: MatcherName;
  value: string;
  op: MatcherOp;
}

/** Who made a quiet rule, and why (required on every one). Times are epoch ms. */
interface QuietRuleBase {
  id: string;
  matchers: Matcher[];
  createdBy: string;
  comment: string;
  createdAt: number;
}

/** A one-off silence: matching incidents are not notified from startsAt until endsAt (DELETE ends it early). */
export interface Silence extends QuietRuleBase {
  startsAt: number;
  endsAt: number;
  /** Made with `force: true` past the too_broad check. */
  force?: boolean;
  /** Set when DELETE ended it before endsAt (endsAt is then that time). */
  endedBy?: string;
}

export type Weekday = 'Sun' | 'Mon' | 'Tue' | 'Wed' | 'Thu' | 'Fri' | 'Sat';
export const WEEKDAYS: readonly Weekday[] = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/**
 * A recurring maintenance window: on `days`, from `start` to `end` (`HH:MM`, wall-clock time in `timezone`; an end at
 * or before the start runs past midnight into the next day). Inside it, matching incidents behave as silenced.
 */
export interface MaintenanceWindow extends QuietRuleBase {
  days: Weekday[];
  start: string;
  end: string;
  timezone: string;
  /** `api` (POST /v1/maintenance) or `config` (ALERT_MAINTENANCE, read-only through the API). */
  origin: 'api' | 'config';
}

export interface ExpectedPort {
  port: number;
  processName?: string;
}
export interface ExpectedProcess {
  processName: string;
  fullPath?: string;
}

/** What is expected to run where: a port.opened or process.suspicious it covers opens no incident. */
export interface Expectation extends QuietRuleBase {
  ports: ExpectedPort[];
  processes: ExpectedProcess[];
}

export type QuietKind = 'silence' | 'window' | 'expectation';
export type QuietRule = Silence | MaintenanceWindow | Expectation;

/** How often a rule took effect: incidents a silence or window held back, incidents an expectation did not open. */
export interface QuietHits {
  hits: number;
  lastHitAt: number | null;
}

/** Every quiet rule the store holds, with its hits: what a sweep reads once and matches in memory. */
export interface QuietRules {
  silences: Array<Silence & QuietHits & { endNoticed: boolean }>;
  windows: Array<MaintenanceWindow & QuietHits>;
  expectations: Array<Expectation & QuietHits>;
}

/** Hits to add to one rule (QuietPort.addQuietHits). */
export interface QuietHit {
  kind: QuietKind;
  id: string;
  count: number;
  at: number;
}
