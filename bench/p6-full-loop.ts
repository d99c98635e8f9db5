// P6: the full loop (issue #11) for 1,000 agents (2,000 keys): scheduled collections started (COLLECT_EVERY),
// seen to COMPLETE, their results read page by page, diffed and published; against the emulator with its
// 20 requests/s per action, and the real sweep (runSweep with the poll runtime as the function builds it).
//
// Setup: a fleet of 1,000 generated hosts of 400 processes and 40 ports (4 pages of DescribeProcesses, 1 of
// DescribeOpenPorts), every key COMPLETE since a day ago with its baseline snapshot already stored (taken from
// the emulator's first collection, encoded as the sweep encodes it) and nothing pending: the state earlier
// periods leave. Between that baseline and the next collection every host changes: its last process (a worker
// instance) becomes node_exporter, a new identity (processes.changed, still 400 processes), and churn opens one
// more port per collection (ports.changed).
// COLLECT_EVERY=10m, so every key's slot has passed; the keys are due because they were last checked a day ago
// (POLL_TERMINAL_SECONDS stays 600: smaller would only re-check the keys just collected, for nothing).
// One sweep of P6_SWEEP_MS (75 s) runs in a child process (bench/p6-child.ts, bundled as P5 bundles its child),
// the emulator in this one, so the child's process.resourceUsage().maxRSS is the poll function's alone. Store:
// Redis (BENCH_REDIS_URL, or a throwaway redis-server; seeded from here; keys under cwp-bridge: deleted before
// and after), or memory: when there is no Redis or P6_STORE=memory (the child seeds itself from a file; the
// memory store holds every record, snapshot and outbox entry in the child, so its RSS is higher).
// Rates come from the emulator's request log (accepted requests per action, over the window from the first to
// the last of them) and from the child's sink (delivery times of ports.changed / processes.changed).
//
// Then "snapshot bytes": one agent with a made-up but varied 400-process, 40-port server (variedHost below) and
// one with the emulator's generated host of the same size, each collected and read twice (baseline; then after
// a change, so the record also holds its last diff), into a Redis store of its own prefix; MEMORY USAGE of
// <prefix>:snap:<uuid>/process and /port, and the encoded snapshot lengths. Goal: <= 8 KB per agent, both kinds.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { startEmulator, type Emulator, type HostPort, type HostProcess, type RequestRecord } from '../dev/emulator';
import { seededRandom } from '../dev/emulator/timeline';
import { portItem, processItem, sortItems, type ResultItem } from '../lib/results/items';
import { decodeSnapshotRecord, encodeSnapshotRecord } from '../lib/results/snapshot';
import { RedisStateStore } from '../lib/state/redis/store';
import { keyId } from '../lib/state/store';
import { runSweep } from '../lib/sweep';
import { TASK_KINDS, type TaskKind } from '../lib/types';
import { benchRedisUrl, benchRuntime, deleteRedisPrefix, median, RecordingSink, memoryFigures, report, requestId, round, runBenchChild } from './common';
import { seedKeys, type Seed } from './p6-child';

/** The prefix the poll runtime's Redis store uses (createRuntime passes none): what the child writes. */
const RUNTIME_PREFIX = 'cwp-bridge';
const PER_ACTION = 20;
const STATUS_ACTIONS = ['DescribeProcessTaskStatus', 'DescribeOpenPortTaskStatus'];
const CREATE_ACTIONS = ['CreateProcessTask', 'CreateOpenPortTask'];
const READ_ACTIONS = ['DescribeProcesses', 'DescribeOpenPorts'];
const PORTS_CHANGED = 'com.tencentcloud.cwp.ports.changed';
const PROCESSES_CHANGED = 'com.tencentcloud.cwp.processes.changed';

/** The baseline record of a key, from the emulator's last finished collection, encoded as readCompletion does. */
function baseline(emulator: Emulator, uuid: string, kind: TaskKind, takenAt: number): string {
  const raw = emulator.results(uuid, kind).items;
  const items: ResultItem[] = kind === 'process' ? raw.map((p) => processItem(p)) : raw.map((p) => portItem(p));
  return encodeSnapshotRecord({ latest: { uuid, kind, takenAt, forVersion: 1, requestId: 'seed', items: sortItems(kind, items) }, previousTakenAt: null, lastDiff: null });
}

interface Window {
  count: number;
  first: number;
  last: number;
  seconds: number;
  perSecond: number;
  /** Accepted requests in each whole second of the window, median. */
  medianPerWholeSecond: number;
}

function windowOf(times: number[]): Window {
  if (times.length === 0) return { count: 0, first: NaN, last: NaN, seconds: 0, perSecond: 0, medianPerWholeSecond: 0 };
  const first = Math.min(...times);
  const last = Math.max(...times);
  const seconds = Math.max(0.001, (last - first) / 1000);
  const buckets = new Array<number>(Math.floor((last - first) / 1000)).fill(0);
  for (const t of times) {
    const b = Math.floor((t - first) / 1000);
    if (b < buckets.length) buckets[b]!++;
  }
  return { count: times.length, first, last, seconds, perSecond: times.length / seconds, medianPerWholeSecond: buckets.length ? median(buckets) : times.length };
}

const acceptedTimes = (log: RequestRecord[], actions: string[], from = -Infinity, to = Infinity) =>
  log.filter((r) => r.outcome === 'accepted' && actions.includes(r.action) && r.at >= from && r.at <= to).map((r) => r.at);

export async function p6(agents = 1000, sweepMs = Number(process.env.P6_SWEEP_MS ?? 75_000)): Promise<void> {
  await fullLoop(agents, sweepMs);
  await snapshotBytes();
}

async function fullLoop(agents: number, sweepMs: number): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cwp-p6-'));
  const childFile = path.join(process.cwd(), '.cache', 'p6-child.cjs');
  await build({ entryPoints: [path.join(process.cwd(), 'bench/p6-child.ts')], outfile: childFile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', logLevel: 'warning' });
  const redisUrl = process.env.P6_STORE === 'memory' ? null : await benchRedisUrl();
  const emulator = await startEmulator({ quiet: true });
  try {
    const setupStarted = Date.now();
    const uuids = emulator.addFleet(agents, { processes: 400, ports: 40, churn: { portsAddedPerCollection: 1 }, activeFraction: 0, offlineFraction: 0, seed: 61 });
    const seededAt = Date.now() - 86_400_000;
    const seeds: Seed[] = uuids.flatMap((uuid) => TASK_KINDS.map((kind) => ({ uuid, kind, encoded: baseline(emulator, uuid, kind, seededAt + 1_000) })));
    await new Promise((r) => setTimeout(r, 5)); // the change below is after the first collection, never at its ms
    // The last process (a worker instance) becomes node_exporter: a new identity, still 400 processes (4 pages).
    for (const uuid of uuids) emulator.changeHost(uuid, (h) => void Object.assign(h.processes[h.processes.length - 1]!, { processName: 'node_exporter', username: 'prometheus', fullPath: '/usr/local/bin/node_exporter' }));
    const baselineBytes = seeds.map((s) => s.encoded.length);

    const env: Record<string, string> = {
      P6_CHILD: '1',
      TENCENTCLOUD_SECRET_ID: emulator.credentials.secretId,
      TENCENTCLOUD_SECRET_KEY: emulator.credentials.secretKey,
      CWP_ENDPOINT: emulator.url,
      WATCH_UUIDS: uuids.join(','),
      COLLECT_EVERY: '10m',
      POLL_TERMINAL_SECONDS: '600',
      LOG_LEVEL: 'info',
      P6_SWEEP_MS: String(sweepMs),
    };
    if (redisUrl) {
      await deleteRedisPrefix(redisUrl, RUNTIME_PREFIX);
      const store = await RedisStateStore.open(redisUrl);
      try {
        await seedKeys(store, seeds, seededAt);
      } finally {
        await store.close();
      }
      env.STATE_STORE = redisUrl;
    } else {
      const seedsFile = path.join(dir, 'seeds.tsv');
      writeFileSync(seedsFile, seeds.map((s) => `${s.uuid}\t${s.kind}\t${s.encoded}`).join('\n') + '\n');
      env.STATE_STORE = 'memory:';
      env.P6_SEEDS_FILE = seedsFile;
      env.P6_SEEDED_AT = String(seededAt);
    }
    seeds.length = 0;
    const setupMs = Date.now() - setupStarted;
    emulator.resetStats();

    let r: Record<string, unknown>;
    try {
      r = await runBenchChild('p6', childFile, env);
    } finally {
      if (redisUrl) await deleteRedisPrefix(redisUrl, RUNTIME_PREFIX);
    }

    const log = emulator.requests();
    const stats = emulator.stats();
    const throttled = Object.fromEntries(Object.entries(stats).filter(([, s]) => s.throttled > 0).map(([a, s]) => [a, s.throttled]));
    const common = { agents, keys: agents * 2, store: r.store, sweepMs: r.sweepMs, outcome: r.outcome, host: '400 processes (4 pages), 40 ports (1 page), generated by the emulator' };

    // 1. Collections started, and the status checks that find the keys to start them on.
    const creates = windowOf(acceptedTimes(log, CREATE_ACTIONS));
    const statusInCreateWindow = acceptedTimes(log, STATUS_ACTIONS, creates.first, creates.last).length;
    const statusPerSecond = statusInCreateWindow / creates.seconds;
    const perKindCreates = Object.fromEntries(CREATE_ACTIONS.map((a) => [a, round(acceptedTimes(log, [a]).length / creates.seconds)]));
    report('P6 collections started', {
      ...common,
      collectionsStarted: creates.count,
      collectionsStartedBySweep: r.collectionsStarted,
      windowS: round(creates.seconds),
      collectionsPerSecond: round(creates.perSecond),
      collectionsPerSecondByAction: perKindCreates,
      medianPerWholeSecond: creates.medianPerWholeSecond,
      createBudgetPerSecond: 2 * PER_ACTION,
      createUtilisationPct: round((100 * creates.perSecond) / (2 * PER_ACTION)),
      statusChecksPerSecond: round(statusPerSecond),
      statusBudgetPerSecond: 2 * PER_ACTION,
      statusUtilisationPct: round((100 * statusPerSecond) / (2 * PER_ACTION)),
      statusChecksPerCollection: round(statusInCreateWindow / creates.count, 2),
      binding: 'status',
      bindingUtilisationPct: round((100 * statusPerSecond) / (2 * PER_ACTION)),
      goalPct: 95,
      withinGoal: (100 * statusPerSecond) / (2 * PER_ACTION) >= 95,
      keysNotReached: agents * 2 - creates.count,
      throttledByApi: throttled,
    });

    // 2. Results read: pages per action, and completions read to the end.
    const reads = windowOf(acceptedTimes(log, READ_ACTIONS));
    const procPages = windowOf(acceptedTimes(log, ['DescribeProcesses']));
    const portPages = windowOf(acceptedTimes(log, ['DescribeOpenPorts']));
    const resultsRead = Number(r.resultsRead ?? 0);
    const portsChanged = r.portsChanged as { count: number; first: number | null; last: number | null };
    const processesChanged = r.processesChanged as { count: number; first: number | null; last: number | null };
    report('P6 results read', {
      ...common,
      completionsObserved: r.completionsObserved,
      completionsRead: resultsRead,
      readsPendingAtEnd: Number(r.completionsObserved) - resultsRead,
      completionsReadByKind: { process: processesChanged.count, port: portsChanged.count },
      readFailures: r.resultReadsFailed,
      windowS: round(reads.seconds),
      completionsReadPerSecond: round(resultsRead / reads.seconds),
      describeProcessesPagesPerSecond: round(procPages.perSecond),
      describeProcessesMedianPerWholeSecond: procPages.medianPerWholeSecond,
      describeProcessesUtilisationPct: round((100 * procPages.perSecond) / PER_ACTION),
      describeOpenPortsPagesPerSecond: round(portPages.perSecond),
      describeOpenPortsUtilisationPct: round((100 * portPages.perSecond) / PER_ACTION),
      pagesPerProcessRead: round(procPages.count / Math.max(1, processesChanged.count), 2),
      readBudgetPerSecondPerAction: PER_ACTION,
      binding: 'DescribeProcesses',
      note: 'each kind has its own readers: port reads (1 page) keep pace with the port completions, which the status budget bounds; process reads (4 pages) are bound by the DescribeProcesses budget',
      bindingUtilisationPct: round((100 * procPages.perSecond) / PER_ACTION),
      goalPct: 95,
      withinGoal: (100 * procPages.perSecond) / PER_ACTION >= 95,
    });

    // 3. Diffs published (delivered to the sink).
    const diffRate = (w: { count: number; first: number | null; last: number | null }) => (w.first !== null && w.last !== null && w.last > w.first ? w.count / ((w.last - w.first) / 1000) : 0);
    const procDiffsPerSecond = diffRate(processesChanged);
    const portDiffsPerSecond = diffRate(portsChanged);
    const allFirst = Math.min(processesChanged.first ?? Infinity, portsChanged.first ?? Infinity);
    const allLast = Math.max(processesChanged.last ?? -Infinity, portsChanged.last ?? -Infinity);
    const maxProcDiffs = PER_ACTION / 4; // one processes.changed per read of 4 pages
    report('P6 diffs published', {
      ...common,
      diffsPublished: processesChanged.count + portsChanged.count,
      processesChanged: processesChanged.count,
      portsChanged: portsChanged.count,
      delivered: r.delivered,
      windowS: round((allLast - allFirst) / 1000),
      diffsPerSecond: round((processesChanged.count + portsChanged.count) / ((allLast - allFirst) / 1000)),
      processesChangedPerSecond: round(procDiffsPerSecond),
      processesChangedMaxPerSecond: maxProcDiffs,
      portsChangedPerSecond: round(portDiffsPerSecond),
      portsChangedMaxPerSecond: PER_ACTION,
      binding: 'DescribeProcesses (20 pages/s = 5 reads of 4 pages)',
      bindingUtilisationPct: round((100 * procDiffsPerSecond) / maxProcDiffs),
      goalPct: 95,
      withinGoal: (100 * procDiffsPerSecond) / maxProcDiffs >= 95,
      outboxLeft: r.outboxLeft,
    });

    // 4. The poll process's memory during that sweep.
    report('P6 sweep peak RSS', {
      ...common,
      checked: r.checked,
      changed: r.changed,
      published: r.published,
      failed: r.failed,
      retried: r.retried,
      throttled: r.throttled,
      conflicts: r.conflicts,
      warnings: r.warnings,
      warningSamples: r.warningSamples,
      logLevel: 'info',
      nodeFlags: r.nodeFlags || 'none',
      setupMs,
      baselineEncodedBytesMedian: median(baselineBytes),
      rssAfterRuntimeMb: round(Number(r.rssAfterRuntimeMb)),
      rssBeforeSweepMb: round(Number(r.rssBeforeSweepMb)),
      ...memoryFigures(r),
    });
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- snapshot bytes ----

/**
 * A made-up but plausible busy CentOS server (8 vCPUs) of exactly 400 processes and 40 listening ports, so the
 * compact snapshot is not flattered by repetition: 84 kernel threads (no path), system daemons, Tencent's agents,
 * SSH sessions of several users, nginx, php-fpm pools, MySQL, Redis, PostgreSQL backends, JVMs (apps,
 * Elasticsearch, Kafka, ZooKeeper), a PM2 node cluster, gunicorn and celery workers, Docker with 10 containers
 * (numeric uids among the users), monitoring agents, cron jobs; padded to 400 with more pool workers.
 */
export function variedHost(seed = 7): { machineName: string; machineIp: string; processes: HostProcess[]; ports: HostPort[] } {
  const random = seededRandom(seed);
  const int = (a: number, b: number) => a + Math.floor(random() * (b - a + 1));
  const processes: HostProcess[] = [];
  let nextPid = 2;
  const add = (processName: string, fullPath: string, username: string, ppid = 1, pid?: number): number => {
    const p = pid ?? (nextPid += int(1, 9));
    processes.push({ pid: p, ppid, processName, username, fullPath });
    return p;
  };
  const first = new Map<string, number>();
  const named = (key: string, processName: string, fullPath: string, username: string, ppid = 1) => {
    const pid = add(processName, fullPath, username, ppid);
    if (!first.has(key)) first.set(key, pid);
    return pid;
  };
  add('systemd', '/usr/lib/systemd/systemd', 'root', 0, 1);
  add('kthreadd', '', 'root', 0, 2);
  for (const k of ['rcu_gp', 'rcu_par_gp', 'mm_percpu_wq', 'rcu_sched', 'kdevtmpfs', 'netns', 'khungtaskd', 'oom_reaper', 'writeback', 'kcompactd0', 'ksmd', 'khugepaged', 'crypto', 'kintegrityd', 'kblockd', 'tpm_dev_wq', 'md', 'edac-poller', 'watchdogd', 'kswapd0', 'kthrotld', 'acpi_thermal_pm', 'kmpath_rdacd', 'kaluad', 'ipv6_addrconf', 'kstrp', 'ata_sff', 'scsi_eh_0', 'scsi_tmf_0', 'scsi_eh_1', 'scsi_tmf_1', 'jbd2/vda1-8', 'ext4-rsv-conver', 'jbd2/vdb1-8', 'kauditd', 'ttm_swap', 'nfit', 'xfsalloc']) add(k, '', 'root', 2);
  for (let cpu = 0; cpu < 8; cpu++) for (const k of [`cpuhp/${cpu}`, `migration/${cpu}`, `ksoftirqd/${cpu}`, `kworker/${cpu}:0H`, `kworker/${cpu}:${int(1, 3)}`]) add(k, '', 'root', 2);
  for (let u = 0; u < 5; u++) add(`kworker/u16:${u}`, '', 'root', 2);
  nextPid = 600;
  const sys: Array<[string, string, string]> = [
    ['systemd-journald', '/usr/lib/systemd/systemd-journald', 'root'], ['systemd-udevd', '/usr/lib/systemd/systemd-udevd', 'root'],
    ['auditd', '/usr/sbin/auditd', 'root'], ['systemd-logind', '/usr/lib/systemd/systemd-logind', 'root'], ['dbus-daemon', '/usr/bin/dbus-daemon', 'dbus'],
    ['polkitd', '/usr/lib/polkit-1/polkitd', 'polkitd'], ['rsyslogd', '/usr/sbin/rsyslogd', 'root'], ['crond', '/usr/sbin/crond', 'root'], ['atd', '/usr/sbin/atd', 'root'],
    ['chronyd', '/usr/sbin/chronyd', 'chrony'], ['irqbalance', '/usr/sbin/irqbalance', 'root'], ['lvmetad', '/usr/sbin/lvmetad', 'root'], ['tuned', '/usr/bin/python2.7', 'root'],
    ['NetworkManager', '/usr/sbin/NetworkManager', 'root'], ['dhclient', '/usr/sbin/dhclient', 'root'], ['agetty', '/usr/sbin/agetty', 'root'], ['agetty', '/usr/sbin/agetty', 'root'],
    ['sshd', '/usr/sbin/sshd', 'root'], ['gssproxy', '/usr/sbin/gssproxy', 'root'], ['rpcbind', '/usr/sbin/rpcbind', 'rpc'],
    ['YDService', '/usr/local/qcloud/YunJing/YDEyes/YDService', 'root'], ['YDLive', '/usr/local/qcloud/YunJing/YDLive/YDLive', 'root'],
    ['barad_agent', '/usr/local/qcloud/monitor/barad/bin/barad_agent', 'root'], ['barad_agent', '/usr/local/qcloud/monitor/barad/bin/barad_agent', 'root'], ['barad_agent', '/usr/local/qcloud/monitor/barad/bin/barad_agent', 'root'],
    ['tat_agent', '/usr/local/qcloud/tat_agent/tat_agent', 'root'], ['sgagent', '/usr/local/qcloud/stargate/bin/sgagent', 'root'],
    ['master', '/usr/libexec/postfix/master', 'root'], ['zabbix_agentd', '/usr/sbin/zabbix_agentd', 'zabbix'], ['filebeat', '/usr/share/filebeat/bin/filebeat', 'root'],
    ['telegraf', '/usr/bin/telegraf', 'telegraf'], ['node_exporter', '/usr/local/bin/node_exporter', 'node_exporter'], ['haproxy', '/usr/sbin/haproxy', 'root'], ['keepalived', '/usr/sbin/keepalived', 'root'],
    ['supervisord', '/usr/bin/python3.6', 'root'], ['dockerd', '/usr/bin/dockerd', 'root'], ['containerd', '/usr/bin/containerd', 'root'],
  ];
  for (const [n, p, u] of sys) named(n, n, p, u);
  const pid = (k: string) => first.get(k)!;
  for (const [n, p, u] of [['pickup', '/usr/libexec/postfix/pickup', 'postfix'], ['qmgr', '/usr/libexec/postfix/qmgr', 'postfix']] as const) named(n, n, p, u, pid('master'));
  for (let i = 0; i < 5; i++) add('zabbix_agentd', '/usr/sbin/zabbix_agentd', 'zabbix', pid('zabbix_agentd'));
  add('haproxy', '/usr/sbin/haproxy', 'haproxy', pid('haproxy'));
  for (let i = 0; i < 2; i++) add('keepalived', '/usr/sbin/keepalived', 'root', pid('keepalived'));
  nextPid = 1200;
  // nginx, php-fpm (two pools), MySQL, Redis, PostgreSQL
  named('nginx', 'nginx', '/usr/sbin/nginx', 'root');
  for (let i = 0; i < 8; i++) add('nginx', '/usr/sbin/nginx', 'nginx', pid('nginx'));
  named('php-fpm', 'php-fpm', '/usr/sbin/php-fpm', 'root');
  for (let i = 0; i < 24; i++) add('php-fpm', '/usr/sbin/php-fpm', 'www', pid('php-fpm'));
  for (let i = 0; i < 8; i++) add('php-fpm', '/usr/sbin/php-fpm', 'wordpress', pid('php-fpm'));
  named('mysqld_safe', 'mysqld_safe', '/usr/bin/bash', 'root');
  named('mysqld', 'mysqld', '/usr/sbin/mysqld', 'mysql', pid('mysqld_safe'));
  named('redis', 'redis-server', '/usr/bin/redis-server', 'redis');
  named('redis2', 'redis-server', '/usr/bin/redis-server', 'redis');
  named('sentinel', 'redis-sentinel', '/usr/bin/redis-sentinel', 'redis');
  named('postgres', 'postgres', '/usr/pgsql-14/bin/postgres', 'postgres');
  for (let i = 0; i < 30; i++) add('postgres', '/usr/pgsql-14/bin/postgres', 'postgres', pid('postgres'));
  // JVMs, node, python
  for (let i = 0; i < 4; i++) named(`java${i}`, 'java', '/usr/lib/jvm/java-17-openjdk-17.0.9.0.9-1.el7.x86_64/bin/java', 'app');
  named('es', 'java', '/usr/share/elasticsearch/jdk/bin/java', 'elasticsearch');
  named('kafka', 'java', '/usr/lib/jvm/java-11-openjdk-11.0.21.0.9-1.el7.x86_64/bin/java', 'kafka');
  named('zookeeper', 'java', '/usr/lib/jvm/java-11-openjdk-11.0.21.0.9-1.el7.x86_64/bin/java', 'zookeeper');
  named('pm2', 'PM2 v5.3.0: God', '/home/deploy/.nvm/versions/node/v18.19.0/bin/node', 'deploy');
  for (let i = 0; i < 8; i++) named(`node${i}`, 'node', '/home/deploy/.nvm/versions/node/v18.19.0/bin/node', 'deploy', pid('pm2'));
  named('gunicorn', 'gunicorn', '/opt/venvs/api/bin/python3.9', 'api', pid('supervisord'));
  for (let i = 0; i < 12; i++) add('gunicorn', '/opt/venvs/api/bin/python3.9', 'api', pid('gunicorn'));
  named('celery', 'celery', '/opt/venvs/worker/bin/python3.9', 'celery', pid('supervisord'));
  for (let i = 0; i < 15; i++) add('celery', '/opt/venvs/worker/bin/python3.9', 'celery', pid('celery'));
  named('beat', 'celery', '/opt/venvs/worker/bin/python3.9', 'celery', pid('supervisord'));
  // Docker: 10 containers, each a shim and its processes; 8 published ports through docker-proxy
  const containers: Array<Array<[string, string, string]>> = [
    [['prometheus', '/bin/prometheus', 'nobody']],
    [['grafana-server', '/usr/share/grafana/bin/grafana-server', '472']],
    [['cadvisor', '/usr/bin/cadvisor', 'root']],
    [['docker-entrypoi', '/bin/busybox', 'root'], ['consul', '/bin/consul', '100']],
    [['vault', '/bin/vault', '100']],
    [['traefik', '/traefik', 'root']],
    [['beam.smp', '/opt/erlang/lib/erlang/erts-13.2.2.5/bin/beam.smp', '999'], ['epmd', '/opt/erlang/lib/erlang/erts-13.2.2.5/bin/epmd', '999'], ['erl_child_setup', '/opt/erlang/lib/erlang/erts-13.2.2.5/bin/erl_child_setup', '999'], ['inet_gethost', '/opt/erlang/lib/erlang/erts-13.2.2.5/bin/inet_gethost', '999'], ['inet_gethost', '/opt/erlang/lib/erlang/erts-13.2.2.5/bin/inet_gethost', '999']],
    [['memcached', '/usr/local/bin/memcached', '11211']],
    [['minio', '/usr/bin/minio', 'root']],
    [['tini', '/usr/bin/tini', 'root'], ['python', '/usr/local/bin/python3.11', '1000'], ['python', '/usr/local/bin/python3.11', '1000']],
  ];
  for (const c of containers) {
    const shim = add('containerd-shim', '/usr/bin/containerd-shim-runc-v2', 'root');
    let parent = shim;
    for (const [n, p, u] of c) {
      const child = named(n, n, p, u, parent);
      if (n === 'docker-entrypoi' || n === 'tini' || n === 'beam.smp') parent = child;
    }
  }
  const proxies: number[] = [];
  for (let i = 0; i < 8; i++) proxies.push(add('docker-proxy', '/usr/bin/docker-proxy', 'root', pid('dockerd')));
  // People and cron
  nextPid = 30_000;
  for (const user of ['alice', 'bob', 'deploy']) {
    const priv = add('sshd', '/usr/sbin/sshd', 'root', pid('sshd'));
    const sess = add('sshd', '/usr/sbin/sshd', user, priv);
    const shell = add('bash', '/usr/bin/bash', user, sess);
    if (user === 'alice') add('vim', '/usr/bin/vim', user, shell);
    if (user === 'bob') {
      const tmux = add('tmux: server', '/usr/bin/tmux', user, 1);
      add('bash', '/usr/bin/bash', user, tmux);
      add('top', '/usr/bin/top', user, shell);
    }
    if (user === 'deploy') {
      const sudo = add('sudo', '/usr/bin/sudo', 'root', shell);
      add('tail', '/usr/bin/tail', 'root', sudo);
    }
  }
  const cronChild = add('crond', '/usr/sbin/crond', 'root', pid('crond'));
  const sh = add('sh', '/usr/bin/sh', 'root', cronChild);
  const backup = add('backup.sh', '/usr/bin/bash', 'root', sh);
  add('rsync', '/usr/bin/rsync', 'root', backup);
  add('sleep', '/usr/bin/sleep', 'root', backup);
  add('logrotate', '/usr/sbin/logrotate', 'root', sh);
  // Padding: more pool workers, as a busy server has.
  const pools: Array<[string, string, string, string]> = [
    ['php-fpm', '/usr/sbin/php-fpm', 'www', 'php-fpm'], ['postgres', '/usr/pgsql-14/bin/postgres', 'postgres', 'postgres'],
    ['celery', '/opt/venvs/worker/bin/python3.9', 'celery', 'celery'], ['php-fpm', '/usr/sbin/php-fpm', 'wordpress', 'php-fpm'],
  ];
  while (processes.length < 400) {
    const [n, p, u, owner] = pools[int(0, pools.length - 1)]!;
    add(n, p, u, pid(owner));
  }
  if (processes.length !== 400) throw new Error(`variedHost: ${processes.length} processes, not 400`);

  const portOwners: Array<[number, string]> = [
    [22, 'sshd'], [25, 'master'], [111, 'rpcbind'], [323, 'chronyd'], [80, 'nginx'], [443, 'nginx'], [8443, 'nginx'], [9000, 'php-fpm'],
    [3306, 'mysqld'], [33060, 'mysqld'], [6379, 'redis'], [6380, 'redis2'], [26379, 'sentinel'], [5432, 'postgres'],
    [8080, 'java0'], [8081, 'java1'], [8082, 'java2'], [8083, 'java3'], [9200, 'es'], [9300, 'es'], [9092, 'kafka'], [9093, 'kafka'], [2181, 'zookeeper'],
    [3000, 'node0'], [3001, 'node1'], [8000, 'gunicorn'], [9100, 'node_exporter'], [10050, 'zabbix_agentd'], [8404, 'haproxy'], [1936, 'haproxy'],
    [5066, 'filebeat'], [8125, 'telegraf'],
  ];
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const ports: HostPort[] = portOwners.map(([port, owner]) => ({ port, pid: pid(owner), processName: byPid.get(pid(owner))!.processName }));
  for (const [i, port] of [9090, 3030, 8500, 8200, 5672, 15672, 11211, 9001].entries()) ports.push({ port, pid: proxies[i]!, processName: 'docker-proxy' });
  if (ports.length !== 40) throw new Error(`variedHost: ${ports.length} ports, not 40`);
  return { machineName: 'prod-app-07', machineIp: '10.16.4.27', processes, ports };
}

function describeHost(processes: HostProcess[], ports: HostPort[]) {
  return {
    processes: processes.length,
    distinctProcessNames: new Set(processes.map((p) => p.processName)).size,
    distinctPaths: new Set(processes.map((p) => p.fullPath)).size,
    distinctUsers: new Set(processes.map((p) => p.username)).size,
    distinctIdentities: new Set(processes.map((p) => `${p.processName}\0${p.fullPath}\0${p.username}`)).size,
    kernelThreads: processes.filter((p) => p.fullPath === '').length,
    ports: ports.length,
    distinctPortOwners: new Set(ports.map((p) => p.processName)).size,
  };
}

async function snapshotBytes(): Promise<void> {
  const url = await benchRedisUrl();
  if (!url) {
    report('P6 snapshot bytes', { skipped: 'no Redis: set BENCH_REDIS_URL or install redis-server' });
    return;
  }
  const emulator = await startEmulator({ quiet: true });
  const prefix = `cwp-p6-bytes-${randomUUID().slice(0, 8)}`;
  const store = await RedisStateStore.open(url, { prefix });
  const varied = randomUUID();
  const host = variedHost();
  emulator.setHost(varied, host);
  const [generated] = emulator.addFleet(1, { processes: 400, ports: 40, activeFraction: 0, offlineFraction: 0, seed: 99 }) as [string];
  const agents = { varied, generated };
  const generatedHost = emulator.hostOf(generated);
  const runtime = await benchRuntime(emulator, { WATCH_UUIDS: `${varied},${generated}`, POLL_TERMINAL_SECONDS: '1', POLL_COLLECTING_SECONDS: '1' });
  const sink = new RecordingSink();
  const sweep = async (ms: number) => {
    const t = Date.now();
    return runSweep({ ...runtime, store, sinks: [sink] }, { requestId: requestId(), pollUntil: t + ms, publishUntil: t + ms + 1_000, keepPolling: true });
  };
  const measure = async () => {
    const out: Record<string, unknown> = {};
    for (const [name, uuid] of Object.entries(agents)) {
      const perKind: Record<string, unknown> = {};
      let memoryTotal = 0;
      for (const kind of TASK_KINDS) {
        const redisKey = `${prefix}:snap:${keyId({ uuid, kind })}`;
        const memory = Number(await store.redis.call('MEMORY', 'USAGE', redisKey, 'SAMPLES', '0'));
        const encoding = await store.redis.call('OBJECT', 'ENCODING', redisKey);
        const snap = await store.getSnapshot({ uuid, kind });
        if (!snap) throw new Error(`P6 snapshot bytes: no snapshot of ${uuid}/${kind}`);
        const rec = decodeSnapshotRecord(snap.encoded);
        const apiJsonBytes = Buffer.byteLength(JSON.stringify(emulator.results(uuid, kind).items));
        memoryTotal += memory;
        perKind[kind] = { redisMemoryUsageBytes: memory, redisEncoding: encoding, encodedLength: snap.encoded.length, items: rec.latest.items.length, withLastDiff: rec.lastDiff !== null, apiJsonBytes };
      }
      out[name] = { ...perKind, bothKindsBytes: memoryTotal, withinGoal: memoryTotal <= 8192 };
    }
    return out;
  };
  try {
    // First collection of each kind: the baseline.
    for (const kind of TASK_KINDS) emulator.startTask(varied, kind, { collectMs: 1_500 });
    await sweep(5_000);
    const afterBaseline = await measure();
    // A change on both hosts, and a second collection: the record now holds the latest snapshot and its diff.
    // Both hosts keep 400 processes and 40 ports: two processes and one port go, as many new ones come.
    emulator.changeHost(varied, (h) => {
      h.processes = h.processes.filter((p) => p.processName !== 'logrotate' && p.processName !== 'sleep');
      h.processes.push({ pid: 41_000, ppid: 1, processName: 'certbot', username: 'root', fullPath: '/usr/bin/python3.6' });
      h.processes.push({ pid: 41_010, ppid: 1, processName: 'java', username: 'app', fullPath: '/usr/lib/jvm/java-21-openjdk-21.0.1.0.12-2.el7.x86_64/bin/java' });
      h.ports = h.ports.filter((p) => p.port !== 8125);
      h.ports.push({ port: 8084, pid: 41_010, processName: 'java' });
    });
    emulator.changeHost(generated, (h) => {
      h.processes.splice(-2, 2, { pid: 41_000, ppid: 1, processName: 'node_exporter', username: 'prometheus', fullPath: '/usr/local/bin/node_exporter' }, { pid: 41_010, ppid: 1, processName: 'certbot', username: 'root', fullPath: '/usr/bin/python3.6' });
      h.ports.splice(-1, 1, { port: 9100, pid: 41_000, processName: 'node_exporter' });
    });
    for (const uuid of [varied, generated]) for (const kind of TASK_KINDS) emulator.startTask(uuid, kind, { collectMs: 1_500 });
    await sweep(5_000);
    const afterChange = await measure();
    const diffs = sink.events.filter((e) => e.type === PORTS_CHANGED || e.type === PROCESSES_CHANGED).length;
    report('P6 snapshot bytes', {
      store: store.description,
      variedHost: { ...describeHost(host.processes, host.ports), looksLike: 'made-up 8-vCPU CentOS app server: 84 kernel threads (no path), systemd daemons, YunJing/barad/tat agents, 3 SSH sessions, nginx, 2 php-fpm pools, MySQL, 2 Redis + sentinel, PostgreSQL backends, 7 JVMs (apps, Elasticsearch, Kafka, ZooKeeper), PM2 node cluster, gunicorn, celery, Docker with 10 containers (numeric uids), monitoring agents, cron jobs' },
      generatedHost: { ...describeHost(generatedHost.processes, generatedHost.ports), looksLike: 'the emulator\'s generated host (addFleet processes 400, ports 40): 18 catalogue programs, then worker instances of nginx/php-fpm/node/postgres' },
      diffEventsSeen: diffs,
      afterBaseline,
      afterChange,
      goalBytesPerAgentBothKinds: 8192,
      withinGoal: [afterBaseline, afterChange].every((m) => Object.values(m).every((a) => (a as { withinGoal: boolean }).withinGoal)),
    });
  } finally {
    await runtime.close();
    await store.close();
    await deleteRedisPrefix(url, prefix);
    await emulator.close();
  }
}
