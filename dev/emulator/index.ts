// The Tencent Cloud API emulator: CWP as yunjing and as cwp (two faces of one set of agents), tdmq (CMQ), eb and the
// scf actions of the deploy and rollback steps on API 3.0, on one loopback port, with an in-process control API and
// the same over HTTP under /_emulator/
// (control.ts). See README.md.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TaskKind, TaskState } from '../../lib/types';
import type { EmulatorCredential } from './auth';
import { handleControl } from './control';
import { CwpFace, type ScanRequest, type ScanTask } from './cwp';
import { Machines, quuidFor, type MachineFleetOptions, type MachineSpec } from './machines';
import { DEMO_SCAN_MS, startDemo } from './demo';
import { Faults, type FaultSpec } from './faults';
import { RateLimiter, type ActionStats, type RequestRecord } from './ratelimit';
import { Scf, type NewTrigger, type ScfAlias, type ScfTrigger, type ScfVersion } from './scf';
import { handleApi, readBody, type ApiCore } from './server';
import { Tdmq, type CmqMessage } from './tdmq';
import { EventBridge, type EbArrival } from './eb';
import type { Host, HostPort, HostSpec } from './hosts';
import { Agents, type CollectionResults, type FleetOptions, type ScriptStep, type TaskOutcome, type Transition } from './yunjing';

export { maxInWindow, type ActionStats, type RequestRecord } from './ratelimit';
export type { EmulatorCredential } from './auth';
export type { FaultKind, FaultSpec } from './faults';
export type { CmqMessage } from './tdmq';
export { EB_DEMO_BUS, EB_MAX_EVENT_BYTES, EB_MAX_EVENTS_PER_CALL, EB_RATE_LIMIT_PER_SECOND, type EbArrival, type EbEventRecord } from './eb';
export { EMULATOR_APP_ID, type NewTrigger, type ScfAlias, type ScfTrigger, type ScfVersion } from './scf';
export type { CollectionResults, FleetOptions, ScriptStep, TaskOutcome, Transition } from './yunjing';
export { DEFAULT_HOST_SIZE, PID_MAX, churnedPid, type Host, type HostChurn, type HostPort, type HostProcess, type HostSpec, type OpenPort, type Process } from './hosts';
export { RESULT_LIMIT } from './results';
export { MACHINE_FILTERS, MACHINE_TYPES, MACHINES_LIMIT, type MachineFleetOptions, type MachineSpec, type MachineTagSpec, type MachineType } from './machines';
export { DEMO_AGENTS, DEMO_CYCLE_MS } from './demo';
export { ASSET_TYPES, ASSET_TYPE_OF, CWP_ACTIONS, INVENTORY_LIMIT, cwpTime, type ScanHost, type ScanRequest, type ScanTask } from './cwp';

/** The emulator's default credential pair (test-only values, accepted by nothing but the emulator). */
export const EMULATOR_CREDENTIALS = {
  secretId: 'AKIDemulator000000000000000000000000',
  secretKey: 'emulatorSecretKey0000000000000000',
} as const;

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** secretId -> {secretKey, token?}. Default: EMULATOR_CREDENTIALS. */
  credentials?: Record<string, EmulatorCredential>;
  /** Accepted requests per action in any 1000 ms window. Default 20, as the real APIs. */
  rateLimitPerSecond?: number;
  /** The clock (epoch ms) for the signature window, the rate limit and task schedules. Default Date.now. */
  now?: () => number;
  /** No log line per request. */
  quiet?: boolean;
  /** How long a task started with CreateProcessTask/CreateOpenPortTask collects. Default 3000 ms. */
  defaultCollectMs?: number;
  /** Accepted PutEvents calls in any 1000 ms window. Default 1000, as documented. */
  ebRateLimitPerSecond?: number;
  /** How long a cwp asset scan (ScanAsset) takes. Default: defaultCollectMs. */
  scanMs?: number;
  /** Share of online hosts each cwp scan skips (their collection ends FAILED, their inventory stays), seeded. Default 0. */
  scanSkipFraction?: number;
}

export interface Emulator {
  /** The origin, e.g. http://127.0.0.1:PORT: use it as CWP_ENDPOINT and TDMQ_ENDPOINT (and SCF_ENDPOINT for the deploy step). */
  readonly url: string;
  readonly port: number;
  /** The first configured credential. */
  readonly credentials: { secretId: string; secretKey: string; token?: string };
  close(): Promise<void>;

  // yunjing agents
  addAgent(uuid: string, options?: { online?: boolean }): void;
  setOnline(uuid: string, online: boolean): void;
  startTask(uuid: string, kind: TaskKind, options?: { collectMs?: number; outcome?: TaskOutcome }): void;
  script(uuid: string, kind: TaskKind, steps: ScriptStep[]): void;
  /** With `machines`, each generated agent also gets a machine (DescribeMachines). */
  addFleet(count: number, options?: FleetOptions & { machines?: MachineFleetOptions }): string[];
  /** What a status call reports now (as the bridge's state, e.g. NO_TASK for the not-found error). */
  state(uuid: string, kind: TaskKind): TaskState;
  transitions(uuid?: string, kind?: TaskKind): Transition[];

  // yunjing machines: what DescribeMachines answers
  /** Adds a machine (and its agent, if it has a Uuid and is new); returns its Quuid. */
  addMachine(spec: MachineSpec): string;
  /** Removes the machine with this Uuid or Quuid from the listings (its agent stays). */
  removeMachine(uuid: string): void;
  /** ONLINE/OFFLINE: the agent's online flag; LONG_OFFLINE: offline, and the machine answers an empty Uuid. */
  setMachineStatus(uuid: string, status: 'ONLINE' | 'OFFLINE' | 'LONG_OFFLINE'): void;
  /** Every machine now as DescribeMachines answers it, all regions and types, in creation order. */
  machines(): Array<Record<string, unknown> & { MachineStatus: string; Uuid: string }>;

  // yunjing hosts: what collections record and DescribeProcesses / DescribeOpenPorts answer
  /** Replaces what the spec names (processes, ports, churn, machineIp, machineName, platform) from now on; adds the agent if new. */
  setHost(uuid: string, spec: HostSpec): void;
  /** The host now, as it runs (churn is applied only to what collections record). A copy. */
  hostOf(uuid: string): Host;
  /** Edits a copy of the host now and puts it in place, checked as setHost checks a spec. */
  changeHost(uuid: string, change: (host: Host) => void): void;
  openPort(uuid: string, port: HostPort): void;
  /** Closes every listener on the port. */
  closePort(uuid: string, port: number): void;
  /** Starts a process (pid default: one above the highest); returns its pid. */
  startProcess(uuid: string, process: { pid?: number; ppid?: number; processName: string; username?: string; fullPath?: string }): number;
  /** Stops the process and closes its ports. */
  stopProcess(uuid: string, pid: number): void;
  /** What the kind's result action answers for the agent now (all records of its last finished collection). */
  results<K extends TaskKind>(uuid: string, kind: K): CollectionResults<K>;
  /** Starts the npm-start preset (idempotent); returns its uuids. `scans`: the cwp face also scans the account every cycle. */
  demo(options?: { scans?: boolean }): string[];

  // cwp: the account's asset scan and the inventory it collects (the same agents and hosts)
  /** Starts a scan as ScanAsset does (every host, both kinds, unless the request narrows it); throws FailedOperation while one runs. */
  startScan(request?: ScanRequest): ScanTask;
  /** The next scan covering this agent skips it: its collection ends FAILED and its inventory stays. */
  skipInNextScan(uuid: string): void;
  /** Every scan so far, oldest first. */
  scans(): ScanTask[];
  /** What SyncAssetScan answers now. */
  scanState(): { State: 'NOTASK' | 'SYNCING' | 'FINISHED'; LatestStartTime: string; LatestEndTime: string; TaskId: number };
  /** A host's inventory of a kind now, as DescribeAssetPortInfoList / DescribeAssetProcessInfoList answer it; null before its first collection. */
  inventory(uuid: string, kind: TaskKind): { updateTime: string; items: Array<Record<string, unknown>> } | null;
  /** The agent's Quuid on the cwp face (its machine's, or derived from its uuid). */
  quuidOf(uuid: string): string;

  // auth
  /** The secretId's signature stays valid but every action answers UnauthorizedOperation. */
  revoke(secretId: string): void;
  restore(secretId: string): void;

  // faults
  inject(spec: FaultSpec): number;
  clearFaults(): void;
  faults(): FaultSpec[];

  // rate limit and request log
  stats(): Record<string, ActionStats>;
  requests(): RequestRecord[];
  resetStats(): void;

  // tdmq
  createTopic(name: string, options?: { maxMsgSize?: number }): void;
  createQueue(name: string, options?: { maxMsgSize?: number }): void;
  messages(target: string | { topic: string } | { queue: string }): CmqMessage[];

  // eb (EventBridge): a bus EB_DEMO_BUS exists from the start
  /** Adds a custom event bus (idempotent). */
  createEventBus(id: string): void;
  /** What a bus received, in order, each with its call's RequestId and its index in that call. */
  busEvents(busId: string): EbArrival[];
  /** Forgets what every bus received, and PutEvents' rate window. */
  resetEventBuses(): void;

  // scf (the deploy and rollback steps: triggers, versions, aliases)
  /** A function as `serverless deploy` leaves it, without triggers (idempotent). Namespace default `default`. */
  addFunction(name: string, options?: { namespace?: string; runtime?: string }): void;
  /** What `serverless deploy` does to an existing function: new code on $LATEST, and a new ModTime. */
  updateFunctionCode(name: string, options?: { namespace?: string }): { codeRevision: number; modTime: string };
  /** The published versions, oldest first. */
  versions(functionName: string, options?: { namespace?: string }): ScfVersion[];
  /** The alias, or null. */
  alias(functionName: string, aliasName: string, options?: { namespace?: string }): ScfAlias | null;
  /** Which updateFunctionCode revision a qualifier ($LATEST, a version, an alias) runs now (0: the first code). */
  codeRevisionOf(functionName: string, qualifier: string, options?: { namespace?: string }): number;
  /** A trigger as CreateTrigger makes it, e.g. a disabled timer: `{ type: 'timer', name, desc: <7-field cron>, enabled: false }`. */
  addTrigger(functionName: string, trigger: NewTrigger, options?: { namespace?: string; region?: string }): ScfTrigger;
  /** The function's triggers now, as ListTriggers would show them. */
  triggers(functionName: string, options?: { namespace?: string }): ScfTrigger[];
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const now = options.now ?? Date.now;
  const credentialEntries = Object.entries(options.credentials ?? { [EMULATOR_CREDENTIALS.secretId]: { secretKey: EMULATOR_CREDENTIALS.secretKey } });
  if (credentialEntries.length === 0) throw new Error('at least one credential is needed');
  const rateLimitPerSecond = options.rateLimitPerSecond ?? 20;
  const agents = new Agents(now, options.defaultCollectMs);
  const machines = new Machines(agents);
  const cwp = new CwpFace(agents, machines, now, { scanMs: options.scanMs ?? options.defaultCollectMs ?? 3000, ...(options.scanSkipFraction !== undefined ? { skipFraction: options.scanSkipFraction } : {}) });
  const core: ApiCore = {
    agents,
    machines,
    cwp,
    tdmq: new Tdmq(now),
    eb: new EventBridge(now, options.ebRateLimitPerSecond),
    scf: new Scf(now),
    faults: new Faults(),
    limiter: new RateLimiter(rateLimitPerSecond),
    credentials: new Map(credentialEntries),
    revoked: new Set(),
    rateLimitPerSecond,
    now,
    quiet: options.quiet ?? false,
  };
  let demo: { uuids: string[]; stop: () => void } | null = null;

  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => {
        if ((req.url ?? '').startsWith('/_emulator/')) handleControl(emulator, req, res, body);
        else return handleApi(core, req, res, body);
      })
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const [firstId, first] = credentialEntries[0]!;

  const emulator: Emulator = {
    url: `http://${host}:${address.port}`,
    port: address.port,
    credentials: { secretId: firstId, secretKey: first.secretKey, ...(first.token !== undefined ? { token: first.token } : {}) },
    close: () =>
      new Promise<void>((resolve) => {
        demo?.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),

    addAgent: (uuid, o) => core.agents.addAgent(uuid, o),
    setOnline: (uuid, online) => core.agents.setOnline(uuid, online),
    startTask: (uuid, kind, o) => core.agents.startTask(uuid, kind, o),
    script: (uuid, kind, steps) => core.agents.script(uuid, kind, steps),
    addFleet: (count, o) => {
      if (o?.machines !== undefined && (o.machines === null || typeof o.machines !== 'object')) throw new Error('machines must be an object of fleet machine options');
      const uuids = core.agents.addFleet(count, o);
      if (o?.machines) core.machines.addForFleet(uuids, o.machines, o.seed);
      return uuids;
    },
    state: (uuid, kind) => core.agents.state(uuid, kind),
    transitions: (uuid, kind) => core.agents.transitions(uuid, kind),
    addMachine: (spec) => core.machines.addMachine(spec),
    removeMachine: (uuid) => core.machines.removeMachine(uuid),
    setMachineStatus: (uuid, status) => core.machines.setMachineStatus(uuid, status),
    machines: () => core.machines.list(),
    setHost: (uuid, spec) => core.agents.setHost(uuid, spec),
    hostOf: (uuid) => core.agents.hostOf(uuid),
    changeHost: (uuid, change) => core.agents.changeHost(uuid, change),
    openPort: (uuid, port) => core.agents.openPort(uuid, port),
    closePort: (uuid, port) => core.agents.closePort(uuid, port),
    startProcess: (uuid, process) => core.agents.startProcess(uuid, process),
    stopProcess: (uuid, pid) => core.agents.stopProcess(uuid, pid),
    results: (uuid, kind) => core.agents.results(uuid, kind),
    demo: (options) => (demo ??= startDemo(core.agents, options?.scans ? () => void cwp.startScan({ scanMs: DEMO_SCAN_MS }) : undefined)).uuids,

    startScan: (request) => cwp.startScan(request),
    skipInNextScan: (uuid) => cwp.skipInNextScan(uuid),
    scans: () => cwp.scans(),
    scanState: () => cwp.scanState(),
    inventory: (uuid, kind) => cwp.inventory(uuid, kind),
    quuidOf: (uuid) => machines.find(uuid)?.quuid ?? quuidFor(uuid),

    revoke: (secretId) => void core.revoked.add(secretId),
    restore: (secretId) => void core.revoked.delete(secretId),

    inject: (spec) => core.faults.inject(spec),
    clearFaults: () => core.faults.clear(),
    faults: () => core.faults.active(),

    stats: () => core.limiter.stats(),
    requests: () => core.limiter.requests(),
    resetStats: () => core.limiter.reset(),

    createTopic: (name, o) => core.tdmq.createTopic(name, o),
    createQueue: (name, o) => core.tdmq.createQueue(name, o),
    messages: (target) => core.tdmq.messages(target),

    createEventBus: (id) => core.eb.createBus(id),
    busEvents: (busId) => core.eb.events(busId),
    resetEventBuses: () => core.eb.reset(),

    addFunction: (name, o) => core.scf.addFunction(name, o),
    updateFunctionCode: (name, o) => core.scf.updateFunctionCode(name, o),
    versions: (functionName, o) => core.scf.versions(functionName, o),
    alias: (functionName, aliasName, o) => core.scf.alias(functionName, aliasName, o),
    codeRevisionOf: (functionName, qualifier, o) => core.scf.codeRevisionOf(functionName, qualifier, o),
    addTrigger: (functionName, trigger, o) => core.scf.addTrigger(functionName, trigger, o),
    triggers: (functionName, o) => core.scf.triggers(functionName, o),
  };
  return emulator;
}
