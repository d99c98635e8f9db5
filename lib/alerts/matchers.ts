// Matchers of the quiet rules (silences, maintenance windows, expectations): what one incident, or one agent, is
// as a matcher sees it, and whether a rule's matchers all match it. Pure and in memory: a sweep reads the rules
// once and matches every incident write against them here.
import { isIPv4 } from 'node:net';
import type { IncidentAgent } from '../events/types';
import type { Incident, Matcher, MatcherName } from './types';

/** What matchers look at: the agent (with its tags from the machine listing) and, for an incident, what it is about. */
export interface MatchTarget {
  uuid: string;
  machineName?: string;
  machineIp?: string;
  tags: readonly string[];
  type?: string;
  kind?: string;
  port?: number;
  processName?: string;
}

export function targetOf(i: Pick<Incident, 'type' | 'kind' | 'port' | 'processName'> & { agent: IncidentAgent }, tags: readonly string[] = []): MatchTarget {
  return {
    uuid: i.agent.uuid, tags,
    ...(i.agent.machineName !== undefined ? { machineName: i.agent.machineName } : {}),
    ...(i.agent.machineIp !== undefined ? { machineIp: i.agent.machineIp } : {}),
    type: i.type,
    ...(i.kind !== undefined ? { kind: i.kind } : {}),
    ...(i.port !== undefined ? { port: i.port } : {}),
    ...(i.processName !== undefined ? { processName: i.processName } : {}),
  };
}

/** A glob as a RegExp: `*` any run of characters, `?` one; every other character stands for itself. */
export function globRegExp(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}

/** An IPv4 CIDR (`10.0.0.0/8`, or one address) as base and mask, or null when it is not one. */
export function parseCidr(value: string): { base: number; mask: number } | null {
  const [ip, bits, extra] = value.split('/');
  if (extra !== undefined || ip === undefined || !isIPv4(ip)) return null;
  const prefix = bits === undefined ? 32 : /^\d{1,2}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= 32)) return null;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ipv4Number(ip) & mask) >>> 0, mask };
}

function ipv4Number(ip: string): number {
  return ip.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}

/** The values a target has for a matcher's name (tags: many; a field it lacks: none). */
function valuesOf(t: MatchTarget, name: MatcherName): string[] {
  if (name === 'tag') return [...t.tags];
  const v = t[name];
  return v === undefined ? [] : [String(v)];
}

/** One matcher, compiled once per rule: a predicate on a target. */
export type CompiledMatcher = (t: MatchTarget) => boolean;

export function compileMatcher(m: Matcher): CompiledMatcher {
  if (m.op === 'cidr') {
    const net = parseCidr(m.value);
    return (t) => net !== null && valuesOf(t, m.name).some((v) => isIPv4(v) && ((ipv4Number(v) & net.mask) >>> 0) === net.base);
  }
  if (m.op === 'glob') {
    const re = globRegExp(m.value);
    return (t) => valuesOf(t, m.name).some((v) => re.test(v));
  }
  // A value it lacks is not equal: `machineName != db-01` takes a host without a name.
  if (m.op === '!=') return (t) => !valuesOf(t, m.name).includes(m.value);
  return (t) => valuesOf(t, m.name).includes(m.value);
}

/** Every matcher must match (an empty list matches everything). */
export function compileMatchers(matchers: readonly Matcher[]): CompiledMatcher {
  const all = matchers.map(compileMatcher);
  return (t) => all.every((f) => f(t));
}

const AGENT_NAMES: readonly MatcherName[] = ['uuid', 'machineName', 'machineIp', 'tag'];

/**
 * Whether a matcher narrows the agents a rule covers: it names the agent (uuid, machineName, machineIp, tag) by
 * `=`, a glob that is not all `*`, or a CIDR shorter than every address. `!=` leaves all but one in: it does not.
 */
export function narrowsAgents(m: Matcher): boolean {
  if (!AGENT_NAMES.includes(m.name)) return false;
  if (m.op === '=') return true;
  if (m.op === 'glob') return /[^*]/.test(m.value);
  if (m.op === 'cidr') return (parseCidr(m.value)?.mask ?? 0) !== 0;
  return false;
}

/** A silence or window whose matchers leave every watched agent in (refused as too_broad without `force`). */
export function isTooBroad(matchers: readonly Matcher[]): boolean {
  return !matchers.some(narrowsAgents);
}
