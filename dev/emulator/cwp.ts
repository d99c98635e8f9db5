// The cwp (2018-02-28) face of the emulator: the current CWP API, on the same agents, hosts, machines and clock as
// the yunjing face (one core, two protocol faces). What it adds is the asset model that replaced yunjing's per-host
// tasks: an account-wide asset scan (ScanAsset, SyncAssetScan, StopAssetScan) and the inventory it collects
// (DescribeAssetPortInfoList, DescribeAssetProcessInfoList), plus cwp's machine actions (DescribeMachines,
// DescribeMachineRegions, DescribeMachineInfo). A scan writes into the same per-key timelines a yunjing
// collection does (COLLECTING, then COMPLETE, or FAILED for a host it skipped), so every finished collection of a
// key, whichever face started it, is a point of that host's inventory. Each action answers its documented error
// codes only (tencentcloud-sdk-go cwp/v20180228 client.go; test/fixtures/cwp-api-responses.json); README.md lists
// the choices the documentation leaves open.
import { isAgentUuid } from '../../lib/cwp/uuid';
import type { TaskKind } from '../../lib/types';
import { ApiError } from './errors';
import type { HostPort, HostProcess } from './hosts';
import { MACHINE_TYPES, quuidFor, type MachineEntry, type Machines, type MachineType } from './machines';
import { seededRandom } from './timeline';
import type { Agents } from './yunjing';

export const CWP_VERSION = '2018-02-28';

export const CWP_ACTIONS: readonly string[] = [
  'ScanAsset', 'SyncAssetScan', 'StopAssetScan', 'DescribeAssetTypes', 'DescribeAssetPortInfoList', 'DescribeAssetProcessInfoList',
  'DescribeMachines', 'DescribeMachineRegions', 'DescribeMachineInfo',
];

/**
 * DescribeAssetTypes. The documentation gives one example ({Id: 1, Name: "name"}) and no list; these are the asset
 * fingerprint categories of the CWP console, with ids of our own. Only 端口 (ports) and 进程 (processes) are collected.
 */
export const ASSET_TYPES: ReadonlyArray<{ Id: number; Name: string }> = [
  { Id: 1, Name: '账号' }, { Id: 2, Name: '端口' }, { Id: 3, Name: '进程' }, { Id: 4, Name: '应用软件' }, { Id: 5, Name: '数据库' },
  { Id: 6, Name: 'Web应用' }, { Id: 7, Name: 'Web框架' }, { Id: 8, Name: 'Web服务' }, { Id: 9, Name: 'Web站点' }, { Id: 10, Name: 'Jar包' },
  { Id: 11, Name: '启动服务' }, { Id: 12, Name: '计划任务' }, { Id: 13, Name: '环境变量' }, { Id: 14, Name: '内核模块' }, { Id: 15, Name: '系统安装包' },
];
/** The asset type id that collects each task kind. */
export const ASSET_TYPE_OF: Record<TaskKind, number> = { port: 2, process: 3 };

export const INVENTORY_LIMIT = { default: 10, max: 100 } as const;
/** "Filters at most 5, each with at most 5 values" (the DescribeAsset*InfoList pages). */
export const INVENTORY_FILTERS_MAX = 5;
export const INVENTORY_VALUES_MAX = 5;

const PORT_FILTERS = ['Port', 'IP', 'MachineName', 'InstanceID', 'ProcessName', 'Pid', 'User', 'Group', 'Ppid', 'Proto', 'OsType', 'RunTimeStart', 'RunTimeEnd', 'Os'] as const;
const PROCESS_FILTERS = ['IP', 'MachineName', 'InstanceID', 'Name', 'User', 'Group', 'Pid', 'Ppid', 'OsType', 'Status', 'RunTimeStart', 'RunTimeEnd', 'InstallByPackage', 'Os'] as const;

/** DescribeMachines' cwp filters: each takes one value, but Quuid up to 100. */
const CWP_MACHINE_FILTERS: Record<string, readonly string[] | null> = {
  Ips: null, Names: null, InstanceIds: null, Version: ['PRO_VERSION', 'BASIC_VERSION', 'Flagship', 'ProtectedMachines'], Risk: ['yes'], Os: null,
  Quuid: null, AddedOnTheFifteen: ['1'], TagId: null, AgentStatus: ['ALL', 'ONLINE', 'OFFLINE', 'UNINSTALLED'], MachineStatus: ['ALL', 'RUNNING', 'STOPPED', 'EXPIRED'],
};
const MACHINES_LIMIT = { default: 10, max: 100 } as const;
const REGION_FORMAT = /^[a-z]{2,4}(-[a-z]+)+(-\d+)?$/;
const UUID_FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const REGION_NAMES_EN: Record<string, string> = {
  'ap-guangzhou': 'South China(Guangzhou)', 'ap-shanghai': 'East China(Shanghai)', 'ap-beijing': 'North China(Beijing)', 'ap-chengdu': 'Southwest China(Chengdu)',
  'ap-hongkong': 'Hong Kong, Macau and Taiwan (China)(Hong Kong, China)', 'ap-singapore': 'Southeast Asia(Singapore)', 'ap-others': 'Others',
};

/** Beijing time, as CWP writes its times: `YYYY-MM-DD HH:MM:SS` (the documented examples; no zone is named). */
export function cwpTime(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

export type AgentStatus = 'ONLINE' | 'OFFLINE' | 'UNINSTALLED';

/** One host of a scan and how its collection ends. */
export interface ScanHost {
  uuid: string;
  quuid: string;
  kinds: TaskKind[];
  /** COMPLETE: collected; FAILED: the scan skipped it (its inventory does not move); OFFLINE: not scanned (agent not online). */
  outcome: 'COMPLETE' | 'FAILED' | 'OFFLINE';
}

export interface ScanTask {
  taskId: number;
  startedAt: number;
  /** When it ends (or ended): startedAt + scanMs, or when StopAssetScan stopped it. */
  endsAt: number;
  stopped: boolean;
  hosts: ScanHost[];
}

export interface ScanRequest {
  /** Quuids to scan; none: every host of the account. */
  quuids?: string[];
  /** Kinds to collect; none: both. */
  kinds?: TaskKind[];
  scanMs?: number;
}

export interface CwpOptions {
  /** How long a scan takes. Default: the emulator's defaultCollectMs. */
  scanMs: number;
  /** Share of online hosts each scan skips (their collection ends FAILED), seeded. Default 0. */
  skipFraction?: number;
}

/** A host's inventory of one kind: its last finished collection, each item with when it first appeared. */
interface Inventory {
  seq: number;
  updatedAt: number;
  /** The items, in the host's order, each with its first-seen time for sorting; rendered when first asked for. */
  items: InventoryItem[];
  firstSeen: Map<string, number>;
}

/**
 * One inventory item: its first-seen time (sorting needs no more) and its record, built on first use: an
 * account-wide listing sorts every item of a 10,000-host fleet and renders one page.
 */
class InventoryItem {
  private built: Record<string, unknown> | null = null;
  constructor(readonly first: number, readonly start: number, private readonly render: () => Record<string, unknown>) {}
  get record(): Record<string, unknown> {
    return (this.built ??= this.render());
  }
}

/** One host as the cwp face shows it: its agent, Quuid, and where it is. */
interface HostView {
  uuid: string;
  quuid: string;
  type: MachineType;
  region: string;
  entry: Readonly<MachineEntry> | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

function parseBody(body: string, code: string): Record<string, unknown> {
  let p: unknown;
  try {
    p = JSON.parse(body);
  } catch {
    p = undefined;
  }
  if (!isObject(p)) throw new ApiError(code, 'The request body could not be parsed as a JSON object.');
  return p;
}

function noOthers(p: Record<string, unknown>, allowed: readonly string[], code: string): void {
  const extra = Object.keys(p).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw new ApiError(code, `Unknown parameter(s): ${extra.join(', ')}.`);
}

export class CwpFace {
  private readonly tasks: ScanTask[] = [];
  private readonly skipNext = new Set<string>();
  private readonly inventories = new Map<string, Inventory>();
  private readonly random: () => number;
  /** Derived Quuid -> agent uuid, for agents without a machine of their own. */
  private derived = new Map<string, string>();
  private derivedFor = -1;

  constructor(
    private readonly agents: Agents,
    private readonly machines: Machines,
    private readonly now: () => number,
    private readonly options: CwpOptions,
  ) {
    this.random = seededRandom(0xc3a9);
    if (options.skipFraction !== undefined && !(options.skipFraction >= 0 && options.skipFraction <= 1)) throw new Error('scanSkipFraction must be in [0, 1]');
  }

  // ---- hosts ----

  /** The cwp face's online state of an agent: uninstalled when both its keys are UNKNOWN_AGENT, offline when either is AGENT_OFFLINE. */
  agentStatus(uuid: string): AgentStatus | null {
    if (!this.agents.has(uuid)) return null;
    const p = this.agents.state(uuid, 'process');
    const q = this.agents.state(uuid, 'port');
    if (p === 'UNKNOWN_AGENT' && q === 'UNKNOWN_AGENT') return 'UNINSTALLED';
    return p === 'AGENT_OFFLINE' || q === 'AGENT_OFFLINE' ? 'OFFLINE' : 'ONLINE';
  }

  /** The agent's host: its machine, or (an agent added without one) a CVM in ap-guangzhou with the Quuid derived from its uuid. */
  private hostOfAgent(uuid: string): HostView {
    const entry = this.machines.find(uuid) ?? null;
    if (entry && entry.uuid === uuid.toLowerCase()) return { uuid: entry.uuid, quuid: entry.quuid, type: entry.type, region: entry.region, entry };
    return { uuid: uuid.toLowerCase(), quuid: quuidFor(uuid), type: 'CVM', region: 'ap-guangzhou', entry: null };
  }

  /** The host with this Quuid, or null. */
  private hostOfQuuid(quuid: string): HostView | null {
    const q = quuid.toLowerCase();
    const entry = this.machines.find(q);
    if (entry && entry.quuid === q) return { uuid: entry.uuid, quuid: entry.quuid, type: entry.type, region: entry.region, entry };
    const uuids = this.agents.uuids();
    if (this.derivedFor !== uuids.length) {
      this.derived = new Map(uuids.map((u) => [quuidFor(u), u]));
      this.derivedFor = uuids.length;
    }
    const uuid = this.derived.get(q);
    return uuid === undefined ? null : this.hostOfAgent(uuid);
  }

  /** Every host with an agent: the agents in creation order. */
  private allHosts(): HostView[] {
    return this.agents.uuids().map((u) => this.hostOfAgent(u));
  }

  // ---- the inventory ----

  private inventoryOf(host: HostView, kind: TaskKind): Inventory | null {
    if (host.uuid === '') return null;
    const collections = this.agents.collectionsOf(host.uuid, kind);
    const last = collections[collections.length - 1];
    if (!last) return null;
    const key = `${host.uuid}#${kind}`;
    const cached = this.inventories.get(key);
    if (cached && cached.seq === last.seq) return cached;
    // FirstTime: when the item's current run of presence began (a port closed and opened again is new again).
    let from = 0;
    let firstSeen = new Map<string, number>();
    if (cached) {
      const i = collections.findIndex((c) => c.seq === cached.seq);
      if (i >= 0) {
        from = i + 1;
        firstSeen = cached.firstSeen;
      }
    }
    for (let i = from; i < collections.length; i++) {
      const c = collections[i]!;
      const seen = this.agents.seenBy(host.uuid, c);
      const next = new Map<string, number>();
      for (const id of kind === 'port' ? seen.ports.map(portIdentity) : seen.processes.map(processIdentity)) next.set(id, firstSeen.get(id) ?? c.at);
      firstSeen = next;
    }
    const seen = this.agents.seenBy(host.uuid, last);
    const hadEarlier = collections.length > 1;
    const common = this.machineFields(host, seen.machineIp, seen.machineName);
    const byPid = new Map(seen.processes.map((p) => [p.pid, p]));
    const updated = cwpTime(last.at);
    const items = kind === 'port'
      ? seen.ports.map((p) => {
          const first = firstSeen.get(portIdentity(p)) ?? last.at;
          const owner = byPid.get(p.pid);
          const record = () => ({
            ...common, ProcessName: p.processName, ProcessVersion: '', ProcessPath: owner?.fullPath ?? '', Pid: String(p.pid), User: owner?.username ?? '',
            StartTime: cwpTime(first), Param: '', Teletype: '', Port: String(p.port), GroupName: owner?.username ?? '', Md5: '', Ppid: String(owner?.ppid ?? 0),
            ParentProcessName: (owner && byPid.get(owner.ppid)?.processName) ?? '', Proto: p.proto ?? 'tcp', BindIp: p.bindIp ?? '0.0.0.0',
            MachineName: seen.machineName, UpdateTime: updated, FirstTime: cwpTime(first), IsNew: hadEarlier && first === last.at ? 1 : 0, MachineExtraInfo: this.extraInfo(host, seen.machineIp, seen.machineName),
          });
          return new InventoryItem(first, first, record);
        })
      : seen.processes.map((p) => {
          const first = firstSeen.get(processIdentity(p)) ?? last.at;
          const record = () => ({
            ...common, Name: p.processName, Desc: '', Path: p.fullPath, Pid: String(p.pid), User: p.username, StartTime: cwpTime(first), Param: '', Tty: '',
            Version: '', GroupName: p.username, Md5: '', Ppid: String(p.ppid), ParentProcessName: byPid.get(p.ppid)?.processName ?? '', Status: 'S', HasSign: 999,
            InstallByPackage: 999, PackageName: '', MachineName: seen.machineName, UpdateTime: updated, FirstTime: cwpTime(first),
            IsNew: hadEarlier && first === last.at ? 1 : 0, MachineExtraInfo: this.extraInfo(host, seen.machineIp, seen.machineName),
          });
          return new InventoryItem(first, first, record);
        });
    const inventory: Inventory = { seq: last.seq, updatedAt: last.at, items, firstSeen };
    this.inventories.set(key, inventory);
    return inventory;
  }

  private machineFields(host: HostView, ip: string, _name: string): Record<string, unknown> {
    const e = host.entry;
    return {
      MachineIp: e?.ip ?? ip, MachineWanIp: e?.wanIp ?? '', Quuid: host.quuid, Uuid: host.uuid, OsInfo: e?.os ?? 'CentOS Linux release 7.9.2009 (Core)', ProjectId: 0,
      Tag: (e?.tags ?? []).map((t) => ({ ...t })),
    };
  }

  private extraInfo(host: HostView, ip: string, name: string): Record<string, unknown> {
    return { WanIP: host.entry?.wanIp ?? '', PrivateIP: host.entry?.ip ?? ip, NetworkType: 1, NetworkName: `vpc-${host.quuid.slice(0, 8)}`, InstanceID: instanceId(host.quuid), HostName: name };
  }

  /** A host's inventory of a kind now, as the list actions answer it (for tests): null when nothing was collected. */
  inventory(uuid: string, kind: TaskKind): { updateTime: string; items: Array<Record<string, unknown>> } | null {
    const inv = this.inventoryOf(this.hostOfAgent(uuid), kind);
    return inv ? { updateTime: cwpTime(inv.updatedAt), items: inv.items.map((i) => ({ ...i.record })) } : null;
  }

  // ---- scans ----

  private latest(): ScanTask | undefined {
    return this.tasks[this.tasks.length - 1];
  }

  private running(): ScanTask | undefined {
    const t = this.latest();
    return t && this.now() < t.endsAt ? t : undefined;
  }

  /** Every scan so far, oldest first (copies). */
  scans(): ScanTask[] {
    return this.tasks.map((t) => ({ ...t, hosts: t.hosts.map((h) => ({ ...h, kinds: [...h.kinds] })) }));
  }

  /** The next scan that covers this agent skips it: its collection ends FAILED and its inventory stays. */
  skipInNextScan(uuid: string): void {
    if (!isAgentUuid(uuid)) throw new Error(`"${uuid}" is not an agent Uuid (8-4-4-4-12 hex)`);
    this.skipNext.add(uuid.toLowerCase());
  }

  /** Starts a scan as ScanAsset does (the console's button, for tests); throws the ApiError ScanAsset would answer. */
  startScan(request: ScanRequest = {}): ScanTask {
    const running = this.running();
    if (running) {
      throw new ApiError('FailedOperation', `An asset scan task is already running (TaskId ${running.taskId}); start another when SyncAssetScan answers FINISHED.`);
    }
    const kinds = request.kinds ?? ['process', 'port'];
    const scanMs = request.scanMs ?? this.options.scanMs;
    if (!(scanMs >= 0)) throw new Error('scanMs must be >= 0');
    const hosts: HostView[] = [];
    if (request.quuids && request.quuids.length > 0) {
      for (const q of request.quuids) {
        const host = this.hostOfQuuid(q);
        if (!host) throw new ApiError('ResourceNotFound', `No host has the Quuid ${q}.`);
        if (!hosts.some((h) => h.quuid === host.quuid)) hosts.push(host);
      }
    } else hosts.push(...this.allHosts());
    const task: ScanTask = { taskId: this.tasks.length + 1, startedAt: this.now(), endsAt: this.now() + scanMs, stopped: false, hosts: [] };
    for (const host of hosts) {
      const status = host.uuid === '' ? null : this.agentStatus(host.uuid);
      let outcome: ScanHost['outcome'] = 'COMPLETE';
      if (status !== 'ONLINE') outcome = 'OFFLINE';
      else if (this.skipNext.delete(host.uuid) || this.random() < (this.options.skipFraction ?? 0)) outcome = 'FAILED';
      const scanned = outcome === 'OFFLINE' ? [] : kinds.filter((k) => this.agents.state(host.uuid, k) !== 'UNKNOWN_AGENT');
      for (const kind of scanned) this.agents.script(host.uuid, kind, [{ atMs: 0, state: 'COLLECTING' }, { atMs: scanMs, state: outcome === 'COMPLETE' ? 'COMPLETE' : 'FAILED' }]);
      task.hosts.push({ uuid: host.uuid, quuid: host.quuid, kinds: scanned, outcome });
    }
    this.tasks.push(task);
    return task;
  }

  /** Stops the running scan: its hosts' collections end FAILED now, their inventories stay. */
  stopScan(taskId: number): void {
    const running = this.running();
    if (!running || running.taskId !== taskId) throw new ApiError('FailedOperation', `No asset scan task ${taskId} is running.`);
    running.endsAt = this.now();
    running.stopped = true;
    for (const h of running.hosts) for (const kind of h.kinds) this.agents.script(h.uuid, kind, [{ atMs: 0, state: 'FAILED' }]);
  }

  /** SyncAssetScan's answer: the account's latest scan. */
  scanState(): { State: 'NOTASK' | 'SYNCING' | 'FINISHED'; LatestStartTime: string; LatestEndTime: string; TaskId: number } {
    const t = this.latest();
    if (!t) return { State: 'NOTASK', LatestStartTime: '', LatestEndTime: '', TaskId: 0 };
    const syncing = this.now() < t.endsAt;
    const previous = this.tasks[this.tasks.length - 2];
    return {
      State: syncing ? 'SYNCING' : 'FINISHED',
      LatestStartTime: cwpTime(t.startedAt),
      // While a scan runs, the latest end is the previous scan's.
      LatestEndTime: syncing ? (previous ? cwpTime(previous.endsAt) : '') : cwpTime(t.endsAt),
      TaskId: t.taskId,
    };
  }

  // ---- the API ----

  /** Handles a cwp action; returns the Response fields (without RequestId) or throws an ApiError. */
  handle(action: string, body: string): Record<string, unknown> {
    switch (action) {
      case 'ScanAsset':
        return this.scanAsset(body);
      case 'SyncAssetScan': {
        const p = parseBody(body, 'InvalidParameter.IllegalRequest');
        noOthers(p, ['Sync'], 'InvalidParameter.IllegalRequest');
        if (p.Sync === undefined) throw new ApiError('InvalidParameter.MissingParameter', 'The request is missing a required parameter `Sync`.');
        if (typeof p.Sync !== 'boolean') throw new ApiError('InvalidParameter.IllegalRequest', 'Sync must be a boolean.');
        return this.scanState();
      }
      case 'StopAssetScan': {
        const p = parseBody(body, 'InvalidParameter');
        noOthers(p, ['TaskId'], 'InvalidParameter.IllegalRequest');
        if (p.TaskId === undefined) throw new ApiError('InvalidParameter.MissingParameter', 'The request is missing a required parameter `TaskId`.');
        if (!isInt(p.TaskId) || p.TaskId < 1) throw new ApiError('InvalidParameter.InvalidFormat', 'TaskId must be a positive integer.');
        this.stopScan(p.TaskId);
        return {};
      }
      case 'DescribeAssetTypes': {
        const p = parseBody(body, 'InvalidParameter.InvalidFormat');
        noOthers(p, [], 'InvalidParameter');
        return { Types: ASSET_TYPES.map((t) => ({ ...t })) };
      }
      case 'DescribeAssetPortInfoList':
        return this.inventoryList('port', body);
      case 'DescribeAssetProcessInfoList':
        return this.inventoryList('process', body);
      case 'DescribeMachines':
        return this.describeMachines(body);
      case 'DescribeMachineRegions': {
        const p = parseBody(body, 'InvalidParameter.InvalidFormat');
        noOthers(p, [], 'InvalidParameterValue');
        return this.machineRegions();
      }
      case 'DescribeMachineInfo':
        return this.machineInfo(body);
      default:
        throw new ApiError('InvalidAction', `The action \`${action}\` does not exist.`);
    }
  }

  private scanAsset(body: string): Record<string, unknown> {
    const p = parseBody(body, 'InvalidParameter.ParsingError');
    noOthers(p, ['AssetTypeIds', 'Quuids'], 'InvalidParameter.IllegalRequest');
    const kinds = new Set<TaskKind>();
    if (p.AssetTypeIds === undefined || (Array.isArray(p.AssetTypeIds) && p.AssetTypeIds.length === 0)) {
      kinds.add('process').add('port');
    } else {
      if (!Array.isArray(p.AssetTypeIds)) throw new ApiError('InvalidParameter.InvalidFormat', 'AssetTypeIds must be an array of asset type ids (DescribeAssetTypes).');
      for (const id of p.AssetTypeIds) {
        if (!isInt(id) || !ASSET_TYPES.some((t) => t.Id === id)) throw new ApiError('InvalidParameter.InvalidFormat', `AssetTypeIds: ${JSON.stringify(id)} is not an asset type id (DescribeAssetTypes).`);
        if (id === ASSET_TYPE_OF.port) kinds.add('port');
        if (id === ASSET_TYPE_OF.process) kinds.add('process');
      }
    }
    let quuids: string[] | undefined;
    if (p.Quuids !== undefined) {
      if (!Array.isArray(p.Quuids) || !p.Quuids.every((q) => typeof q === 'string' && UUID_FORMAT.test(q))) throw new ApiError('InvalidParameter.InvalidFormat', 'Quuids must be an array of host Quuids (8-4-4-4-12 hex).');
      quuids = p.Quuids as string[];
    }
    const task = this.startScan({ kinds: [...kinds], ...(quuids ? { quuids } : {}) });
    return { TaskId: task.taskId };
  }

  private inventoryList(kind: TaskKind, body: string): Record<string, unknown> {
    const q = readInventoryQuery(kind, body);
    let hosts: HostView[];
    if (q.quuid !== null) {
      const host = this.hostOfQuuid(q.quuid);
      // No ResourceNotFound is documented for the lists: an unknown Quuid is a query that matched nothing.
      hosts = host ? [host] : [];
    } else hosts = this.allHosts();
    const found: Inventory['items'] = [];
    for (const host of hosts) {
      const inv = this.inventoryOf(host, kind);
      if (!inv) continue;
      for (const item of inv.items) if (q.filters.every((f) => matchesFilter(item.record, f))) found.push(item);
    }
    if (q.by !== null) {
      const sign = q.order === 'asc' ? 1 : -1;
      // Stable: equal times keep the host order.
      found.sort((a, b) => sign * (q.by === 'FirstTime' ? a.first - b.first : a.start - b.start));
    }
    return { Total: found.length, [kind === 'port' ? 'Ports' : 'Process']: found.slice(q.offset, q.offset + q.limit).map((i) => ({ ...i.record })) };
  }

  // ---- machines ----

  private agentStatusOfEntry(m: Readonly<MachineEntry>): AgentStatus {
    // A machine whose agent has been offline for long is listed without its Uuid (documented): offline.
    return m.uuid === '' ? 'OFFLINE' : (this.agentStatus(m.uuid) ?? 'OFFLINE');
  }

  private scanned(uuid: string): boolean {
    return uuid !== '' && (this.agents.collectionsOf(uuid, 'port').length > 0 || this.agents.collectionsOf(uuid, 'process').length > 0);
  }

  private machineAnswer(m: Readonly<MachineEntry>): Record<string, unknown> {
    const shown = this.machines.shownAs(m);
    const agent = this.agentStatusOfEntry(m);
    return {
      MachineName: shown.name, MachineOs: m.os, MachineStatus: agent, AgentStatus: agent, InstanceStatus: 'RUNNING', Uuid: m.uuid, Quuid: m.quuid, VulNum: 0,
      MachineIp: shown.ip, IsProVersion: m.proVersion, MachineWanIp: m.wanIp, PayMode: m.payMode, MalwareNum: 0, Tag: m.tags.map((t) => ({ ...t })),
      BaselineNum: 0, CyberAttackNum: 0, SecurityStatus: 'SAFE', InvasionNum: 0, RegionInfo: { ...this.machines.regionInfo(m.region), RegionNameEn: REGION_NAMES_EN[m.region] ?? m.region },
      InstanceState: '', LicenseStatus: 0, ProjectId: 0, HasAssetScan: this.scanned(m.uuid) ? 1 : 0, MachineType: m.type, KernelVersion: '3.10.0-1160.el7.x86_64',
      ProtectType: m.proVersion ? 'PRO_VERSION' : 'BASIC_VERSION', CloudTags: [], IsAddedOnTheFifteen: 1, IpList: shown.ip, VpcId: `vpc-${m.quuid.slice(0, 8)}`,
      MachineExtraInfo: { WanIP: m.wanIp, PrivateIP: shown.ip, NetworkType: 1, NetworkName: `vpc-${m.quuid.slice(0, 8)}`, InstanceID: instanceId(m.quuid), HostName: shown.name },
      InstanceId: instanceId(m.quuid), Remark: '', AgentVersion: '4.0.0.0', AppId: 1250000000, CSIPProtectType: '',
    };
  }

  private describeMachines(body: string): Record<string, unknown> {
    const p = parseBody(body, 'InvalidParameter.ParsingError');
    noOthers(p, ['MachineType', 'MachineRegion', 'Limit', 'Offset', 'Filters', 'ProjectIds', 'MachineAppId'], 'InvalidParameter');
    for (const name of ['MachineType', 'MachineRegion']) {
      if (p[name] === undefined) throw new ApiError('MissingParameter', `The request is missing a required parameter \`${name}\`.`);
      if (p[name] === '') throw new ApiError('InvalidParameter.MissingParameter', `The required parameter \`${name}\` is empty.`);
    }
    if (typeof p.MachineType !== 'string' || !(MACHINE_TYPES as readonly string[]).includes(p.MachineType)) throw new ApiError('InvalidParameterValue', `MachineType must be one of ${MACHINE_TYPES.join(', ')}.`);
    if (typeof p.MachineRegion !== 'string' || !REGION_FORMAT.test(p.MachineRegion)) throw new ApiError('InvalidParameter.InvalidFormat', 'MachineRegion must be a region such as ap-guangzhou (ap-others for hosts outside Tencent Cloud).');
    const limit = p.Limit ?? MACHINES_LIMIT.default;
    if (!(isInt(limit) && limit >= 1 && limit <= MACHINES_LIMIT.max)) throw new ApiError('InvalidParameterValue', `Limit must be an integer 1..${MACHINES_LIMIT.max}.`);
    const offset = p.Offset ?? 0;
    if (!(isInt(offset) && offset >= 0)) throw new ApiError('InvalidParameterValue', 'Offset must be a non-negative integer.');
    if (p.ProjectIds !== undefined && !(Array.isArray(p.ProjectIds) && p.ProjectIds.every(isInt))) throw new ApiError('InvalidParameter.InvalidFormat', 'ProjectIds must be an array of integers.');
    if (p.MachineAppId !== undefined && !isInt(p.MachineAppId)) throw new ApiError('InvalidParameter.InvalidFormat', 'MachineAppId must be an integer.');
    const filters = readMachineFilters(p.Filters);
    const projectIds = p.ProjectIds as number[] | undefined;
    const found = this.machines.view()
      .filter((m) => m.type === p.MachineType && m.region === p.MachineRegion && (projectIds === undefined || projectIds.includes(0)))
      .map((m) => ({ m, a: this.machineAnswer(m) }))
      .filter(({ m, a }) => filters.every((f) => machineMatches(m, a, f)))
      .map(({ a }) => a);
    return { Machines: found.slice(offset, offset + limit), TotalCount: found.length };
  }

  /**
   * DescribeMachineRegions ("获取机器地域列表"): per machine type, the regions the account has machines of that type in
   * (our reading: what the console's region filter shows), and ALL of them.
   */
  private machineRegions(): Record<string, unknown> {
    const out: Record<string, Array<Record<string, unknown>>> = { CVM: [], BM: [], LH: [], ECM: [], Other: [], ALL: [] };
    const seen = new Set<string>();
    for (const m of this.machines.view()) {
      const info = { ...this.machines.regionInfo(m.region), RegionNameEn: REGION_NAMES_EN[m.region] ?? m.region };
      const list = out[m.type]!;
      if (!list.some((r) => r.Region === m.region)) list.push(info);
      if (!seen.has(m.region)) {
        seen.add(m.region);
        out.ALL!.push({ ...info });
      }
    }
    return out;
  }

  private machineInfo(body: string): Record<string, unknown> {
    const p = parseBody(body, 'InvalidParameter.ParsingError');
    noOthers(p, ['Uuid', 'Quuid'], 'InvalidParameter.InvalidFormat');
    if (p.Uuid === undefined && p.Quuid === undefined) throw new ApiError('InvalidParameter.MissingParameter', 'One of `Uuid` and `Quuid` is required.');
    for (const name of ['Uuid', 'Quuid']) {
      const v = p[name];
      if (v !== undefined && (typeof v !== 'string' || !UUID_FORMAT.test(v))) throw new ApiError('InvalidParameter.InvalidFormat', `${name} must be 8-4-4-4-12 hex.`);
    }
    let host: HostView | null = null;
    if (typeof p.Uuid === 'string') host = this.agents.has(p.Uuid) && this.agentStatus(p.Uuid) !== 'UNINSTALLED' ? this.hostOfAgent(p.Uuid) : null;
    else host = this.hostOfQuuid(p.Quuid as string);
    if (!host || (typeof p.Quuid === 'string' && host.quuid !== (p.Quuid as string).toLowerCase())) throw new ApiError('ResourceNotFound', 'The machine does not exist.');
    const m = host.entry;
    const shown = m ? this.machines.shownAs(m) : (() => {
      const h = this.agents.machineNow(host!.uuid);
      return { name: h?.machineName ?? '', ip: h?.machineIp ?? '' };
    })();
    const status = host.uuid === '' ? 'OFFLINE' : (this.agentStatus(host.uuid) ?? 'OFFLINE');
    return {
      MachineIp: shown.ip, ProtectDays: 0, MachineOs: m?.os ?? 'CentOS Linux release 7.9.2009 (Core)', MachineName: shown.name,
      MachineStatus: status === 'ONLINE' ? 'ONLINE' : 'OFFLINE', InstanceId: instanceId(host.quuid), MachineWanIp: m?.wanIp ?? '', Quuid: host.quuid, Uuid: host.uuid,
      IsProVersion: m?.proVersion ?? false, ProVersionOpenDate: '', MachineType: host.type, MachineRegion: host.region, PayMode: m?.payMode ?? 'POSTPAY',
      FreeMalwaresLeft: 0, FreeVulsLeft: 0, AgentVersion: '4.0.0.0', ProVersionDeadline: '', HasAssetScan: this.scanned(host.uuid) ? 1 : 0,
      ProtectType: m?.proVersion ? 'PRO_VERSION' : 'BASIC_VERSION',
    };
  }
}

/** CWP's instance id of a host: `ins-` and eight characters, from its Quuid. */
function instanceId(quuid: string): string {
  return `ins-${quuid.replace(/-/g, '').slice(0, 8)}`;
}

function portIdentity(p: HostPort): string {
  return `${p.port}|${p.proto ?? 'tcp'}|${p.bindIp ?? '0.0.0.0'}|${p.processName}`;
}

function processIdentity(p: HostProcess): string {
  return `${p.pid}|${p.processName}|${p.fullPath}|${p.username}`;
}

// ---- the inventory lists' parameters ----

interface InventoryFilter {
  name: string;
  values: string[];
  exact: boolean;
}

interface InventoryQuery {
  quuid: string | null;
  limit: number;
  offset: number;
  order: 'asc' | 'desc';
  by: 'FirstTime' | 'StartTime' | null;
  filters: InventoryFilter[];
}

/** The documented codes of the lists are InternalError, InvalidParameter(.MissingParameter), InvalidParameterValue, MissingParameter. */
function readInventoryQuery(kind: TaskKind, body: string): InventoryQuery {
  const p = parseBody(body, 'InvalidParameter');
  noOthers(p, ['Quuid', 'Filters', 'Limit', 'Offset', 'Order', 'By'], 'InvalidParameter');
  const bad = (message: string) => new ApiError('InvalidParameterValue', message);
  if (p.Quuid !== undefined && (typeof p.Quuid !== 'string' || !UUID_FORMAT.test(p.Quuid))) throw bad('Quuid must be a host Quuid (8-4-4-4-12 hex).');
  const limit = p.Limit ?? INVENTORY_LIMIT.default;
  if (!(isInt(limit) && limit >= 1 && limit <= INVENTORY_LIMIT.max)) throw bad(`Limit must be an integer 1..${INVENTORY_LIMIT.max}.`);
  const offset = p.Offset ?? 0;
  if (!(isInt(offset) && offset >= 0)) throw bad('Offset must be a non-negative integer.');
  if (p.Order !== undefined && p.Order !== 'asc' && p.Order !== 'desc') throw bad('Order must be asc or desc.');
  if (p.By !== undefined && p.By !== 'FirstTime' && p.By !== 'StartTime') throw bad('By must be FirstTime or StartTime.');
  const names: readonly string[] = kind === 'port' ? PORT_FILTERS : PROCESS_FILTERS;
  const filters: InventoryFilter[] = [];
  if (p.Filters !== undefined) {
    if (!Array.isArray(p.Filters)) throw new ApiError('InvalidParameter', 'Filters must be an array of {Name, Values, ExactMatch?}.');
    if (p.Filters.length > INVENTORY_FILTERS_MAX) throw bad(`At most ${INVENTORY_FILTERS_MAX} filters.`);
    p.Filters.forEach((f: unknown, i) => {
      if (!isObject(f)) throw new ApiError('InvalidParameter', `Filters.${i} must be an object {Name, Values, ExactMatch?}.`);
      const { Name, Values, ExactMatch, ...rest } = f;
      if (Object.keys(rest).length > 0) throw new ApiError('InvalidParameter', `Filters.${i} has unknown fields: ${Object.keys(rest).join(', ')}.`);
      if (Name === undefined) throw new ApiError('InvalidParameter.MissingParameter', `Filters.${i}.Name is missing.`);
      if (Values === undefined) throw new ApiError('InvalidParameter.MissingParameter', `Filters.${i}.Values is missing.`);
      if (typeof Name !== 'string' || !names.includes(Name)) throw bad(`Filters.${i}.Name must be one of ${names.join(', ')}.`);
      if (!Array.isArray(Values) || !Values.every((v) => typeof v === 'string')) throw new ApiError('InvalidParameter', `Filters.${i}.Values must be an array of strings.`);
      if (Values.length === 0 || Values.length > INVENTORY_VALUES_MAX) throw bad(`Filters.${i}.Values must hold 1 to ${INVENTORY_VALUES_MAX} values.`);
      if (ExactMatch !== undefined && typeof ExactMatch !== 'boolean') throw new ApiError('InvalidParameter', `Filters.${i}.ExactMatch must be a boolean.`);
      filters.push({ name: Name, values: Values as string[], exact: ExactMatch === true });
    });
  }
  return {
    quuid: p.Quuid === undefined ? null : (p.Quuid as string).toLowerCase(),
    limit, offset,
    order: p.Order === 'asc' ? 'asc' : 'desc',
    by: p.By === undefined ? null : (p.By as 'FirstTime' | 'StartTime'),
    filters,
  };
}

/** The item field each filter reads; numbers compare exactly, text by substring unless ExactMatch. */
const FILTER_FIELD: Record<string, { field: string; numeric?: true }> = {
  Port: { field: 'Port', numeric: true }, IP: { field: 'MachineIp' }, MachineName: { field: 'MachineName' }, ProcessName: { field: 'ProcessName' },
  Name: { field: 'Name' }, Pid: { field: 'Pid', numeric: true }, Ppid: { field: 'Ppid', numeric: true }, User: { field: 'User' }, Group: { field: 'GroupName' },
  Proto: { field: 'Proto' }, Status: { field: 'Status' }, InstallByPackage: { field: 'InstallByPackage', numeric: true }, Os: { field: 'OsInfo' },
};

function matchesFilter(record: Record<string, unknown>, f: InventoryFilter): boolean {
  switch (f.name) {
    case 'InstanceID':
      return f.values.includes(String((record.MachineExtraInfo as Record<string, unknown>).InstanceID));
    case 'OsType':
      return f.values.some((v) => v.toLowerCase() === 'linux');
    case 'RunTimeStart':
      return f.values.some((v) => String(record.StartTime) >= v);
    case 'RunTimeEnd':
      return f.values.some((v) => String(record.StartTime) <= v);
    default: {
      const { field, numeric } = FILTER_FIELD[f.name]!;
      const value = String(record[field] ?? '');
      // Proto's documented "" selects the items whose protocol is unknown.
      if (numeric || f.exact || f.name === 'Proto') return f.values.includes(value);
      return f.values.some((v) => value.includes(v));
    }
  }
}

interface MachineFilter {
  name: string;
  values: string[];
  exact: boolean;
}

function readMachineFilters(raw: unknown): MachineFilter[] {
  if (raw === undefined) return [];
  const invalid = (message: string) => new ApiError('InvalidParameter.InvalidFormat', message);
  if (!Array.isArray(raw)) throw invalid('Filters must be an array of {Name, Values, ExactMatch?}.');
  return raw.map((f: unknown, i) => {
    if (!isObject(f)) throw invalid(`Filters.${i} must be an object {Name, Values, ExactMatch?}.`);
    const { Name, Values, ExactMatch, ...rest } = f;
    if (Object.keys(rest).length > 0) throw invalid(`Filters.${i} has unknown fields: ${Object.keys(rest).join(', ')}.`);
    if (!Array.isArray(Values) || Values.length === 0 || !Values.every((v) => typeof v === 'string' && v !== '')) throw invalid(`Filters.${i}.Values must be an array of non-empty strings.`);
    if (ExactMatch !== undefined && typeof ExactMatch !== 'boolean') throw invalid(`Filters.${i}.ExactMatch must be a boolean.`);
    if (typeof Name !== 'string' || !Object.hasOwn(CWP_MACHINE_FILTERS, Name)) throw new ApiError('InvalidParameterValue', `Filters.${i}.Name must be one of ${Object.keys(CWP_MACHINE_FILTERS).join(', ')}.`);
    // "Each filter supports only one value" (Quuid: up to 100).
    const max = Name === 'Quuid' ? 100 : 1;
    if (Values.length > max) throw new ApiError('InvalidParameterValue', `Filters.${i}: ${Name} takes ${max === 1 ? 'one value' : `at most ${max} values`}.`);
    const allowed = CWP_MACHINE_FILTERS[Name];
    if (allowed && !allowed.includes(Values[0] as string)) throw new ApiError('InvalidParameterValue', `Filters.${i}.Values of ${Name} must be one of ${allowed.join(', ')}.`);
    return { name: Name, values: Values as string[], exact: ExactMatch === true };
  });
}

function machineMatches(m: Readonly<MachineEntry>, a: Record<string, unknown>, f: MachineFilter): boolean {
  const v = f.values[0]!;
  const text = (field: unknown) => (f.exact ? String(field) === v : String(field).includes(v));
  switch (f.name) {
    case 'Ips':
      return text(a.MachineIp) || text(a.MachineWanIp);
    case 'Names':
      return text(a.MachineName);
    case 'InstanceIds':
      return a.InstanceId === v;
    case 'Version':
      return v === 'ProtectedMachines' ? m.proVersion : v === 'Flagship' ? false : m.proVersion === (v === 'PRO_VERSION');
    case 'Risk':
      return false;
    case 'Os':
      return text(a.MachineOs);
    case 'Quuid':
      return f.values.map((q) => q.toLowerCase()).includes(m.quuid);
    case 'AddedOnTheFifteen':
      return true;
    case 'TagId':
      return m.tags.some((t) => String(t.TagId) === v);
    case 'AgentStatus':
      return v === 'ALL' || a.AgentStatus === v;
    default: // MachineStatus: every emulated instance is RUNNING
      return v === 'ALL' || v === 'RUNNING';
  }
}
