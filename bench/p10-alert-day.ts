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
// The script is a list of faults (SCRIPT), each with what the bridge is expected to do about it, and a list of
// quiet rules (QUIET_RULES: maintenance windows, expectations), empty until the bridge has them (issue #20); the
// figures report each rule's messages held back beside the rest.
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
import { percentile, RecordingSink, report, requestId, round } from './common';

const MIN = 60_000;
/** Simulated ms per wall-clock ms. */
const SPEED = Number(process.env.P10_SPEED ?? 36);
/** The stretch simulated: a warm-up (the first listing, every key's first check, the baselines), the faults, and time for all to end. */
const WARM_UP_MS = 15 * MIN;
const FAULTS_UNTIL_MS = 100 * MIN;
const END_MS = 150 * MIN;
/** A collection CWP runs on a host (started outside the bridge): long enough for the bridge's 600 s terminal check to see it run. */
const REVEALING_COLLECTION_MS = 12 * MIN;

/** What a fault is, and when (ms after the start of the simulation). */
export type Fault =
  | { kind: 'blip'; uuid: string; at: number; forMs: number }
  | { kind: 'outage'; uuid: string; at: number; forMs: number }
  | { kind: 'collection.failed'; uuid: string; at: number; completesAfterMs: number }
  | { kind: 'port.opened'; uuid: string; at: number; port: number; closesAfterMs: number | null }
  | { kind: 'process.suspicious'; uuid: string; at: number; processName: string; fullPath: string };

/** What the bridge should do about a fault: no incident (a blip), or one of `type` that fires, and resolves by the end or not. */
export type Expectation = { fires: false } | { fires: true; type: IncidentType; resolves: boolean };

export function expectationOf(f: Fault): Expectation {
  switch (f.kind) {
    case 'blip':
      return { fires: false };
    case 'outage':
      return { fires: true, type: 'agent.offline', resolves: true };
    case 'collection.failed':
      return { fires: true, type: 'collection.failed', resolves: true };
    case 'port.opened':
      return { fires: true, type: 'port.opened', resolves: f.closesAfterMs !== null };
    case 'process.suspicious':
      return { fires: true, type: 'process.suspicious', resolves: false };
  }
}

/** A rule that holds notifications back (a maintenance window, an expectation): issue #20 adds them to the bridge. */
export interface QuietRule {
  name: string;
  /** Whether the rule holds back this notification. */
  holds(e: IncidentChangedEvent, fault: Fault | undefined): boolean;
}
export const QUIET_RULES: QuietRule[] = [];

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
  return faults.sort((a, b) => a.at - b.at);
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
  readonly acceptedAt = new Map<string, number>();
  constructor(private readonly inner: BatchSink, private readonly now: () => number) {
    this.id = inner.id;
    this.concurrency = inner.concurrency;
    this.maxBatch = inner.maxBatch;
    if (inner.maxSendMs !== undefined) this.maxSendMs = inner.maxSendMs;
    if (inner.accepts) this.accepts = inner.accepts;
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
  const simStart = Date.UTC(2026, 11, 7, 0, 0, 0);
  const now = () => simStart + Math.round((performance.now() - realStart) * SPEED);
  const emulator = await startEmulator({ quiet: true, now });
  const uuids = emulator.addFleet(agents, { activeFraction: 0, offlineFraction: 0, seed: 10, machines: { regions: ['ap-guangzhou'] } });
  const faults = script(uuids);
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
  });
  const logger = createLogger({ level: 'error', write: () => undefined });
  const limiter = new LocalRateLimiter(config.cwp.rateLimit, { now, sleep: (ms, signal) => realSleep(ms / SPEED, signal) });
  const api = CWP_APIS[config.cwp.api];
  const caller = new TencentClient({ endpoint: config.cwp.endpoint, service: api.service, version: api.version, region: config.region, credentials: config.credentials, timeoutMs: config.requestTimeoutMs, rateLimiter: limiter, now });
  const robots = createSinks(config, { logger, budget: (rate, burst) => new LocalRequestBudget(rate, burst, now) }).map((s) => (isBatchSink(s) ? new TimedSink(s, now) : s));
  const recorder = new RecordingSink();
  const sinks: Sink[] = [...robots, recorder];
  const store = new MemoryStateStore();
  const deps = { config, store, cwp: new YunjingClient(caller, now), sinks, logger, now };

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
  const outcome = { expected: 0, fired: 0, resolvedAsExpected: 0, missed: [] as string[], blipsSeenOffline: 0, blipsFired: 0, unexpectedIncidents: 0 };
  const latencies: number[] = [];
  const latenciesByKind: Record<string, number[]> = {};
  for (const f of faults) {
    const x = expectationOf(f);
    const ofFault = fired.filter((e) => e.data.uuid === f.uuid);
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
  outcome.unexpectedIncidents = fired.filter((e) => !faults.some((f) => matches(f, e))).length;
  latencies.sort((a, b) => a - b);
  const inWindow = (r: ChatRobotReceiver) => r.accepted.filter((a) => a.at >= windowStart).length;
  const heldBack = Object.fromEntries(QUIET_RULES.map((rule) => [rule.name, incidents.filter((e) => rule.holds(e, faults.find((f) => matches(f, e)))).length]));
  report('P10 a measured day (simulated)', {
    agents,
    simulatedMinutes: END_MS / MIN,
    faultsFromMinute: WARM_UP_MS / MIN,
    speed: SPEED,
    realSeconds: round(realSeconds),
    sweeps,
    script: { blips: 40, outages: 30, failedCollections: 10, portsOpened: 15, portsClosed: 5, suspiciousProcesses: 5 },
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
    quietRules: heldBack,
  });
  await Promise.all([dingtalk.close(), wecom.close()]);
  await limiter.close();
  await emulator.close();
}
