// The cwp backend of the CWP port (port.ts): the current cwp API (2018-02-28, cwp.tencentcloudapi.com), whose release
// of 2021-07-23 dropped the six yunjing actions the bridge had used. cwp has no per-host task. One asset scan runs for
// the account at a time (ScanAsset, for many hosts by Quuid; SyncAssetScan, its state), and what scans collect is a
// per-host inventory (DescribeAssetPortInfoList, DescribeAssetProcessInfoList: numbers as strings, each item with
// UpdateTime and FirstTime). So a key's state is inferred here, from what the bridge last recorded (KnownState), the
// account's scan (read at most once a second, shared by every key) and the host's inventory (README, "CWP_API=cwp"):
// - UNKNOWN_AGENT: DescribeMachineInfo has no machine with the Uuid; AGENT_OFFLINE: its MachineStatus is not ONLINE;
// - a key the bridge recorded COLLECTING is COLLECTING while the account's scan is SYNCING (or not yet seen to start);
//   once a scan that started after it has FINISHED, COMPLETE if the host's inventory UpdateTime is at or after the
//   scan's start, else FAILED (the scan skipped it);
// - otherwise COMPLETE when the host has an inventory of the kind, NO_TASK when it has none (a FAILED key stays
//   FAILED until its inventory moves again).
// Times are parsed as Beijing time (UTC+8), as CWP writes them without a zone. Request and response types are the
// SDK's own (types only: nothing of the SDK is bundled).
import type {
  AssetPortBaseInfo,
  AssetProcessBaseInfo,
  DescribeAssetPortInfoListRequest,
  DescribeMachineInfoRequest,
  DescribeMachinesRequest,
  ScanAssetRequest,
  SyncAssetScanRequest,
} from 'tencentcloud-sdk-nodejs/tencentcloud/services/cwp/v20180228/cwp_models';
import { isTencentError, SCAN_RUNNING_CODE, TencentError, TRANSPORT_CODES } from '../errors';
import { cwpPortItem, cwpProcessItem, type ResultItem } from '../results/items';
import { CWP_APIS } from '../tencent/services';
import type { CallOptions, TencentCaller } from '../tencent/types';
import { SCAN_STATES, type AccountScan, type KnownState, type ListedMachine, type ScanState, type TaskKey, type TaskKind, type TaskObservation, type TaskState } from '../types';
import {
  InvalidUuidError, MAX_RESULT_ITEMS,
  type AccountScanPort, type BatchStart, type CwpPort, type CwpStop, type MachineFilter, type MachinesQuery, type MachinesRead, type NewestItem, type NewestItemsPage, type ResultsRead,
} from './port';
import { stopFor, type StopWording } from './stop';
import { isAgentUuid, normalizeUuid } from './uuid';

export const CWP_API_SERVICE = CWP_APIS.cwp.service;
export const CWP_API_VERSION = CWP_APIS.cwp.version;

/** The cwp actions the backend calls, each named once (the execution role's policy lists them: lib/deploy/role-policy.ts). */
export const SCAN_STATE_ACTION = 'SyncAssetScan';
export const MACHINE_INFO_ACTION = 'DescribeMachineInfo';
export const SCAN_ACTION = 'ScanAsset';
export const ASSET_TYPES_ACTION = 'DescribeAssetTypes';
export const CWP_MACHINES_ACTION = 'DescribeMachines';
export const MACHINE_REGIONS_ACTION = 'DescribeMachineRegions';

/** The inventory list of each kind, and the array field of its Response. */
export const INVENTORY_ACTION: Record<TaskKind, 'DescribeAssetProcessInfoList' | 'DescribeAssetPortInfoList'> = {
  process: 'DescribeAssetProcessInfoList',
  port: 'DescribeAssetPortInfoList',
};
const INVENTORY_LIST: Record<TaskKind, 'Process' | 'Ports'> = { process: 'Process', port: 'Ports' };

/** The largest `Limit` the inventory lists and DescribeMachines accept (documented: default 10, at most 100). */
export const INVENTORY_PAGE_LIMIT = 100;
export const MACHINES_PAGE_LIMIT = 100;
const MAX_INVENTORY_PAGES = MAX_RESULT_ITEMS / INVENTORY_PAGE_LIMIT;

/** How old the account's scan state may be when a key's status is inferred from it (one read a second, for every key). */
export const SCAN_STATE_TTL_MS = 1_000;
/** How old a host's online state may be; its Quuid never changes and is kept for the instance's life. */
export const MACHINE_STATUS_TTL_MS = 10_000;
/**
 * A scan counts as the one a COLLECTING key is waiting for when it started no earlier than this before the key's
 * start was recorded: CWP's times have whole seconds and the start is recorded after ScanAsset answered.
 */
export const SCAN_START_SKEW_MS = 5_000;
/** A key recorded COLLECTING that sees no scan start within this is FAILED (the start never reached a scan). */
export const START_GRACE_MS = 30_000;
/** Collections asked for within this window (a POST for both kinds, concurrent workers) go out as one ScanAsset. */
export const START_COALESCE_MS = 20;
const REGIONS_TTL_MS = 3_600_000;

/** What DescribeAssetTypes calls the asset type of each kind (matched on the name: the ids are not documented). */
const ASSET_TYPE_NAME: Record<TaskKind, RegExp> = { port: /端口|^ports?$/i, process: /进程|^process(es)?$/i };

/** How WATCH_DISCOVER_FILTERS names (yunjing's DescribeMachines filters) are sent to cwp's, which has no Keywords or Status. */
const FILTER_NAME: Record<string, string> = { Keywords: 'Names', Status: 'AgentStatus', Version: 'Version' };

/** CWP writes `YYYY-MM-DD HH:MM:SS` without a zone; the console and the examples are Beijing time (UTC+8). */
export function parseCwpTime(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value)) return null;
  const ms = Date.parse(`${value.replace(' ', 'T')}+08:00`);
  return Number.isFinite(ms) ? ms : null;
}

/** What the bridge knows of a host: its Quuid (null: no machine has the Uuid), and its online state when last asked. */
interface HostEntry {
  quuid: string | null;
  online: boolean;
  checkedAt: number;
  requestId: string;
}

interface PendingStart {
  keys: TaskKey[];
  waiters: Array<{ key: TaskKey; resolve: (v: { requestId: string }) => void; reject: (e: unknown) => void }>;
  options: CallOptions;
}

function agentId(uuid: string): string {
  if (!isAgentUuid(uuid)) throw new InvalidUuidError(uuid);
  return normalizeUuid(uuid);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const NUMERIC = /^\d{1,10}$/;

const CWP_WORDING: StopWording = {
  service: CWP_API_SERVICE,
  version: CWP_API_VERSION,
  goneHint: () => 'cwp renames and retires actions in its releases: check its release notes for the action (CWP_API=yunjing uses the frozen yunjing API instead)',
};

export class CwpClient implements CwpPort, AccountScanPort {
  private readonly hosts = new Map<string, HostEntry>();
  private readonly lookups = new Map<string, Promise<HostEntry>>();
  private scan: AccountScan | null = null;
  private scanRead: Promise<AccountScan> | null = null;
  private assetTypes: Promise<Partial<Record<TaskKind, number>>> | null = null;
  private regions: { at: number; byType: Record<string, string[]> } | null = null;
  private pending: PendingStart | null = null;

  constructor(private readonly caller: TencentCaller, private readonly now: () => number = Date.now) {}

  // ---------------------------------------------------------------------------------------------- hosts

  /**
   * The host of an agent: its Quuid and online state, from what this instance knows or DescribeMachineInfo. `fresh`:
   * the online state must be at most MACHINE_STATUS_TTL_MS old; otherwise a known Quuid is enough.
   */
  private async host(uuid: string, options: CallOptions, fresh: boolean): Promise<HostEntry> {
    const known = this.hosts.get(uuid);
    const recent = known !== undefined && this.now() - known.checkedAt < MACHINE_STATUS_TTL_MS;
    // An unknown Uuid is asked again once its answer is old: the agent may have been installed since.
    if (known && (recent || (!fresh && known.quuid !== null))) return known;
    // The process and port keys of one host are checked by different workers at once: one lookup for both.
    let lookup = this.lookups.get(uuid);
    if (!lookup) {
      lookup = this.describeMachine(uuid, options).finally(() => this.lookups.delete(uuid));
      this.lookups.set(uuid, lookup);
    }
    return lookup;
  }

  private async describeMachine(uuid: string, options: CallOptions): Promise<HostEntry> {
    const action = MACHINE_INFO_ACTION;
    const request: DescribeMachineInfoRequest = { Uuid: uuid };
    let entry: HostEntry;
    try {
      const { response, requestId } = await this.caller.call<Record<string, unknown>>(action, { ...request }, options);
      const bad = (what: string) => new TencentError({ code: TRANSPORT_CODES.badBody, message: `${action} answered ${what}`, requestId, action });
      if (typeof response.Quuid !== 'string' || response.Quuid === '') throw bad(`Quuid ${JSON.stringify(response.Quuid)}, not a host id`);
      if (typeof response.MachineStatus !== 'string') throw bad(`MachineStatus ${JSON.stringify(response.MachineStatus)}, not a string`);
      entry = { quuid: response.Quuid.toLowerCase(), online: response.MachineStatus === 'ONLINE', checkedAt: this.now(), requestId };
    } catch (e) {
      // ResourceNotFound: no machine has this Uuid (never installed, or uninstalled): the bridge's UNKNOWN_AGENT.
      if (!(e instanceof TencentError && e.row.state === 'UNKNOWN_AGENT')) throw e;
      entry = { quuid: null, online: false, checkedAt: this.now(), requestId: e.requestId ?? '' };
    }
    this.hosts.set(uuid, entry);
    return entry;
  }

  /** Machines a listing (or the store) knows: their Quuids and online state, so this instance need not ask each host. */
  rememberMachines(machines: readonly ListedMachine[], requestId = ''): void {
    for (const m of machines) {
      if (!m.quuid) continue;
      const known = this.hosts.get(m.uuid);
      // A fresher answer of DescribeMachineInfo wins over a listing's.
      if (known && known.quuid === m.quuid && known.checkedAt >= this.now() - MACHINE_STATUS_TTL_MS) continue;
      this.hosts.set(m.uuid, { quuid: m.quuid, online: m.status === 'ONLINE', checkedAt: requestId === '' ? 0 : this.now(), requestId });
    }
  }

  // ------------------------------------------------------------------------------------------- the scan

  /** The account's scan (SyncAssetScan, Sync false: a read), at most SCAN_STATE_TTL_MS old unless `fresh`. */
  async scanState(options: CallOptions & { fresh?: boolean } = {}): Promise<AccountScan> {
    const { fresh, ...call } = options;
    if (!fresh && this.scan && this.now() - this.scan.observedAt < SCAN_STATE_TTL_MS) return this.scan;
    if (!fresh && this.scanRead) return this.scanRead;
    const read = this.readScan(call).finally(() => {
      if (this.scanRead === read) this.scanRead = null;
    });
    if (!fresh) this.scanRead = read;
    return read;
  }

  private async readScan(options: CallOptions): Promise<AccountScan> {
    const action = SCAN_STATE_ACTION;
    // The docs say only "是否同步 (whether to sync), default false" of Sync: false asks for the state and nothing else.
    const request: SyncAssetScanRequest = { Sync: false };
    const { response, requestId } = await this.caller.call<Record<string, unknown>>(action, { ...request }, options);
    const state = response.State;
    if (typeof state !== 'string' || !(SCAN_STATES as readonly string[]).includes(state)) {
      throw new TencentError({ code: TRANSPORT_CODES.unknownStatus, message: `${action} answered State ${JSON.stringify(state)}`, requestId, action });
    }
    const taskId = response.TaskId === undefined || response.TaskId === null ? 0 : response.TaskId;
    if (!isCount(taskId)) throw new TencentError({ code: TRANSPORT_CODES.badBody, message: `${action} answered TaskId ${JSON.stringify(taskId)}, not a task id`, requestId, action });
    const scan: AccountScan = {
      taskId,
      state: state as ScanState,
      startedAt: parseCwpTime(response.LatestStartTime),
      endedAt: state === 'FINISHED' ? parseCwpTime(response.LatestEndTime) : null,
      requestId,
      observedAt: this.now(),
    };
    this.scan = scan;
    return scan;
  }

  /** The asset type id of each kind, from DescribeAssetTypes (once per instance); a kind it does not name is left out. */
  private async assetTypeIds(options: CallOptions): Promise<Partial<Record<TaskKind, number>>> {
    this.assetTypes ??= (async () => {
      const action = ASSET_TYPES_ACTION;
      const { response, requestId } = await this.caller.call<Record<string, unknown>>(action, {}, options);
      if (!Array.isArray(response.Types)) throw new TencentError({ code: TRANSPORT_CODES.badBody, message: `${action} answered no Types array`, requestId, action });
      const ids: Partial<Record<TaskKind, number>> = {};
      for (const t of response.Types as unknown[]) {
        if (!isObject(t) || !Number.isSafeInteger(t.Id) || typeof t.Name !== 'string') continue;
        for (const kind of ['process', 'port'] as const) if (ids[kind] === undefined && ASSET_TYPE_NAME[kind].test(t.Name.trim())) ids[kind] = t.Id as number;
      }
      return ids;
    })().catch((e: unknown) => {
      this.assetTypes = null;
      throw e;
    });
    return this.assetTypes;
  }

  /**
   * One ScanAsset for the hosts of these keys and their kinds. `freshHosts` (a start through the API): each host's
   * state is read now, so an offline or unknown agent is refused with its reason; otherwise (a batch of the sweep) a
   * known Quuid is enough and a host gone offline is left to the scan, which skips it.
   */
  private async start(keys: TaskKey[], options: CallOptions, freshHosts: boolean): Promise<BatchStart> {
    const refused: BatchStart['refused'] = [];
    const started: TaskKey[] = [];
    const quuids = new Set<string>();
    const kinds = new Set<TaskKind>();
    let requestId = '';
    const entries = new Map<string, HostEntry>();
    for (const key of keys) {
      const uuid = agentId(key.uuid);
      let entry = entries.get(uuid);
      if (!entry) {
        entry = await this.host(uuid, options, freshHosts);
        entries.set(uuid, entry);
      }
      const state: TaskState | null = entry.quuid === null ? 'UNKNOWN_AGENT' : freshHosts && !entry.online ? 'AGENT_OFFLINE' : null;
      if (state) {
        refused.push({ key: { uuid, kind: key.kind }, state });
        requestId = entry.requestId;
        continue;
      }
      quuids.add(entry.quuid!);
      kinds.add(key.kind);
      started.push({ uuid, kind: key.kind });
    }
    if (started.length === 0) return { requestId, taskId: 0, started, refused };
    const running = await this.scanState({ ...options, fresh: true });
    if (running.state === 'SYNCING') throw scanRunning(running);
    const types = await this.assetTypeIds(options);
    const typeIds = [...kinds].map((k) => types[k]);
    const action = SCAN_ACTION;
    // A kind DescribeAssetTypes does not name: every type is scanned (AssetTypeIds left out) rather than none.
    const request: ScanAssetRequest = { Quuids: [...quuids], ...(typeIds.every((id) => id !== undefined) ? { AssetTypeIds: typeIds as number[] } : {}) };
    let answer;
    try {
      answer = await this.caller.call<Record<string, unknown>>(action, { ...request }, options);
    } catch (e) {
      // FailedOperation is all ScanAsset says when a scan already runs (another sweep, the console): say so if that is it.
      if (isTencentError(e) && e.code === 'FailedOperation') {
        const now = await this.scanState({ ...options, fresh: true }).catch(() => null);
        if (now?.state === 'SYNCING') throw scanRunning(now, e);
      }
      throw e;
    }
    this.scan = null;
    const taskId = answer.response.TaskId;
    if (!isCount(taskId)) throw new TencentError({ code: TRANSPORT_CODES.badBody, message: `${action} answered TaskId ${JSON.stringify(taskId)}, not a task id`, requestId: answer.requestId, action });
    return { requestId: answer.requestId, taskId, started, refused };
  }

  /** The sweep's batch: one scan for every key given (COLLECT_EVERY's due keys of a period). */
  startCollections(keys: TaskKey[], options: CallOptions = {}): Promise<BatchStart> {
    return this.start(keys, options, false);
  }

  /**
   * Starts a collection of one key: starts asked for within START_COALESCE_MS go out as one ScanAsset (both kinds of
   * a POST /v1/collections/{uuid}, say). A refused key rejects with the code of its state (ResourceNotFound for an
   * unknown agent, FailedOperation.AgentOffline), a running scan with Bridge.ScanRunning.
   */
  createTask(kind: TaskKind, uuid: string, options: CallOptions = {}): Promise<{ requestId: string }> {
    let key: TaskKey;
    try {
      key = { uuid: agentId(uuid), kind };
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      if (!this.pending) {
        const batch: PendingStart = { keys: [], waiters: [], options };
        this.pending = batch;
        setTimeout(() => void this.flush(batch), START_COALESCE_MS);
      }
      this.pending.keys.push(key);
      this.pending.waiters.push({ key, resolve, reject });
    });
  }

  private async flush(batch: PendingStart): Promise<void> {
    if (this.pending === batch) this.pending = null;
    try {
      const r = await this.start(batch.keys, batch.options, true);
      for (const w of batch.waiters) {
        const refusal = r.refused.find((x) => x.key.uuid === w.key.uuid && x.key.kind === w.key.kind);
        if (!refusal) w.resolve({ requestId: r.requestId });
        else if (refusal.state === 'UNKNOWN_AGENT') w.reject(new TencentError({ code: 'ResourceNotFound', message: `no machine has the agent Uuid ${w.key.uuid} (DescribeMachineInfo)`, requestId: r.requestId, action: MACHINE_INFO_ACTION }));
        else w.reject(new TencentError({ code: 'FailedOperation.AgentOffline', message: `the agent ${w.key.uuid} is offline (DescribeMachineInfo): a scan would skip it`, requestId: r.requestId, action: MACHINE_INFO_ACTION }));
      }
    } catch (e) {
      for (const w of batch.waiters) w.reject(e);
    }
  }

  // ------------------------------------------------------------------------------------------- the status

  async getTaskStatus(kind: TaskKind, uuid: string, options: CallOptions = {}, known?: KnownState): Promise<TaskObservation> {
    const id = agentId(uuid);
    const seen = (state: TaskState, requestId: string): TaskObservation => ({ uuid: id, kind, state, requestId, observedAt: this.now() });
    const previous = known?.state ?? null;
    const since = known?.since ?? null;

    if (previous === 'COLLECTING' && since !== null) {
      const scan = await this.scanState(options);
      if (scan.state === 'SYNCING') return seen('COLLECTING', scan.requestId);
      const ours = scan.state === 'FINISHED' && scan.startedAt !== null && scan.startedAt >= since - SCAN_START_SKEW_MS;
      if (!ours) return seen(this.now() - since > START_GRACE_MS ? 'FAILED' : 'COLLECTING', scan.requestId);
      const host = await this.host(id, options, false);
      if (host.quuid === null) return seen('UNKNOWN_AGENT', host.requestId);
      const inventory = await this.inventoryUpdate(kind, host.quuid, options);
      if (inventory.updatedAt !== null && inventory.updatedAt >= scan.startedAt!) return seen('COMPLETE', inventory.requestId);
      const now = await this.host(id, options, true);
      return seen(now.online ? 'FAILED' : 'AGENT_OFFLINE', now.online ? inventory.requestId : now.requestId);
    }

    const host = await this.host(id, options, true);
    if (host.quuid === null) return seen('UNKNOWN_AGENT', host.requestId);
    if (!host.online) return seen('AGENT_OFFLINE', host.requestId);
    // A COMPLETE key stays COMPLETE: a later scan's changes reach the bridge through the account-wide look.
    if (previous === 'COMPLETE') return seen('COMPLETE', host.requestId);
    const inventory = await this.inventoryUpdate(kind, host.quuid, options);
    // A failed collection left the inventory as it was (none, or older): it stays FAILED until a scan moves it.
    if (previous === 'FAILED' && since !== null && (inventory.updatedAt === null || inventory.updatedAt <= since)) return seen('FAILED', inventory.requestId);
    return seen(inventory.updatedAt === null ? 'NO_TASK' : 'COMPLETE', inventory.requestId);
  }

  /** When the host's inventory of a kind was last updated (one item's UpdateTime: a scan updates a host's items together), or null: none yet. */
  private async inventoryUpdate(kind: TaskKind, quuid: string, options: CallOptions): Promise<{ updatedAt: number | null; requestId: string }> {
    const page = await this.inventoryPage(kind, { Quuid: quuid, Limit: 1, Offset: 0 }, options);
    const first = page.list[0];
    return { updatedAt: first ? parseCwpTime(first.UpdateTime) : null, requestId: page.requestId };
  }

  // ---------------------------------------------------------------------------------------- the inventory

  /**
   * One page of an inventory list, checked: a numeric Total, the list array with at most the Limit asked for, and
   * on each item the fields the bridge compares (Port and Pid as strings of digits, the process name).
   */
  private async inventoryPage(kind: TaskKind, request: DescribeAssetPortInfoListRequest, options: CallOptions): Promise<{ total: number; list: Array<AssetPortBaseInfo & AssetProcessBaseInfo>; requestId: string }> {
    const action = INVENTORY_ACTION[kind];
    const { response, requestId } = await this.caller.call<Record<string, unknown>>(action, { ...request }, options);
    const bad = (what: string) => new TencentError({ code: TRANSPORT_CODES.badBody, message: `${action} answered ${what}`, requestId, action });
    if (!isCount(response.Total)) throw bad(`Total ${JSON.stringify(response.Total)}, not a count`);
    const field = INVENTORY_LIST[kind];
    // The Response omits an empty list (the SDK types every field optional): none is an empty page.
    const list = response[field] ?? [];
    if (!Array.isArray(list)) throw bad(`${field} that is not an array`);
    if (list.length > (request.Limit ?? INVENTORY_PAGE_LIMIT)) throw bad(`${list.length} items for Limit ${request.Limit}`);
    list.forEach((item: unknown, i) => {
      if (!isObject(item)) throw bad(`${field}[${i}] that is not an object`);
      const numbers = kind === 'port' ? ['Port', 'Pid'] : ['Pid'];
      for (const n of numbers) if (typeof item[n] !== 'string' || !NUMERIC.test(item[n] as string)) throw bad(`${field}[${i}].${n} ${JSON.stringify(item[n])}, not a number as a string`);
      const name = kind === 'port' ? 'ProcessName' : 'Name';
      if (typeof item[name] !== 'string') throw bad(`${field}[${i}].${name} ${JSON.stringify(item[name])}, not a string`);
    });
    return { total: response.Total, list: list as Array<AssetPortBaseInfo & AssetProcessBaseInfo>, requestId };
  }

  /** Every item of the host's inventory of this kind (INVENTORY_PAGE_LIMIT a request, oldest first), normalised. */
  async readResults(kind: TaskKind, uuid: string, options: CallOptions = {}): Promise<ResultsRead> {
    const id = agentId(uuid);
    const host = await this.host(id, options, false);
    if (host.quuid === null) throw new TencentError({ code: 'ResourceNotFound', message: `no machine has the agent Uuid ${id} (DescribeMachineInfo)`, requestId: host.requestId, action: MACHINE_INFO_ACTION });
    const items: ResultItem[] = [];
    let total = 0;
    let requestId = '';
    for (let page = 0; page < MAX_INVENTORY_PAGES; page++) {
      // Ordered by FirstTime so that pages stay put while new items arrive (they go last).
      const r = await this.inventoryPage(kind, { Quuid: host.quuid, Limit: INVENTORY_PAGE_LIMIT, Offset: page * INVENTORY_PAGE_LIMIT, By: 'FirstTime', Order: 'asc' }, options);
      total = r.total;
      requestId = r.requestId;
      for (const item of r.list) items.push(kind === 'port' ? cwpPortItem(item) : cwpProcessItem(item));
      if (r.list.length < INVENTORY_PAGE_LIMIT || (page + 1) * INVENTORY_PAGE_LIMIT >= total) break;
    }
    return { items, total, requestId };
  }

  /** One page of the account's items of a kind, newest first (By FirstTime, desc); items without an agent Uuid are left out. */
  async readNewestItems(kind: TaskKind, offset: number, options: CallOptions = {}): Promise<NewestItemsPage> {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    const r = await this.inventoryPage(kind, { Limit: INVENTORY_PAGE_LIMIT, Offset: offset, By: 'FirstTime', Order: 'desc' }, options);
    const items: NewestItem[] = [];
    for (const raw of r.list) {
      const uuid = typeof raw.Uuid === 'string' ? raw.Uuid.toLowerCase() : '';
      const firstSeenAt = parseCwpTime(raw.FirstTime);
      if (!isAgentUuid(uuid) || firstSeenAt === null) continue;
      if (typeof raw.Quuid === 'string' && raw.Quuid !== '' && !this.hosts.has(uuid)) this.hosts.set(uuid, { quuid: raw.Quuid.toLowerCase(), online: true, checkedAt: 0, requestId: r.requestId });
      items.push({ uuid, firstSeenAt, item: kind === 'port' ? cwpPortItem(raw) : cwpProcessItem(raw) });
    }
    const end = r.list.length < INVENTORY_PAGE_LIMIT || offset + r.list.length >= r.total;
    return { items, total: r.total, nextOffset: end ? null : offset + r.list.length, requestId: r.requestId };
  }

  // ------------------------------------------------------------------------------------------- machines

  /** DescribeMachineRegions (once an hour per instance): the regions the account has machines of this type in. */
  async machineRegions(machineType: string, options: CallOptions = {}): Promise<readonly string[]> {
    if (!this.regions || this.now() - this.regions.at >= REGIONS_TTL_MS) {
      const action = MACHINE_REGIONS_ACTION;
      const { response, requestId } = await this.caller.call<Record<string, unknown>>(action, {}, options);
      const byType: Record<string, string[]> = {};
      for (const [type, list] of Object.entries(response)) {
        if (type === 'ALL' || list === null || list === undefined) continue;
        if (!Array.isArray(list)) throw new TencentError({ code: TRANSPORT_CODES.badBody, message: `${action} answered ${type} that is not an array`, requestId, action });
        byType[type] = list.flatMap((r: unknown) => (isObject(r) && typeof r.Region === 'string' && r.Region !== '' ? [r.Region] : []));
      }
      this.regions = { at: this.now(), byType };
    }
    return this.regions.byType[machineType] ?? [];
  }

  /**
   * One page of cwp's DescribeMachines for a type and region: machines with an agent Uuid as the bridge keeps them,
   * their Quuid beside it; AgentStatus OFFLINE and UNINSTALLED are offline. The WATCH_DISCOVER_FILTERS are sent as
   * cwp names them (Keywords as Names, Status as AgentStatus).
   */
  async readMachines(query: MachinesQuery, options: CallOptions = {}): Promise<MachinesRead> {
    const { target, offset, filters } = query;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    const request: DescribeMachinesRequest = {
      MachineType: target.machineType,
      MachineRegion: target.machineRegion,
      Limit: MACHINES_PAGE_LIMIT,
      Offset: offset,
      ...(filters !== undefined && filters.length > 0 ? { Filters: filters.map(cwpFilter) } : {}),
    };
    const action = CWP_MACHINES_ACTION;
    const { response, requestId } = await this.caller.call<Record<string, unknown>>(action, { ...request }, options);
    const bad = (what: string) => new TencentError({ code: TRANSPORT_CODES.badBody, message: `${action} answered ${what}`, requestId, action });
    if (!isCount(response.TotalCount)) throw bad(`TotalCount ${JSON.stringify(response.TotalCount)}, not a count`);
    const list = response.Machines ?? [];
    if (!Array.isArray(list)) throw bad('Machines that is not an array');
    if (list.length > MACHINES_PAGE_LIMIT) throw bad(`${list.length} machines for Limit ${MACHINES_PAGE_LIMIT}`);
    const machines: ListedMachine[] = [];
    list.forEach((m: unknown, i) => {
      if (!isObject(m)) throw bad(`Machines[${i}] that is not an object`);
      if (typeof m.Uuid !== 'string') throw bad(`Machines[${i}].Uuid ${JSON.stringify(m.Uuid)}, not a string`);
      const agent = typeof m.AgentStatus === 'string' ? m.AgentStatus : m.MachineStatus;
      if (typeof agent !== 'string') throw bad(`Machines[${i}].AgentStatus ${JSON.stringify(m.AgentStatus)}, not a string`);
      if (m.Uuid === '') return;
      const name = typeof m.MachineName === 'string' && m.MachineName !== '' ? m.MachineName : null;
      const ip = typeof m.MachineIp === 'string' && m.MachineIp !== '' ? m.MachineIp : null;
      const tags = Array.isArray(m.Tag) ? m.Tag.flatMap((t: unknown) => (isObject(t) && typeof t.Name === 'string' && t.Name !== '' ? [t.Name] : [])) : [];
      const quuid = typeof m.Quuid === 'string' && m.Quuid !== '' ? m.Quuid.toLowerCase() : undefined;
      machines.push({ uuid: m.Uuid.toLowerCase(), ...(quuid ? { quuid } : {}), name, ip, tags, type: target.machineType, region: target.machineRegion, status: agent === 'ONLINE' ? 'ONLINE' : 'OFFLINE' });
    });
    this.rememberMachines(machines, requestId);
    const end = list.length === 0 || offset + list.length >= response.TotalCount;
    return { machines, skippedNoUuid: list.length - machines.length, total: response.TotalCount, nextOffset: end ? null : offset + list.length, requestId };
  }

  stopFor(error: unknown): CwpStop | null {
    return stopFor(error, CWP_WORDING);
  }
}

/** A WATCH_DISCOVER_FILTERS filter as cwp's DescribeMachines takes it. */
function cwpFilter(f: MachineFilter): MachineFilter {
  return { ...f, Name: FILTER_NAME[f.Name] ?? f.Name };
}

function scanRunning(scan: AccountScan, cause?: unknown): TencentError {
  const since = scan.startedAt === null ? '' : ` since ${new Date(scan.startedAt).toISOString()}`;
  return new TencentError({
    code: SCAN_RUNNING_CODE,
    message: `the account's asset scan (task ${scan.taskId}) is running${since}; cwp runs one scan at a time: start again when it has finished`,
    requestId: scan.requestId,
    action: SCAN_ACTION,
    ...(cause === undefined ? {} : { cause }),
  });
}
