// CWP (yunjing 2018-02-28) agents and their collection tasks. A key (uuid, kind) has a timeline of states and
// an agent a timeline of online/offline and one of its host (hosts.ts); the state at any time is read from
// them, so a fleet of 10,000 agents costs a few array entries each and no timers. Changing the schedule
// replaces its future, never its past. Each COMPLETE point of a key is a finished collection: it records the
// host as it was at that moment, and the result actions (results.ts) answer the last one.
import { isAgentUuid } from '../../lib/cwp/uuid';
import { TASK_STATES, type TaskKind, type TaskState } from '../../lib/types';
import { ApiError, parseParamsObject } from './errors';
import {
  applySpec,
  checkChurn,
  checkSize,
  cloneHost,
  DEFAULT_HOST_SIZE,
  generateHost,
  hostSeenBy,
  machineOf,
  portRecords,
  processRecords,
  type Collection,
  type Host,
  type HostChurn,
  type HostPort,
  type HostProcess,
  type HostSize,
  type HostSpec,
  type OpenPort,
  type Process,
} from './hosts';
import { handleResults, RESULT_ACTIONS } from './results';
import { cutFuture, seededRandom, valueAt, type Point } from './timeline';

export { seededRandom } from './timeline';

export const YUNJING_VERSION = '2018-02-28';

export type TaskOutcome = 'COMPLETE' | 'FAILED';

export interface ScriptStep {
  /** Milliseconds from now. */
  atMs: number;
  state: TaskState;
}

export interface Transition {
  uuid: string;
  kind: TaskKind;
  /** Epoch ms when the key entered this state. */
  at: number;
  state: TaskState;
}

export interface FleetOptions {
  /** Share of keys with a collection started (COLLECTING, then COMPLETE/FAILED). Default 0.5. */
  activeFraction?: number;
  /** Share of agents offline from the start. Default 0.1. */
  offlineFraction?: number;
  /** Collection time, uniform in [min, max] ms. Default [2000, 10000]. */
  collectMs?: [number, number];
  /** Share of active collections that end FAILED. Default 0.1. */
  failFraction?: number;
  /** Active collections start uniformly within [0, startSpreadMs) from now. Default 0. */
  startSpreadMs?: number;
  /** Kinds to give tasks. Default both. */
  kinds?: TaskKind[];
  /** Same seed, same uuids and schedule. Default 1. */
  seed?: number;
  /** Processes of each generated host (from its uuid). Default 16. */
  processes?: number;
  /** Open ports of each generated host. Default 4. */
  ports?: number;
  /** How each host changes between collections. Default none. */
  churn?: HostChurn;
}

/** What a host timeline point holds: a host, or the recipe of a generated one (built on first read, then kept). */
type HostSource = { host: Host } | { size: HostSize; churn: HostChurn; built?: Host };

interface Agent {
  uuid: string;
  /** Order of creation: keeps record ids unique across agents. */
  ordinal: number;
  createdAt: number;
  online: Point<boolean>[];
  keys: Record<TaskKind, Point<TaskState>[]>;
  host: Point<HostSource>[];
  /** Records of finished collections, by `kind#seq` of the COMPLETE point, built when first read. */
  records: Map<string, Process[] | OpenPort[]>;
}

/** What a kind's last finished collection recorded (empty, with `collectedAt` null, if none has finished). */
export interface CollectionResults<K extends TaskKind = TaskKind> {
  collectedAt: number | null;
  /** 0 for the first finished collection of the kind, null if none. */
  generation: number | null;
  items: K extends 'process' ? Process[] : OpenPort[];
}

const KINDS: readonly TaskKind[] = ['process', 'port'];

function randomUuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

export class Agents {
  private readonly agents = new Map<string, Agent>();
  private nextOrdinal = 0;
  private writes = 0;

  constructor(private readonly now: () => number, private readonly defaultCollectMs = 3000) {}

  /** A point stamped with its write order, for the timelines whose ties matter (task states, hosts). */
  private point<T>(at: number, value: T): Point<T> {
    return { at, value, seq: this.writes++ };
  }

  private get(uuid: string): Agent {
    const agent = this.agents.get(uuid.toLowerCase());
    if (!agent) throw new Error(`no agent ${uuid}; addAgent it first`);
    return agent;
  }

  has(uuid: string): boolean {
    return this.agents.has(uuid.toLowerCase());
  }

  uuids(): string[] {
    return [...this.agents.keys()];
  }

  addAgent(uuid: string, options: { online?: boolean } = {}): void {
    if (!isAgentUuid(uuid)) throw new Error(`"${uuid}" is not an agent Uuid (8-4-4-4-12 hex)`);
    const id = uuid.toLowerCase();
    if (this.agents.has(id)) {
      if (options.online !== undefined) this.setOnline(id, options.online);
      return;
    }
    const at = this.now();
    this.agents.set(id, {
      uuid: id,
      ordinal: this.nextOrdinal++,
      createdAt: at,
      online: [{ at, value: options.online ?? true }],
      host: [this.point<HostSource>(at, { size: DEFAULT_HOST_SIZE, churn: {} })],
      keys: { process: [this.point<TaskState>(at, 'NO_TASK')], port: [this.point<TaskState>(at, 'NO_TASK')] },
      records: new Map(),
    });
  }

  /** Whether the agent is online at `t` (default now); null for an agent not added. */
  isOnline(uuid: string, t = this.now()): boolean | null {
    const agent = this.agents.get(uuid.toLowerCase());
    return agent ? valueAt(agent.online, t) !== false : null;
  }

  setOnline(uuid: string, online: boolean): void {
    const agent = this.get(uuid);
    const at = this.now();
    cutFuture(agent.online, at);
    agent.online.push({ at, value: online });
  }

  /** A collection that runs `collectMs` and then ends as `outcome`. */
  startTask(uuid: string, kind: TaskKind, options: { collectMs?: number; outcome?: TaskOutcome } = {}): void {
    const collectMs = options.collectMs ?? this.defaultCollectMs;
    if (options.outcome !== undefined && options.outcome !== 'COMPLETE' && options.outcome !== 'FAILED') {
      throw new Error(`outcome must be COMPLETE or FAILED, not "${String(options.outcome)}"`);
    }
    this.script(uuid, kind, [
      { atMs: 0, state: 'COLLECTING' },
      { atMs: collectMs, state: options.outcome ?? 'COMPLETE' },
    ]);
  }

  /** Exact states at exact times (ms from now) for one key; adds the agent if it is new. */
  script(uuid: string, kind: TaskKind, steps: readonly ScriptStep[]): void {
    if (!KINDS.includes(kind)) throw new Error(`kind must be process or port, not "${String(kind)}"`);
    if (!Array.isArray(steps)) throw new Error('steps must be an array');
    for (const step of steps) {
      if (!(step.atMs >= 0)) throw new Error('atMs must be >= 0');
      if (!TASK_STATES.includes(step.state)) throw new Error(`state must be one of ${TASK_STATES.join(', ')}, not "${String(step.state)}"`);
    }
    if (!this.has(uuid)) this.addAgent(uuid);
    const points = this.get(uuid).keys[kind];
    const now = this.now();
    cutFuture(points, now);
    for (const step of [...steps].sort((a, b) => a.atMs - b.atMs)) points.push(this.point(now + step.atMs, step.state));
  }

  /** The state a status call would report at `t` (default now). */
  state(uuid: string, kind: TaskKind, t = this.now()): TaskState {
    const agent = this.agents.get(uuid.toLowerCase());
    if (!agent) return 'UNKNOWN_AGENT';
    const state = valueAt(agent.keys[kind], t) ?? 'UNKNOWN_AGENT';
    if (state === 'UNKNOWN_AGENT') return state;
    return valueAt(agent.online, t) === false ? 'AGENT_OFFLINE' : state;
  }

  /** Every change of state up to now, per key, oldest first (the first entry is the state when it appeared). */
  transitions(uuid?: string, kind?: TaskKind): Transition[] {
    const now = this.now();
    const agents = uuid === undefined ? [...this.agents.values()] : [this.agents.get(uuid.toLowerCase())].filter((a): a is Agent => !!a);
    const out: Transition[] = [];
    for (const agent of agents) {
      for (const k of kind === undefined ? KINDS : [kind]) {
        const times = [...new Set([...agent.keys[k], ...agent.online].map((p) => p.at))].filter((t) => t <= now).sort((a, b) => a - b);
        let last: TaskState | null = null;
        for (const t of times) {
          const state = this.state(agent.uuid, k, t);
          if (state !== last) out.push({ uuid: agent.uuid, kind: k, at: t, state });
          last = state;
        }
      }
    }
    return out;
  }

  /** `count` new agents with seeded uuids and schedules. */
  addFleet(count: number, options: FleetOptions = {}): string[] {
    if (!Number.isInteger(count) || count < 0) throw new Error('count must be a non-negative integer');
    const random = seededRandom(options.seed ?? 1);
    const { activeFraction = 0.5, offlineFraction = 0.1, failFraction = 0.1, startSpreadMs = 0 } = options;
    const [minMs, maxMs] = options.collectMs ?? [2000, 10000];
    const kinds = options.kinds ?? KINDS;
    const size = checkSize({ processes: options.processes, ports: options.ports });
    const churn = checkChurn(options.churn);
    const now = this.now();
    const uuids: string[] = [];
    while (uuids.length < count) {
      const uuid = randomUuid(random);
      if (this.agents.has(uuid)) continue;
      const offline = random() < offlineFraction;
      const agent: Agent = {
        uuid,
        ordinal: this.nextOrdinal++,
        createdAt: now,
        online: [{ at: now, value: !offline }],
        host: [this.point<HostSource>(now, { size, churn })],
        keys: { process: [], port: [] },
        records: new Map(),
      };
      for (const k of KINDS) {
        const points: Point<TaskState>[] = [this.point<TaskState>(now, kinds.includes(k) ? 'COMPLETE' : 'NO_TASK')];
        if (kinds.includes(k) && random() < activeFraction) {
          const start = now + Math.floor(random() * startSpreadMs);
          const end = start + minMs + Math.floor(random() * (maxMs - minMs + 1));
          const outcome: TaskOutcome = random() < failFraction ? 'FAILED' : 'COMPLETE';
          if (start === now) points.length = 0;
          points.push(this.point<TaskState>(start, 'COLLECTING'), this.point<TaskState>(end, outcome));
        }
        agent.keys[k] = points;
      }
      this.agents.set(uuid, agent);
      uuids.push(uuid);
    }
    return uuids;
  }

  // ---- hosts ----

  private built(agent: Agent, source: HostSource): Host {
    if ('host' in source) return source.host;
    return (source.built ??= generateHost(agent.uuid, source.size, source.churn));
  }

  private hostAt(agent: Agent, t: number): Host {
    return this.built(agent, valueAt(agent.host, t) ?? agent.host[0]!.value);
  }

  /**
   * The host a collection records: the last change before it completed. A change made at the very ms it
   * completed counts only if it was made before the completion was scheduled (a test that moves the clock to
   * the end of a collection and then edits the host means "after").
   */
  private hostSeenAt(agent: Agent, collection: Collection): Host {
    for (let i = agent.host.length - 1; i >= 0; i--) {
      const p = agent.host[i]!;
      if (p.at < collection.at || (p.at === collection.at && p.seq! < collection.seq)) return this.built(agent, p.value);
    }
    return this.built(agent, agent.host[0]!.value);
  }

  /** Makes `host` the agent's host from now on; collections that complete later record it. */
  private putHost(agent: Agent, host: Host): void {
    const at = this.now();
    cutFuture(agent.host, at);
    agent.host.push(this.point<HostSource>(at, { host }));
  }

  /** The host's address and name now, without building a generated host (DescribeMachines reads this). */
  machineNow(uuid: string): { machineIp: string; machineName: string } | null {
    const agent = this.agents.get(uuid.toLowerCase());
    if (!agent) return null;
    const source = valueAt(agent.host, this.now()) ?? agent.host[0]!.value;
    const host = 'host' in source ? source.host : source.built;
    return host ? { machineIp: host.machineIp, machineName: host.machineName } : machineOf(agent.uuid);
  }

  /** The host now: its processes and ports as they run (no churn: churn is what collections see). A copy. */
  hostOf(uuid: string): Host {
    return cloneHost(this.hostAt(this.get(uuid), this.now()));
  }

  /** Replaces what `spec` names (processes, ports, churn, machine); adds the agent if it is new. */
  setHost(uuid: string, spec: HostSpec): void {
    if (!this.has(uuid)) this.addAgent(uuid);
    const agent = this.get(uuid);
    this.putHost(agent, applySpec(this.hostAt(agent, this.now()), spec));
  }

  /** Edits a copy of the host now and puts it in place (checked as setHost checks a spec). */
  changeHost(uuid: string, change: (host: Host) => void): void {
    const agent = this.get(uuid);
    const draft = cloneHost(this.hostAt(agent, this.now()));
    change(draft);
    const { processes, ports, churn, machineIp, machineName, platform } = draft;
    this.putHost(agent, applySpec(draft, { processes, ports, churn, machineIp, machineName, platform }));
  }

  /** Opens a port (a listener of an existing or made-up process). */
  openPort(uuid: string, port: HostPort): void {
    this.changeHost(uuid, (host) => void host.ports.push(port));
  }

  /** Closes every listener on `port`. */
  closePort(uuid: string, port: number): void {
    this.changeHost(uuid, (host) => {
      if (!host.ports.some((p) => p.port === port)) throw new Error(`no listener on port ${String(port)} of ${uuid}`);
      host.ports = host.ports.filter((p) => p.port !== port);
    });
  }

  /** Starts a process; without a pid it gets the next free one above the highest. Returns the pid. */
  startProcess(uuid: string, process: { pid?: number; ppid?: number; processName: string; username?: string; fullPath?: string }): number {
    let pid = 0;
    this.changeHost(uuid, (host) => {
      pid = process.pid ?? Math.max(300, ...host.processes.map((p) => p.pid)) + 1;
      const started: HostProcess = {
        pid,
        ppid: process.ppid ?? 1,
        processName: process.processName,
        username: process.username ?? 'root',
        fullPath: process.fullPath ?? `/usr/bin/${process.processName}`,
      };
      host.processes.push(started);
    });
    return pid;
  }

  /** Stops a process and closes the ports it listens on. */
  stopProcess(uuid: string, pid: number): void {
    this.changeHost(uuid, (host) => {
      if (!host.processes.some((p) => p.pid === pid)) throw new Error(`no process ${String(pid)} on ${uuid}`);
      host.processes = host.processes.filter((p) => p.pid !== pid);
      host.ports = host.ports.filter((p) => p.pid !== pid);
    });
  }

  /**
   * The last collection of `kind` that finished at or before `t`. Every COMPLETE point is one finished
   * collection, also one that a new collection started in the same ms overwrites in the status.
   */
  private lastCollection(agent: Agent, kind: TaskKind, t: number): Collection | null {
    let last: Collection | null = null;
    let generation = 0;
    for (const point of agent.keys[kind]) {
      if (point.at > t) break;
      if (point.value === 'COMPLETE') last = { at: point.at, generation: generation++, seq: point.seq! };
    }
    return last;
  }

  private recordsOf(agent: Agent, kind: TaskKind, collection: Collection): Process[] | OpenPort[] {
    const key = `${kind}#${collection.seq}`;
    let records = agent.records.get(key);
    if (!records) {
      const host = this.hostSeenAt(agent, collection);
      records = kind === 'process' ? processRecords(agent.uuid, agent.ordinal, host, collection) : portRecords(agent.uuid, agent.ordinal, host, collection);
      agent.records.set(key, records);
    }
    return records;
  }

  /**
   * Every finished collection of `kind` at or before `t` (default now), oldest first; none for an agent that is
   * not there now (never added, or scripted UNKNOWN_AGENT), as the reads answer nothing for it. The cwp face
   * builds its inventory from these.
   */
  collectionsOf(uuid: string, kind: TaskKind, t = this.now()): Collection[] {
    const agent = this.agents.get(uuid.toLowerCase());
    if (!agent || this.state(agent.uuid, kind) === 'UNKNOWN_AGENT') return [];
    const out: Collection[] = [];
    let generation = 0;
    for (const point of agent.keys[kind]) {
      if (point.at > t) break;
      if (point.value === 'COMPLETE') out.push({ at: point.at, generation: generation++, seq: point.seq! });
    }
    return out;
  }

  /** What a finished collection saw on the agent's host (churn applied), with the host's name, address and platform. */
  seenBy(uuid: string, collection: Collection): { processes: HostProcess[]; ports: HostPort[]; machineIp: string; machineName: string; platform: Host['platform'] } {
    const host = this.hostSeenAt(this.get(uuid), collection);
    return { ...hostSeenBy(host, collection.generation), machineIp: host.machineIp, machineName: host.machineName, platform: host.platform };
  }

  /** What the result action of `kind` answers for the agent now: its last finished collection's records. */
  results<K extends TaskKind>(uuid: string, kind: K): CollectionResults<K> {
    const agent = this.agents.get(uuid.toLowerCase());
    // An agent that is not there now (never added, or scripted UNKNOWN_AGENT: uninstalled) has no records.
    const present = agent !== undefined && this.state(agent.uuid, kind) !== 'UNKNOWN_AGENT';
    const collection = present ? this.lastCollection(agent, kind, this.now()) : null;
    if (!agent || !collection) return { collectedAt: null, generation: null, items: [] as unknown as CollectionResults<K>['items'] };
    return { collectedAt: collection.at, generation: collection.generation, items: this.recordsOf(agent, kind, collection) as CollectionResults<K>['items'] };
  }

  /** The records of every agent's last finished collection of `kind`, agents in creation order. */
  *allResults(kind: TaskKind): Generator<Process[] | OpenPort[]> {
    for (const agent of this.agents.values()) yield this.results(agent.uuid, kind).items;
  }
}

// ---- the API ----

const STATUS_ACTIONS = { DescribeProcessTaskStatus: 'process', DescribeOpenPortTaskStatus: 'port' } as const;
const CREATE_ACTIONS = { CreateProcessTask: 'process', CreateOpenPortTask: 'port' } as const;
export const YUNJING_ACTIONS: readonly string[] = [...Object.keys(STATUS_ACTIONS), ...Object.keys(CREATE_ACTIONS), ...Object.keys(RESULT_ACTIONS)];

/**
 * Validates {Uuid} as each action's documented errors allow: process has ParsingError and IllegalRequest,
 * port only InvalidFormat (its nearest documented code for a bad body and for unknown parameters).
 */
function readUuid(body: string, kind: TaskKind): string {
  const params = parseParamsObject(body, kind);
  const extra = Object.keys(params).filter((k) => k !== 'Uuid');
  if (extra.length > 0) {
    const message = `Unknown parameter(s): ${extra.join(', ')}.`;
    throw new ApiError(kind === 'process' ? 'InvalidParameter.IllegalRequest' : 'InvalidParameter.InvalidFormat', message);
  }
  const uuid = (params as { Uuid?: unknown }).Uuid;
  if (uuid === undefined) throw new ApiError('MissingParameter', 'The request is missing a required parameter `Uuid`.');
  if (typeof uuid !== 'string' || !isAgentUuid(uuid)) throw new ApiError('InvalidParameter.InvalidFormat', 'Uuid must be an agent Uuid (8-4-4-4-12 hex).');
  return uuid.toLowerCase();
}

/** Handles a yunjing action; returns the Response fields (without RequestId) or throws an ApiError. */
export function handleYunjing(agents: Agents, action: string, body: string): Record<string, unknown> {
  if (action in RESULT_ACTIONS) return handleResults(agents, RESULT_ACTIONS[action as keyof typeof RESULT_ACTIONS], body);
  if (action in STATUS_ACTIONS) {
    const kind = STATUS_ACTIONS[action as keyof typeof STATUS_ACTIONS];
    const state = agents.state(readUuid(body, kind), kind);
    switch (state) {
      case 'UNKNOWN_AGENT':
        throw new ApiError('ResourceNotFound');
      case 'NO_TASK':
        throw new ApiError(kind === 'process' ? 'FailedOperation.ProcessTaskNotFound' : 'FailedOperation.OpenPortTaskNotFound');
      case 'AGENT_OFFLINE':
        // Documented both ways: a Status for processes, an error for ports.
        if (kind === 'port') throw new ApiError('FailedOperation.AgentOffline');
        return { Status: 'AGENT_OFFLINE' };
      default:
        return { Status: state };
    }
  }
  const kind = CREATE_ACTIONS[action as keyof typeof CREATE_ACTIONS];
  const uuid = readUuid(body, kind);
  const state = agents.state(uuid, kind);
  if (state === 'UNKNOWN_AGENT') throw new ApiError('ResourceNotFound');
  if (state === 'AGENT_OFFLINE') {
    throw new ApiError(kind === 'process' ? 'FailedOperation.CreateProcessTask' : 'FailedOperation.CreateOpenPortTask', 'The agent is offline.');
  }
  if (state !== 'COLLECTING') agents.startTask(uuid, kind);
  return {};
}
