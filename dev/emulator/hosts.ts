// What runs on an emulated agent: its processes and open ports, and what a collection of them records when it
// completes. A host is a timeline like the task states (a change applies from the moment it is made), and a
// generated host is built from its uuid only when something first reads it, so a fleet of 10,000 hosts of 400
// processes costs nothing until a test looks at one. Records carry every field of the SDK's Process / OpenPort.
import type { OpenPort, Process } from 'tencentcloud-sdk-nodejs/tencentcloud/services/yunjing/v20180228/yunjing_models';
import { hashSeed, seededRandom } from './timeline';

export type { OpenPort, Process };

export interface HostProcess {
  pid: number;
  ppid: number;
  processName: string;
  username: string;
  fullPath: string;
}

export interface HostPort {
  port: number;
  pid: number;
  processName: string;
  /** The cwp face's `Proto` (yunjing's OpenPort has none). Default tcp. */
  proto?: 'tcp' | 'udp';
  /** The cwp face's `BindIp`. Default 0.0.0.0. */
  bindIp?: string;
}

/** How a host changes between two collections of a kind, without anyone calling changeHost. */
export interface HostChurn {
  /**
   * Every process but pid 1 restarts before each collection: the k-th finished collection of a kind (k = 0, 1,
   * ...) sees every pid (and ppid, and a port's pid) moved by k steps of a fixed bijection; names, users,
   * paths and port numbers stay. A diff on identity must see no change.
   */
  pidsEachCollection?: boolean;
  /** The k-th finished collection of a kind sees k * n more open ports (20000 upwards, on the host's processes). */
  portsAddedPerCollection?: number;
}

export type Platform = 'WIN32' | 'WIN64' | 'LINUX32' | 'LINUX64';
export const PLATFORMS: readonly Platform[] = ['WIN32', 'WIN64', 'LINUX32', 'LINUX64'];

export interface Host {
  machineIp: string;
  machineName: string;
  platform: Platform;
  processes: HostProcess[];
  ports: HostPort[];
  churn: HostChurn;
}

/** What setHost takes: what it names replaces the current value, the rest stays; omitted item fields get defaults. */
export interface HostSpec {
  /** ppid defaults to 1 (0 for pid 1), username to root, fullPath to /usr/bin/<processName>. */
  processes?: Array<{ pid: number; ppid?: number; processName: string; username?: string; fullPath?: string }>;
  ports?: Array<{ port: number; pid: number; processName: string; proto?: 'tcp' | 'udp'; bindIp?: string }>;
  churn?: HostChurn;
  machineIp?: string;
  machineName?: string;
  platform?: Platform;
}

/** The size of a generated host. */
export interface HostSize {
  processes: number;
  ports: number;
}

export const DEFAULT_HOST_SIZE: HostSize = { processes: 16, ports: 4 };
/** Linux's largest pid_max (2^22): every pid, also after churn, is in [1, PID_MAX]. */
export const PID_MAX = 4_194_304;
const MAX_GENERATED = { processes: 100_000, ports: 40_000 };
const ADDED_PORTS_FROM = 20_000;

// ---- validation ----

const isInt = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

export function checkChurn(churn: unknown): HostChurn {
  if (churn === undefined) return {};
  if (churn === null || typeof churn !== 'object') throw new Error('churn must be an object {pidsEachCollection?, portsAddedPerCollection?}');
  const { pidsEachCollection, portsAddedPerCollection } = churn as HostChurn;
  if (pidsEachCollection !== undefined && typeof pidsEachCollection !== 'boolean') throw new Error('churn.pidsEachCollection must be a boolean');
  if (portsAddedPerCollection !== undefined && !isInt(portsAddedPerCollection, 0, 45_535)) throw new Error('churn.portsAddedPerCollection must be an integer 0..45535');
  return { ...(pidsEachCollection ? { pidsEachCollection } : {}), ...(portsAddedPerCollection ? { portsAddedPerCollection } : {}) };
}

export function checkSize(size: Partial<HostSize>): HostSize {
  const processes = size.processes ?? DEFAULT_HOST_SIZE.processes;
  const ports = size.ports ?? DEFAULT_HOST_SIZE.ports;
  if (!isInt(processes, 0, MAX_GENERATED.processes)) throw new Error(`processes must be an integer 0..${MAX_GENERATED.processes}`);
  if (!isInt(ports, 0, MAX_GENERATED.ports)) throw new Error(`ports must be an integer 0..${MAX_GENERATED.ports}`);
  return { processes, ports };
}

function checkProcess(p: unknown, i: number): HostProcess {
  if (p === null || typeof p !== 'object') throw new Error(`processes[${i}] must be an object {pid, processName, ppid?, username?, fullPath?}`);
  const { pid, ppid, processName, username, fullPath } = p as Partial<HostProcess>;
  if (!isInt(pid, 1, PID_MAX)) throw new Error(`processes[${i}].pid must be an integer 1..${PID_MAX}`);
  if (ppid !== undefined && !isInt(ppid, 0, PID_MAX)) throw new Error(`processes[${i}].ppid must be an integer 0..${PID_MAX}`);
  if (!nonEmpty(processName)) throw new Error(`processes[${i}].processName must be a non-empty string`);
  if (username !== undefined && typeof username !== 'string') throw new Error(`processes[${i}].username must be a string`);
  if (fullPath !== undefined && typeof fullPath !== 'string') throw new Error(`processes[${i}].fullPath must be a string`);
  return { pid, ppid: ppid ?? (pid === 1 ? 0 : 1), processName, username: username ?? 'root', fullPath: fullPath ?? `/usr/bin/${processName}` };
}

function checkPort(p: unknown, i: number): HostPort {
  if (p === null || typeof p !== 'object') throw new Error(`ports[${i}] must be an object {port, pid, processName, proto?, bindIp?}`);
  const { port, pid, processName, proto, bindIp } = p as Partial<HostPort>;
  if (!isInt(port, 1, 65_535)) throw new Error(`ports[${i}].port must be an integer 1..65535`);
  if (!isInt(pid, 1, PID_MAX)) throw new Error(`ports[${i}].pid must be an integer 1..${PID_MAX}`);
  if (!nonEmpty(processName)) throw new Error(`ports[${i}].processName must be a non-empty string`);
  if (proto !== undefined && proto !== 'tcp' && proto !== 'udp') throw new Error(`ports[${i}].proto must be tcp or udp`);
  if (bindIp !== undefined && !nonEmpty(bindIp)) throw new Error(`ports[${i}].bindIp must be a non-empty string`);
  return { port, pid, processName, ...(proto !== undefined ? { proto } : {}), ...(bindIp !== undefined ? { bindIp } : {}) };
}

/** The host `spec` makes of `current`, checked (a bad spec throws and changes nothing). */
export function applySpec(current: Host, spec: HostSpec): Host {
  if (spec === null || typeof spec !== 'object') throw new Error('a host spec must be an object {processes?, ports?, churn?, machineIp?, machineName?, platform?}');
  if (spec.processes !== undefined && !Array.isArray(spec.processes)) throw new Error('processes must be an array');
  if (spec.ports !== undefined && !Array.isArray(spec.ports)) throw new Error('ports must be an array');
  if (spec.machineIp !== undefined && !nonEmpty(spec.machineIp)) throw new Error('machineIp must be a non-empty string');
  if (spec.machineName !== undefined && !nonEmpty(spec.machineName)) throw new Error('machineName must be a non-empty string');
  if (spec.platform !== undefined && !PLATFORMS.includes(spec.platform)) throw new Error(`platform must be one of ${PLATFORMS.join(', ')}`);
  const processes = spec.processes?.map(checkProcess) ?? current.processes;
  const pids = new Set<number>();
  for (const p of processes) {
    if (pids.has(p.pid)) throw new Error(`pid ${p.pid} is listed twice`);
    pids.add(p.pid);
  }
  return {
    machineIp: spec.machineIp ?? current.machineIp,
    machineName: spec.machineName ?? current.machineName,
    platform: spec.platform ?? current.platform,
    processes,
    ports: spec.ports?.map(checkPort) ?? current.ports,
    churn: spec.churn === undefined ? current.churn : checkChurn(spec.churn),
  };
}

export function cloneHost(host: Host): Host {
  return { ...host, processes: host.processes.map((p) => ({ ...p })), ports: host.ports.map((p) => ({ ...p })), churn: { ...host.churn } };
}

// ---- generated hosts ----

interface Program {
  name: string;
  path: string;
  user: string;
  ports: number[];
  /** The user of extra instances (workers), when the program runs several. */
  workerUser?: string;
}

/** What a CVM with the CWP agent typically runs: the agent itself (YDService, YDLive), Tencent's monitors, servers. */
const PROGRAMS: readonly Program[] = [
  { name: 'sshd', path: '/usr/sbin/sshd', user: 'root', ports: [22] },
  { name: 'YDService', path: '/usr/local/qcloud/YunJing/YDEyes/YDService', user: 'root', ports: [] },
  { name: 'YDLive', path: '/usr/local/qcloud/YunJing/YDLive/YDLive', user: 'root', ports: [] },
  { name: 'barad_agent', path: '/usr/local/qcloud/monitor/barad/bin/barad_agent', user: 'root', ports: [] },
  { name: 'tat_agent', path: '/usr/local/qcloud/tat_agent/tat_agent', user: 'root', ports: [] },
  { name: 'crond', path: '/usr/sbin/crond', user: 'root', ports: [] },
  { name: 'rsyslogd', path: '/usr/sbin/rsyslogd', user: 'root', ports: [] },
  { name: 'chronyd', path: '/usr/sbin/chronyd', user: 'chrony', ports: [323] },
  { name: 'nginx', path: '/usr/sbin/nginx', user: 'root', ports: [80, 443], workerUser: 'nginx' },
  { name: 'mysqld', path: '/usr/sbin/mysqld', user: 'mysql', ports: [3306] },
  { name: 'redis-server', path: '/usr/bin/redis-server', user: 'redis', ports: [6379] },
  { name: 'php-fpm', path: '/usr/sbin/php-fpm', user: 'root', ports: [9000], workerUser: 'www' },
  { name: 'java', path: '/usr/bin/java', user: 'app', ports: [8080] },
  { name: 'node', path: '/usr/bin/node', user: 'app', ports: [3000], workerUser: 'app' },
  { name: 'postgres', path: '/usr/bin/postgres', user: 'postgres', ports: [5432], workerUser: 'postgres' },
  { name: 'dockerd', path: '/usr/bin/dockerd', user: 'root', ports: [] },
  { name: 'containerd', path: '/usr/bin/containerd', user: 'root', ports: [] },
  { name: 'master', path: '/usr/libexec/postfix/master', user: 'root', ports: [25] },
];
const SHELL: Program = { name: 'bash', path: '/usr/bin/bash', user: 'root', ports: [], workerUser: 'root' };

/** The address and name of a host, from its uuid (a Tencent CVM's default hostname is VM-<ip octets 3-4>-<os>). */
export function machineOf(uuid: string): { machineIp: string; machineName: string } {
  const random = seededRandom(hashSeed(`machine:${uuid}`));
  const [b, c, d] = [0, 1, 2].map(() => Math.floor(random() * 254) + 1) as [number, number, number];
  return { machineIp: `10.${b}.${c}.${d}`, machineName: `VM-${c}-${d}-centos` };
}

/** The same uuid and size always give the same host. */
export function generateHost(uuid: string, size: HostSize, churn: HostChurn): Host {
  const random = seededRandom(hashSeed(`host:${uuid}`));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const programs = [...PROGRAMS];
  for (let i = programs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [programs[i], programs[j]] = [programs[j]!, programs[i]!];
  }

  const processes: HostProcess[] = [];
  const started: Array<{ program: Program; pid: number }> = [];
  let pid = 300 + Math.floor(random() * 200);
  for (let i = 0; i < size.processes; i++) {
    if (i === 0) {
      processes.push({ pid: 1, ppid: 0, processName: 'systemd', username: 'root', fullPath: '/usr/lib/systemd/systemd' });
      continue;
    }
    pid += 1 + Math.floor(random() * 40);
    const program = programs[i - 1];
    if (program) {
      processes.push({ pid, ppid: 1, processName: program.name, username: program.user, fullPath: program.path });
      started.push({ program, pid });
    } else {
      // Past the catalogue: more instances of the programs that run workers, children of their first instance.
      const masters = started.filter((s) => s.program.workerUser !== undefined);
      const master = masters.length > 0 ? pick(masters) : { program: SHELL, pid: 1 };
      processes.push({ pid, ppid: master.pid, processName: master.program.name, username: master.program.workerUser ?? master.program.user, fullPath: master.program.path });
    }
  }

  const ports: HostPort[] = [];
  const taken = new Set<number>();
  for (const { program, pid: owner } of started) {
    for (const port of program.ports) {
      if (ports.length >= size.ports) break;
      ports.push({ port, pid: owner, processName: program.name });
      taken.add(port);
    }
  }
  const owners = processes.length > 1 ? processes.slice(1) : processes;
  while (ports.length < size.ports) {
    const port = 10_000 + Math.floor(random() * 50_000);
    if (taken.has(port)) continue;
    taken.add(port);
    const owner = owners.length > 0 ? pick(owners) : { pid: 1000 + ports.length, processName: 'listener' };
    ports.push({ port, pid: owner.pid, processName: owner.processName });
  }
  return { ...machineOf(uuid), platform: 'LINUX64', processes, ports, churn };
}

// ---- what a collection records ----

const PID_STEP = 10_007;

/** Pid `pid` as the k-th collection sees it under pid churn: a bijection on [2, PID_MAX]; 0 and 1 stay. */
export function churnedPid(pid: number, generation: number): number {
  if (pid < 2 || generation === 0) return pid;
  const span = PID_MAX - 1;
  return 2 + ((pid - 2 + ((generation * PID_STEP) % span)) % span);
}

/** The host as the k-th (0-based) finished collection of a kind sees it. */
export function hostSeenBy(host: Host, generation: number): { processes: HostProcess[]; ports: HostPort[] } {
  const remap = host.churn.pidsEachCollection ? (pid: number) => churnedPid(pid, generation) : (pid: number) => pid;
  const processes = host.processes.map((p) => ({ ...p, pid: remap(p.pid), ppid: remap(p.ppid) }));
  const ports = host.ports.map((p) => ({ ...p, pid: remap(p.pid) }));
  const added = (host.churn.portsAddedPerCollection ?? 0) * generation;
  const owners = processes.length > 1 ? processes.filter((p) => p.pid !== 1) : processes;
  const taken = new Set(ports.map((p) => p.port));
  for (let j = 0, port = ADDED_PORTS_FROM; j < added && port <= 65_535; port++) {
    if (taken.has(port)) continue;
    const owner = owners[j % Math.max(owners.length, 1)];
    ports.push({ port, pid: owner?.pid ?? remap(1000 + j), processName: owner?.processName ?? 'listener' });
    j++;
  }
  return { processes, ports };
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, the form of the documented CreateTime / ModifyTime. */
export function recordTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Record ids: unique across the emulator's agents (by the agent's ordinal) and, per agent and kind, across
 * 4096 collections of up to 2^20 records each; below 2^53 for 2 million agents.
 */
function recordId(agentOrdinal: number, generation: number, index: number): number {
  return agentOrdinal * 2 ** 32 + (generation % 4096) * 2 ** 20 + index + 1;
}

export interface Collection {
  /** When it completed (epoch ms). */
  at: number;
  /** 0 for the agent's first finished collection of the kind, 1 for the next, ... */
  generation: number;
  /** The write order of its COMPLETE point (see timeline.ts). */
  seq: number;
}

export function processRecords(uuid: string, agentOrdinal: number, host: Host, collection: Collection): Process[] {
  const time = recordTime(collection.at);
  return hostSeenBy(host, collection.generation).processes.map((p, i) => ({
    Id: recordId(agentOrdinal, collection.generation, i),
    Uuid: uuid,
    MachineIp: host.machineIp,
    MachineName: host.machineName,
    Pid: p.pid,
    Ppid: p.ppid,
    ProcessName: p.processName,
    Username: p.username,
    Platform: host.platform,
    FullPath: p.fullPath,
    CreateTime: time,
  }));
}

export function portRecords(uuid: string, agentOrdinal: number, host: Host, collection: Collection): OpenPort[] {
  const time = recordTime(collection.at);
  return hostSeenBy(host, collection.generation).ports.map((p, i) => ({
    Id: recordId(agentOrdinal, collection.generation, i),
    Uuid: uuid,
    Port: p.port,
    MachineIp: host.machineIp,
    MachineName: host.machineName,
    ProcessName: p.processName,
    Pid: p.pid,
    CreateTime: time,
    ModifyTime: time,
  }));
}
