// CWP (yunjing 2018-02-28) agents and their collection tasks. A key (uuid, kind) has a timeline of states and
// an agent a timeline of online/offline; the state at any time is read from them, so a fleet of 10,000 agents
// costs a few array entries each and no timers. Changing the schedule replaces its future, never its past.
import { isAgentUuid } from '../../lib/cwp/uuid';
import { TASK_STATES, type TaskKind, type TaskState } from '../../lib/types';
import { ApiError } from './errors';

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
}

interface Point<T> {
  at: number;
  value: T;
}

interface Agent {
  uuid: string;
  createdAt: number;
  online: Point<boolean>[];
  keys: Record<TaskKind, Point<TaskState>[]>;
}

const KINDS: readonly TaskKind[] = ['process', 'port'];

/** The value at `t`: the last point at or before it (the latest written wins a tie). */
function valueAt<T>(points: readonly Point<T>[], t: number): T | undefined {
  for (let i = points.length - 1; i >= 0; i--) if (points[i]!.at <= t) return points[i]!.value;
  return undefined;
}

/** Drops the scheduled future (points after `t`) so a new schedule replaces it. */
function cutFuture<T>(points: Point<T>[], t: number): void {
  while (points.length > 0 && points[points.length - 1]!.at > t) points.pop();
}

/** mulberry32: a small seeded PRNG, enough for reproducible fleets. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomUuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

export class Agents {
  private readonly agents = new Map<string, Agent>();

  constructor(private readonly now: () => number, private readonly defaultCollectMs = 3000) {}

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
      createdAt: at,
      online: [{ at, value: options.online ?? true }],
      keys: { process: [{ at, value: 'NO_TASK' }], port: [{ at, value: 'NO_TASK' }] },
    });
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
    for (const step of [...steps].sort((a, b) => a.atMs - b.atMs)) points.push({ at: now + step.atMs, value: step.state });
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
    const now = this.now();
    const uuids: string[] = [];
    while (uuids.length < count) {
      const uuid = randomUuid(random);
      if (this.agents.has(uuid)) continue;
      const offline = random() < offlineFraction;
      const agent: Agent = { uuid, createdAt: now, online: [{ at: now, value: !offline }], keys: { process: [], port: [] } };
      for (const k of KINDS) {
        const points: Point<TaskState>[] = [{ at: now, value: kinds.includes(k) ? 'COMPLETE' : 'NO_TASK' }];
        if (kinds.includes(k) && random() < activeFraction) {
          const start = now + Math.floor(random() * startSpreadMs);
          const end = start + minMs + Math.floor(random() * (maxMs - minMs + 1));
          const outcome: TaskOutcome = random() < failFraction ? 'FAILED' : 'COMPLETE';
          if (start === now) points.length = 0;
          points.push({ at: start, value: 'COLLECTING' }, { at: end, value: outcome });
        }
        agent.keys[k] = points;
      }
      this.agents.set(uuid, agent);
      uuids.push(uuid);
    }
    return uuids;
  }
}

// ---- the API ----

const STATUS_ACTIONS = { DescribeProcessTaskStatus: 'process', DescribeOpenPortTaskStatus: 'port' } as const;
const CREATE_ACTIONS = { CreateProcessTask: 'process', CreateOpenPortTask: 'port' } as const;
export const YUNJING_ACTIONS: readonly string[] = [...Object.keys(STATUS_ACTIONS), ...Object.keys(CREATE_ACTIONS)];

/**
 * Validates {Uuid} as each action's documented errors allow: process has ParsingError and IllegalRequest,
 * port only InvalidFormat (its nearest documented code for a bad body and for unknown parameters).
 */
function readUuid(body: string, kind: TaskKind): string {
  let params: unknown;
  try {
    params = JSON.parse(body);
  } catch {
    params = undefined;
  }
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw kind === 'process'
      ? new ApiError('InvalidParameter.ParsingError', 'The request body could not be parsed as a JSON object.')
      : new ApiError('InvalidParameter.InvalidFormat', 'The request body is not a JSON object.');
  }
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
