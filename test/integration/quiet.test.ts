// Silences, maintenance windows and expectations end to end against the emulator over real HTTP and signatures,
// with a WeCom robot that checks what it is sent (test/helpers/chat-receivers.ts) and a recording sink beside it:
// a silence on 10 of 60 agents that go offline leaves 50 in the robot's messages and all 60 firing in the API, and
// ending it early notifies the 10 and says once that it ended; a silence whose held-back incidents all resolved tells
// the robot once, in one digest line, when it ends; a weekly window on db-* holds back db hosts' incidents inside it and not outside,
// on an injected clock across a midnight and a daylight-saving change; an expectation for 6379 on redis-* opens no
// port.opened there and does elsewhere, counting its hits; accepting an incident quiets the next collection; a
// `read` token gets 403 on each write route. Every wait is for a condition, in rounds of sweeps.
import { randomBytes, randomUUID } from 'node:crypto';
import { startEmulator, type Emulator } from '../../dev/emulator';
import { EVENT_TYPES, type CloudEvent, type IncidentChangedEvent } from '../../lib/events/types';
import { handleHttp } from '../../lib/http';
import { createLogger } from '../../lib/log';
import { LocalRequestBudget } from '../../lib/ratelimit/budget';
import { buildChatRobotSink } from '../../lib/sinks/chat/build';
import { EVERY_EVENT, withRoute } from '../../lib/sinks/route';
import type { StateStore } from '../../lib/state/store';
import { runSweep } from '../../lib/sweep';
import { ChatRobotReceiver } from '../helpers/chat-receivers';
import { eventSchemaProblems } from '../helpers/event-schema';
import { functionUrlEvent, parseResponse, type ParsedResponse } from '../helpers/scf-events';
import { harness, RecordingSink, sweepUntil, uuidOf, type BackendFactory, type Harness } from '../helpers/sweep-harness';
import { YunjingClient } from '../../lib/cwp/yunjing';
import { memoryStore as openMemoryStore, runCleanups, type Cleanup } from '../helpers/test-stores';

const OPS_TOKEN = `ops-${randomBytes(12).toString('hex')}`;
const VIEWER_TOKEN = `viewer-${randomBytes(12).toString('hex')}`;
const FAST = { POLL_OFFLINE_SECONDS: '1', POLL_TERMINAL_SECONDS: '1', API_TOKENS: `ops:read+alerts:${OPS_TOKEN},viewer:read:${VIEWER_TOKEN}`, WATCH_DISCOVER: 'CVM:ap-guangzhou', WATCH_KINDS: 'process' };

let emulator: Emulator;
const cleanups: Cleanup[] = [];
const receivers: ChatRobotReceiver[] = [];

beforeEach(async () => {
  emulator = await startEmulator({ quiet: true, defaultCollectMs: 300 });
});

afterEach(async () => {
  await runCleanups(cleanups);
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await emulator.close();
});

interface Setup extends Harness {
  sink: RecordingSink;
  robot: ChatRobotReceiver;
}

/** A sweep against the emulator publishing to a WeCom robot and a sink that records every event. */
async function setup(store: StateStore, env: Record<string, string> = {}, backend?: BackendFactory): Promise<Setup> {
  const robot = await ChatRobotReceiver.start('wecom');
  receivers.push(robot);
  // The robot takes incidents only (WECOM_EVENT_TYPES=incident.changed): the status events of the silenced hosts are
  // the record, never held back, and would name them.
  const chat = withRoute(buildChatRobotSink({ kind: 'wecom', url: robot.url, secret: null, template: null }, { budget: (r, b) => new LocalRequestBudget(r, b), timeoutMs: 3000 }), { ...EVERY_EVENT, types: ['com.tencentcloud.cwp.incident.changed'] });
  const sink = new RecordingSink(`quiet-${randomUUID()}`, 'all');
  const h = harness(emulator, store, { ...FAST, ...env }, [sink, chat], backend);
  cleanups.push(h.close);
  return { ...h, sink, robot };
}

const incidentEvents = (events: readonly CloudEvent[]): IncidentChangedEvent[] => events.filter((e): e is IncidentChangedEvent => e.type === 'com.tencentcloud.cwp.incident.changed');
const firings = (events: readonly CloudEvent[]) => incidentEvents(events).filter((e) => e.data.notification === 'firing');

/** One request to the api function's core, with the harness's configuration and store. */
async function api(h: Harness, call: { method: string; path: string; query?: Record<string, string>; body?: unknown }, token = OPS_TOKEN, now?: () => number): Promise<ParsedResponse> {
  const deps = { config: h.config, store: h.deps.store as StateStore, cwp: h.deps.cwp as never, logger: createLogger({ write: () => undefined }), ...(now ? { now } : {}) };
  const body = call.body === undefined ? undefined : JSON.stringify(call.body);
  return parseResponse(await handleHttp(functionUrlEvent({ method: call.method, path: call.path, ...(call.query ? { query: call.query } : {}), ...(body ? { body } : {}), headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) } }), undefined, deps));
}

/** How many held-back incidents the robot was told of when their silence ended: a digest's count, or one per single message. */
/** A single message of one released firing: its "Held back" fact. */
const RELEASED_ALONE = /held back\W+by a silence or maintenance window that ended/i;

function robotReleased(robot: ChatRobotReceiver): number {
  let n = 0;
  for (const a of robot.accepted) {
    const digest = [...a.text.matchAll(/(\d+) incidents? it held back/g)];
    if (digest.length > 0) for (const m of digest) n += Number(m[1]);
    else if (RELEASED_ALONE.test(a.text)) n++;
  }
  return n;
}

/**
 * How many incidents the robot's messages say fired: a digest's "FIRING · N agents offline", else one per single
 * "FIRING · web-01 …" message; a message of released firings ("A silence or maintenance window ended") is not counted.
 */
function robotFirings(robot: ChatRobotReceiver): number {
  let n = 0;
  for (const a of robot.accepted) {
    if (/incidents? it held back/.test(a.text) || RELEASED_ALONE.test(a.text)) continue;
    const digest = [...a.text.matchAll(/FIRING · (\d+) agents? offline/g)];
    if (digest.length > 0) for (const m of digest) n += Number(m[1]);
    else if (a.text.includes('FIRING · ')) n++;
  }
  return n;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** 01:00Z of the first last-Sunday-of-March after `after`: when Europe/Berlin springs forward (02:00 CET -> 03:00 CEST). */
function nextSpringForward(after: number): number {
  for (let year = new Date(after).getUTCFullYear(); ; year++) {
    const march31 = new Date(Date.UTC(year, 2, 31, 1));
    const at = march31.getTime() - march31.getUTCDay() * 86_400_000;
    if (at > after) return at;
  }
}

const name = (prefix: string, i: number) => `${prefix}-${String(i).padStart(2, '0')}`;

describe('a silence', () => {
  test('on 10 of 60 agents going offline leaves 50 in the robot\'s messages and 60 firing in the API; ended early, the 10 are notified', async () => {
    const hosts = [...Array.from({ length: 50 }, (_, i) => ({ uuid: uuidOf(0x51000 + i), name: name('web', i + 1) })), ...Array.from({ length: 10 }, (_, i) => ({ uuid: uuidOf(0x52000 + i), name: name('db', i + 1) }))];
    for (const [i, m] of hosts.entries()) emulator.addMachine({ uuid: m.uuid, region: 'ap-guangzhou', name: m.name, ip: `10.0.${i >> 8}.${i & 255}` });
    const store = await openMemoryStore(cleanups);
    const h = await setup(store, { ALERT_OFFLINE_FOR: '1s' });
    const keys = hosts.map((m) => ({ uuid: m.uuid, kind: 'process' as const }));
    await sweepUntil('every agent watched and checked', [h], async () => (await store.getRecords(keys)).every((r) => r !== null && r.state !== null && r.lastChecked !== null), { roundMs: 3000 });

    // A broad silence is refused without force; the db hosts' one is made.
    const broad = await api(h, { method: 'POST', path: '/v1/silences', body: { matchers: [{ name: 'type', value: 'agent.offline' }], endsAt: new Date(Date.now() + 3_600_000).toISOString(), createdBy: 'alice', comment: 'reboot' } });
    expect(broad).toMatchObject({ status: 409, body: { error: { code: 'too_broad' } } });
    const made = await api(h, { method: 'POST', path: '/v1/silences', body: { matchers: [{ name: 'machineName', value: 'db-*', op: 'glob' }], endsAt: new Date(Date.now() + 3_600_000).toISOString(), createdBy: 'alice', comment: 'planned reboot of the db hosts' } });
    expect(made.status).toBe(201);
    const silenceId = made.body.id as string;
    expect(made.body).toMatchObject({ state: 'active', createdBy: 'alice', comment: 'planned reboot of the db hosts', heldBack: 0 });

    for (const m of hosts) emulator.setOnline(m.uuid, false);
    const firingInApi = async () => (await store.listIncidents({ limit: 100, state: 'firing' })).incidents.length;
    await sweepUntil('60 incidents firing, 50 told', [h], async () => (await firingInApi()) === 60 && firings(h.sink.events).length >= 50 && robotFirings(h.robot) >= 50, { roundMs: 4000 });
    const told = firings(h.sink.events);
    expect(told).toHaveLength(50);
    expect(told.every((e) => e.data.agent.machineName!.startsWith('web-'))).toBe(true);
    expect(robotFirings(h.robot)).toBe(50);
    expect(h.robot.accepted.some((a) => a.text.includes('db-'))).toBe(false);

    const listed = await api(h, { method: 'GET', path: '/v1/incidents', query: { state: 'firing', limit: '100' } });
    expect(listed.status).toBe(200);
    const incidents = listed.body.incidents as Array<{ agent: { machineName: string }; silencedBy?: string[] }>;
    expect(incidents).toHaveLength(60);
    for (const i of incidents) expect(i.silencedBy).toEqual(i.agent.machineName.startsWith('db-') ? [silenceId] : undefined);

    // Ended early: the next sweep notifies the 10 still firing, says once that it ended, and it lists as expired.
    const ended = await api(h, { method: 'DELETE', path: `/v1/silences/${silenceId}` });
    expect(ended).toMatchObject({ status: 200, body: { id: silenceId, state: 'expired', endedBy: 'ops' } });
    const endLine = 'Silence "planned reboot of the db hosts" by alice ended (ended early by ops): it held back 10 incidents, 10 still firing';
    await sweepUntil('the 10 notified, and the silence said to have ended', [h], () => firings(h.sink.events).length >= 60 && robotReleased(h.robot) >= 10 && h.robot.accepted.some((a) => a.text.includes(endLine)), { roundMs: 3000 });
    expect(robotReleased(h.robot)).toBe(10);
    expect(h.robot.accepted.filter((a) => a.text.includes(endLine))).toHaveLength(1);
    expect(robotFirings(h.robot)).toBe(50);
    const late = firings(h.sink.events).slice(50);
    expect(late).toHaveLength(10);
    expect(late.every((e) => e.data.agent.machineName!.startsWith('db-') && e.data.previous === 'firing')).toBe(true);
    expect(h.logLines.filter((l) => l.includes('"silence ended"') && l.includes(silenceId))).toHaveLength(1);
    const expired = await api(h, { method: 'GET', path: '/v1/silences', query: { state: 'expired' } });
    expect(expired.body.silences).toEqual([expect.objectContaining({ id: silenceId, heldBack: 10, createdBy: 'alice' })]);
    expect((await api(h, { method: 'GET', path: '/v1/silences', query: { state: 'active' } })).body.silences).toEqual([]);
    for (const e of incidentEvents(h.sink.events)) expect(eventSchemaProblems(e)).toEqual([]);
  }, 240_000);

  test('whose held-back incidents all resolved meanwhile, ended, tells the robot once in one digest line, and no other sink', async () => {
    const hosts = [...Array.from({ length: 3 }, (_, i) => ({ uuid: uuidOf(0x53000 + i), name: name('db', i + 1) })), { uuid: uuidOf(0x54000), name: 'web-01' }];
    for (const [i, m] of hosts.entries()) emulator.addMachine({ uuid: m.uuid, region: 'ap-guangzhou', name: m.name, ip: `10.2.0.${i + 1}` });
    const store = await openMemoryStore(cleanups);
    const h = await setup(store, { ALERT_OFFLINE_FOR: '1s' });
    const keys = hosts.map((m) => ({ uuid: m.uuid, kind: 'process' as const }));
    await sweepUntil('every agent watched and checked', [h], async () => (await store.getRecords(keys)).every((r) => r !== null && r.state !== null && r.lastChecked !== null), { roundMs: 3000 });
    const made = await api(h, { method: 'POST', path: '/v1/silences', body: { matchers: [{ name: 'machineName', value: 'db-*', op: 'glob' }], endsAt: new Date(Date.now() + 3_600_000).toISOString(), createdBy: 'alice', comment: 'db kernel update' } });
    expect(made.status).toBe(201);

    // Down and back while silenced: the robot hears of web-01 only; the db hosts' incidents fire and resolve unsent.
    for (const m of hosts) emulator.setOnline(m.uuid, false);
    const firingInApi = async () => (await store.listIncidents({ limit: 100, state: 'firing' })).incidents.length;
    await sweepUntil('4 incidents firing, web-01 told', [h], async () => (await firingInApi()) === 4 && robotFirings(h.robot) >= 1, { roundMs: 3000 });
    for (const m of hosts) emulator.setOnline(m.uuid, true);
    await sweepUntil('every incident resolved', [h], async () => (await firingInApi()) === 0 && (await store.listIncidents({ limit: 100, state: 'resolved' })).incidents.length === 4, { roundMs: 3000 });

    const silenceId = made.body.id as string;
    expect((await api(h, { method: 'DELETE', path: `/v1/silences/${silenceId}` })).status).toBe(200);
    const endLine = 'Silence "db kernel update" by alice ended (ended early by ops): it held back 3 incidents, all resolved';
    await sweepUntil('the robot told that the silence ended', [h], () => h.robot.accepted.some((a) => a.text.includes(endLine)), { roundMs: 3000 });
    await sweepUntil('one more sweep', [h], (() => {
      let rounds = 0;
      return () => rounds++ > 0;
    })(), { roundMs: 2000 });
    expect(h.robot.accepted.filter((a) => a.text.includes(endLine))).toHaveLength(1);
    expect(h.robot.accepted.some((a) => /db-0\d/.test(a.text))).toBe(false);
    expect(robotReleased(h.robot)).toBe(0);
    // The recording sink takes every published type; the notice is none of them.
    expect(h.sink.events.filter((e) => !(EVENT_TYPES as readonly string[]).includes(e.type))).toEqual([]);
    expect(h.logLines.filter((l) => l.includes('"silence ended"') && l.includes(silenceId))).toHaveLength(1);
    expect(await store.countOutbox()).toBe(0);
  }, 240_000);
});

describe('a weekly maintenance window', () => {
  test('holds back db-* incidents inside it and not outside, past midnight and the spring-forward change of Europe/Berlin', async () => {
    const hosts = [{ uuid: uuidOf(0x61001), name: 'db-01' }, { uuid: uuidOf(0x61002), name: 'web-01' }, { uuid: uuidOf(0x61003), name: 'db-02' }];
    for (const [i, m] of hosts.entries()) emulator.addMachine({ uuid: m.uuid, region: 'ap-guangzhou', name: m.name, ip: `10.1.0.${i + 1}` });
    // The injected clock: real time shifted to the next night from a Saturday into the last Sunday of March, when
    // Berlin's clocks jump from 02:00 CET to 03:00 CEST (01:00Z). Ahead of real time, so every deadline the sweep
    // sets on its clock is still ahead on the real one.
    const jump = nextSpringForward(Date.now() + 86_400_000);
    let offset = 0;
    const clock = () => Date.now() + offset;
    const setClock = (at: number) => {
      offset = at - Date.now();
    };
    // The sweep and the CWP backend's observations (the time of every change) both read it.
    const store = await openMemoryStore(cleanups);
    const h = await setup(store, {}, (caller) => new YunjingClient(caller, clock));
    const sweepAt = async (what: string, done: () => boolean | Promise<boolean>) => {
      const ceiling = Date.now() + 90_000;
      while (!(await done())) {
        if (Date.now() > ceiling) throw new Error(`timed out waiting for ${what}`);
        const at = clock();
        await runSweep({ ...h.deps, now: clock }, { requestId: randomUUID(), pollUntil: at + 2500, publishUntil: at + 4500, keepPolling: true });
      }
    };
    setClock(jump - 5 * HOUR); // Sat 21:00 CET, before the window
    const keys = hosts.map((m) => ({ uuid: m.uuid, kind: 'process' as const }));
    await sweepAt('every agent checked', async () => (await store.getRecords(keys)).every((r) => r?.lastChecked != null));

    // Sat 23:00 to 04:00 the next morning (crosses midnight), wall-clock time in Berlin.
    const made = await api(h, { method: 'POST', path: '/v1/maintenance', body: { matchers: [{ name: 'machineName', value: 'db-*', op: 'glob' }], days: ['Sat'], start: '23:00', end: '04:00', timezone: 'Europe/Berlin', createdBy: 'ops', comment: 'weekly patching' } }, OPS_TOKEN, clock);
    expect(made.status).toBe(201);

    // Sun 03:30 CEST (01:30Z): after midnight and after the jump, inside the window. db-01 and web-01 fail.
    setClock(jump + 30 * MINUTE);
    emulator.script(hosts[0]!.uuid, 'process', [{ atMs: 0, state: 'FAILED' }]);
    emulator.script(hosts[1]!.uuid, 'process', [{ atMs: 0, state: 'FAILED' }]);
    const firingOf = async (uuid: string) => (await store.openIncidentsOf(uuid)).filter((i) => i.state === 'firing');
    await sweepAt('both firing', async () => (await firingOf(hosts[0]!.uuid)).length === 1 && (await firingOf(hosts[1]!.uuid)).length === 1 && firings(h.sink.events).length >= 1);
    expect(firings(h.sink.events).map((e) => e.data.agent.machineName)).toEqual(['web-01']);
    const [held] = await firingOf(hosts[0]!.uuid);
    expect(held).toMatchObject({ notified: false, silencedBy: [made.body.id] });

    // Sun 04:30 CEST (02:30Z): the window is over. db-01's firing is notified now; db-02 failing now is told at once.
    setClock(jump + 90 * MINUTE);
    emulator.script(hosts[2]!.uuid, 'process', [{ atMs: 0, state: 'FAILED' }]);
    await sweepAt('db-01 released, db-02 told', () => firings(h.sink.events).length >= 3);
    expect(firings(h.sink.events).map((e) => [e.data.agent.machineName, e.data.previous])).toEqual([['web-01', null], ['db-01', 'firing'], ['db-02', null]]);
    const windows = await api(h, { method: 'GET', path: '/v1/maintenance' }, OPS_TOKEN, clock);
    expect(windows.body.windows).toEqual([expect.objectContaining({ id: made.body.id, origin: 'api', heldBack: 1, timezone: 'Europe/Berlin' })]);
  }, 240_000);
});

describe('expectations', () => {
  test('6379 expected on redis-* opens no port.opened there and does elsewhere; accepting one quiets the next collection', async () => {
    const hosts = [{ uuid: uuidOf(0x71001), name: 'redis-01' }, { uuid: uuidOf(0x71002), name: 'web-01' }];
    for (const [i, m] of hosts.entries()) {
      emulator.addMachine({ uuid: m.uuid, region: 'ap-guangzhou', name: m.name, ip: `10.2.0.${i + 1}` });
      emulator.setHost(m.uuid, { ports: [{ port: 22, pid: 100, processName: 'sshd' }], processes: [] });
    }
    const store = await openMemoryStore(cleanups);
    const h = await setup(store, { WATCH_KINDS: 'port' });
    const collect = async (what: string, done: () => boolean | Promise<boolean>) => {
      for (const m of hosts) emulator.startTask(m.uuid, 'port', { collectMs: 1500 });
      await sweepUntil(what, [h], done);
    };
    const snapshots = () => h.logLines.filter((l) => l.includes('baseline snapshot stored') || l.includes('ports changed')).length;
    await collect('both baselines', () => h.logLines.filter((l) => l.includes('baseline snapshot stored')).length >= 2);

    const made = await api(h, { method: 'POST', path: '/v1/expectations', body: { matchers: [{ name: 'machineName', value: 'redis-*', op: 'glob' }], ports: [{ port: 6379 }], createdBy: 'ops', comment: 'redis listens on 6379' } });
    expect(made).toMatchObject({ status: 201, body: { hits: 0, lastHitAt: null } });
    for (const m of hosts) emulator.openPort(m.uuid, { port: 6379, pid: 300, processName: 'redis-server' });
    const before = snapshots();
    await collect('6379 seen on both', () => snapshots() >= before + 2 && firings(h.sink.events).length >= 1);
    expect(firings(h.sink.events).map((e) => [e.data.agent.machineName, e.data.port])).toEqual([['web-01', 6379]]);
    expect((await store.openIncidentsOf(hosts[0]!.uuid))).toEqual([]);
    const listed = await api(h, { method: 'GET', path: '/v1/expectations' });
    expect(listed.body.expectations).toEqual([expect.objectContaining({ id: made.body.id, hits: 1, lastHitAt: expect.any(String) })]);

    // Accepted: resolved, and an expectation for web-01 made; the port closing and opening again opens nothing.
    const key = firings(h.sink.events)[0]!.data.key;
    const accepted = await api(h, { method: 'POST', path: `/v1/incidents/${key}/accept`, body: { by: 'bob', comment: 'web-01 runs a cache now' } });
    expect(accepted).toMatchObject({ status: 200, body: { incident: { key, state: 'resolved', resolvedReason: 'accepted' }, expectation: { createdBy: 'bob', ports: [{ port: 6379, processName: 'redis-server' }] } } });
    const again = await api(h, { method: 'POST', path: `/v1/incidents/${key}/accept`, body: { by: 'bob', comment: 'twice' } });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'not_open' } } });
    emulator.closePort(hosts[1]!.uuid, 6379);
    const closedAt = snapshots();
    await collect('6379 closed on web-01', () => snapshots() >= closedAt + 1);
    emulator.openPort(hosts[1]!.uuid, { port: 6379, pid: 301, processName: 'redis-server' });
    const reopenedAt = snapshots();
    await collect('6379 open again on web-01', () => snapshots() >= reopenedAt + 1);
    expect(firings(h.sink.events)).toHaveLength(1);
    expect(await store.openIncidentsOf(hosts[1]!.uuid)).toEqual([]);
    const after = (await api(h, { method: 'GET', path: '/v1/expectations' })).body.expectations as Array<{ id: string; hits: number }>;
    expect(after.find((e) => e.id === (accepted.body.expectation as { id: string }).id)?.hits).toBe(1);
  }, 240_000);
});

describe('scopes', () => {
  test('a read token gets 403 on each write route, and may list', async () => {
    const store = await openMemoryStore(cleanups);
    const h = await setup(store);
    const id = randomUUID();
    for (const call of [
      { method: 'POST', path: '/v1/silences', body: {} },
      { method: 'DELETE', path: `/v1/silences/${id}` },
      { method: 'POST', path: '/v1/maintenance', body: {} },
      { method: 'DELETE', path: `/v1/maintenance/${id}` },
      { method: 'POST', path: '/v1/expectations', body: {} },
      { method: 'DELETE', path: `/v1/expectations/${id}` },
      { method: 'POST', path: '/v1/incidents/port.opened.x.1/accept', body: {} },
    ]) {
      expect(await api(h, call, VIEWER_TOKEN)).toMatchObject({ status: 403, body: { error: { code: 'insufficient_scope' } } });
    }
    for (const path of ['/v1/silences', '/v1/maintenance', '/v1/expectations']) expect((await api(h, { method: 'GET', path }, VIEWER_TOKEN)).status).toBe(200);
  });
});
