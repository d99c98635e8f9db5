// DescribeMachines (yunjing 2018-02-28): the machines of a region and type, paged (Limit default 10, at most
// 100; Offset) and filtered (Keywords, Status, Version), with the action's documented error codes only:
// InternalError, InvalidParameter.InvalidFormat/.MissingParameter/.ParsingError, MissingParameter (as
// tencentcloud-sdk-go yunjing client.go lists them). A machine with an agent Uuid is ONLINE or OFFLINE as its
// agent's online flag says; a machine whose agent has been offline for long answers an empty Uuid and is
// OFFLINE. See README.md for the choices the documentation leaves open.
import { createHash } from 'node:crypto';
import { isAgentUuid } from '../../lib/cwp/uuid';
import { ApiError } from './errors';
import { seededRandom } from './timeline';
import type { Agents } from './yunjing';

export const MACHINE_ACTIONS: readonly string[] = ['DescribeMachines'];

export const MACHINES_LIMIT = { default: 10, max: 100 } as const;

/**
 * MachineType values. The yunjing SDK model documents CVM and BM; the current DescribeMachines page
 * (https://www.tencentcloud.com/document/api/296/30889, the same action on the shared backend) adds ECM, LH
 * and Other. All five are accepted.
 */
export const MACHINE_TYPES = ['CVM', 'BM', 'ECM', 'LH', 'Other'] as const;
export type MachineType = (typeof MACHINE_TYPES)[number];

/** The documented filters (DescribeMachinesRequest.Filters): each takes exactly one value. */
export const MACHINE_FILTERS = { Keywords: null, Status: ['ONLINE', 'OFFLINE', 'UNINSTALLED'], Version: ['PRO_VERSION', 'BASIC_VERSION'] } as const;

/** RegionInfo of the regions we name (ids and codes as the CVM region list has them); others get id 0. */
const REGIONS: Record<string, { RegionName: string; RegionId: number; RegionCode: string }> = {
  'ap-guangzhou': { RegionName: '华南地区（广州）', RegionId: 1, RegionCode: 'gz' },
  'ap-shanghai': { RegionName: '华东地区（上海）', RegionId: 4, RegionCode: 'sh' },
  'ap-hongkong': { RegionName: '港澳台地区（中国香港）', RegionId: 5, RegionCode: 'hk' },
  'ap-beijing': { RegionName: '华北地区（北京）', RegionId: 8, RegionCode: 'bj' },
  'ap-singapore': { RegionName: '亚太东南（新加坡）', RegionId: 9, RegionCode: 'sg' },
  'ap-chengdu': { RegionName: '西南地区（成都）', RegionId: 16, RegionCode: 'cd' },
};
const REGION_FORMAT = /^[a-z]{2,4}(-[a-z]+)+(-\d+)?$/;

export interface MachineTagSpec {
  name: string;
  /** Default: a number derived from the name. */
  tagId?: number;
}

/** A machine as addMachine takes it. */
export interface MachineSpec {
  /** The agent's Uuid; its online flag decides MachineStatus (the agent is added if new). '' or absent: a machine whose agent has been offline for long (answers Uuid "" and OFFLINE). */
  uuid?: string;
  /** The CVM/BM's own uuid; default derived from `uuid` (required when `uuid` is empty). */
  quuid?: string;
  /** Default ap-guangzhou. */
  region?: string;
  /** Default CVM. */
  type?: MachineType;
  /** Default the agent's host name and IP (VM-c-d-centos, 10.b.c.d), or derived from quuid. */
  name?: string;
  ip?: string;
  /** Default ''. */
  wanIp?: string;
  /** Default 'CentOS Linux release 7.9.2009 (Core)'. */
  os?: string;
  tags?: Array<string | MachineTagSpec>;
  /** IsProVersion. Default false. */
  proVersion?: boolean;
  /** Default POSTPAY. */
  payMode?: 'POSTPAY' | 'PREPAY';
}

/** What a fleet gives each of its agents (addFleet's `machines` option). */
export interface MachineFleetOptions {
  /** Regions, round-robin over the agents. Default ['ap-guangzhou']. */
  regions?: string[];
  /** Default CVM. */
  type?: MachineType;
  /** Tags, each agent gets each with probability 0.5 (seeded). Default none. */
  tags?: string[];
  /** Share of agents on the professional version. Default 0. */
  proFraction?: number;
  /** Share of the fleet's offline agents whose machines answer an empty Uuid. Default 0. */
  longOfflineFraction?: number;
}

export interface MachineEntry {
  uuid: string;
  quuid: string;
  region: string;
  type: MachineType;
  name: string | null;
  ip: string | null;
  wanIp: string;
  os: string;
  tags: Array<{ Rid: number; Name: string; TagId: number }>;
  proVersion: boolean;
  payMode: 'POSTPAY' | 'PREPAY';
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

function hashUuid(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The Quuid an agent's machine gets unless its spec names one: the same for the same agent on every emulator. */
export function quuidFor(uuid: string): string {
  return hashUuid(`quuid:${uuid.toLowerCase()}`);
}

function machineOfQuuid(quuid: string): { ip: string; name: string } {
  const random = seededRandom(parseInt(quuid.slice(0, 8), 16) || 1);
  const [b, c, d] = [0, 1, 2].map(() => Math.floor(random() * 254) + 1) as [number, number, number];
  return { ip: `10.${b}.${c}.${d}`, name: `VM-${c}-${d}-centos` };
}

const invalid = (message: string) => new ApiError('InvalidParameter.InvalidFormat', message);

export class Machines {
  private readonly entries: MachineEntry[] = [];
  private nextRid = 1;

  constructor(private readonly agents: Agents) {}

  private index(id: string): number {
    const key = id.toLowerCase();
    return this.entries.findIndex((m) => (m.uuid !== '' && m.uuid === key) || m.quuid === key);
  }

  /** Adds a machine; returns its Quuid (its identity when the Uuid is empty). */
  addMachine(spec: MachineSpec): string {
    if (spec === null || typeof spec !== 'object') throw new Error('a machine spec must be an object');
    const uuid = (spec.uuid ?? '').toLowerCase();
    if (uuid !== '' && !isAgentUuid(uuid)) throw new Error(`"${spec.uuid}" is not an agent Uuid (8-4-4-4-12 hex)`);
    if (uuid === '' && !nonEmpty(spec.quuid)) throw new Error('a machine without a Uuid needs its quuid');
    const quuid = (spec.quuid ?? quuidFor(uuid)).toLowerCase();
    const region = spec.region ?? 'ap-guangzhou';
    if (!REGION_FORMAT.test(region)) throw new Error(`region "${region}" is not of the form ap-guangzhou`);
    const type = spec.type ?? 'CVM';
    if (!MACHINE_TYPES.includes(type)) throw new Error(`type must be one of ${MACHINE_TYPES.join(', ')}`);
    for (const [k, v] of [['name', spec.name], ['ip', spec.ip], ['os', spec.os]] as const) {
      if (v !== undefined && !nonEmpty(v)) throw new Error(`${k} must be a non-empty string`);
    }
    if ((uuid !== '' && this.index(uuid) >= 0) || this.index(quuid) >= 0) throw new Error(`machine ${uuid || quuid} exists; removeMachine it first`);
    const tags = (spec.tags ?? []).map((t) => {
      const tag = typeof t === 'string' ? { name: t } : t;
      if (!nonEmpty(tag?.name)) throw new Error('a tag needs a non-empty name');
      return { Rid: this.nextRid++, Name: tag.name, TagId: tag.tagId ?? (parseInt(createHash('sha256').update(tag.name).digest('hex').slice(0, 6), 16) % 100_000) + 1 };
    });
    if (uuid !== '' && !this.agents.has(uuid)) this.agents.addAgent(uuid);
    this.entries.push({
      uuid,
      quuid,
      region,
      type,
      name: spec.name ?? null,
      ip: spec.ip ?? null,
      wanIp: spec.wanIp ?? '',
      os: spec.os ?? 'CentOS Linux release 7.9.2009 (Core)',
      tags,
      proVersion: spec.proVersion === true,
      payMode: spec.payMode ?? 'POSTPAY',
    });
    return quuid;
  }

  /** Removes the machine with this Uuid or Quuid (its agent stays, as an uninstalled machine's task keys do). */
  removeMachine(id: string): void {
    const i = this.index(id);
    if (i < 0) throw new Error(`no machine ${id}`);
    this.entries.splice(i, 1);
  }

  /**
   * ONLINE / OFFLINE set the agent's online flag (what the status actions answer too); LONG_OFFLINE sets it
   * offline and makes the machine answer an empty Uuid from now on (it is then found by its Quuid).
   */
  setMachineStatus(id: string, status: 'ONLINE' | 'OFFLINE' | 'LONG_OFFLINE'): void {
    const i = this.index(id);
    if (i < 0) throw new Error(`no machine ${id}`);
    const m = this.entries[i]!;
    if (status !== 'ONLINE' && status !== 'OFFLINE' && status !== 'LONG_OFFLINE') throw new Error('status must be ONLINE, OFFLINE or LONG_OFFLINE');
    if (m.uuid === '') {
      if (status === 'ONLINE') throw new Error(`machine ${m.quuid} has no agent Uuid; addMachine it again with one`);
      return;
    }
    this.agents.setOnline(m.uuid, status === 'ONLINE');
    if (status === 'LONG_OFFLINE') m.uuid = '';
  }

  /** One machine per fleet agent, seeded as the fleet. */
  addForFleet(uuids: readonly string[], options: MachineFleetOptions, seed = 1): void {
    const regions = options.regions ?? ['ap-guangzhou'];
    if (!Array.isArray(regions) || regions.length === 0) throw new Error('machines.regions must be a non-empty array');
    const random = seededRandom((seed ^ 0x5eed) >>> 0);
    uuids.forEach((uuid, i) => {
      const tags = (options.tags ?? []).filter(() => random() < 0.5);
      const pro = random() < (options.proFraction ?? 0);
      const longOffline = this.agents.isOnline(uuid) === false && random() < (options.longOfflineFraction ?? 0);
      const quuid = this.addMachine({ uuid, region: regions[i % regions.length]!, type: options.type ?? 'CVM', tags, proVersion: pro });
      if (longOffline) this.entries[this.index(quuid)]!.uuid = '';
    });
  }

  /** The machines in creation order, as stored (the cwp face answers them in its own shape). */
  view(): readonly Readonly<MachineEntry>[] {
    return this.entries;
  }

  /** The machine with this Uuid or Quuid, if any. */
  find(id: string): Readonly<MachineEntry> | undefined {
    const i = this.index(id);
    return i < 0 ? undefined : this.entries[i];
  }

  /** Name and private IP as the listings show them: the spec's, else the agent's host's, else derived from the Quuid. */
  shownAs(m: Readonly<MachineEntry>): { name: string; ip: string } {
    const host = m.uuid !== '' ? this.agents.machineNow(m.uuid) : null;
    const fallback = machineOfQuuid(m.quuid);
    return { name: m.name ?? host?.machineName ?? fallback.name, ip: m.ip ?? host?.machineIp ?? fallback.ip };
  }

  /** RegionInfo of a region, as the listings answer it. */
  regionInfo(region: string): { Region: string; RegionName: string; RegionId: number; RegionCode: string } {
    return { Region: region, ...(REGIONS[region] ?? { RegionName: region, RegionId: 0, RegionCode: '' }) };
  }

  /** Every machine now, as DescribeMachines answers it, in creation order. */
  list(): Array<Record<string, unknown> & { MachineStatus: string; Uuid: string }> {
    return this.entries.map((m) => this.answer(m));
  }

  private answer(m: MachineEntry): Record<string, unknown> & { MachineStatus: string; Uuid: string } {
    const host = m.uuid !== '' ? this.agents.machineNow(m.uuid) : null;
    const fallback = machineOfQuuid(m.quuid);
    const online = m.uuid !== '' && this.agents.isOnline(m.uuid) === true;
    const region = REGIONS[m.region] ?? { RegionName: m.region, RegionId: 0, RegionCode: '' };
    return {
      MachineName: m.name ?? host?.machineName ?? fallback.name,
      MachineOs: m.os,
      MachineStatus: online ? 'ONLINE' : 'OFFLINE',
      Uuid: m.uuid,
      Quuid: m.quuid,
      VulNum: 0,
      MachineIp: m.ip ?? host?.machineIp ?? fallback.ip,
      IsProVersion: m.proVersion,
      MachineWanIp: m.wanIp,
      PayMode: m.payMode,
      MalwareNum: 0,
      Tag: m.tags.map((t) => ({ ...t })),
      BaselineNum: 0,
      CyberAttackNum: 0,
      SecurityStatus: 'SAFE',
      InvasionNum: 0,
      RegionInfo: { Region: m.region, ...region },
    };
  }

  /** The Response fields of DescribeMachines (without RequestId), or an ApiError. */
  handle(body: string): Record<string, unknown> {
    const q = readQuery(body);
    const listed = this.entries.filter((m) => m.region === q.region && m.type === q.type);
    // Without filters only the page needs its answers: a page of a 50,000-machine listing stays cheap.
    if (q.filters.length === 0) return { TotalCount: listed.length, Machines: listed.slice(q.offset, q.offset + q.limit).map((m) => this.answer(m)) };
    const found = listed
      .map((m) => ({ m, a: this.answer(m) }))
      .filter(({ m, a }) =>
        q.filters.every((f) => {
          switch (f.name) {
            case 'Keywords': {
              const fields = [a.MachineName, a.MachineIp, a.MachineWanIp] as string[];
              return f.exact ? fields.includes(f.value) : fields.some((v) => v.includes(f.value));
            }
            case 'Status':
              return f.value === 'UNINSTALLED' ? m.uuid === '' : a.MachineStatus === f.value;
            default:
              return m.proVersion === (f.value === 'PRO_VERSION');
          }
        }),
      )
      .map(({ a }) => a);
    return { TotalCount: found.length, Machines: found.slice(q.offset, q.offset + q.limit) };
  }
}

interface MachineQuery {
  type: MachineType;
  region: string;
  limit: number;
  offset: number;
  filters: Array<{ name: keyof typeof MACHINE_FILTERS; value: string; exact: boolean }>;
}

const PARAMS = ['MachineType', 'MachineRegion', 'Limit', 'Offset', 'Filters'];

function readQuery(body: string): MachineQuery {
  let p: unknown;
  try {
    p = JSON.parse(body);
  } catch {
    p = undefined;
  }
  if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new ApiError('InvalidParameter.ParsingError', 'The request body could not be parsed as a JSON object.');
  const params = p as Record<string, unknown>;
  // No IllegalRequest is documented for DescribeMachines: an unknown parameter is its nearest code, InvalidFormat.
  const extra = Object.keys(params).filter((k) => !PARAMS.includes(k));
  if (extra.length > 0) throw invalid(`Unknown parameter(s): ${extra.join(', ')}.`);
  for (const name of ['MachineType', 'MachineRegion']) {
    const v = params[name];
    if (v === undefined) throw new ApiError('MissingParameter', `The request is missing a required parameter \`${name}\`.`);
    if (v === '') throw new ApiError('InvalidParameter.MissingParameter', `The required parameter \`${name}\` is empty.`);
  }
  const type = params.MachineType;
  if (typeof type !== 'string' || !(MACHINE_TYPES as readonly string[]).includes(type)) throw invalid(`MachineType must be one of ${MACHINE_TYPES.join(', ')}.`);
  const region = params.MachineRegion;
  if (typeof region !== 'string' || !REGION_FORMAT.test(region)) throw invalid('MachineRegion must be a region such as ap-guangzhou.');
  const limit = params.Limit ?? MACHINES_LIMIT.default;
  if (!(isInt(limit) && limit >= 1 && limit <= MACHINES_LIMIT.max)) throw invalid(`Limit must be an integer 1..${MACHINES_LIMIT.max}.`);
  const offset = params.Offset ?? 0;
  if (!(isInt(offset) && offset >= 0)) throw invalid('Offset must be a non-negative integer.');

  const filters: MachineQuery['filters'] = [];
  if (params.Filters !== undefined) {
    if (!Array.isArray(params.Filters)) throw invalid('Filters must be an array of {Name, Values}.');
    params.Filters.forEach((f: unknown, i) => {
      if (f === null || typeof f !== 'object' || Array.isArray(f)) throw invalid(`Filters.${i} must be an object {Name, Values}.`);
      const { Name, Values, ExactMatch, ...rest } = f as Record<string, unknown>;
      if (Object.keys(rest).length > 0) throw invalid(`Filters.${i} has unknown fields: ${Object.keys(rest).join(', ')}.`);
      if (typeof Name !== 'string' || !Object.hasOwn(MACHINE_FILTERS, Name)) throw invalid(`Filters.${i}.Name must be one of ${Object.keys(MACHINE_FILTERS).join(', ')}.`);
      // "Each filter supports only one value; several values (OR) are not supported yet."
      if (!Array.isArray(Values) || Values.length !== 1 || !nonEmpty(Values[0])) throw invalid(`Filters.${i}.Values must be an array of exactly one non-empty string.`);
      if (ExactMatch !== undefined && typeof ExactMatch !== 'boolean') throw invalid(`Filters.${i}.ExactMatch must be a boolean.`);
      const name = Name as keyof typeof MACHINE_FILTERS;
      const allowed = MACHINE_FILTERS[name];
      if (allowed !== null && !(allowed as readonly string[]).includes(Values[0])) throw invalid(`Filters.${i}.Values of ${name} must be one of ${allowed.join(', ')}.`);
      filters.push({ name, value: Values[0], exact: ExactMatch === true });
    });
  }
  return { type: type as MachineType, region, limit, offset, filters };
}
