// What a chat message says, before any vendor's markup: a structured summary of one event, or a digest of
// several grouped by what happened. The vendor files (wecom.ts, dingtalk.ts, feishu.ts, slack.ts) render it to
// their markdown, card or blocks; this file owns the wording.
//
// One glance must tell a reader what happened (the agent, its machine name and IP when the event has them, the
// kind, previous -> state, or the ports and processes that changed), how bad it is, when, and what to do next.
// Every value that comes from outside (machine names, process names and paths) goes through `clean`, which drops
// the characters the four markdown dialects give meaning to, so an event can never restyle or break a message.
import type { IncidentNotification, IncidentType } from '../../alerts/types';
import type { ScanState, TaskState } from '../../types';
import type { BridgeEvent, IncidentChangedEvent, PortItem, ProcessItem, Severity, SilenceEndedNotice } from '../../events/types';
import { isNotice } from '../../events/silence-ended';
import type { EventFields } from './template';
import { DEFAULT_WORDING, incidentGroupHeading, incidentLine, incidentPhrase, type HostNames, type Wording } from './incident-wording';

export { EVENT_FIELDS, type EventField, type EventFields } from './template';
export { DEFAULT_CHAT_TIMEZONE, DEFAULT_WORDING, type Wording } from './incident-wording';

/** One labelled fact of a single-event message ("State: COLLECTING -> AGENT_OFFLINE"). */
export interface Fact {
  label: string;
  value: string;
}

/** One group of a message: a single event's facts, or one "what happened" of a digest. */
export interface MessageSection {
  /** "Agent went offline: web-01 (10.0.0.5)" or "23 agents went offline". */
  heading: string;
  severity: Severity;
  /** A single event's facts (labelled); a digest's listed events (label ''), the first N of the group. */
  facts: Fact[];
  /** Events of the group not listed (counted only: "and 13 more"). */
  more: number;
  /** What to do next. */
  action: string;
}

export interface ChatMessage {
  /** The notification's one line (push preview, card header, DingTalk's `title`). */
  title: string;
  /** The highest severity of what it carries. */
  severity: Severity;
  sections: MessageSection[];
  /** The events it carries, each once (a digest lists some and counts the rest; all of them are carried). */
  eventIds: string[];
  /** A template's rendering (WECOM_TEMPLATE, …), used by the vendor instead of the sections; single events only. */
  text?: string;
  /** "cwp-task-bridge · 2026-11-24T10:00:00Z" */
  footer: string;
  /** One-click links (a firing incident's Acknowledge and Silence 1 h: links.ts), rendered by each vendor. */
  links?: ChatLink[];
}

/** A link a message carries: its label and its (signed) URL. */
export interface ChatLink {
  label: string;
  url: string;
}


/** Longest value shown for one fact; longer ones are cut with "…" (a path, a very long machine name). */
const MAX_VALUE_CHARS = 200;
/** Items of a ports/processes change named in one event's "changes"; the rest are counted. */
const CHANGED_ITEMS_SHOWN = 5;

/** `s` without the characters that are markup in WeCom/DingTalk/Feishu markdown or Slack mrkdwn, on one line, cut. */
export function clean(s: string, max = MAX_VALUE_CHARS): string {
  const one = s.replace(/[*_`~<>[\]|#&\\]/g, ' ').replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

const STATE_WHAT: Record<TaskState, string> = {
  AGENT_OFFLINE: 'Agent went offline',
  COMPLETE: 'Collection completed',
  FAILED: 'Collection failed',
  COLLECTING: 'Collection started',
  NO_TASK: 'No collection task',
  UNKNOWN_AGENT: 'Agent unknown to CWP',
};

/** A digest heading per state: "23 agents went offline". */
const STATE_GROUP: Record<TaskState, (n: number) => string> = {
  AGENT_OFFLINE: (n) => `${n} ${n === 1 ? 'agent' : 'agents'} went offline`,
  COMPLETE: (n) => `${n} ${n === 1 ? 'collection' : 'collections'} completed`,
  FAILED: (n) => `${n} ${n === 1 ? 'collection' : 'collections'} failed`,
  COLLECTING: (n) => `${n} ${n === 1 ? 'collection' : 'collections'} started`,
  NO_TASK: (n) => `${n} ${n === 1 ? 'agent has' : 'agents have'} no collection task`,
  UNKNOWN_AGENT: (n) => `${n} ${n === 1 ? 'agent is' : 'agents are'} unknown to CWP`,
};

const STATE_ACTION: Record<TaskState, string> = {
  AGENT_OFFLINE: 'Check that the host is up and its CWP agent is running; the bridge keeps checking and says when it is back.',
  FAILED: 'Start the collection again (POST /v1/collections/{uuid} or the CWP console); repeated failures point at the agent.',
  COMPLETE: 'Nothing to do: the results are read next, and what changed follows as its own message.',
  COLLECTING: 'Nothing to do: a message follows when it ends.',
  NO_TASK: 'Nothing to do; start a collection if you expected one.',
  UNKNOWN_AGENT: 'Check the Uuid in WATCH_UUIDS or the watch list: CWP does not know this agent.',
};

const KIND_LABEL = { process: 'process collection', port: 'open-port collection' } as const;

const UNWATCHED_WHAT = 'Agent no longer watched';
const UNWATCHED_ACTION = 'The machine listing (WATCH_DISCOVER) has not had this machine for two listings: nothing to do if it was retired; if not, check WATCH_DISCOVER_FILTERS and the machine in the CWP console.';

/** What an incident.changed message says happened, by notification. */
const INCIDENT_WHAT: Record<IncidentNotification, string> = {
  firing: 'Incident firing',
  repeat: 'Still firing',
  acknowledged: 'Incident acknowledged',
  resolved: 'Incident resolved',
};

/** What to do about a firing incident of each type. */
const INCIDENT_ACTION: Record<IncidentType, string> = {
  'agent.offline': STATE_ACTION.AGENT_OFFLINE,
  'collection.failed': STATE_ACTION.FAILED,
  'agent.unknown': STATE_ACTION.UNKNOWN_AGENT,
  'port.opened': 'Check that the port is expected on this host; the incident resolves when a collection no longer lists it.',
  'process.suspicious': 'Check the process (name, path, user): it runs from a world-writable or hidden place, or its name is on ALERT_PROCESS_NAMES.',
};

/** What to do after a notification: the type's action while it fires; nothing once acknowledged or resolved. */
function incidentAction(e: IncidentChangedEvent): string {
  const d = e.data;
  if (d.notification === 'resolved') return 'Nothing to do: it is over.';
  if (d.notification === 'acknowledged') return 'Acknowledged: no repeats until it resolves.';
  return `${INCIDENT_ACTION[d.type]} Acknowledge with POST /v1/incidents/${d.key}/ack to stop the repeats.`;
}

/** A firing a silence or maintenance window held back, notified when none held it back any longer (previous: firing). */
const isReleased = (e: IncidentChangedEvent): boolean => e.data.notification === 'firing' && e.data.previous === 'firing';

/** "pending -> firing", "firing -> resolved (recovered)", "firing, acknowledged by alice", "firing (held back by a silence)". */
function incidentTransition(e: IncidentChangedEvent): string {
  const d = e.data;
  if (isReleased(e)) return 'firing (held back by a silence or maintenance window that ended)';
  if (d.notification === 'acknowledged') return `firing, acknowledged by ${clean(d.acknowledgedBy ?? '', 60)}`;
  if (d.notification === 'repeat') return `firing (repeat ${d.repeat ?? 1})`;
  const to = d.notification === 'resolved' && d.reason ? `${d.state} (${d.reason})` : d.state;
  return `${d.previous ?? '(new)'} -> ${to}`;
}

/**
 * A silence that ended, as one line: "Silence "db reboot" by alice ended: it held back 10 incidents, all resolved"
 * (or "…, 3 still firing" when some are: their released firings are lines of their own; neither when not known).
 */
export function silenceEndedLine(e: SilenceEndedNotice): string {
  const d = e.data;
  const n = `${d.heldBack} ${d.heldBack === 1 ? 'incident' : 'incidents'}`;
  const rest = d.stillFiring === null ? '' : d.stillFiring === 0 ? (d.heldBack === 1 ? ', resolved' : ', all resolved') : `, ${d.stillFiring} still firing`;
  const early = d.endedBy !== undefined && d.endedBy !== '' ? ` (ended early by ${clean(d.endedBy, 60)})` : '';
  return `Silence "${clean(d.comment, 120)}" by ${clean(d.createdBy, 60)} ended${early}: it held back ${n}${rest}`;
}

const SILENCE_ENDED_ACTION = 'Nothing to do for what resolved; what still fires is notified as its own line.';

/** The account's asset scan (cwp): what each of its states says, and what to do. */
const SCAN_WHAT: Record<ScanState, string> = { NOTASK: 'No asset scan', SYNCING: 'Asset scan started', FINISHED: 'Asset scan finished' };
const SCAN_ACTION = 'Nothing to do: each host\'s collection and what changed on it follow as their own messages.';

/** The kind(s) an event is about: one, those an agent.unwatched event stopped, `agent` for an incident of the agent, both for the account's scan. */
function kindsOf(e: BridgeEvent): string {
  if (e.type === 'com.tencentcloud.cwp.scan.status.changed') return 'process+port';
  if (e.type === 'com.tencentcloud.cwp.agent.unwatched') return e.data.kinds.join('+');
  if (e.type === 'com.tencentcloud.cwp.incident.changed') return e.data.kind ?? 'agent';
  if (isNotice(e)) return '';
  return e.data.kind;
}

/** The machine fields another part of the bridge may add to events (StatusChangeData.machineName/machineIp). */
function machineOf(e: BridgeEvent): { name: string; ip: string } {
  if (isNotice(e)) return { name: '', ip: '' };
  const d = (e.type === 'com.tencentcloud.cwp.incident.changed' ? e.data.agent : e.data) as { machineName?: unknown; machineIp?: unknown };
  return {
    name: typeof d.machineName === 'string' ? clean(d.machineName, 80) : '',
    ip: typeof d.machineIp === 'string' ? clean(d.machineIp, 60) : '',
  };
}

/** How an incident's lines name its host: in full while it fires, by its machine name alone once it is over. */
function hostNamesOf(e: IncidentChangedEvent): HostNames {
  const m = machineOf(e);
  return { full: hostOf(e), short: m.name || m.ip || e.data.uuid };
}

/** How a host is named: "web-01 (10.0.0.5)", "web-01", "10.0.0.5", else the agent's Uuid. */
export function hostOf(e: BridgeEvent): string {
  if (e.type === 'com.tencentcloud.cwp.scan.status.changed') return `the account's scan (task ${e.data.taskId})`;
  if (isNotice(e)) return `silence ${e.data.silenceId}`;
  const m = machineOf(e);
  if (m.name && m.ip) return `${m.name} (${m.ip})`;
  return m.name || m.ip || e.data.uuid;
}

function portItem(p: PortItem): string {
  return `${p.port} (${clean(p.processName, 60)})`;
}

function processItem(p: ProcessItem): string {
  return `${clean(p.processName, 60)} (${clean(p.fullPath, 100)}, ${clean(p.username, 40)})`;
}

function itemList(items: string[], count: number): string {
  const shown = items.slice(0, CHANGED_ITEMS_SHOWN);
  const rest = count - shown.length;
  return shown.join(', ') + (rest > 0 ? ` and ${rest} more` : '');
}

/** "added 6379 (redis-server); removed 80 (nginx)" for a results change; '' for a status change. */
function changesOf(e: BridgeEvent): string {
  if (e.type === 'com.tencentcloud.cwp.task.status.changed' || e.type === 'com.tencentcloud.cwp.agent.unwatched' || e.type === 'com.tencentcloud.cwp.scan.status.changed') return '';
  if (e.type === 'com.tencentcloud.cwp.incident.changed') return clean(e.data.summary);
  if (isNotice(e)) return silenceEndedLine(e);
  const d = e.data;
  const added = d.kind === 'port' ? d.added.map(portItem) : d.added.map(processItem);
  const removed = d.kind === 'port' ? d.removed.map(portItem) : d.removed.map(processItem);
  const parts: string[] = [];
  if (d.addedCount > 0) parts.push(`added ${itemList(added, d.addedCount)}`);
  if (d.removedCount > 0) parts.push(`removed ${itemList(removed, d.removedCount)}`);
  return parts.join('; ') || 'no change';
}

/** Every template field of one event (all strings; '' where the event has no such thing). */
export function eventFields(e: BridgeEvent): EventFields {
  const m = machineOf(e);
  const base = {
    id: e.id,
    type: e.type,
    subject: e.subject,
    source: e.source,
    time: e.time,
    severity: e.data.severity,
    agent: e.type === 'com.tencentcloud.cwp.scan.status.changed' || isNotice(e) ? '' : e.data.uuid,
    machineName: m.name,
    machineIp: m.ip,
    host: hostOf(e),
    kind: kindsOf(e),
  };
  if (e.type === 'com.tencentcloud.cwp.scan.status.changed') {
    const d = e.data;
    return { ...base, previous: d.previous ?? '(first)', state: d.state, transition: `${d.previous ?? '(first)'} -> ${d.state}`, what: SCAN_WHAT[d.state], changes: '', action: SCAN_ACTION };
  }
  if (isNotice(e)) return { ...base, previous: '', state: '', transition: '', what: 'A silence ended', changes: changesOf(e), action: SILENCE_ENDED_ACTION };
  if (e.type === 'com.tencentcloud.cwp.agent.unwatched') {
    return { ...base, previous: '', state: 'UNWATCHED', transition: 'watched -> unwatched', what: UNWATCHED_WHAT, changes: '', action: UNWATCHED_ACTION };
  }
  if (e.type === 'com.tencentcloud.cwp.incident.changed') {
    const d = e.data;
    return { ...base, previous: d.previous ?? '', state: d.state, transition: incidentTransition(e), what: INCIDENT_WHAT[d.notification], changes: changesOf(e), action: incidentAction(e) };
  }
  if (e.type === 'com.tencentcloud.cwp.task.status.changed') {
    const d = e.data;
    return {
      ...base,
      previous: d.previous ?? '(first)',
      state: d.state,
      transition: `${d.previous ?? '(first)'} -> ${d.state}`,
      what: STATE_WHAT[d.state],
      changes: '',
      action: STATE_ACTION[d.state],
    };
  }
  const ports = e.type === 'com.tencentcloud.cwp.ports.changed';
  return {
    ...base,
    previous: '',
    state: '',
    transition: '',
    what: ports ? 'Open ports changed' : 'Processes changed',
    changes: changesOf(e),
    action: ports
      ? e.data.addedCount > 0 ? 'Check that each new listening port is expected on this host.' : 'For your records: ports closed; check if a service should be running.'
      : 'Check that each new process is expected on this host (name, path, user).',
  };
}

/** What happened, as a digest groups it: one key per state, one per results type, one per incident notification and type. */
export function groupKey(e: BridgeEvent): string {
  if (e.type === 'com.tencentcloud.cwp.incident.changed') return `incident:${isReleased(e) ? 'released' : e.data.notification}:${e.data.type}`;
  if (isNotice(e)) return 'notice:silence.ended';
  return e.type === 'com.tencentcloud.cwp.task.status.changed' ? `state:${e.data.state}` : e.type;
}

function groupHeading(group: BridgeEvent[]): string {
  const sample = group[0]!, n = group.length;
  if (sample.type === 'com.tencentcloud.cwp.task.status.changed') return STATE_GROUP[sample.data.state](n);
  if (sample.type === 'com.tencentcloud.cwp.incident.changed') {
    if (isReleased(sample)) return `A silence or maintenance window ended: ${n} ${n === 1 ? 'incident it held back is' : 'incidents it held back are'} still firing`;
    return incidentGroupHeading(group as IncidentChangedEvent[]);
  }
  if (sample.type === 'com.tencentcloud.cwp.agent.unwatched') return `${n} ${n === 1 ? 'agent is' : 'agents are'} no longer watched`;
  if (isNotice(sample)) return n === 1 ? 'A silence ended' : `${n} silences ended`;
  if (sample.type === 'com.tencentcloud.cwp.scan.status.changed') return n === 1 ? SCAN_WHAT[sample.data.state] : `The account's asset scan changed ${n} times`;
  const hosts = `${n} ${n === 1 ? 'host' : 'hosts'}`;
  return sample.type === 'com.tencentcloud.cwp.ports.changed' ? `Open ports changed on ${hosts}` : `Processes changed on ${hosts}`;
}

function groupAction(sample: BridgeEvent): string {
  if (sample.type === 'com.tencentcloud.cwp.task.status.changed') return STATE_ACTION[sample.data.state];
  if (sample.type === 'com.tencentcloud.cwp.incident.changed') {
    if (sample.data.notification === 'resolved') return 'Nothing to do: they are over.';
    if (sample.data.notification === 'acknowledged') return 'Acknowledged: no repeats until they resolve.';
    return 'Look at each host; acknowledge with POST /v1/incidents/{key}/ack to stop the repeats.';
  }
  if (sample.type === 'com.tencentcloud.cwp.agent.unwatched') return UNWATCHED_ACTION;
  if (isNotice(sample)) return SILENCE_ENDED_ACTION;
  if (sample.type === 'com.tencentcloud.cwp.scan.status.changed') return SCAN_ACTION;
  return sample.type === 'com.tencentcloud.cwp.ports.changed' ? 'Check that each new listening port is expected.' : 'Check that each new process is expected (name, path, user).';
}

/** The short time shown in a digest line: "10:00:00Z" (the footer has the date). */
function clock(iso: string): string {
  const m = /T(\d\d:\d\d:\d\d)/.exec(iso);
  return m ? `${m[1]}Z` : iso;
}

/**
 * One event as a digest line: "web-01 (10.0.0.5) · process · COLLECTING -> AGENT_OFFLINE · 10:00:00Z"; an
 * incident's line without its label (the group's heading has it): "web-01 (10.0.0.5) offline since 10:02".
 */
export function digestLine(e: BridgeEvent, wording: Wording = DEFAULT_WORDING): string {
  if (e.type === 'com.tencentcloud.cwp.incident.changed') return incidentPhrase(e, hostNamesOf(e), wording, clean);
  if (isNotice(e)) return silenceEndedLine(e);
  const f = eventFields(e);
  const what = e.type === 'com.tencentcloud.cwp.ports.changed' || e.type === 'com.tencentcloud.cwp.processes.changed' ? f.changes : f.transition;
  return `${f.host} · ${f.kind} · ${what} · ${clock(e.time)}`;
}

const rank = (s: Severity) => (s === 'warning' ? 1 : 0);
/** How a message shows an event: an incident that resolved or was acknowledged is no longer a warning to a reader. */
function shownSeverity(e: BridgeEvent): Severity {
  if (e.type === 'com.tencentcloud.cwp.incident.changed' && (e.data.notification === 'resolved' || e.data.notification === 'acknowledged')) return 'info';
  // A silence whose incidents all resolved meanwhile is news, not a warning.
  if (isNotice(e) && e.data.stillFiring === 0) return 'info';
  return e.data.severity;
}
const highest = (events: BridgeEvent[]): Severity => (events.some((e) => shownSeverity(e) === 'warning') ? 'warning' : 'info');

function footerOf(events: BridgeEvent[]): string {
  const last = events.reduce((t, e) => (e.time > t ? e.time : t), events[0]!.time);
  return `cwp-task-bridge · ${last.replace(/\.\d+Z$/, 'Z')}`;
}

/** The message of one event: its facts, severity, time and what to do next; `text` when a template renders it. */
export function singleMessage(e: BridgeEvent, text?: string, wording: Wording = DEFAULT_WORDING): ChatMessage {
  const f = eventFields(e);
  if (e.type === 'com.tencentcloud.cwp.incident.changed') return incidentMessage(e, f, text, wording);
  // A silence that ended is one digest line under its heading, even alone.
  if (isNotice(e)) return digestMessage([[e]], 1, wording);
  const kind = e.type === 'com.tencentcloud.cwp.agent.unwatched' ? e.data.kinds.map((k) => KIND_LABEL[k]).join(' and ')
    : e.type === 'com.tencentcloud.cwp.scan.status.changed' ? 'asset scan (processes and open ports)' : KIND_LABEL[e.data.kind];
  const who = e.type === 'com.tencentcloud.cwp.scan.status.changed' ? { label: 'Scan', value: f.host } : { label: 'Agent', value: f.host === f.agent ? f.agent : `${f.host} · ${f.agent}` };
  const facts: Fact[] = [who, { label: 'Kind', value: kind }];
  if (e.type === 'com.tencentcloud.cwp.task.status.changed' || e.type === 'com.tencentcloud.cwp.agent.unwatched' || e.type === 'com.tencentcloud.cwp.scan.status.changed') facts.push({ label: 'State', value: f.transition });
  else facts.push({ label: 'Changes', value: f.changes });
  facts.push({ label: 'Severity', value: f.severity }, { label: 'When', value: f.time });
  const title = `${f.what}: ${f.host}`;
  const message: ChatMessage = {
    title,
    severity: e.data.severity,
    sections: [{ heading: title, severity: e.data.severity, facts, more: 0, action: f.action }],
    eventIds: [e.id],
    footer: footerOf([e]),
  };
  if (text !== undefined) message.text = text;
  return message;
}

/**
 * One incident.changed event: its line ("FIRING · web-01 (10.0.0.5) offline since 10:02"), its key (to acknowledge
 * it by) and what to do.
 */
function incidentMessage(e: IncidentChangedEvent, f: EventFields, text: string | undefined, wording: Wording): ChatMessage {
  const line = incidentLine(e, hostNamesOf(e), wording, clean);
  const severity = shownSeverity(e);
  const message: ChatMessage = {
    title: clean(line, 120),
    severity,
    sections: [{
      heading: line, severity, more: 0, action: f.action,
      // A released firing reads like any firing but for why it comes now.
      facts: [{ label: 'Key', value: clean(e.data.key) }, ...(isReleased(e) ? [{ label: 'Held back', value: 'by a silence or maintenance window that ended' }] : [])],
    }],
    eventIds: [e.id],
    footer: footerOf([e]),
  };
  if (text !== undefined) message.text = text;
  return message;
}

/** Events grouped by what happened, groups with a warning first, then in the order they first appear. */
export function groupEvents(events: BridgeEvent[]): BridgeEvent[][] {
  const groups = new Map<string, BridgeEvent[]>();
  for (const e of events) {
    const k = groupKey(e);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(e);
  }
  return [...groups.values()].sort((a, b) => rank(highest(b)) - rank(highest(a)));
}

/**
 * A digest of `groups` (each one "what happened"), listing the first `listed` events of each group and counting
 * the rest. Each event id once: a replayed event handed beside its original is shown (and counted) once.
 */
export function digestMessage(groups: BridgeEvent[][], listed: number, wording: Wording = DEFAULT_WORDING): ChatMessage {
  const seen = new Set<string>();
  const sections: MessageSection[] = [];
  const all: BridgeEvent[] = [];
  for (const group of groups) {
    const unique = group.filter((e) => !seen.has(e.id) && seen.add(e.id));
    if (unique.length === 0) continue;
    all.push(...unique);
    const shown = unique.slice(0, Math.max(0, listed));
    sections.push({
      heading: groupHeading(unique),
      severity: highest(unique),
      facts: shown.map((e) => ({ label: '', value: digestLine(e, wording) })),
      more: unique.length - shown.length,
      action: groupAction(unique[0]!),
    });
  }
  const title = sections.length === 1 ? sections[0]!.heading : sections.map((s) => s.heading).join(', ');
  return { title: clean(title, 120), severity: highest(all), sections, eventIds: all.map((e) => e.id), footer: all.length ? footerOf(all) : 'cwp-task-bridge' };
}

/** How one vendor's markdown dialect writes the parts of a message (renderMarkdown). */
export interface MarkdownStyle {
  heading(text: string, severity: Severity): string;
  fact(label: string, value: string): string;
  item(value: string): string;
  more(count: number): string;
  action(text: string): string;
  footer(text: string): string;
  /** Between lines (DingTalk's markdown needs a blank line for a break). */
  newline: string;
  /** A link in the dialect: `[label](url)`, Slack's `<url|label>`. */
  link(label: string, url: string): string;
}

/** The message's links on one line in `style` ("Acknowledge · Silence 1 h"), or null when it has none. */
export function renderLinks(m: ChatMessage, style: MarkdownStyle): string | null {
  return m.links && m.links.length > 0 ? m.links.map((l) => style.link(l.label, l.url)).join(' · ') : null;
}

/** One section as markdown in `style`. */
export function renderSection(s: MessageSection, style: MarkdownStyle): string {
  const lines = [style.heading(s.heading, s.severity)];
  for (const f of s.facts) lines.push(f.label ? style.fact(f.label, f.value) : style.item(f.value));
  if (s.more > 0) lines.push(style.more(s.more));
  lines.push(style.action(s.action));
  return lines.join(style.newline);
}

/** The whole message as markdown in `style`: the template's text if it has one, else every section and the footer. */
export function renderMarkdown(m: ChatMessage, style: MarkdownStyle): string {
  const links = renderLinks(m, style);
  const paragraph = style.newline + style.newline;
  if (m.text !== undefined) return links === null ? m.text : m.text + paragraph + links;
  return [...m.sections.map((s) => renderSection(s, style)), ...(links === null ? [] : [links]), style.footer(m.footer)].join(paragraph);
}
