// The rules of incidents, pure and in one place: from what the sweep saw (a status change, a results change, the
// machine listing's ONLINE, an agent no longer watched), from the clock (a pending incident due to fire, a repeat
// due) and from a person (an acknowledgement), the incident writes to make: each the next incident, the revision it
// was computed from, and the incident.changed event to append with it when a receiver is to be told. The callers
// (lib/sweep, lib/http) read the agent's open incidents, call a rule, and hand its writes to the store in the same
// atomic step as what caused them; on a conflict they read again and call the rule again.
//
// The rules, by type (README, Alerts):
// - agent.offline, one per agent: opened pending by the first AGENT_OFFLINE of any kind (a status call or the
//   listing's OFFLINE), firing once it has lasted ALERT_OFFLINE_FOR (0: at once); resolved by any other state of
//   any kind, or the listing's ONLINE. Resolved while pending, nobody is told (a blip).
// - collection.failed, per agent and kind: firing on FAILED; resolved by the next COMPLETE of that kind.
// - agent.unknown, per agent: firing on UNKNOWN_AGENT; resolved by any other state.
// - port.opened, per agent, port and process: firing when a snapshot adds it (never for the baseline); resolved
//   when a later snapshot no longer lists it.
// - process.suspicious, per agent and process identity: the same, for an added process that runs from a
//   world-writable or hidden place, or whose name is in ALERT_PROCESS_NAMES.
// - Every open incident of an agent no longer watched resolves with reason `unwatched` (and those of a kind no
//   longer watched).
// ALERT_TYPES chooses the types that open; an open incident of another type (opened before it changed) still
// fires, repeats and resolves.
import { createHash } from 'node:crypto';
import type { AlertSettings } from '../config/core';
import { buildIncidentChangedEvent, releasedEventId } from '../events/incident-changed';
import type { MachineLabel } from '../events/status-changed';
import type { IncidentAgent, IncidentChangedData, PortItem, ProcessItem } from '../events/types';
import { portIdentity, processIdentity } from '../results/items';
import type { TaskKind, TaskState } from '../types';
import type { Quiet } from './quiet';
import type { Incident, IncidentNotification, IncidentType, IncidentWrite, ResolvedReason, TimelineEntry } from './types';

/**
 * What every rule needs beside its input: the store's id (in every event id), the CloudEvent source and the
 * settings; and the quiet rules (silences, maintenance windows, expectations) read for this sweep, if any.
 */
export interface AlertContext {
  storeId: string;
  source: string;
  settings: AlertSettings;
  quiet?: Quiet;
}

/** eventIds keeps the first EVENT_IDS_FIRST and the latest EVENT_IDS_LAST; the timeline likewise. */
export const EVENT_IDS_FIRST = 5;
export const EVENT_IDS_LAST = 15;
export const TIMELINE_FIRST = 10;
export const TIMELINE_LAST = 40;
/** Incidents one results change opens at most (a host that opens hundreds of ports at once gets the first 100). */
export const MAX_OPENED_PER_RESULTS = 100;
/** Longest summary (the schema's bound). */
const SUMMARY_MAX = 300;

// ------------------------------------------------------------------------------------------- identity

/** What an incident is about, unique among open incidents (the same identity rules as lib/results/items.ts). */
export const subjects = {
  agentOffline: (uuid: string) => `agent.offline/${uuid}`,
  agentUnknown: (uuid: string) => `agent.unknown/${uuid}`,
  collectionFailed: (uuid: string, kind: TaskKind) => `collection.failed/${uuid}/${kind}`,
  portOpened: (uuid: string, p: Pick<PortItem, 'port' | 'processName'>) => `port.opened/${uuid}/${p.port}/${p.processName}`,
  processSuspicious: (uuid: string, p: Pick<ProcessItem, 'processName' | 'fullPath' | 'username'>) => `process.suspicious/${uuid}/${p.processName}|${p.fullPath}|${p.username}`,
};

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 8);

/**
 * The key of an episode: `<type>.<uuid>[.<detail>].<openedAt in base 36>`, `[a-z0-9.-]` only. The detail tells
 * apart the incidents of one agent and type: the kind; the port and a hash of its process; a hash of the process
 * identity.
 */
export function incidentKey(type: IncidentType, uuid: string, detail: string | null, openedAt: number): string {
  return `${type}.${uuid.toLowerCase()}${detail === null ? '' : `.${detail}`}.${openedAt.toString(36)}`;
}

// -------------------------------------------------------------------------------------------- wording

/** How a host is named: "web-01 (10.0.0.5)", "web-01", "10.0.0.5", else the agent's Uuid. */
export function hostLabel(agent: IncidentAgent): string {
  if (agent.machineName && agent.machineIp) return `${agent.machineName} (${agent.machineIp})`;
  return agent.machineName ?? agent.machineIp ?? agent.uuid;
}

const KIND_LABEL: Record<TaskKind, string> = { process: 'process collection', port: 'open-port collection' };

function cut(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > SUMMARY_MAX ? `${one.slice(0, SUMMARY_MAX - 1)}…` : one;
}

/** The one line a person reads. */
export function summaryOf(i: Pick<Incident, 'type' | 'agent' | 'kind' | 'port' | 'processName' | 'fullPath' | 'username'>): string {
  const host = hostLabel(i.agent);
  switch (i.type) {
    case 'agent.offline':
      return cut(`${host} offline`);
    case 'agent.unknown':
      return cut(`${host} unknown to CWP`);
    case 'collection.failed':
      return cut(`${KIND_LABEL[i.kind ?? 'process']} failed on ${host}`);
    case 'port.opened':
      return cut(`port ${i.port} (${i.processName}) opened on ${host}`);
    case 'process.suspicious':
      return cut(`suspicious process ${i.processName} (${i.fullPath}, ${i.username || 'unknown user'}) on ${host}`);
  }
}

export function agentOf(uuid: string, machine: MachineLabel | undefined): IncidentAgent {
  return { uuid, ...(machine?.name ? { machineName: machine.name } : {}), ...(machine?.ip ? { machineIp: machine.ip } : {}) };
}

// --------------------------------------------------------------------------------------- process rule

/** Places anyone may write to, where a process of a compromised host is often started from. */
const WORLD_WRITABLE = ['/tmp', '/var/tmp', '/dev/shm'];

/**
 * Whether an added process deserves an incident: it runs from a world-writable place (/tmp, /var/tmp, /dev/shm),
 * from a hidden one (a path segment starting with `.`), or its name is one of ALERT_PROCESS_NAMES.
 */
export function isSuspicious(p: Pick<ProcessItem, 'processName' | 'fullPath'>, names: readonly string[]): boolean {
  if (names.includes(p.processName)) return true;
  const path = p.fullPath;
  if (WORLD_WRITABLE.some((dir) => path === dir || path.startsWith(`${dir}/`))) return true;
  return path.split('/').some((segment) => segment.startsWith('.') && segment !== '.' && segment !== '..');
}

// ----------------------------------------------------------------------------------- the bounded lists

function bounded<T>(list: readonly T[], first: number, last: number): T[] {
  return list.length <= first + last ? [...list] : [...list.slice(0, first), ...list.slice(list.length - last)];
}

function withEventId(ids: readonly string[], eventId: string | null): string[] {
  if (eventId === null || ids.includes(eventId)) return [...ids];
  return bounded([...ids, eventId], EVENT_IDS_FIRST, EVENT_IDS_LAST);
}

function withTimeline(timeline: readonly TimelineEntry[], ...entries: TimelineEntry[]): TimelineEntry[] {
  return bounded([...timeline, ...entries], TIMELINE_FIRST, TIMELINE_LAST);
}

/** When the store's clock index has the incident due (claimDueIncidents): pending, its fireAt; firing with a repeat on, that; else never. */
export function incidentDueAt(i: Pick<Incident, 'state' | 'fireAt' | 'nextRepeatAt' | 'acknowledged'>): number | null {
  if (i.state === 'pending') return i.fireAt;
  if (i.state === 'firing' && !i.acknowledged) return i.nextRepeatAt;
  return null;
}

// ------------------------------------------------------------------------------------ the transitions

/**
 * Whether a notification is held back (its event sent only to sinks with <P>_IGNORE_SILENCES): a firing while a
 * silence or window covers the incident; a repeat or acknowledgement while one does, or of a firing never sent; a
 * resolution of a firing never sent. The resolution of a firing that was sent is sent, silenced or not.
 */
export function isHeldBack(notification: IncidentNotification, notified: boolean, silenced: boolean): boolean {
  if (notification === 'firing') return silenced;
  if (notification === 'resolved') return !notified;
  return silenced || !notified;
}

/** A write of `next` over `current` (null: new), with the event of `notification` when there is one. */
function write(ctx: AlertContext, current: Incident | null, next: Incident, notification: IncidentNotification | null, previous: IncidentChangedData['previous'], at: number): IncidentWrite {
  const incident: Incident = { ...next, revision: (current?.revision ?? 0) + 1 };
  // Without the quiet rules (an acknowledgement through the API) the incident keeps what the sweep last found.
  const silencers = !ctx.quiet ? incident.silencedBy ?? [] : incident.state === 'resolved' ? [] : ctx.quiet.silencersOf(incident, at);
  if (silencers.length > 0 && incident.state !== 'resolved') incident.silencedBy = silencers;
  else delete incident.silencedBy;
  if (notification === null) return { incident, expectedRevision: current?.revision ?? 0, event: null };
  const held = isHeldBack(notification, incident.notified, silencers.length > 0);
  if (held && notification === 'firing') {
    incident.notified = false;
    for (const id of silencers) ctx.quiet?.hit(ctx.quiet.kindOf(id) ?? 'silence', [id], incident.key, at);
  }
  const event = buildIncidentChangedEvent(ctx.storeId, ctx.source, incident, notification, previous, at);
  // The timeline's last entry is this notification (fired, repeated, acknowledged, resolved): it names its event.
  const last = incident.timeline[incident.timeline.length - 1]!;
  incident.timeline = [...incident.timeline.slice(0, -1), { ...last, eventId: event.id }];
  return { incident, expectedRevision: current?.revision ?? 0, event, ...(held ? { silenced: true } : {}) };
}

const nextRepeat = (ctx: AlertContext, at: number): number | null => (ctx.settings.repeatEveryMs === null ? null : at + ctx.settings.repeatEveryMs);

interface OpenInput {
  type: IncidentType;
  subject: string;
  uuid: string;
  detail: string | null;
  machine: MachineLabel | undefined;
  at: number;
  /** The event that opened it. */
  eventId: string | null;
  /** Fire at once (else pending until `fireAt`). */
  fireAt: number | null;
  fields?: Pick<Incident, 'kind' | 'port' | 'processName' | 'fullPath' | 'username'>;
}

/**
 * A new incident: pending until fireAt, or firing at once (its firing notified, previous null). Null when its type
 * is not one ALERT_TYPES opens.
 */
function open(ctx: AlertContext, o: OpenInput): IncidentWrite | null {
  if (!ctx.settings.types.includes(o.type)) return null;
  const fields = o.fields ?? {};
  const agent = agentOf(o.uuid, o.machine);
  const expected = ctx.quiet?.expectationFor({ type: o.type, agent, ...fields }) ?? null;
  if (expected !== null) {
    ctx.quiet!.hit('expectation', [expected], `${o.subject}@${o.at}`, o.at);
    return null;
  }
  const firing = o.fireAt === null;
  const timeline: TimelineEntry[] = [{ at: o.at, what: 'opened', ...(o.eventId ? { eventId: o.eventId } : {}) }];
  if (firing) timeline.push({ at: o.at, what: 'fired' });
  const incident: Incident = {
    key: incidentKey(o.type, o.uuid, o.detail, o.at),
    subject: o.subject,
    type: o.type,
    state: firing ? 'firing' : 'pending',
    acknowledged: false,
    severity: 'warning',
    agent,
    ...fields,
    summary: summaryOf({ type: o.type, agent, ...fields }),
    openedAt: o.at,
    firingAt: firing ? o.at : null,
    resolvedAt: null,
    eventIds: o.eventId ? [o.eventId] : [],
    revision: 0,
    fireAt: firing ? null : o.fireAt,
    nextRepeatAt: firing ? nextRepeat(ctx, o.at) : null,
    repeats: 0,
    notified: firing,
    timeline,
  };
  return write(ctx, null, incident, firing ? 'firing' : null, null, o.at);
}

/** An event that concerns an open incident without changing its state (the second kind of an agent going offline). */
function note(ctx: AlertContext, i: Incident, eventId: string, at: number): IncidentWrite | null {
  if (i.eventIds.includes(eventId)) return null;
  return write(ctx, i, { ...i, eventIds: withEventId(i.eventIds, eventId), timeline: withTimeline(i.timeline, { at, what: 'event', eventId }) }, null, null, at);
}

/** Resolves an open incident; told only if it fired. */
export function resolveIncident(ctx: AlertContext, i: Incident, reason: ResolvedReason, at: number, eventId: string | null): IncidentWrite {
  const fired = i.state === 'firing';
  const timeline = eventId ? withTimeline(i.timeline, { at, what: 'event', eventId }) : i.timeline;
  const next: Incident = {
    ...i,
    state: 'resolved',
    resolvedAt: at,
    resolvedReason: reason,
    eventIds: withEventId(i.eventIds, eventId),
    fireAt: null,
    nextRepeatAt: null,
    timeline: withTimeline(timeline, { at, what: 'resolved' }),
  };
  return write(ctx, i, next, fired ? 'resolved' : null, 'firing', at);
}

/** The clock: a pending incident past its fireAt fires; a firing, unacknowledged one past nextRepeatAt repeats. */
export function incidentForClock(ctx: AlertContext, i: Incident, now: number): IncidentWrite {
  if (i.state === 'pending' && i.fireAt !== null && i.fireAt <= now) {
    const next: Incident = { ...i, state: 'firing', firingAt: now, fireAt: null, nextRepeatAt: nextRepeat(ctx, now), notified: true, timeline: withTimeline(i.timeline, { at: now, what: 'fired' }) };
    return write(ctx, i, next, 'firing', 'pending', now);
  }
  if (i.state === 'firing' && !i.acknowledged && i.nextRepeatAt !== null && i.nextRepeatAt <= now) {
    if (ctx.settings.repeatEveryMs === null) return write(ctx, i, { ...i, nextRepeatAt: null }, null, null, now); // repeats turned off since
    const next: Incident = { ...i, repeats: i.repeats + 1, nextRepeatAt: now + ctx.settings.repeatEveryMs, timeline: withTimeline(i.timeline, { at: now, what: 'repeated' }) };
    return write(ctx, i, next, 'repeat', 'firing', now);
  }
  // Claimed but not due (its claim outlived a change): written back as it is, so the store's clock index is right again.
  return write(ctx, i, i, null, null, now);
}

/** Why an acknowledgement changes nothing: the incident is not firing, or was acknowledged already. */
export type AckRefusal = 'not_firing' | 'already_acknowledged';

/** A person acknowledged a firing incident: told once, and its repeats stop until it resolves. */
export function acknowledgeIncident(ctx: AlertContext, i: Incident, by: string, comment: string | undefined, at: number): IncidentWrite | AckRefusal {
  if (i.state !== 'firing') return 'not_firing';
  if (i.acknowledged) return 'already_acknowledged';
  const next: Incident = {
    ...i,
    acknowledged: true,
    acknowledgedBy: by,
    acknowledgedAt: at,
    ...(comment !== undefined ? { ackComment: comment } : {}),
    nextRepeatAt: null,
    timeline: withTimeline(i.timeline, { at, what: 'acknowledged', by, ...(comment !== undefined ? { comment } : {}) }),
  };
  return write(ctx, i, next, 'acknowledged', 'firing', at);
}

/**
 * A firing incident whose firing a silence or window held back, and that none holds back any longer (the silence
 * ended or was deleted, the window closed): its firing is notified now (previous `firing`), with an event id of
 * its own (the held-back one went to the sinks that ignore silences). Null when it is still held back or was sent.
 */
export function releaseIncident(ctx: AlertContext, i: Incident, at: number): IncidentWrite | null {
  if (i.state !== 'firing' || i.notified) return null;
  if (ctx.quiet && ctx.quiet.silencersOf(i, at).length > 0) return null;
  const next: Incident = { ...i, notified: true, nextRepeatAt: i.acknowledged ? null : nextRepeat(ctx, at), timeline: withTimeline(i.timeline, { at, what: 'fired' }) };
  const w = write(ctx, i, next, 'firing', 'firing', at);
  const id = releasedEventId(ctx.storeId, i.key);
  w.event = { ...w.event!, id };
  const last = w.incident.timeline[w.incident.timeline.length - 1]!;
  w.incident.timeline = [...w.incident.timeline.slice(0, -1), { ...last, eventId: id }];
  return w;
}

// ------------------------------------------------------------------------------------------ the sources

/** A recorded status change of one key: what it opens, notes and resolves among the agent's open incidents. */
export interface StatusChangeInput {
  uuid: string;
  kind: TaskKind;
  state: TaskState;
  /** The status.changed event recorded with it. */
  eventId: string;
  at: number;
  machine?: MachineLabel;
  /** The agent's open incidents. */
  open: readonly Incident[];
}

const openBySubject = (open: readonly Incident[], subject: string): Incident | undefined => open.find((i) => i.subject === subject && i.state !== 'resolved');

export function incidentsForStatusChange(ctx: AlertContext, c: StatusChangeInput): IncidentWrite[] {
  const writes: IncidentWrite[] = [];
  const push = (w: IncidentWrite | null) => {
    if (w) writes.push(w);
  };
  const offline = openBySubject(c.open, subjects.agentOffline(c.uuid));
  if (c.state === 'AGENT_OFFLINE') {
    if (offline) push(note(ctx, offline, c.eventId, c.at));
    else {
      const fireAt = ctx.settings.offlineForMs === 0 ? null : c.at + ctx.settings.offlineForMs;
      push(open(ctx, { type: 'agent.offline', subject: subjects.agentOffline(c.uuid), uuid: c.uuid, detail: null, machine: c.machine, at: c.at, eventId: c.eventId, fireAt }));
    }
  } else if (offline) push(resolveIncident(ctx, offline, 'recovered', c.at, c.eventId));

  const unknown = openBySubject(c.open, subjects.agentUnknown(c.uuid));
  if (c.state === 'UNKNOWN_AGENT') {
    if (unknown) push(note(ctx, unknown, c.eventId, c.at));
    else push(open(ctx, { type: 'agent.unknown', subject: subjects.agentUnknown(c.uuid), uuid: c.uuid, detail: null, machine: c.machine, at: c.at, eventId: c.eventId, fireAt: null }));
  } else if (unknown) push(resolveIncident(ctx, unknown, 'recovered', c.at, c.eventId));

  const failedSubject = subjects.collectionFailed(c.uuid, c.kind);
  const failed = openBySubject(c.open, failedSubject);
  if (c.state === 'FAILED') {
    if (failed) push(note(ctx, failed, c.eventId, c.at));
    else push(open(ctx, { type: 'collection.failed', subject: failedSubject, uuid: c.uuid, detail: c.kind, machine: c.machine, at: c.at, eventId: c.eventId, fireAt: null, fields: { kind: c.kind } }));
  } else if (c.state === 'COMPLETE' && failed) push(resolveIncident(ctx, failed, 'recovered', c.at, c.eventId));
  return writes;
}

/** A snapshot of one kind stored after an earlier one: the items of both (whole, not the event's capped lists). */
export interface ResultsChangeInput {
  uuid: string;
  kind: TaskKind;
  previous: ReadonlyArray<PortItem | ProcessItem>;
  current: ReadonlyArray<PortItem | ProcessItem>;
  /** The ports.changed / processes.changed event stored with it (null when nothing changed). */
  eventId: string | null;
  at: number;
  machine?: MachineLabel;
  open: readonly Incident[];
}

/** What a results change does to incidents, and how many incidents it did not open past MAX_OPENED_PER_RESULTS. */
export function incidentsForResultsChange(ctx: AlertContext, r: ResultsChangeInput): { writes: IncidentWrite[]; notOpened: number } {
  const writes: IncidentWrite[] = [];
  const push = (w: IncidentWrite | null) => {
    if (w) writes.push(w);
  };
  let notOpened = 0;
  const type: IncidentType = r.kind === 'port' ? 'port.opened' : 'process.suspicious';
  const subjectOf = (item: PortItem | ProcessItem) => (r.kind === 'port' ? subjects.portOpened(r.uuid, item as PortItem) : subjects.processSuspicious(r.uuid, item as ProcessItem));
  const identity = (item: PortItem | ProcessItem) => (r.kind === 'port' ? portIdentity(item as PortItem) : processIdentity(item as ProcessItem));
  const currentSubjects = new Set(r.current.map(subjectOf));
  for (const i of r.open) {
    if (i.type === type && i.state !== 'resolved' && !currentSubjects.has(i.subject)) writes.push(resolveIncident(ctx, i, 'recovered', r.at, r.eventId));
  }
  const before = new Set(r.previous.map(identity));
  const seen = new Set<string>();
  for (const item of r.current) {
    const id = identity(item);
    if (before.has(id) || seen.has(id)) continue;
    seen.add(id);
    if (r.kind === 'process' && !isSuspicious(item as ProcessItem, ctx.settings.processNames)) continue;
    const subject = subjectOf(item);
    if (openBySubject(r.open, subject)) continue;
    if (writes.filter((w) => w.expectedRevision === 0).length >= MAX_OPENED_PER_RESULTS) {
      notOpened++;
      continue;
    }
    if (r.kind === 'port') {
      const p = item as PortItem;
      push(open(ctx, { type, subject, uuid: r.uuid, detail: `${p.port}.${shortHash(p.processName)}`, machine: r.machine, at: r.at, eventId: r.eventId, fireAt: null, fields: { kind: 'port', port: p.port, processName: p.processName } }));
    } else {
      const p = item as ProcessItem;
      push(open(ctx, { type, subject, uuid: r.uuid, detail: shortHash(subject), machine: r.machine, at: r.at, eventId: r.eventId, fireAt: null, fields: { kind: 'process', processName: p.processName, fullPath: p.fullPath, username: p.username } }));
    }
  }
  return { writes, notOpened };
}

/** The machine listing says the agent is ONLINE: its agent.offline incident resolves. */
export function incidentsForAgentOnline(ctx: AlertContext, uuid: string, open: readonly Incident[], at: number): IncidentWrite[] {
  const offline = openBySubject(open, subjects.agentOffline(uuid));
  return offline ? [resolveIncident(ctx, offline, 'recovered', at, null)] : [];
}

/**
 * The agent is no longer watched (`watchedKinds` null), or only some kinds are: its open incidents resolve with
 * reason `unwatched`, all of them, or those of a kind no longer watched.
 */
export function incidentsForUnwatched(ctx: AlertContext, open: readonly Incident[], watchedKinds: readonly TaskKind[] | null, at: number): IncidentWrite[] {
  return open
    .filter((i) => i.state !== 'resolved' && (watchedKinds === null || (i.kind !== undefined && !watchedKinds.includes(i.kind))))
    .map((i) => resolveIncident(ctx, i, 'unwatched', at, null));
}
