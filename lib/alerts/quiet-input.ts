// What a person writes to make a quiet rule (the bodies of POST /v1/silences, /v1/maintenance, /v1/expectations, and
// the objects of ALERT_MAINTENANCE), checked field by field: every problem names its field and the fix, so the API
// answers 400 with the first and the config lists them all at start-up.
import { INCIDENT_TYPES, MATCHER_NAMES, MATCHER_OPS, WEEKDAYS, type ExpectedPort, type ExpectedProcess, type Matcher, type MatcherName, type MatcherOp, type Weekday } from './types';
import { parseCidr } from './matchers';
import { minutesOf } from './windows';
import { isTimeZone } from '../util/time-zone';
import { TASK_KINDS } from '../types';

export interface InputProblem {
  field: string;
  message: string;
}

/** The longest silence: endsAt at most this far ahead. */
export const SILENCE_MAX_MS = 30 * 24 * 3_600_000;
export const MAX_MATCHERS = 20;
export const MAX_LIST = 100;
const TEXT_MAX = { createdBy: 200, comment: 2_000 };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly problems: InputProblem[] = [];
  constructor(readonly prefix: string) {}
  field(name: string): string {
    return this.prefix === '' ? name : `${this.prefix}.${name}`;
  }
  bad(field: string, message: string): void {
    this.problems.push({ field, message });
  }
  /** Fields of `o` not among `known`. */
  unknown(o: Obj, known: readonly string[]): void {
    for (const k of Object.keys(o)) if (!known.includes(k)) this.bad(this.field(k), `is not a field here; use ${known.join(', ')}`);
  }
  text(o: Obj, name: 'createdBy' | 'comment', what: string): string {
    const v = o[name];
    if (typeof v !== 'string' || v.trim() === '') {
      this.bad(this.field(name), `is required: ${what}`);
      return '';
    }
    if (v.length > TEXT_MAX[name]) this.bad(this.field(name), `must be at most ${TEXT_MAX[name]} characters`);
    return v.trim();
  }
}

const PORT_VALUE = /^\d{1,5}$/;

function matcherValueProblem(name: MatcherName, op: MatcherOp, value: string): string | null {
  if (op === 'cidr') {
    if (name !== 'machineIp') return 'cidr is for machineIp only; use =, != or glob';
    return parseCidr(value) === null ? `"${value}" is not an IPv4 CIDR; use e.g. 10.0.0.0/8 or 10.0.0.5` : null;
  }
  if (op === 'glob') return null;
  if (name === 'port' && !(PORT_VALUE.test(value) && Number(value) >= 1 && Number(value) <= 65535)) return `"${value}" is not a port; use a number from 1 to 65535`;
  if (name === 'type' && !(INCIDENT_TYPES as readonly string[]).includes(value)) return `"${value}" is not an incident type; use ${INCIDENT_TYPES.join(', ')}`;
  if (name === 'kind' && !(TASK_KINDS as readonly string[]).includes(value)) return `"${value}" is not a kind; use ${TASK_KINDS.join(' or ')}`;
  return null;
}

function checkMatchers(c: Checker, raw: unknown): Matcher[] {
  const field = c.field('matchers');
  if (!Array.isArray(raw) || raw.length === 0) {
    c.bad(field, `is required: a list of at least one {"name", "value", "op"} (names: ${MATCHER_NAMES.join(', ')})`);
    return [];
  }
  if (raw.length > MAX_MATCHERS) c.bad(field, `must have at most ${MAX_MATCHERS} matchers`);
  const out: Matcher[] = [];
  raw.slice(0, MAX_MATCHERS).forEach((m, i) => {
    const at = `${field}[${i}]`;
    if (!isObj(m)) return c.bad(at, 'must be an object {"name", "value", "op"}');
    for (const k of Object.keys(m)) if (!['name', 'value', 'op'].includes(k)) c.bad(`${at}.${k}`, 'is not a field of a matcher; use name, value, op');
    const name = m.name;
    if (typeof name !== 'string' || !(MATCHER_NAMES as readonly string[]).includes(name)) return c.bad(`${at}.name`, `must be one of: ${MATCHER_NAMES.join(', ')}`);
    const op = m.op === undefined ? '=' : m.op;
    if (typeof op !== 'string' || !(MATCHER_OPS as readonly string[]).includes(op)) return c.bad(`${at}.op`, `must be one of: ${MATCHER_OPS.join(', ')} (default =); glob takes * and ? only`);
    const value = typeof m.value === 'number' && Number.isInteger(m.value) ? String(m.value) : m.value;
    if (typeof value !== 'string' || value === '' || value.length > 256) return c.bad(`${at}.value`, 'is required: a string of 1 to 256 characters');
    const problem = matcherValueProblem(name as MatcherName, op as MatcherOp, value);
    if (problem) return c.bad(`${at}.value`, problem);
    out.push({ name: name as MatcherName, value, op: op as MatcherOp });
  });
  return out;
}

/** ISO 8601 with a time zone (Z or an offset) as epoch ms, or null. */
function parseInstant(v: unknown): number | null {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

export interface SilenceInput {
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  force: boolean;
}

/** The body of POST /v1/silences at `now`. */
export function checkSilenceInput(raw: unknown, now: number): { value: SilenceInput; problems: InputProblem[] } {
  const c = new Checker('');
  const o = isObj(raw) ? raw : {};
  if (!isObj(raw)) c.bad('body', 'must be a JSON object {"matchers", "startsAt"?, "endsAt", "createdBy", "comment", "force"?}');
  c.unknown(o, ['matchers', 'startsAt', 'endsAt', 'createdBy', 'comment', 'force']);
  const matchers = checkMatchers(c, o.matchers);
  let startsAt = now;
  if (o.startsAt !== undefined) {
    const s = parseInstant(o.startsAt);
    if (s === null) c.bad('startsAt', 'must be an ISO 8601 time with a zone, e.g. 2026-01-01T02:00:00Z (default: now)');
    else startsAt = Math.max(s, now);
  }
  const endsAt = parseInstant(o.endsAt);
  if (o.endsAt === undefined) c.bad('endsAt', 'is required: when the silence ends, ISO 8601 with a zone, at most 30 days ahead');
  else if (endsAt === null) c.bad('endsAt', 'must be an ISO 8601 time with a zone, e.g. 2026-01-01T04:00:00Z');
  else if (endsAt <= startsAt) c.bad('endsAt', 'must be after startsAt (and after now)');
  else if (endsAt > now + SILENCE_MAX_MS) c.bad('endsAt', 'must be at most 30 days ahead; make a new silence when this one ends, or a maintenance window for recurring work');
  const createdBy = c.text(o, 'createdBy', 'who makes the silence (a name or an e-mail address)');
  const comment = c.text(o, 'comment', 'why (the change, the ticket)');
  if (o.force !== undefined && typeof o.force !== 'boolean') c.bad('force', 'must be true or false');
  return { value: { matchers, startsAt, endsAt: endsAt ?? now, createdBy, comment, force: o.force === true }, problems: c.problems };
}

export interface WindowInput {
  matchers: Matcher[];
  days: Weekday[];
  start: string;
  end: string;
  timezone: string;
  createdBy: string;
  comment: string;
}

/** A maintenance window: the body of POST /v1/maintenance, or one object of ALERT_MAINTENANCE (`prefix` e.g. `[0]`). */
export function checkWindowInput(raw: unknown, prefix = ''): { value: WindowInput; problems: InputProblem[] } {
  const c = new Checker(prefix);
  const o = isObj(raw) ? raw : {};
  if (!isObj(raw)) c.bad(prefix || 'body', 'must be a JSON object {"matchers", "days", "start", "end", "timezone", "createdBy", "comment"}');
  c.unknown(o, ['matchers', 'days', 'start', 'end', 'timezone', 'createdBy', 'comment']);
  const matchers = checkMatchers(c, o.matchers);
  const days: Weekday[] = [];
  if (!Array.isArray(o.days) || o.days.length === 0) c.bad(c.field('days'), `is required: a list of days, each one of ${WEEKDAYS.join(', ')}`);
  else {
    for (const d of o.days) {
      if (typeof d === 'string' && (WEEKDAYS as readonly string[]).includes(d)) {
        if (!days.includes(d as Weekday)) days.push(d as Weekday);
      } else c.bad(c.field('days'), `${JSON.stringify(d)} is not a day; use ${WEEKDAYS.join(', ')}`);
    }
  }
  const time = (name: 'start' | 'end'): string => {
    const v = o[name];
    if (typeof v !== 'string' || minutesOf(v) === null) {
      c.bad(c.field(name), 'is required: a wall-clock time HH:MM from 00:00 to 23:59 (an end at or before the start runs past midnight)');
      return '00:00';
    }
    return v;
  };
  const start = time('start');
  const end = time('end');
  if (typeof o.start === 'string' && o.start === o.end) c.bad(c.field('end'), 'must differ from start');
  const timezone = typeof o.timezone === 'string' ? o.timezone : '';
  if (timezone === '' || !isTimeZone(timezone)) c.bad(c.field('timezone'), `${timezone === '' ? 'is required' : `"${timezone}" is not a time zone`}: an IANA name, e.g. Asia/Shanghai, Europe/Berlin, UTC`);
  const createdBy = c.text(o, 'createdBy', 'who made the window');
  const comment = c.text(o, 'comment', 'why (the work it is for)');
  return { value: { matchers, days, start, end, timezone, createdBy, comment }, problems: c.problems };
}

export interface ExpectationInput {
  matchers: Matcher[];
  ports: ExpectedPort[];
  processes: ExpectedProcess[];
  createdBy: string;
  comment: string;
}

/** The body of POST /v1/expectations: at least one port or process. */
export function checkExpectationInput(raw: unknown): { value: ExpectationInput; problems: InputProblem[] } {
  const c = new Checker('');
  const o = isObj(raw) ? raw : {};
  if (!isObj(raw)) c.bad('body', 'must be a JSON object {"matchers", "ports", "processes", "createdBy", "comment"}');
  c.unknown(o, ['matchers', 'ports', 'processes', 'createdBy', 'comment']);
  const matchers = checkMatchers(c, o.matchers);
  const list = (name: 'ports' | 'processes'): unknown[] => {
    const v = o[name];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.length > MAX_LIST) {
      c.bad(name, `must be a list of at most ${MAX_LIST}`);
      return [];
    }
    return v;
  };
  const ports: ExpectedPort[] = [];
  list('ports').forEach((p, i) => {
    const at = `ports[${i}]`;
    if (!isObj(p)) return c.bad(at, 'must be an object {"port", "processName"?}');
    for (const k of Object.keys(p)) if (!['port', 'processName'].includes(k)) c.bad(`${at}.${k}`, 'is not a field here; use port, processName');
    if (typeof p.port !== 'number' || !Number.isInteger(p.port) || p.port < 1 || p.port > 65535) return c.bad(`${at}.port`, 'is required: a port number from 1 to 65535');
    if (p.processName !== undefined && (typeof p.processName !== 'string' || p.processName === '')) return c.bad(`${at}.processName`, 'must be a non-empty string (leave it out for any process)');
    ports.push({ port: p.port, ...(typeof p.processName === 'string' ? { processName: p.processName } : {}) });
  });
  const processes: ExpectedProcess[] = [];
  list('processes').forEach((p, i) => {
    const at = `processes[${i}]`;
    if (!isObj(p)) return c.bad(at, 'must be an object {"processName", "fullPath"?}');
    for (const k of Object.keys(p)) if (!['processName', 'fullPath'].includes(k)) c.bad(`${at}.${k}`, 'is not a field here; use processName, fullPath');
    if (typeof p.processName !== 'string' || p.processName === '') return c.bad(`${at}.processName`, 'is required: the process name');
    if (p.fullPath !== undefined && (typeof p.fullPath !== 'string' || p.fullPath === '')) return c.bad(`${at}.fullPath`, 'must be a non-empty string (leave it out for any path)');
    processes.push({ processName: p.processName, ...(typeof p.fullPath === 'string' ? { fullPath: p.fullPath } : {}) });
  });
  if (ports.length === 0 && processes.length === 0 && !c.problems.some((p) => p.field.startsWith('ports') || p.field.startsWith('processes'))) {
    c.bad('ports', 'name at least one port ({"port", "processName"?}) or process ({"processName", "fullPath"?}) that is expected');
  }
  const createdBy = c.text(o, 'createdBy', 'who made the expectation');
  const comment = c.text(o, 'comment', 'why it is expected');
  return { value: { matchers, ports, processes, createdBy, comment }, problems: c.problems };
}
