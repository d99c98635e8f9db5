// How a chat robot words incident.changed events: one line per incident, led by what happened to it
// ("FIRING · web-01 (10.0.0.5) offline since 10:02", "RESOLVED · web-01 back after 14 min"), and a digest heading
// per incident type and notification that counts incidents and agents, never collection kinds ("60 agents
// offline", "3 ports open on 2 agents"). Clock times are shown in the robot's time zone (CHAT_TIMEZONE), durations
// as a person says them ("45 s", "14 min", "2 h 5 min", "3 d 4 h"). Every outside value goes through `clean`.
import type { IncidentNotification, IncidentType } from '../../alerts/types';
import type { IncidentChangedEvent } from '../../events/types';
import type { TaskKind } from '../../types';

/** Where the people reading the robots are, unless CHAT_TIMEZONE says otherwise. */
export const DEFAULT_CHAT_TIMEZONE = 'Asia/Shanghai';

/** What shapes the wording beside the events themselves. */
export interface Wording {
  /** An IANA time zone (CHAT_TIMEZONE): clock times in messages are shown in it. */
  timeZone: string;
}

export const DEFAULT_WORDING: Wording = { timeZone: DEFAULT_CHAT_TIMEZONE };

/** The label a line or a digest heading starts with, by notification. */
export const NOTIFICATION_LABEL: Record<IncidentNotification, string> = {
  firing: 'FIRING',
  repeat: 'REPEAT',
  acknowledged: 'ACKNOWLEDGED',
  resolved: 'RESOLVED',
};


const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

/** Year, month, day, hour and minute of `ms` in `zone` (formatters are costly to build: one per zone). */
function partsIn(ms: number, zone: string): { day: string; md: string; hm: string } {
  let f = FORMATTERS.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    FORMATTERS.set(zone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(ms)) p[part.type] = part.value;
  return { day: `${p.year}-${p.month}-${p.day}`, md: `${p.month}-${p.day}`, hm: `${p.hour}:${p.minute}` };
}

/** "10:02" in `zone`; "11-23 10:02" when that is another day than `reference` there. */
export function clockTime(ms: number, zone: string, reference: number): string {
  const at = partsIn(ms, zone);
  return at.day === partsIn(reference, zone).day ? at.hm : `${at.md} ${at.hm}`;
}

/** A duration as a person says it: "45 s", "14 min", "2 h 5 min", "3 d 4 h" (whole units, rounded down). */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const d = Math.floor(s / 86_400), h = Math.floor((s % 86_400) / 3_600), m = Math.floor((s % 3_600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return `${m} min`;
}

/** The host as a firing line names it ("web-01 (10.0.0.5)") and as a resolution does ("web-01"). */
export interface HostNames {
  full: string;
  short: string;
}

const KIND_LABEL: Record<TaskKind, string> = { process: 'process collection', port: 'open-port collection' };

type Clean = (s: string, max?: number) => string;

/** What the incident is about, with the host named `host`: "web-01 (10.0.0.5) offline", "port 6379 (redis-server) open on web-01". */
function condition(e: IncidentChangedEvent, host: string, clean: Clean): string {
  const d = e.data;
  switch (d.type) {
    case 'agent.offline':
      return `${host} offline`;
    case 'agent.unknown':
      return `${host} unknown to CWP`;
    case 'collection.failed':
      return `${KIND_LABEL[d.kind ?? 'process']} failed on ${host}`;
    case 'port.opened':
      return `port ${d.port ?? '?'} (${clean(d.processName ?? '', 60)}) open on ${host}`;
    case 'process.suspicious':
      return `suspicious process ${clean(d.processName ?? '', 60)} (${clean(d.fullPath ?? '', 100)}, ${clean(d.username || 'unknown user', 40)}) on ${host}`;
  }
}

/** What a recovery says: "web-01 back", "port 6379 (redis-server) closed on web-01". */
function recovery(e: IncidentChangedEvent, host: string, clean: Clean): string {
  const d = e.data;
  switch (d.type) {
    case 'agent.offline':
      return `${host} back`;
    case 'agent.unknown':
      return `${host} known to CWP again`;
    case 'collection.failed':
      return `${KIND_LABEL[d.kind ?? 'process']} on ${host} completed again`;
    case 'port.opened':
      return `port ${d.port ?? '?'} (${clean(d.processName ?? '', 60)}) closed on ${host}`;
    case 'process.suspicious':
      return `process ${clean(d.processName ?? '', 60)} (${clean(d.fullPath ?? '', 100)}) gone from ${host}`;
  }
}

/** The incident's line without its label: what it is, since when or for how long, and who acknowledged it. */
export function incidentPhrase(e: IncidentChangedEvent, host: HostNames, wording: Wording, clean: Clean): string {
  const d = e.data;
  const now = Date.parse(e.time);
  const since = `since ${clockTime(Date.parse(d.openedAt), wording.timeZone, Number.isNaN(now) ? Date.parse(d.openedAt) : now)}`;
  const lasted = humanDuration(d.durationSeconds);
  switch (d.notification) {
    case 'firing':
      return `${condition(e, host.full, clean)} ${since}`;
    case 'repeat':
      return `${condition(e, host.full, clean)} ${since} (${lasted}; repeat ${d.repeat ?? 1})`;
    case 'acknowledged': {
      const comment = d.comment ? `: ${clean(d.comment, 100)}` : '';
      return `${condition(e, host.full, clean)} ${since}, by ${clean(d.acknowledgedBy ?? 'someone', 60)}${comment}`;
    }
    case 'resolved':
      if (d.reason === 'unwatched') return `${condition(e, host.short, clean)}, no longer watched, after ${lasted}`;
      if (d.reason === 'accepted') return `${condition(e, host.short, clean)}, accepted, after ${lasted}`;
      return `${recovery(e, host.short, clean)} after ${lasted}`;
  }
}

/** "FIRING · web-01 (10.0.0.5) offline since 10:02" */
export function incidentLine(e: IncidentChangedEvent, host: HostNames, wording: Wording, clean: Clean): string {
  return `${NOTIFICATION_LABEL[e.data.notification]} · ${incidentPhrase(e, host, wording, clean)}`;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** What a digest group of `incidents` of one type says happened, by notification, `agents` the distinct agents. */
const GROUP_WHAT: Record<IncidentType, Record<IncidentNotification, (incidents: number, agents: string) => string>> = {
  'agent.offline': {
    firing: (n) => `${plural(n, 'agent', 'agents')} offline`,
    repeat: (n) => `${plural(n, 'agent', 'agents')} still offline`,
    acknowledged: (n) => `${plural(n, 'offline agent', 'offline agents')} acknowledged`,
    resolved: (n) => `${plural(n, 'agent', 'agents')} back`,
  },
  'agent.unknown': {
    firing: (n) => `${plural(n, 'agent', 'agents')} unknown to CWP`,
    repeat: (n) => `${plural(n, 'agent', 'agents')} still unknown to CWP`,
    acknowledged: (n) => `${plural(n, 'unknown agent', 'unknown agents')} acknowledged`,
    resolved: (n) => `${plural(n, 'agent', 'agents')} known to CWP again`,
  },
  'collection.failed': {
    firing: (n, on) => `${plural(n, 'collection', 'collections')} failed on ${on}`,
    repeat: (n, on) => `${plural(n, 'collection', 'collections')} still failed on ${on}`,
    acknowledged: (n, on) => `${plural(n, 'failed collection', 'failed collections')} acknowledged on ${on}`,
    resolved: (n, on) => `${plural(n, 'failed collection', 'failed collections')} completed again on ${on}`,
  },
  'port.opened': {
    firing: (n, on) => `${plural(n, 'port', 'ports')} open on ${on}`,
    repeat: (n, on) => `${plural(n, 'port', 'ports')} still open on ${on}`,
    acknowledged: (n, on) => `${plural(n, 'open port', 'open ports')} acknowledged on ${on}`,
    resolved: (n, on) => `${plural(n, 'port', 'ports')} closed on ${on}`,
  },
  'process.suspicious': {
    firing: (n, on) => `${plural(n, 'suspicious process', 'suspicious processes')} on ${on}`,
    repeat: (n, on) => `${plural(n, 'suspicious process', 'suspicious processes')} still running on ${on}`,
    acknowledged: (n, on) => `${plural(n, 'suspicious process', 'suspicious processes')} acknowledged on ${on}`,
    resolved: (n, on) => `${plural(n, 'suspicious process', 'suspicious processes')} gone from ${on}`,
  },
};

/**
 * A digest heading for incidents of one type and notification: "FIRING · 60 agents offline", "RESOLVED · 3 ports
 * closed on 2 agents". Incidents are counted once per key, agents once per Uuid.
 */
export function incidentGroupHeading(events: IncidentChangedEvent[]): string {
  const sample = events[0]!;
  const incidents = new Set(events.map((e) => e.data.key)).size;
  const agents = new Set(events.map((e) => e.data.uuid)).size;
  return `${NOTIFICATION_LABEL[sample.data.notification]} · ${GROUP_WHAT[sample.data.type][sample.data.notification](incidents, plural(agents, 'agent', 'agents'))}`;
}
