// P10: a measured stretch of an on-call day, in simulated time. On the emulator: 1,000 agents found by
// WATCH_DISCOVER; 40 network blips of 30 s; 30 agents down for 20 minutes; 10 collections failing, then completing;
// 15 ports opening (5 of them closing again); 5 processes started from /tmp. The bridge runs as the poll function
// does (sweeps back to back, the incident clock, the chat robots' default route), publishing to a DingTalk robot
// (20 messages a minute, enforced by the local robot with DingTalk's real answers) and, for comparison, a WeCom
// robot (also 20 a minute) given what the old default sent: one line per state or results event.
//
// Simulated time: one clock runs SPEED times faster than the wall clock, and everything that tells time reads
// it: the emulator (its signatures, rate limits and collections), the bridge's Tencent client and rate limiter,
// the sweep and its incident clock, the robots' budgets and the robots themselves; the rate limiter's waits are
// divided by SPEED. The other wall-clock sleeps inside the sweep (a worker waits at most 1 s for its next due key,
// the incident clock likewise) are SPEED times longer in simulated time, so simulated latencies are upper bounds,
// rounded up by up to ~SPEED seconds.
//
// The script is a list of faults (script()), each with what the bridge is expected to do about it, and the quiet
// rules (QUIET_RULES) made through the API before the faults start, as a person on call would: a weekly maintenance
// window on machineName=db-* over part of the stretch (outages on db hosts inside it, before it and after it), an
// expectation of port 6379 on redis-* (openings of 6379 there, of 6379 elsewhere and of another port there) and one
// of a backup process from /tmp on batch-* (that process there, elsewhere, and another process there). The figures
// report what each rule held back, from the store (its hits) and from the notifications, against the script.
import { randomBytes } from 'node:crypto';
import { startEmulator, type Emulator } from '../dev/emulator';
import type { IncidentType } from '../lib/alerts/types';
import { loadConfig } from '../lib/config';
import { YunjingClient } from '../lib/cwp/yunjing';
import type { BridgeEvent, IncidentChangedEvent } from '../lib/events/types';
import { createLogger } from '../lib/log';
import { LocalRequestBudget } from '../lib/ratelimit/budget';
import { LocalRateLimiter } from '../lib/ratelimit';
import { realSleep } from '../lib/ratelimit/local';
import { createSinks } from '../lib/sinks';
import { isBatchSink, type BatchSink, type SendResult, type Sink } from '../lib/sinks/sink';
import { MemoryStateStore } from '../lib/state/local/memory';
import { runSweep } from '../lib/sweep';
import { TencentClient } from '../lib/tencent/client';
import { CWP_APIS } from '../lib/tencent/services';
import { ChatRobotReceiver } from '../test/helpers/chat-receivers';
import { handleHttp } from '../lib/http';
import { percentile, RecordingSink, report, requestId, round } from './common';

const MIN = 60_000;
/** The API token P10's person on call makes the quiet rules with. */
const OPS_TOKEN = `ops-${randomBytes(12).toString('hex')}`;
/** Simulated ms per wall-clock ms. */
const SPEED = Number(process.env.P10_SPEED ?? 36);
/** The stretch simulated: a warm-up (the first listing, every key's first check, the baselines), the faults, and time for all to end. */
const WARM_UP_MS = 15 * MIN;
const FAULTS_UNTIL_MS = 100 * MIN;
const END_MS = 150 * MIN;
/** A collection CWP runs on a host (started outside the bridge): long enough for the bridge's 600 s terminal check to see it run. */
const REVEALING_COLLECTION_MS = 12 * MIN;
/** The simulation starts on a Monday at 00:00Z, 08:00 in Asia/Shanghai, where the window is written. */
const SIM_START = Date.UTC(2026, 11, 7, 0, 0, 0);
/** The maintenance window, in simulated minutes (Mon 08:50 to 09:20 Asia/Shanghai). */
const WINDOW_FROM_MIN = 50;
const WINDOW_UNTIL_MIN = 80;
/** Room after an outage ends for the listing to see the agent back (every minute) and the sweep to resolve it. */
const RESOLVE_MARGIN_MS = 3 * MIN;

/**
 * What a fault is, and when (ms after the start of the simulation); `machineName` renames its host before the first
 * listing, and `quietBy` names the quiet rule that should take it.
 */
export type Fault = (
  | { kind: 'blip'; uuid: string; at: number; forMs: number }
  | { kind: 'outage'; uuid: string; at: number; forMs: number }
  | { kind: 'collection.failed'; uuid: string; at: number; completesAfterMs: number }
  | { kind: 'port.opened'; uuid: string; at: number; port: number; closesAfterMs: number | null }
  | { kind: 'process.suspicious'; uuid: string; at: number; processName: string; fullPath: string }
) & { machineName?: string; quietBy?: QuietRuleName };

/**
 * What the bridge should do about a fault: no incident (a blip, or a port or process an expectation covers:
 * `coveredBy`), or one of `type` that fires, and resolves by the end or not; `heldBackBy`: it fires and resolves in
 * the store, but a maintenance window holds back its notifications (the robot hears nothing of it).
 */
export type Expectation = { fires: false; coveredBy?: QuietRuleName } | { fires: true; type: IncidentType; resolves: boolean; heldBackBy?: QuietRuleName };

export function expectationOf(f: Fault): Expectation {
  const rule = f.quietBy ? QUIET_RULES[f.quietBy] : undefined;
  if (rule?.kind === 'expectation') return { fires: false, coveredBy: f.quietBy! };
  const held = rule?.kind === 'window' ? { heldBackBy: f.quietBy! } : {};
  switch (f.kind) {
    case 'blip':
      return { fires: false };
    case 'outage':
      return { fires: true, type: 'agent.offline', resolves: true, ...held };
    case 'collection.failed':
      return { fires: true, type: 'collection.failed', resolves: true, ...held };
    case 'port.opened':
      return { fires: true, type: 'port.opened', resolves: f.closesAfterMs !== null, ...held };
    case 'process.suspicious':
      return { fires: true, type: 'process.suspicious', resolves: false, ...held };
  }
}

/** The quiet rules P10 makes, as the bodies of their POST routes. */
export const QUIET_RULES = {
  'window db-* Mon 08:50-09:20': {
    kind: 'window',
    path: '/v1/maintenance',
    body: {
      matchers: [{ name: 'machineName', value: 'db-*', op: 'glob' }], days: ['Mon'], start: '08:50', end: '09:20', timezone: 'Asia/Shanghai',
      createdBy: 'ops', comment: 'weekly db patching',
    },
  },
  'expect 6379 on redis-*': {
    kind: 'expectation',
    path: '/v1/expectations',
    body: { matchers: [{ name: 'machineName', value: 'redis-*', op: 'glob' }], ports: [{ port: 6379 }], createdBy: 'ops', comment: 'redis listens on 6379' },
  },
  'expect backup-agent on batch-*': {
    kind: 'expectation',
    path: '/v1/expectations',
    body: { matchers: [{ name: 'machineName', value: 'batch-*', op: 'glob' }], processes: [{ processName: 'backup-agent', fullPath: '/tmp/backup-agent' }], createdBy: 'ops', comment: 'the nightly backup runs from /tmp' },
  },
} as const satisfies Record<string, { kind: 'window' | 'expectation'; path: string; body: unknown }>;
export type QuietRuleName = keyof typeof QUIET_RULES;
const WINDOW: QuietRuleName = 'window db-* Mon 08:50-09:20';
const REDIS: QuietRuleName = 'expect 6379 on redis-*';
const BACKUP: QuietRuleName = 'expect backup-agent on batch-*';

/** A small seeded generator, so every run plays the same script. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The script: each fault on an agent of its own, at a seeded time between the warm-up and FAULTS_UNTIL_MS. */
export function script(uuids: readonly string[], seed = 10): Fault[] {
  const random = seeded(seed);
  const pool = [...uuids];
  const take = () => pool.splice(Math.floor(random() * pool.length), 1)[0]!;
  const at = (latest = FAULTS_UNTIL_MS) => Math.round(WARM_UP_MS + random() * (latest - WARM_UP_MS));
  const faults: Fault[] = [];
  for (let i = 0; i < 40; i++) faults.push({ kind: 'blip', uuid: take(), at: at(), forMs: 30_000 });
  for (let i = 0; i < 30; i++) faults.push({ kind: 'outage', uuid: take(), at: at(FAULTS_UNTIL_MS - 10 * MIN), forMs: 20 * MIN });
  for (let i = 0; i < 10; i++) faults.push({ kind: 'collection.failed', uuid: take(), at: at(FAULTS_UNTIL_MS - 30 * MIN), completesAfterMs: 20 * MIN });
  for (let i = 0; i < 15; i++) faults.push({ kind: 'port.opened', uuid: take(), at: at(FAULTS_UNTIL_MS - 30 * MIN), port: 6379 + i, closesAfterMs: i < 5 ? 20 * MIN : null });
  for (let i = 0; i < 5; i++) faults.push({ kind: 'process.suspicious', uuid: take(), at: at(), processName: `kworkerds${i}`, fullPath: `/tmp/kworkerds${i}` });
  withQuietRules(faults);
  return faults.sort((a, b) => a.at - b.at);
}

const named = (prefix: string, n: number) => `${prefix}-${String(n).padStart(2, '0')}`;

/**
 * Puts the quiet rules' hosts in the script (in place): outages whose whole incident lies inside the window go to db
 * hosts (held back), and so do outages wholly before it or after it (notified); ports 6379 go to redis hosts
 * (covered), one 6379 to another host and another port to a redis host (not covered); the backup process runs from
 * /tmp on batch hosts (covered), on another host, and another process on a batch host (not covered).
 */
function withQuietRules(faults: Fault[]): void {
  const from = WINDOW_FROM_MIN * MIN, until = WINDOW_UNTIL_MIN * MIN;
  const outages = faults.filter((f): f is Extract<Fault, { kind: 'outage' }> => f.kind === 'outage');
  // Inside: from the fault (pending) to the resolution; before or after: none of the incident's life in the window.
  const inside = outages.filter((f) => f.at >= from && f.at + f.forMs + RESOLVE_MARGIN_MS <= until).slice(0, 4);
  const outside = [...outages.filter((f) => f.at + f.forMs + RESOLVE_MARGIN_MS < from).slice(0, 2), ...outages.filter((f) => f.at > until).slice(0, 2)];
  let db = 0;
  for (const f of inside) Object.assign(f, { machineName: named('db', ++db), quietBy: WINDOW });
  for (const f of outside) f.machineName = named('db', ++db);

  const ports = faults.filter((f): f is Extract<Fault, { kind: 'port.opened' }> => f.kind === 'port.opened');
  let redis = 0;
  // ports[0] (6379) closes again; 5 and 6 stay open: covered. 7: 6379 on another host. 8: 6387 on a redis host.
  for (const i of [0, 5, 6]) Object.assign(ports[i]!, { port: 6379, machineName: named('redis', ++redis), quietBy: REDIS });
  ports[7]!.port = 6379;
  ports[8]!.machineName = named('redis', ++redis);

  const processes = faults.filter((f): f is Extract<Fault, { kind: 'process.suspicious' }> => f.kind === 'process.suspicious');
  let batch = 0;
  for (const i of [0, 1]) Object.assign(processes[i]!, { processName: 'backup-agent', fullPath: '/tmp/backup-agent', machineName: named('batch', ++batch), quietBy: BACKUP });
  Object.assign(processes[2]!, { processName: 'backup-agent', fullPath: '/tmp/backup-agent' });
  processes[3]!.machineName = named('batch', ++batch);
}

/** One change the script makes to the emulator at a time: a fault's start, or its end. */
interface Step {
  at: number;
  apply(emulator: Emulator): void;
}

function stepsOf(f: Fault): Step[] {
  switch (f.kind) {
    case 'blip':
    case 'outage':
      return [{ at: f.at, apply: (e) => e.setOnline(f.uuid, false) }, { at: f.at + f.forMs, apply: (e) => e.setOnline(f.uuid, true) }];
    case 'collection.failed':
      return [{ at: f.at, apply: (e) => e.script(f.uuid, 'process', [{ atMs: 0, state: 'FAILED' }, { atMs: f.completesAfterMs, state: 'COMPLETE' }]) }];
    case 'port.opened': {
      const open: Step = { at: f.at, apply: (e) => { e.openPort(f.uuid, { port: f.port, pid: 40_000 + f.port, processName: 'redis-server' }); e.startTask(f.uuid, 'port', { collectMs: REVEALING_COLLECTION_MS }); } };
      if (f.closesAfterMs === null) return [open];
      return [open, { at: f.at + f.closesAfterMs, apply: (e) => { e.closePort(f.uuid, f.port); e.startTask(f.uuid, 'port', { collectMs: REVEALING_COLLECTION_MS }); } }];
    }
    case 'process.suspicious':
      return [{ at: f.at, apply: (e) => { e.startProcess(f.uuid, { processName: f.processName, fullPath: f.fullPath, username: 'nobody' }); e.startTask(f.uuid, 'process', { collectMs: REVEALING_COLLECTION_MS }); } }];
  }
}

/** A batch sink as it was built, noting when (simulated) each event it carried was accepted by the robot. */
class TimedSink implements BatchSink {
  readonly id: string;
  readonly concurrency: number;
  readonly maxBatch: number;
  readonly maxSendMs?: number;
  readonly accepts?: (event: BridgeEvent) => boolean;
  readonly takesNotices?: boolean;
  readonly acceptedAt = new Map<string, number>();
  constructor(private readonly inner: BatchSink, private readonly now: () => number) {
    this.id = inner.id;
    this.concurrency = inner.concurrency;
    this.maxBatch = inner.maxBatch;
    if (inner.maxSendMs !== undefined) this.maxSendMs = inner.maxSendMs;
    if (inner.accepts) this.accepts = inner.accepts;
    if (inner.takesNotices) this.takesNotices = true;
  }
  send(event: BridgeEvent, signal: AbortSignal): Promise<SendResult> {
    return this.sendBatch([event], signal).then((r) => r[0]!);
  }
  async sendBatch(events: BridgeEvent[], signal: AbortSignal): Promise<SendResult[]> {
    const results = await this.inner.sendBatch(events, signal);
    const t = this.now();
    events.forEach((e, i) => {
      if (results[i]?.ok && !this.acceptedAt.has(e.id)) this.acceptedAt.set(e.id, t);
    });
    return results;
  }
}

const isIncident = (e: BridgeEvent): e is IncidentChangedEvent => e.type === 'com.tencentcloud.cwp.incident.changed';

/** The incident a fault should have caused: of its type, on its agent (and its port). */
function matches(f: Fault, e: IncidentChangedEvent): boolean {
  const x = expectationOf(f);
  if (!x.fires || e.data.uuid !== f.uuid || e.data.type !== x.type) return false;
  return f.kind !== 'port.opened' || e.data.port === f.port;
}

export async function p10(agents = 1_000): Promise<void> {
  const realStart = performance.now();
  const simStart = SIM_START;
  const now = () => simStart + Math.round((performance.now() - realStart) * SPEED);
  const emulator = await startEmulator({ quiet: true, now });
  const uuids = emulator.addFleet(agents, { activeFraction: 0, offlineFraction: 0, seed: 10, machines: { regions: ['ap-guangzhou'] } });
  const faults = script(uuids);
  // The quiet rules' hosts get their names before the first listing.
  for (const f of faults) if (f.machineName) emulator.setHost(f.uuid, { machineName: f.machineName });
  const dingtalk = await ChatRobotReceiver.start('dingtalk', { now });
  const wecom = await ChatRobotReceiver.start('wecom', { now });
  const config = loadConfig({
    TENCENTCLOUD_SECRET_ID: emulator.credentials.secretId,
    TENCENTCLOUD_SECRET_KEY: emulator.credentials.secretKey,
    CWP_ENDPOINT: emulator.url,
    WATCH_DISCOVER: 'CVM:ap-guangzhou',
    DISCOVER_EVERY: '1m',
    CWP_IDLE_RATE: '0',
    DINGTALK_WEBHOOK_URLS: dingtalk.url,
    // The old default, for comparison: a robot given every state and results event, one line each.
    WECOM_WEBHOOK_URLS: wecom.url,
    WECOM_EVENT_TYPES: 'task.status.changed,ports.changed,processes.changed,agent.unwatched',
    LOG_LEVEL: 'error',
    API_TOKENS: `ops:read+alerts:${OPS_TOKEN}`,
  });
  const logger = createLogger({ level: 'error', write: () => undefined });
  const limiter = new LocalRateLimiter(config.cwp.rateLimit, { now, sleep: (ms, signal) => realSleep(ms / SPEED, signal) });
  const cwpApi = CWP_APIS[config.cwp.api];
  const caller = new TencentClient({ endpoint: config.cwp.endpoint, service: cwpApi.service, version: cwpApi.version, region: config.region, credentials: config.credentials, timeoutMs: config.requestTimeoutMs, rateLimiter: limiter, now });
  const robots = createSinks(config, { logger, budget: (rate, burst) => new LocalRequestBudget(rate, burst, now) }).map((s) => (isBatchSink(s) ? new TimedSink(s, now) : s));
  const recorder = new RecordingSink();
  // Every incident notification, the ones quiet rules hold back too (as a SIEM with <P>_IGNORE_SILENCES=true).
  const everything = new RecordingSink('bench-recorder-ignoring-silences', true);
  const sinks: Sink[] = [...robots, recorder, everything];
  const store = new MemoryStateStore();
  const deps = { config, store, cwp: new YunjingClient(caller, now), sinks, logger, now };

  // The quiet rules, made through the API as a person on call would, before anything happens.
  const api = async (method: string, path: string, body: unknown) => {
    // A Function URL request, as SCF hands it to the api function.
    const text = JSON.stringify(body);
    const headers = { authorization: `Bearer ${OPS_TOKEN}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) };
    const r = await handleHttp({ httpMethod: method, path, headers, queryString: {}, body: text }, undefined, { config, store, cwp: deps.cwp as never, logger, now });
    return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, unknown> };
  };
  const ruleIds = new Map<QuietRuleName, string>();
  for (const [name, rule] of Object.entries(QUIET_RULES) as Array<[QuietRuleName, (typeof QUIET_RULES)[QuietRuleName]]>) {
    const made = await api('POST', rule.path, rule.body);
    if (made.status !== 201) throw new Error(`P10: ${rule.path} answered ${made.status}: ${JSON.stringify(made.body)}`);
    ruleIds.set(name, made.body.id as string);
  }

  // Baselines: the hosts whose ports or processes will change have a collection running at the start.
  for (const f of faults) if (f.kind === 'port.opened' || f.kind === 'process.suspicious') emulator.startTask(f.uuid, f.kind === 'port.opened' ? 'port' : 'process', { collectMs: 5 * MIN });
  const steps = faults.flatMap(stepsOf).sort((a, b) => a.at - b.at);
  let next = 0;
  const applyDue = () => {
    const t = now() - simStart;
    while (next < steps.length && steps[next]!.at <= t) steps[next++]!.apply(emulator);
  };
  const ticker = setInterval(applyDue, 20);
  let sweeps = 0;
  try {
    while (now() - simStart < END_MS) {
      applyDue();
      const t = now();
      await runSweep(deps, { requestId: requestId(), pollUntil: t + MIN, publishUntil: t + MIN + 2_000, keepPolling: true });
      sweeps++;
    }
  } finally {
    clearInterval(ticker);
  }
  const realSeconds = (performance.now() - realStart) / 1000;
  // P10_DEBUG=1: each fault's events on stderr, to see why one was missed.
  if (process.env.P10_DEBUG) {
    for (const f of faults.filter((x) => expectationOf(x).fires)) {
      const of = recorder.events.filter((e) => e.data.uuid === f.uuid).map((e) => `${new Date(e.time).toISOString().slice(11, 19)} ${e.type.slice(21)} ${'state' in e.data ? String(e.data.state) : ''} ${'notification' in e.data ? e.data.notification : ''}`);
      process.stderr.write(`${f.kind} at ${new Date(simStart + f.at).toISOString().slice(11, 19)} ${f.uuid}: ${of.join(' | ')}\n`);
    }
  }

  // ---- the figures
  const windowStart = simStart + WARM_UP_MS;
  const published = recorder.events.filter((e) => Date.parse(e.time) >= windowStart);
  const incidents = published.filter(isIncident);
  const fired = incidents.filter((e) => e.data.notification === 'firing');
  const resolved = incidents.filter((e) => e.data.notification === 'resolved');
  const dingtalkSink = robots.find((s) => s.id.startsWith('dingtalk')) as TimedSink;
  // What the quiet rules took: every incident notification (held back or not) against the notified ones.
  const all = everything.events.filter((e) => Date.parse(e.time) >= windowStart).filter(isIncident);
  const notifiedIds = new Set(incidents.map((e) => e.id));
  const outcome = { expected: 0, fired: 0, resolvedAsExpected: 0, missed: [] as string[], blipsSeenOffline: 0, blipsFired: 0, unexpectedIncidents: 0 };
  const quiet = Object.fromEntries((Object.keys(QUIET_RULES) as QuietRuleName[]).map((name) => [name, {
    scripted: 0, asScripted: 0, notAsScripted: [] as string[], incidentsHeldBack: 0, notificationsHeldBack: 0, robotMessagesNamingHeldHosts: 0,
  }])) as Record<QuietRuleName, { scripted: number; asScripted: number; notAsScripted: string[]; incidentsHeldBack: number; notificationsHeldBack: number; robotMessagesNamingHeldHosts: number }>;
  const latencies: number[] = [];
  const latenciesByKind: Record<string, number[]> = {};
  for (const f of faults) {
    const x = expectationOf(f);
    const ofFault = fired.filter((e) => e.data.uuid === f.uuid);
    if (!x.fires && x.coveredBy) {
      // Covered by an expectation: no incident at all, not even in the store's notifications held back.
      const q = quiet[x.coveredBy];
      q.scripted++;
      if (all.some((e) => e.data.uuid === f.uuid && e.data.type === f.kind)) q.notAsScripted.push(`${f.kind} ${f.uuid} opened an incident`);
      else {
        q.asScripted++;
        // What the robot would have been sent: the firing, and the resolution of a port that closes again.
        q.notificationsHeldBack += f.kind === 'port.opened' && f.closesAfterMs !== null ? 2 : 1;
      }
      continue;
    }
    if (x.fires && x.heldBackBy) {
      // Held back by the window: it fired and resolved in the store, and none of it was notified.
      const q = quiet[x.heldBackBy];
      q.scripted++;
      const ofIncident = all.filter((e) => matches(f, e));
      const firedInStore = ofIncident.some((e) => e.data.notification === 'firing');
      const resolvedInStore = ofIncident.some((e) => e.data.notification === 'resolved');
      const notified = ofIncident.filter((e) => notifiedIds.has(e.id) || dingtalkSink.acceptedAt.has(e.id));
      q.notificationsHeldBack += ofIncident.length - notified.length;
      if (firedInStore && resolvedInStore === x.resolves && notified.length === 0) q.asScripted++;
      else q.notAsScripted.push(`${f.kind} ${f.uuid}: fired ${firedInStore}, resolved ${resolvedInStore}, notified ${notified.length}`);
      if (f.machineName && dingtalk.accepted.some((a) => a.text.includes(f.machineName!))) q.robotMessagesNamingHeldHosts++;
      continue;
    }
    if (!x.fires) {
      if (published.some((e) => e.type === 'com.tencentcloud.cwp.task.status.changed' && e.data.uuid === f.uuid && e.data.state === 'AGENT_OFFLINE')) outcome.blipsSeenOffline++;
      if (ofFault.some((e) => e.data.type === 'agent.offline')) outcome.blipsFired++;
      continue;
    }
    outcome.expected++;
    const first = ofFault.find((e) => matches(f, e));
    if (!first) {
      outcome.missed.push(`${f.kind} ${f.uuid}`);
      continue;
    }
    outcome.fired++;
    const wasResolved = resolved.some((e) => e.data.key === first.data.key);
    if (wasResolved === x.resolves) outcome.resolvedAsExpected++;
    const at = dingtalkSink.acceptedAt.get(first.id);
    if (at !== undefined) {
      latencies.push(at - (simStart + f.at));
      (latenciesByKind[f.kind] ??= []).push(at - (simStart + f.at));
    }
  }
  outcome.unexpectedIncidents = all.filter((e) => e.data.notification === 'firing' && !faults.some((f) => matches(f, e))).length;
  // The store's count of each rule: incidents a window held back, ports and processes an expectation opened none for.
  const stored = await store.listQuietRules();
  for (const [name, id] of ruleIds) quiet[name].incidentsHeldBack = [...stored.windows, ...stored.expectations].find((r) => r.id === id)?.hits ?? 0;
  latencies.sort((a, b) => a - b);
  const inWindow = (r: ChatRobotReceiver) => r.accepted.filter((a) => a.at >= windowStart).length;
  report('P10 a measured day (simulated)', {
    agents,
    simulatedMinutes: END_MS / MIN,
    faultsFromMinute: WARM_UP_MS / MIN,
    speed: SPEED,
    realSeconds: round(realSeconds),
    sweeps,
    script: { blips: 40, outages: 30, failedCollections: 10, portsOpened: 15, portsClosed: 5, suspiciousProcesses: 5, dbHostOutages: faults.filter((f) => f.machineName?.startsWith('db-')).length },
    incidents: { ...outcome, missed: outcome.missed.length, missedFaults: outcome.missed.slice(0, 5) },
    requestsAccepted: emulator.requests().filter((r) => r.outcome === 'accepted').length,
    events: {
      stateAndResults: published.length - incidents.length,
      incidentChanged: incidents.length,
      firing: fired.length,
      resolved: resolved.length,
    },
    robot20PerMinute: {
      messages: inWindow(dingtalk),
      throttled: dingtalk.throttled,
      incidentEventsCarried: incidents.filter((e) => dingtalkSink.acceptedAt.has(e.id)).length,
    },
    oldDefaultRobot20PerMinute: { lines: published.length - incidents.length, messages: inWindow(wecom), throttled: wecom.throttled },
    faultToFirstMessageS: { count: latencies.length, p50: round(percentile(latencies, 50) / 1000), p99: round(percentile(latencies, 99) / 1000), max: round((latencies.at(-1) ?? NaN) / 1000) },
    faultToFirstMessageByKindS: Object.fromEntries(Object.entries(latenciesByKind).map(([kind, l]) => {
      l.sort((a, b) => a - b);
      return [kind, { p50: round(percentile(l, 50) / 1000), p99: round(percentile(l, 99) / 1000) }];
    })),
    quietRules: Object.fromEntries(Object.entries(quiet).map(([name, q]) => [name, { ...q, notAsScripted: q.notAsScripted.slice(0, 5) }])),
  });
  await Promise.all([dingtalk.close(), wecom.close()]);
  await limiter.close();
  await emulator.close();
}
