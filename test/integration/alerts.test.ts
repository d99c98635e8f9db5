// Incidents end to end against the emulator over real HTTP and signatures: agents that go offline fire one
// agent.offline incident each after ALERT_OFFLINE_FOR and resolve when they answer again; a blip shorter than it
// tells nobody; firing and resolution reach a verifying webhook once each across three concurrent sweeps on one
// Redis; the API lists, shows and acknowledges them, and an acknowledgement stops the repeats; a port opened and a
// process started from /tmp are incidents until a snapshot no longer lists them; an agent no longer watched
// resolves its incidents; a DingTalk robot (with the chat robots' default route, incident.changed only) hears of 60
// agents offline in messages that add up to 60 agents, then that they are back. Periods are seconds here; every
// wait is for a condition, in rounds of sweeps.
import { randomBytes, randomUUID } from 'node:crypto';
import { startEmulator, type Emulator } from '../../dev/emulator';
import type { CloudEvent, IncidentChangedEvent } from '../../lib/events/types';
import { handleHttp } from '../../lib/http';
import { createLogger } from '../../lib/log';
import type { Sink } from '../../lib/sinks/sink';
import { WebhookSink } from '../../lib/sinks/webhook';
import type { StateStore } from '../../lib/state/store';
import { runSweep } from '../../lib/sweep';
import { eventSchemaProblems } from '../helpers/event-schema';
import { functionUrlEvent, parseResponse, type ParsedResponse } from '../helpers/scf-events';
import { harness, RecordingSink, sweepFor, sweepUntil, uuidOf, type Harness } from '../helpers/sweep-harness';
import { memoryStore as openMemoryStore, redisPrefix, redisStore, runCleanups, type Cleanup } from '../helpers/test-stores';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { ChatRobotReceiver } from '../helpers/chat-receivers';
import { createSinks } from '../../lib/sinks';

const OPS_TOKEN = `ops-${randomBytes(12).toString('hex')}`;
const VIEWER_TOKEN = `viewer-${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const DINGTALK_SECRET = `SEC${randomBytes(24).toString('hex')}`;
/** Quick re-checks, so a round of sweeps sees an agent leave or come back within a second or two. */
const FAST = { POLL_OFFLINE_SECONDS: '1', POLL_TERMINAL_SECONDS: '1', API_TOKENS: `ops:read+write+alerts:${OPS_TOKEN},viewer:read:${VIEWER_TOKEN}` };

let emulator: Emulator;
const cleanups: Cleanup[] = [];

beforeEach(async () => {
  emulator = await startEmulator({ quiet: true, defaultCollectMs: 300 });
});

afterEach(async () => {
  await runCleanups(cleanups);
  await emulator.close();
});

/** A sweep against the emulator publishing to `sinks`. */
function setupWith(store: StateStore, env: Record<string, string>, sinks: Sink[]): Harness {
  const h = harness(emulator, store, { ...FAST, ...env }, sinks);
  cleanups.push(h.close);
  return h;
}

/** A sweep against the emulator publishing every event type to a recording sink. */
function setup(store: StateStore, env: Record<string, string>): Harness & { sink: RecordingSink } {
  const sink = new RecordingSink(`alerts-${randomUUID()}`, 'all');
  return { ...setupWith(store, env, [sink]), sink };
}

const incidentEvents = (events: readonly CloudEvent[]): IncidentChangedEvent[] => events.filter((e): e is IncidentChangedEvent => e.type === 'com.tencentcloud.cwp.incident.changed');
const notifications = (events: readonly CloudEvent[], notification: string) => incidentEvents(events).filter((e) => e.data.notification === notification);

/** Every incident.changed event conforms to its schema. */
function expectValid(events: readonly CloudEvent[]): void {
  for (const e of incidentEvents(events)) expect(eventSchemaProblems(e)).toEqual([]);
}

/** One request to the api function's core, with the harness's configuration and store. */
async function api(h: Harness, call: { method: string; path: string; query?: Record<string, string>; body?: string }, token = OPS_TOKEN): Promise<ParsedResponse> {
  const deps = { config: h.config, store: h.deps.store as StateStore, cwp: h.deps.cwp as never, logger: createLogger({ write: () => undefined }) };
  return parseResponse(await handleHttp(functionUrlEvent({ ...call, headers: { authorization: `Bearer ${token}`, ...(call.body ? { 'content-type': 'application/json' } : {}) } }), undefined, deps));
}

const firingKeys = async (h: Harness): Promise<string[]> => {
  const r = await api(h, { method: 'GET', path: '/v1/incidents', query: { state: 'firing', limit: '500' } });
  expect(r.status).toBe(200);
  return (r.body.incidents as Array<{ key: string }>).map((i) => i.key).sort();
};

describe('agents going offline', () => {
  test('60 agents offline at once are 60 agent.offline incidents, firing after ALERT_OFFLINE_FOR and resolved when they answer again', async () => {
    const uuids = Array.from({ length: 60 }, (_, i) => uuidOf(0xa1000 + i));
    for (const u of uuids) emulator.addAgent(u);
    const store = await openMemoryStore(cleanups);
    const h = setup(store, { WATCH_UUIDS: uuids.join(','), ALERT_OFFLINE_FOR: '2s' });
    const keys = uuids.flatMap((uuid) => [{ uuid, kind: 'process' as const }, { uuid, kind: 'port' as const }]);
    await sweepUntil('every key checked', [h], async () => (await store.getRecords(keys)).every((r) => r?.state === 'NO_TASK'), { roundMs: 4000 });

    for (const u of uuids) emulator.setOnline(u, false);
    const everyKeyOffline = async () => (await store.getRecords(keys)).every((r) => r?.state === 'AGENT_OFFLINE');
    await sweepUntil('60 incidents firing, every key offline', [h], async () => notifications(h.sink.events, 'firing').length >= 60 && (await everyKeyOffline()), { roundMs: 4000 });
    const fired = notifications(h.sink.events, 'firing');
    expect(fired).toHaveLength(60);
    expect(new Set(fired.map((e) => e.data.uuid))).toEqual(new Set(uuids));
    for (const e of fired) expect(e.data).toMatchObject({ type: 'agent.offline', state: 'firing', previous: 'pending', acknowledged: false, severity: 'warning' });
    expect(fired.every((e) => e.data.durationSeconds >= 2)).toBe(true);
    // One incident per agent, whatever the number of kinds: both kinds' AGENT_OFFLINE events are on it.
    const firing = (await store.listIncidents({ limit: 100, state: 'firing' })).incidents;
    expect(firing).toHaveLength(60);
    for (const i of firing) expect(i.eventIds).toHaveLength(2);
    expect(await firingKeys(h)).toEqual(fired.map((e) => e.data.key).sort());

    for (const u of uuids) emulator.setOnline(u, true);
    await sweepUntil('60 incidents resolved', [h], () => notifications(h.sink.events, 'resolved').length >= 60, { roundMs: 4000 });
    const resolved = notifications(h.sink.events, 'resolved');
    expect(resolved.map((e) => e.data.key).sort()).toEqual(fired.map((e) => e.data.key).sort());
    for (const e of resolved) expect(e.data).toMatchObject({ state: 'resolved', previous: 'firing', reason: 'recovered', resolvedAt: expect.any(String) });
    expect(await firingKeys(h)).toEqual([]);
    expect(incidentEvents(h.sink.events)).toHaveLength(120);
    expectValid(h.sink.events);
  }, 180_000);

  test('a 10 s blip with ALERT_OFFLINE_FOR=60s sends nothing', async () => {
    const uuid = uuidOf(0xb1001);
    emulator.addAgent(uuid);
    const store = await openMemoryStore(cleanups);
    const h = setup(store, { WATCH_UUIDS: uuid, ALERT_OFFLINE_FOR: '60s' });
    await sweepUntil('both keys checked', [h], () => h.sink.events.length >= 2);

    emulator.setOnline(uuid, false);
    const offlineAt = Date.now();
    const pending = async () => (await store.listIncidents({ limit: 10, state: 'pending' })).incidents;
    await sweepUntil('10 s offline, the incident pending', [h], async () => Date.now() - offlineAt >= 10_000 && (await pending()).length === 1);
    const [blip] = await pending();
    expect(blip).toMatchObject({ type: 'agent.offline', state: 'pending', firingAt: null });

    emulator.setOnline(uuid, true);
    await sweepUntil('the blip over', [h], async () => (await store.getIncident(blip!.key))?.state === 'resolved');
    expect(await store.getIncident(blip!.key)).toMatchObject({ state: 'resolved', resolvedReason: 'recovered', firingAt: null, notified: false });
    expect(incidentEvents(h.sink.events)).toEqual([]);
    const shown = await api(h, { method: 'GET', path: `/v1/incidents/${blip!.key}` });
    expect(shown.body.timeline.map((t: { what: string }) => t.what)).toEqual(['opened', 'event', 'event', 'resolved']);
  }, 180_000);
});

/** How many agents a robot's messages say went offline ("FIRING · 12 agents offline", or one line "FIRING · web-01 offline since 10:02"). */
function agentsSaid(texts: string[], label: 'FIRING' | 'RESOLVED'): number {
  const counted = label === 'FIRING' ? /FIRING · (\d+) agents? offline/g : /RESOLVED · (\d+) agents? back/g;
  const single = label === 'FIRING' ? /FIRING · [^\s·]+(?: \([^)]*\))? offline since/g : /RESOLVED · [^\s·]+ back after/g;
  return texts.reduce((n, t) => n + [...t.matchAll(counted)].reduce((m, x) => m + Number(x[1]), 0) + [...t.matchAll(single)].length, 0);
}

describe('a DingTalk robot', () => {
  test('60 agents offline reach it as messages that add up to 60 agents, then RESOLVED messages when they are back', async () => {
    const uuids = Array.from({ length: 60 }, (_, i) => uuidOf(0xa2000 + i));
    for (const u of uuids) emulator.addAgent(u);
    const robot = await ChatRobotReceiver.start('dingtalk', { secret: DINGTALK_SECRET });
    cleanups.push(() => robot.close());
    const store = await openMemoryStore(cleanups);
    const h = setupWith(store, { WATCH_UUIDS: uuids.join(','), ALERT_OFFLINE_FOR: '2s', DINGTALK_WEBHOOK_URLS: robot.url, DINGTALK_SECRET }, []);
    // As the poll function builds them: the robot routed to incident.changed only (the chat robots' default).
    h.deps.sinks.push(...createSinks(h.config, { logger: h.deps.logger }));
    const keys = uuids.flatMap((uuid) => [{ uuid, kind: 'process' as const }, { uuid, kind: 'port' as const }]);
    await sweepUntil('every key checked', [h], async () => (await store.getRecords(keys)).every((r) => r?.state === 'NO_TASK'), { roundMs: 4000 });
    expect(robot.accepted).toEqual([]);

    for (const u of uuids) emulator.setOnline(u, false);
    const texts = () => robot.accepted.map((a) => a.text);
    await sweepUntil('the robot told of 60 agents offline', [h], () => agentsSaid(texts(), 'FIRING') >= 60, { roundMs: 4000, ceilingMs: 150_000 });
    const firingMessages = robot.accepted.length;
    for (const u of uuids) emulator.setOnline(u, true);
    await sweepUntil('the robot told of 60 agents back', [h], () => agentsSaid(texts(), 'RESOLVED') >= 60, { roundMs: 4000, ceilingMs: 150_000 });

    expect(agentsSaid(texts(), 'FIRING')).toBe(60);
    expect(agentsSaid(texts(), 'RESOLVED')).toBe(60);
    expect(texts().slice(firingMessages).every((t) => t.includes('RESOLVED') && !t.includes('FIRING'))).toBe(true);
    // Incidents, not state changes: no message speaks of collection kinds going offline.
    expect(texts().join('\n')).not.toMatch(/went offline|collection/);
    expect(robot.throttled).toBe(0);
    expect(robot.badSignature).toBe(0);
    expect(await store.countDeadLetters()).toBe(0);
  }, 300_000);
});

describe('three concurrent sweeps on one Redis', () => {
  test('each incident\'s firing and resolution reach a webhook as incident.changed with the same key, once each', async () => {
    const uuids = Array.from({ length: 8 }, (_, i) => uuidOf(0xc1000 + i));
    for (const u of uuids) emulator.addAgent(u);
    const receiver = await WebhookReceiver.start(WEBHOOK_SECRET);
    cleanups.push(() => receiver.close());
    const prefix = redisPrefix(cleanups, 'alerts');
    const hs: Harness[] = [];
    for (let i = 0; i < 3; i++) {
      // Each sweep as its own instance would build it: its own store connection and webhook sink, one Redis.
      const sink = new WebhookSink({ url: receiver.url, secret: WEBHOOK_SECRET, timeoutMs: 3000, concurrency: 4 });
      hs.push(setupWith(await redisStore(cleanups, 'alerts', prefix), { WATCH_UUIDS: uuids.join(','), ALERT_OFFLINE_FOR: '2s' }, [sink]));
    }
    const received = () => [...receiver.events.values()];
    await sweepUntil('every key checked', hs, () => received().length >= 16);

    for (const u of uuids) emulator.setOnline(u, false);
    await sweepUntil('8 incidents firing', hs, () => notifications(received(), 'firing').length >= 8);
    expect((await firingKeys(hs[0]!)).length).toBe(8);
    for (const u of uuids) emulator.setOnline(u, true);
    await sweepUntil('8 incidents resolved', hs, () => notifications(received(), 'resolved').length >= 8);

    const fired = notifications(received(), 'firing');
    const resolved = notifications(received(), 'resolved');
    expect(fired.map((e) => e.data.uuid).sort()).toEqual([...uuids].sort());
    expect(resolved.map((e) => e.data.key).sort()).toEqual(fired.map((e) => e.data.key).sort());
    expect(incidentEvents(received())).toHaveLength(16);
    expect(receiver.duplicates).toBe(0);
    expect(receiver.unverified).toBe(0);
    for (const e of fired) expect(e.subject).toBe(e.data.key);
    expect(await firingKeys(hs[0]!)).toEqual([]);
    expectValid(received());
  }, 180_000);
});

describe('the API and acknowledgement', () => {
  test('GET /v1/incidents lists the firing ones and GET /v1/incidents/{key} shows one with its timeline; bad filters are 400 naming the field', async () => {
    const uuid = uuidOf(0xd1001);
    emulator.script(uuid, 'port', [{ atMs: 0, state: 'FAILED' }]);
    const store = await openMemoryStore(cleanups);
    const h = setup(store, { WATCH_UUIDS: uuid, WATCH_KINDS: 'port' });
    await sweepUntil('collection.failed firing', [h], () => notifications(h.sink.events, 'firing').length >= 1);
    const [fired] = notifications(h.sink.events, 'firing');

    const list = await api(h, { method: 'GET', path: '/v1/incidents', query: { state: 'firing', type: 'collection.failed', uuid } });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ nextCursor: null, incidents: [{ key: fired!.data.key, type: 'collection.failed', state: 'firing', kind: 'port', acknowledged: false, summary: expect.stringContaining('open-port collection failed') }] });
    expect(list.body.incidents[0]).not.toHaveProperty('timeline');
    const one = await api(h, { method: 'GET', path: `/v1/incidents/${fired!.data.key}` });
    expect(one.status).toBe(200);
    expect(one.body.timeline.map((t: { what: string; eventId?: string }) => [t.what, t.eventId])).toEqual([['opened', fired!.data.eventIds[0]], ['fired', fired!.id]]);

    expect((await api(h, { method: 'GET', path: '/v1/incidents', query: { state: 'open' } })).body.error).toMatchObject({ code: 'invalid_state', field: 'state' });
    expect((await api(h, { method: 'GET', path: '/v1/incidents', query: { type: 'offline' } })).body.error).toMatchObject({ code: 'invalid_type', field: 'type' });
    expect((await api(h, { method: 'GET', path: '/v1/incidents', query: { cursor: 'x' } })).body.error).toMatchObject({ code: 'invalid_cursor', field: 'cursor' });
    expect((await api(h, { method: 'GET', path: '/v1/incidents/agent.offline.nope.1' })).status).toBe(404);
    expect((await api(h, { method: 'GET', path: '/v1/incidents/Not_A_Key' })).body.error).toMatchObject({ code: 'invalid_key', field: 'key' });
  }, 180_000);

  test('an acknowledgement is told once and stops the repeats; a pending incident is 409 not_firing; a read-only token is 403', async () => {
    const [failing, offline] = [uuidOf(0xd2001), uuidOf(0xd2002)];
    emulator.script(failing, 'port', [{ atMs: 0, state: 'FAILED' }]);
    emulator.addAgent(offline, { online: false });
    const store = await openMemoryStore(cleanups);
    const h = setup(store, { WATCH_UUIDS: `${failing},${offline}`, WATCH_KINDS: 'port', ALERT_REPEAT_EVERY: '2s', ALERT_OFFLINE_FOR: '1h' });
    await sweepUntil('a repeat', [h], () => notifications(h.sink.events, 'repeat').length >= 1);
    const key = notifications(h.sink.events, 'firing').find((e) => e.data.type === 'collection.failed')!.data.key;

    const ack = { method: 'POST', path: `/v1/incidents/${key}/ack`, body: JSON.stringify({ by: 'alice', comment: 'restarting the agent' }) };
    expect((await api(h, ack, VIEWER_TOKEN)).status).toBe(403);
    expect((await api(h, { ...ack, body: JSON.stringify({ comment: 'who?' }) })).body.error).toMatchObject({ code: 'invalid_body', field: 'by' });
    const acked = await api(h, ack);
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ key, state: 'firing', acknowledged: true, acknowledgedBy: 'alice', comment: 'restarting the agent' });
    expect(acked.body).not.toHaveProperty('nextRepeatAt');
    const again = await api(h, { ...ack, body: JSON.stringify({ by: 'bob' }) });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ acknowledgedBy: 'alice' });
    const pendingKey = (await store.listIncidents({ limit: 10, state: 'pending' })).incidents[0]!.key;
    const refused = await api(h, { method: 'POST', path: `/v1/incidents/${pendingKey}/ack`, body: JSON.stringify({ by: 'alice' }) });
    expect(refused).toMatchObject({ status: 409, body: { state: 'pending', error: { code: 'not_firing' } } });

    // Three repeat periods after the acknowledgement: it was told once, and nothing repeated since.
    const ackedAt = Date.now();
    await sweepUntil('three repeat periods after the acknowledgement', [h], () => Date.now() - ackedAt >= 6_000 && notifications(h.sink.events, 'acknowledged').length >= 1);
    const told = notifications(h.sink.events, 'acknowledged');
    expect(told).toHaveLength(1);
    expect(told[0]!.data).toMatchObject({ key, acknowledged: true, acknowledgedBy: 'alice', comment: 'restarting the agent' });
    const ofKey = incidentEvents(h.sink.events).filter((e) => e.data.key === key).map((e) => e.data.notification);
    expect(ofKey.slice(ofKey.indexOf('acknowledged'))).toEqual(['acknowledged']);
    expectValid(h.sink.events);
  }, 180_000);
});

describe('what a collection found', () => {
  test('a port a snapshot adds is a port.opened incident until a later snapshot no longer lists it', async () => {
    const uuid = randomUUID();
    emulator.setHost(uuid, { ports: [{ port: 22, pid: 100, processName: 'sshd' }], processes: [] });
    const store = await openMemoryStore(cleanups);
    const h = setup(store, { WATCH_UUIDS: uuid, WATCH_KINDS: 'port' });
    // A collection long enough for the sweep to see it run (terminal keys are checked every second here).
    const collect = async (what: string, done: () => boolean) => {
      emulator.startTask(uuid, 'port', { collectMs: 1500 });
      await sweepUntil(what, [h], done);
    };
    await collect('the baseline', () => h.logLines.some((l) => l.includes('baseline snapshot stored')));
    expect(incidentEvents(h.sink.events)).toEqual([]);

    emulator.openPort(uuid, { port: 6379, pid: 300, processName: 'redis-server' });
    await collect('port.opened firing', () => notifications(h.sink.events, 'firing').length >= 1);
    const [opened] = notifications(h.sink.events, 'firing');
    expect(opened!.data).toMatchObject({ type: 'port.opened', port: 6379, processName: 'redis-server', kind: 'port', summary: expect.stringContaining('port 6379 (redis-server) opened') });
    const portsChanged = h.sink.events.find((e) => e.type === 'com.tencentcloud.cwp.ports.changed')!;
    expect(opened!.data.eventIds).toEqual([portsChanged.id]);

    // A collection that still lists it (another pid) resolves nothing.
    emulator.changeHost(uuid, (host) => { host.ports.find((p) => p.port === 6379)!.pid = 301; });
    emulator.openPort(uuid, { port: 8080, pid: 400, processName: 'java' });
    await collect('the next port opened', () => notifications(h.sink.events, 'firing').length >= 2);
    expect(notifications(h.sink.events, 'resolved')).toEqual([]);

    emulator.closePort(uuid, 6379);
    await collect('port.opened resolved', () => notifications(h.sink.events, 'resolved').length >= 1);
    const [closed] = notifications(h.sink.events, 'resolved');
    expect(closed!.data).toMatchObject({ key: opened!.data.key, reason: 'recovered', port: 6379 });
    expectValid(h.sink.events);
  }, 180_000);

  test('a process started from /tmp is a process.suspicious incident; other new processes stay events', async () => {
    const uuid = randomUUID();
    emulator.setHost(uuid, { processes: [{ pid: 10, ppid: 1, processName: 'nginx', username: 'www', fullPath: '/usr/sbin/nginx' }], ports: [] });
    const store = await openMemoryStore(cleanups);
    const h = setup(store, { WATCH_UUIDS: uuid, WATCH_KINDS: 'process' });
    const collect = async (what: string, done: () => boolean) => {
      emulator.startTask(uuid, 'process', { collectMs: 1500 });
      await sweepUntil(what, [h], done);
    };
    await collect('the baseline', () => h.logLines.some((l) => l.includes('baseline snapshot stored')));

    const pid = emulator.startProcess(uuid, { processName: 'kdevtmpfsi', username: 'nobody', fullPath: '/tmp/kdevtmpfsi' });
    emulator.startProcess(uuid, { processName: 'cron', username: 'root', fullPath: '/usr/sbin/cron' });
    await collect('process.suspicious firing', () => notifications(h.sink.events, 'firing').length >= 1);
    const fired = notifications(h.sink.events, 'firing');
    expect(fired.map((e) => e.data)).toEqual([expect.objectContaining({ type: 'process.suspicious', processName: 'kdevtmpfsi', fullPath: '/tmp/kdevtmpfsi', username: 'nobody', kind: 'process' })]);
    expect(h.sink.events.filter((e) => e.type === 'com.tencentcloud.cwp.processes.changed')).toHaveLength(1);

    emulator.stopProcess(uuid, pid);
    await collect('process.suspicious resolved', () => notifications(h.sink.events, 'resolved').length >= 1);
    expect(notifications(h.sink.events, 'resolved')[0]!.data).toMatchObject({ key: fired[0]!.data.key, reason: 'recovered' });
    expectValid(h.sink.events);
  }, 180_000);
});

describe('an agent no longer watched', () => {
  test('resolves its incidents with reason unwatched at the next sweep', async () => {
    const uuid = uuidOf(0xe1001);
    emulator.script(uuid, 'process', [{ atMs: 0, state: 'FAILED' }]);
    const store = await openMemoryStore(cleanups);
    await store.putWatch(uuid, ['process'], Date.now());
    const h = setup(store, {});
    await sweepUntil('collection.failed firing', [h], () => notifications(h.sink.events, 'firing').length >= 1);

    expect((await api(h, { method: 'DELETE', path: `/v1/watches/${uuid}` })).status).toBe(200);
    await runSweep(h.deps, sweepFor(1000));
    const [resolved] = notifications(h.sink.events, 'resolved');
    expect(resolved!.data).toMatchObject({ key: notifications(h.sink.events, 'firing')[0]!.data.key, reason: 'unwatched', state: 'resolved' });
    expect(await store.openIncidentsOf(uuid)).toEqual([]);
    expectValid(h.sink.events);
  }, 180_000);
});
