// The events the bridge publishes (CloudEvents 1.0, structured JSON) and the items they list; their JSON Schemas
// are in schemas/. The other domain types are in lib/types.ts.
import type { IncidentNotification, IncidentType, ResolvedReason } from '../alerts/types';
import type { ScanState, TaskKind, TaskState } from '../types';

export type Severity = 'info' | 'warning';

/** The `data` of a status-change event (schemas/com.tencentcloud.cwp.task.status.changed.json). */
export interface StatusChangeData {
  uuid: string;
  kind: TaskKind;
  previous: TaskState | null;
  state: TaskState;
  severity: Severity;
  /** ISO 8601 */
  observedAt: string;
  requestId: string;
  /** The CWP action that reads the results after COMPLETE; null otherwise. */
  next: 'DescribeProcesses' | 'DescribeOpenPorts' | null;
  /** The machine's name and private IP, when the machine listing (WATCH_DISCOVER) has them. */
  machineName?: string;
  machineIp?: string;
}

/** A listening port and the process that holds it, as a snapshot keeps it and an event lists it (lib/results). */
export interface PortItem {
  port: number;
  pid: number;
  processName: string;
  /** tcp or udp, and the address it listens on: the cwp inventory has them (yunjing's OpenPort has not); not part of the identity. */
  proto?: string;
  bindIp?: string;
}

/** A running process, as a snapshot keeps it and an event lists it (lib/results). */
export interface ProcessItem {
  pid: number;
  ppid: number;
  processName: string;
  username: string;
  fullPath: string;
}

/** What both results-changed events carry beside their items. */
interface ResultsChangeCommon {
  uuid: string;
  /** True counts, even when the lists are cut. */
  addedCount: number;
  removedCount: number;
  /** Items in the new snapshot. */
  total: number;
  /** Some added or removed items are not listed (more than 50 of either). */
  truncated: boolean;
  severity: Severity;
  /** ISO 8601: when this snapshot and the one before were read. */
  takenAt: string;
  previousTakenAt: string;
  /** Tencent's RequestId of the read's last page. */
  requestId: string;
  /** The machine's name and private IP, when the machine listing (WATCH_DISCOVER) has them. */
  machineName?: string;
  machineIp?: string;
}

/** The `data` of a ports.changed event (schemas/com.tencentcloud.cwp.ports.changed.json). */
export interface PortsChangeData extends ResultsChangeCommon {
  kind: 'port';
  added: PortItem[];
  removed: PortItem[];
}

/** The `data` of a processes.changed event (schemas/com.tencentcloud.cwp.processes.changed.json). */
export interface ProcessesChangeData extends ResultsChangeCommon {
  kind: 'process';
  added: ProcessItem[];
  removed: ProcessItem[];
}

interface CloudEventEnvelope {
  specversion: '1.0';
  source: string;
  id: string;
  /** `<uuid>/<kind>` */
  subject: string;
  time: string;
  datacontenttype: 'application/json';
}

/** A task changed state (CloudEvents 1.0, structured JSON mode). */
export interface StatusChangedEvent extends CloudEventEnvelope {
  type: 'com.tencentcloud.cwp.task.status.changed';
  data: StatusChangeData;
}

/** The open ports of a host changed between two collections. */
export interface PortsChangedEvent extends CloudEventEnvelope {
  type: 'com.tencentcloud.cwp.ports.changed';
  data: PortsChangeData;
}

/** The processes of a host changed between two collections. */
export interface ProcessesChangedEvent extends CloudEventEnvelope {
  type: 'com.tencentcloud.cwp.processes.changed';
  data: ProcessesChangeData;
}

/** The `data` of an agent.unwatched event (schemas/com.tencentcloud.cwp.agent.unwatched.json). */
export interface AgentUnwatchedData {
  uuid: string;
  /** Why: the machine listing no longer has it (two whole listings in a row). */
  reason: 'not-listed';
  /** The kinds that are no longer checked. */
  kinds: TaskKind[];
  severity: Severity;
  machineName?: string;
  machineIp?: string;
  /** ISO 8601: when a listing last had it, and when it was unwatched. */
  lastSeenAt: string;
  unwatchedAt: string;
}

/** A discovered agent left the watch list: its machine is gone from the listing. Subject: the uuid. */
export interface AgentUnwatchedEvent extends Omit<CloudEventEnvelope, 'subject'> {
  type: 'com.tencentcloud.cwp.agent.unwatched';
  /** `<uuid>` */
  subject: string;
  data: AgentUnwatchedData;
}

/** The agent an incident is about, with its machine's name and IP when the machine listing has them. */
export interface IncidentAgent {
  uuid: string;
  machineName?: string;
  machineIp?: string;
}

/**
 * The `data` of an incident.changed event (schemas/com.tencentcloud.cwp.incident.changed.json): an incident started
 * firing, fires still (a repeat), was acknowledged, or resolved. A pending incident that resolves before it fires
 * (a blip shorter than ALERT_OFFLINE_FOR) is never told.
 */
export interface IncidentChangedData {
  /** Stable for the incident, URL-safe: what a receiver passes as PagerDuty's dedup_key. */
  key: string;
  type: IncidentType;
  /** The agent's Uuid (also agent.uuid): every event type's data has it, so a consumer filters by agent alike. */
  uuid: string;
  state: 'firing' | 'resolved';
  /** The state before: pending (it waited ALERT_OFFLINE_FOR), firing, or null when it fired at once. */
  previous: 'pending' | 'firing' | null;
  notification: IncidentNotification;
  acknowledged: boolean;
  /** Who acknowledged it, and what they said (on an acknowledged notification and after). */
  acknowledgedBy?: string;
  comment?: string;
  severity: Severity;
  agent: IncidentAgent;
  /** One line a person reads: "web-01 (10.0.0.5) offline". */
  summary: string;
  /** ISO 8601. */
  openedAt: string;
  firingAt: string | null;
  resolvedAt: string | null;
  /** From openedAt to resolvedAt, or to this notification while it is not resolved. */
  durationSeconds: number;
  /** On a resolved notification: why. */
  reason?: ResolvedReason;
  /** On a repeat: how many times it has been repeated (1, 2, ...). */
  repeat?: number;
  /** What the incident is about, where its type has it: the collection kind, the port, the process. */
  kind?: TaskKind;
  port?: number;
  processName?: string;
  fullPath?: string;
  username?: string;
  /** The ids of the events that changed the incident (its state events and result changes), oldest first. */
  eventIds: string[];
}

/** An incident changed (CloudEvents 1.0, structured JSON mode). Subject: the incident key. */
export interface IncidentChangedEvent extends CloudEventEnvelope {
  type: 'com.tencentcloud.cwp.incident.changed';
  data: IncidentChangedData;
}

/** The `data` of a scan.status.changed event (schemas/com.tencentcloud.cwp.scan.status.changed.json). */
export interface ScanStatusChangeData {
  /** The scan's TaskId (0 while the account has had none). */
  taskId: number;
  state: ScanState;
  /** The state last published; null on the first observation. */
  previous: ScanState | null;
  severity: Severity;
  /** ISO 8601, as CWP gave them (null when it gave none, or while the scan runs). */
  startedAt: string | null;
  endedAt: string | null;
  observedAt: string;
  requestId: string;
}

/** The account's asset scan changed state (cwp only). Subject: `scan`. */
export interface ScanStatusChangedEvent extends Omit<CloudEventEnvelope, 'subject'> {
  type: 'com.tencentcloud.cwp.scan.status.changed';
  /** `scan` */
  subject: string;
  data: ScanStatusChangeData;
}

/** Every event about an agent: its subject and `data.uuid` name one (on either CWP API). */
export type CloudEvent = StatusChangedEvent | PortsChangedEvent | ProcessesChangedEvent | AgentUnwatchedEvent | IncidentChangedEvent;

/** The `data` of a silence.ended notice: the silence, and what it held back. */
export interface SilenceEndedData {
  silenceId: string;
  createdBy: string;
  comment: string;
  /** ISO 8601: when it ended (its endsAt, or when it was ended early). */
  endedAt: string;
  /** Who ended it early (DELETE /v1/silences/{id}), when someone did. */
  endedBy?: string;
  /** How many incidents it held back. */
  heldBack: number;
  /** How many of those were still firing when it ended (notified as released firings of their own); null: not known. */
  stillFiring: number | null;
  severity: Severity;
}

/**
 * A notice to the people reading the chat robots, not a public event: a silence that held something back ended.
 * Not in EVENT_TYPES and without a schema; the outbox carries it like every event, and only the sinks that take
 * notices (the chat robots, Sink.takesNotices) are sent it. Subject: `silence:<id>`.
 */
export interface SilenceEndedNotice extends Omit<CloudEventEnvelope, 'subject'> {
  type: 'com.tencentcloud.cwp.notice.silence.ended';
  subject: string;
  data: SilenceEndedData;
}

/** Every event the bridge publishes: the agents' (CloudEvent) and, on cwp, the account's scan. */
export type PublicEvent = CloudEvent | ScanStatusChangedEvent;

/** What the outbox carries: every published event, and the notices only the chat robots take. */
export type BridgeEvent = PublicEvent | SilenceEndedNotice;

/** Every event type the bridge publishes (schemas/*.json), in the order settings and errors list them. */
export const EVENT_TYPES = [
  'com.tencentcloud.cwp.task.status.changed', 'com.tencentcloud.cwp.ports.changed', 'com.tencentcloud.cwp.processes.changed', 'com.tencentcloud.cwp.agent.unwatched',
  'com.tencentcloud.cwp.incident.changed',
  'com.tencentcloud.cwp.scan.status.changed',
] as const satisfies readonly BridgeEvent['type'][];
export type EventType = (typeof EVENT_TYPES)[number];
