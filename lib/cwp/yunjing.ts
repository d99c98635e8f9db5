// The yunjing backend of the CWP port (port.ts): the frozen yunjing 2018-02-28 actions, typed with the official
// SDK's request and response types (imported as types only, so they cost nothing in the bundle). The raw calls
// (getTaskStatus, createTask, readResultPage, listMachines) check each body; the port's reads page through them
// and normalise what they return.
import type {
  CreateOpenPortTaskRequest,
  CreateOpenPortTaskResponse,
  CreateProcessTaskRequest,
  CreateProcessTaskResponse,
  DescribeMachinesRequest,
  DescribeOpenPortsRequest,
  DescribeOpenPortTaskStatusRequest,
  DescribeOpenPortTaskStatusResponse,
  DescribeProcessesRequest,
  DescribeProcessTaskStatusRequest,
  DescribeProcessTaskStatusResponse,
  Machine,
  OpenPort,
  Process,
} from 'tencentcloud-sdk-nodejs/tencentcloud/services/yunjing/v20180228/yunjing_models';
import { DISCOVER_ALL_REGIONS } from '../config/discover';
import { TencentError, TRANSPORT_CODES } from '../errors';
import { portItem, processItem, type ResultItem } from '../results/items';
import { CWP_SERVICE, CWP_VERSION } from '../tencent/services';
import type { CallOptions, TencentCaller } from '../tencent/types';
import { CWP_STATUSES, type CwpStatus, type ListedMachine, type TaskKind, type TaskObservation } from '../types';
import { InvalidUuidError, MAX_RESULT_ITEMS, type CwpPort, type CwpStop, type MachineFilter, type MachinesQuery, type MachinesRead, type ResultsRead } from './port';
import { stopFor, type StopWording } from './stop';
import { isAgentUuid, normalizeUuid } from './uuid';

export { CWP_SERVICE, CWP_VERSION } from '../tencent/services';
export { InvalidUuidError, type MachineFilter } from './port';
export type { Machine as CwpMachine, OpenPort as CwpOpenPort, Process as CwpProcess } from 'tencentcloud-sdk-nodejs/tencentcloud/services/yunjing/v20180228/yunjing_models';

/** The status action of each task kind. */
export const STATUS_ACTION: Record<TaskKind, 'DescribeProcessTaskStatus' | 'DescribeOpenPortTaskStatus'> = {
  process: 'DescribeProcessTaskStatus',
  port: 'DescribeOpenPortTaskStatus',
};

/** The action that starts a collection of each task kind. */
export const CREATE_ACTION: Record<TaskKind, 'CreateProcessTask' | 'CreateOpenPortTask'> = {
  process: 'CreateProcessTask',
  port: 'CreateOpenPortTask',
};

/** The action that reads a finished collection's results. */
export const RESULT_ACTION: Record<TaskKind, 'DescribeProcesses' | 'DescribeOpenPorts'> = {
  process: 'DescribeProcesses',
  port: 'DescribeOpenPorts',
};

/** The largest `Limit` DescribeProcesses and DescribeOpenPorts accept (documented: default 10, at most 100). */
export const RESULT_PAGE_LIMIT = 100;

/** The most pages one read takes (MAX_RESULT_ITEMS records). */
export const MAX_RESULT_PAGES = MAX_RESULT_ITEMS / RESULT_PAGE_LIMIT;

/** The action that lists a region's machines. */
export const MACHINES_ACTION = 'DescribeMachines';

/** The largest `Limit` DescribeMachines accepts (documented: default 10, at most 100). */
export const MACHINES_PAGE_LIMIT = 100;

/** Which page of which machines: MachineType (CVM, BM, ...) and MachineRegion (e.g. ap-guangzhou) are required. */
export interface MachinesPageRequest {
  machineType: string;
  machineRegion: string;
  offset: number;
  filters?: MachineFilter[];
}

/** One page of a region's machines, checked: at most MACHINES_PAGE_LIMIT entries. */
export interface MachinesPage {
  total: number;
  machines: Machine[];
  requestId: string;
}

/** One page of a collection's results, checked: `items` has at most RESULT_PAGE_LIMIT entries. */
export type ResultPage =
  | { kind: 'process'; total: number; items: Process[]; requestId: string }
  | { kind: 'port'; total: number; items: OpenPort[]; requestId: string };

type StatusRequest = DescribeProcessTaskStatusRequest & DescribeOpenPortTaskStatusRequest;
type StatusResponse = Omit<DescribeProcessTaskStatusResponse | DescribeOpenPortTaskStatusResponse, 'RequestId'>;
type CreateRequest = CreateProcessTaskRequest & CreateOpenPortTaskRequest;
type CreateResponse = Omit<CreateProcessTaskResponse | CreateOpenPortTaskResponse, 'RequestId'>;
// Typed only by what the page reader asks of it: the body is checked field by field before it is trusted.
// The SDK's yunjing Filter has no ExactMatch (cwp's has): the filters are passed on as given.
type MachinesRequest = Omit<DescribeMachinesRequest, 'Filters'> & { Filters?: MachineFilter[] };
type ResultRequest = Pick<DescribeProcessesRequest & DescribeOpenPortsRequest, 'Uuid' | 'Limit' | 'Offset'>;

/** The array field of each result action's Response, and the item fields the bridge relies on. */
const RESULT_SHAPE = {
  process: { list: 'Processes', integers: ['Pid'], strings: ['ProcessName'] },
  port: { list: 'OpenPorts', integers: ['Port', 'Pid'], strings: ['ProcessName'] },
} as const satisfies Record<TaskKind, { list: string; integers: readonly string[]; strings: readonly string[] }>;

function agentId(uuid: string): string {
  if (!isAgentUuid(uuid)) throw new InvalidUuidError(uuid);
  return normalizeUuid(uuid);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * How a yunjing stop is worded: the API is frozen, and an action it no longer has (InvalidAction, ActionOffline) is
 * most likely the retirement the cwp service made in 2021, so the fix names CWP_API=cwp.
 */
const YUNJING_WORDING: StopWording = {
  service: CWP_SERVICE,
  version: CWP_VERSION,
  goneHint: (code) => {
    const frozen = `the ${CWP_SERVICE} API is frozen (its docs date from 2020, the cwp service dropped these actions in 2021)`;
    return code === 'InvalidAction' || code === 'ActionOffline'
      ? `${frozen}: try CWP_API=cwp, the current API, whose asset scan replaces these tasks`
      : frozen;
  },
};

export class YunjingClient implements CwpPort {
  constructor(private readonly caller: TencentCaller, private readonly now: () => number = Date.now) {}

  /**
   * The state of one collection task. Errors that imply a state (agent offline, no task, unknown agent) come
   * back as an observation; every other failure rejects with the TencentError.
   */
  async getTaskStatus(kind: TaskKind, uuid: string, options: CallOptions = {}): Promise<TaskObservation> {
    const id = agentId(uuid);
    const action = STATUS_ACTION[kind];
    const request: StatusRequest = { Uuid: id };
    try {
      const { response, requestId } = await this.caller.call<StatusResponse>(action, { ...request }, options);
      const status = response.Status as string;
      if (!(CWP_STATUSES as readonly string[]).includes(status)) {
        throw new TencentError({ code: TRANSPORT_CODES.unknownStatus, message: `${action} answered Status ${JSON.stringify(status)}`, requestId, action });
      }
      return { uuid: id, kind, state: status as CwpStatus, requestId, observedAt: this.now() };
    } catch (e) {
      if (e instanceof TencentError && e.row.state !== null) {
        return { uuid: id, kind, state: e.row.state, requestId: e.requestId ?? '', observedAt: this.now() };
      }
      throw e;
    }
  }

  /**
   * Starts a collection on the agent (CreateProcessTask / CreateOpenPortTask). Every failure rejects with the
   * TencentError, state-implying codes included (ResourceNotFound = unknown agent): the caller decides what a
   * refused start means. The call may be retried on a network fault like any other, so a start can reach CWP
   * twice; either way a collection is running afterwards.
   */
  async createTask(kind: TaskKind, uuid: string, options: CallOptions = {}): Promise<{ requestId: string }> {
    const request: CreateRequest = { Uuid: agentId(uuid) };
    const { requestId } = await this.caller.call<CreateResponse>(CREATE_ACTION[kind], { ...request }, options);
    return { requestId };
  }

  /**
   * One page (RESULT_PAGE_LIMIT records from `offset`) of the agent's last finished collection. A body
   * without a numeric TotalCount, without the record array, with more records than asked for, or with a
   * record that lacks the fields the bridge compares (Pid, ProcessName, and Port for ports) rejects as
   * Bridge.BadResponseBody; the other record fields are passed on as CWP sent them.
   */
  async readResultPage(kind: TaskKind, uuid: string, offset: number, options: CallOptions = {}): Promise<ResultPage> {
    const id = agentId(uuid);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    const action = RESULT_ACTION[kind];
    const request: ResultRequest = { Uuid: id, Limit: RESULT_PAGE_LIMIT, Offset: offset };
    const { response, requestId } = await this.caller.call<Record<string, unknown>>(action, { ...request }, options);
    const bad = (what: string) => new TencentError({ code: TRANSPORT_CODES.badBody, message: `${action} answered ${what}`, requestId, action });

    const total = response.TotalCount;
    if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 0) throw bad(`TotalCount ${JSON.stringify(total)}, not a count`);
    const shape = RESULT_SHAPE[kind];
    const list = response[shape.list];
    if (!Array.isArray(list)) throw bad(`no ${shape.list} array`);
    if (list.length > RESULT_PAGE_LIMIT) throw bad(`${list.length} records for Limit ${RESULT_PAGE_LIMIT}`);
    list.forEach((item: unknown, i) => {
      if (!isObject(item)) throw bad(`${shape.list}[${i}] that is not an object`);
      for (const field of shape.integers) {
        if (!Number.isSafeInteger(item[field])) throw bad(`${shape.list}[${i}].${field} ${JSON.stringify(item[field])}, not an integer`);
      }
      for (const field of shape.strings) {
        if (typeof item[field] !== 'string') throw bad(`${shape.list}[${i}].${field} ${JSON.stringify(item[field])}, not a string`);
      }
    });
    return kind === 'process'
      ? { kind, total, items: list as Process[], requestId }
      : { kind, total, items: list as OpenPort[], requestId };
  }

  /**
   * One page (MACHINES_PAGE_LIMIT machines from `offset`) of DescribeMachines for a type and region. A body
   * without a numeric TotalCount, without the Machines array, with more machines than asked for, or with a
   * machine whose MachineStatus or Uuid is not a string rejects as Bridge.BadResponseBody. Uuid may be empty
   * (documented: a machine whose agent has been offline for long); the other fields are passed on as CWP sent them.
   */
  async listMachines(page: MachinesPageRequest, options: CallOptions = {}): Promise<MachinesPage> {
    const { machineType, machineRegion, offset, filters } = page;
    if (typeof machineType !== 'string' || machineType === '') throw new RangeError('machineType must be a non-empty string, e.g. CVM');
    if (typeof machineRegion !== 'string' || machineRegion === '') throw new RangeError('machineRegion must be a non-empty string, e.g. ap-guangzhou');
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    const request: MachinesRequest = {
      MachineType: machineType,
      MachineRegion: machineRegion,
      Limit: MACHINES_PAGE_LIMIT,
      Offset: offset,
      ...(filters !== undefined ? { Filters: filters } : {}),
    };
    const action = MACHINES_ACTION;
    const { response, requestId } = await this.caller.call<Record<string, unknown>>(action, { ...request }, options);
    const bad = (what: string) => new TencentError({ code: TRANSPORT_CODES.badBody, message: `${action} answered ${what}`, requestId, action });

    const total = response.TotalCount;
    if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 0) throw bad(`TotalCount ${JSON.stringify(total)}, not a count`);
    const list = response.Machines;
    if (!Array.isArray(list)) throw bad('no Machines array');
    if (list.length > MACHINES_PAGE_LIMIT) throw bad(`${list.length} machines for Limit ${MACHINES_PAGE_LIMIT}`);
    list.forEach((item: unknown, i) => {
      if (!isObject(item)) throw bad(`Machines[${i}] that is not an object`);
      for (const field of ['MachineStatus', 'Uuid']) {
        if (typeof item[field] !== 'string') throw bad(`Machines[${i}].${field} ${JSON.stringify(item[field])}, not a string`);
      }
    });
    return { total, machines: list as Machine[], requestId };
  }

  /**
   * The port's read: every page of DescribeProcesses / DescribeOpenPorts (RESULT_PAGE_LIMIT records a request, at
   * most MAX_RESULT_PAGES), each record normalised. The RequestId is the last page's.
   */
  async readResults(kind: TaskKind, uuid: string, options: CallOptions = {}): Promise<ResultsRead> {
    const items: ResultItem[] = [];
    let total = 0;
    let requestId = '';
    for (let page = 0; page < MAX_RESULT_PAGES; page++) {
      const r = await this.readResultPage(kind, uuid, page * RESULT_PAGE_LIMIT, options);
      total = r.total;
      requestId = r.requestId;
      if (r.kind === 'port') for (const p of r.items) items.push(portItem(p));
      else for (const p of r.items) items.push(processItem(p));
      if (r.items.length < RESULT_PAGE_LIMIT || (page + 1) * RESULT_PAGE_LIMIT >= total) break;
    }
    return { items, total, requestId };
  }

  /** yunjing has no region-listing action: every type's regions are the fixed list of WATCH_DISCOVER=all. */
  async machineRegions(_machineType: string): Promise<readonly string[]> {
    return DISCOVER_ALL_REGIONS;
  }

  /** The port's page of a target's machines: one DescribeMachines request, each machine with an Uuid as the bridge keeps it. */
  async readMachines(query: MachinesQuery, options: CallOptions = {}): Promise<MachinesRead> {
    const { target, offset, filters } = query;
    const page = await this.listMachines({ machineType: target.machineType, machineRegion: target.machineRegion, offset, ...(filters !== undefined ? { filters } : {}) }, options);
    const machines: ListedMachine[] = [];
    for (const m of page.machines) if (m.Uuid !== '') machines.push(listedMachine(m, target.machineType, target.machineRegion));
    const end = page.machines.length === 0 || offset + page.machines.length >= page.total;
    return { machines, skippedNoUuid: page.machines.length - machines.length, total: page.total, nextOffset: end ? null : offset + page.machines.length, requestId: page.requestId };
  }

  stopFor(error: unknown): CwpStop | null {
    return stopFor(error, YUNJING_WORDING);
  }
}

function listedMachine(m: Machine, type: string, region: string): ListedMachine {
  const name = typeof m.MachineName === 'string' && m.MachineName !== '' ? m.MachineName : null;
  const ip = typeof m.MachineIp === 'string' && m.MachineIp !== '' ? m.MachineIp : null;
  const tags = Array.isArray(m.Tag) ? m.Tag.map((t) => (t && typeof t.Name === 'string' ? t.Name : '')).filter((n) => n !== '') : [];
  return { uuid: m.Uuid.toLowerCase(), name, ip, tags, type, region, status: m.MachineStatus === 'ONLINE' ? 'ONLINE' : 'OFFLINE' };
}
