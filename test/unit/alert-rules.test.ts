// The incident rules (lib/alerts/rules.ts) walked as tables: what each source (a status change, a results change,
// the clock, an acknowledgement, the listing's ONLINE, an agent no longer watched) does to an agent's open
// incidents, which changes are told (incident.changed, valid against its schema) and which are not (a blip).
import {
  acknowledgeIncident, EVENT_IDS_FIRST, EVENT_IDS_LAST, hostLabel, incidentDueAt, incidentForClock, incidentKey, incidentsForAgentOnline, incidentsForResultsChange,
  incidentsForStatusChange, incidentsForUnwatched, isSuspicious, TIMELINE_FIRST, TIMELINE_LAST, type AlertContext,
} from '../../lib/alerts/rules';
import { INCIDENT_TYPES, type Incident, type IncidentWrite } from '../../lib/alerts/types';
import type { PortItem, ProcessItem } from '../../lib/events/types';
import type { TaskKind, TaskState } from '../../lib/types';
import { eventSchemaProblems } from '../helpers/event-schema';
import { TEST_STORE_ID } from '../helpers/events';

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const T = Date.UTC(2026, 10, 24, 10);
const MACHINE = { name: 'web-01', ip: '10.0.0.5' };
const ctx = (over: Partial<AlertContext['settings']> = {}): AlertContext => ({
  storeId: TEST_STORE_ID,
  source: '/cwp-task-bridge/ap-guangzhou',
  settings: { offlineForMs: 120_000, repeatEveryMs: 4 * 3_600_000, processNames: ['xmrig'], types: [...INCIDENT_TYPES], retentionMs: 30 * 86_400_000, ...over },
});

/** Every write's event conforms to the schema; the writes, for the test to look at. */
function told(writes: IncidentWrite[]): IncidentWrite[] {
  for (const w of writes) if (w.event) expect(eventSchemaProblems(w.event)).toEqual([]);
  return writes;
}

const statusChange = (state: TaskState, open: Incident[] = [], kind: TaskKind = 'process', at = T, c = ctx()) =>
  told(incidentsForStatusChange(c, { uuid: UUID, kind, state, eventId: `ev-${kind}-${state}-${at}`, at, machine: MACHINE, open }));

/** The writes as a table row: [type, state, notification or null, new?]. */
const rows = (writes: IncidentWrite[]) => writes.map((w) => [w.incident.type, w.incident.state, w.event?.data.notification ?? null, w.expectedRevision === 0]);

/** An agent's open incidents after some status changes, as the store would hold them. */
function after(...changes: Array<[TaskState, TaskKind?, number?]>): Incident[] {
  let open: Incident[] = [];
  for (const [state, kind, at] of changes) {
    for (const w of statusChange(state, open, kind, at ?? T)) {
      open = open.filter((i) => i.key !== w.incident.key);
      if (w.incident.state !== 'resolved') open.push(w.incident);
    }
  }
  return open;
}

describe('status changes', () => {
  test.each([
    ['the first AGENT_OFFLINE opens agent.offline pending, telling nobody', [], 'AGENT_OFFLINE', 'process', [['agent.offline', 'pending', null, true]]],
    ['the other kind going offline too only notes its event', [['AGENT_OFFLINE', 'process']], 'AGENT_OFFLINE', 'port', [['agent.offline', 'pending', null, false]]],
    ['any answer resolves a pending agent.offline, telling nobody (a blip)', [['AGENT_OFFLINE', 'process']], 'COMPLETE', 'port', [['agent.offline', 'resolved', null, false]]],
    ['FAILED opens collection.failed firing at once', [], 'FAILED', 'port', [['collection.failed', 'firing', 'firing', true]]],
    ['the next COMPLETE of that kind resolves it, told', [['FAILED', 'port']], 'COMPLETE', 'port', [['collection.failed', 'resolved', 'resolved', false]]],
    ['a COMPLETE of the other kind leaves it firing', [['FAILED', 'port']], 'COMPLETE', 'process', []],
    ['COLLECTING after FAILED leaves it firing (a new try, not a success)', [['FAILED', 'port']], 'COLLECTING', 'port', []],
    ['UNKNOWN_AGENT opens agent.unknown firing at once', [], 'UNKNOWN_AGENT', 'process', [['agent.unknown', 'firing', 'firing', true]]],
    ['any other state resolves agent.unknown', [['UNKNOWN_AGENT', 'process']], 'NO_TASK', 'process', [['agent.unknown', 'resolved', 'resolved', false]]],
    ['a change that concerns no incident writes none', [], 'COLLECTING', 'process', []],
  ] as const)('%s', (_name, before, state, kind, expected) => {
    const open = after(...before.map(([s, k]) => [s, k] as [TaskState, TaskKind]));
    expect(rows(statusChange(state, open, kind))).toEqual(expected);
  });

  test('ALERT_OFFLINE_FOR=0 fires agent.offline as it opens (previous null)', () => {
    const [w] = statusChange('AGENT_OFFLINE', [], 'process', T, ctx({ offlineForMs: 0 }));
    expect(w!.incident).toMatchObject({ state: 'firing', firingAt: T, fireAt: null, nextRepeatAt: T + 4 * 3_600_000, notified: true });
    expect(w!.event!.data).toMatchObject({ notification: 'firing', previous: null, state: 'firing', durationSeconds: 0 });
  });

  test('a pending agent.offline is due at ALERT_OFFLINE_FOR after it opened', () => {
    const [w] = statusChange('AGENT_OFFLINE');
    expect(w!.incident.fireAt).toBe(T + 120_000);
    expect(incidentDueAt(w!.incident)).toBe(T + 120_000);
  });

  test('an incident names the agent, its machine, the events that changed it and one line to read', () => {
    const [w] = statusChange('FAILED', [], 'port');
    expect(w!.incident).toMatchObject({
      type: 'collection.failed', subject: `collection.failed/${UUID}/port`, kind: 'port', severity: 'warning',
      agent: { uuid: UUID, machineName: 'web-01', machineIp: '10.0.0.5' }, summary: 'open-port collection failed on web-01 (10.0.0.5)',
      eventIds: [`ev-port-FAILED-${T}`], revision: 1,
    });
    expect(w!.event).toMatchObject({ subject: w!.incident.key, data: { key: w!.incident.key, uuid: UUID, kind: 'port', eventIds: [`ev-port-FAILED-${T}`] } });
  });

  test('the timeline of a fired incident names the notification event', () => {
    const [w] = statusChange('UNKNOWN_AGENT');
    expect(w!.incident.timeline).toEqual([
      { at: T, what: 'opened', eventId: `ev-process-UNKNOWN_AGENT-${T}` },
      { at: T, what: 'fired', eventId: w!.event!.id },
    ]);
  });
});

describe('incident keys', () => {
  test('are URL-safe, one per episode, and tell the incidents of one agent apart', () => {
    const keys = [
      incidentKey('agent.offline', UUID, null, T), incidentKey('agent.offline', UUID, null, T + 1),
      incidentKey('collection.failed', UUID, 'port', T), incidentKey('collection.failed', UUID, 'process', T),
      incidentKey('agent.offline', UUID.toUpperCase(), null, T + 2),
    ];
    for (const k of keys) expect(k).toMatch(/^[a-z0-9][a-z0-9.-]{0,254}$/);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[0]).toBe(`agent.offline.${UUID}.${T.toString(36)}`);
  });
});

describe('results changes', () => {
  const port = (port: number, processName: string, pid = 1): PortItem => ({ port, pid, processName });
  const proc = (processName: string, fullPath: string, username = 'root', pid = 1): ProcessItem => ({ pid, ppid: 1, processName, fullPath, username });
  const change = (kind: TaskKind, previous: Array<PortItem | ProcessItem>, current: Array<PortItem | ProcessItem>, open: Incident[] = [], at = T) =>
    told(incidentsForResultsChange(ctx(), { uuid: UUID, kind, previous, current, eventId: `ev-results-${at}`, at, machine: MACHINE, open }).writes);

  test('a port that a snapshot adds opens port.opened firing; one already listed does not', () => {
    const writes = change('port', [port(22, 'sshd')], [port(22, 'sshd', 9), port(6379, 'redis-server')]);
    expect(rows(writes)).toEqual([['port.opened', 'firing', 'firing', true]]);
    expect(writes[0]!.incident).toMatchObject({ port: 6379, processName: 'redis-server', kind: 'port', subject: `port.opened/${UUID}/6379/redis-server`, summary: 'port 6379 (redis-server) opened on web-01 (10.0.0.5)' });
  });

  test('a later snapshot that no longer lists the port resolves it; one that still lists it (another pid) does not', () => {
    const [opened] = change('port', [], [port(6379, 'redis-server')]);
    expect(change('port', [port(6379, 'redis-server')], [port(6379, 'redis-server', 42), port(80, 'nginx')], [opened!.incident]).filter((w) => w.incident.type === 'port.opened' && w.expectedRevision > 0)).toEqual([]);
    const closed = change('port', [port(6379, 'redis-server')], [port(22, 'sshd')], [opened!.incident], T + 60_000);
    expect(rows(closed)).toEqual([['port.opened', 'resolved', 'resolved', false], ['port.opened', 'firing', 'firing', true]]);
    expect(closed[0]!.event!.data).toMatchObject({ reason: 'recovered', durationSeconds: 60, port: 6379 });
  });

  test.each([
    ['from /tmp', 'x', '/tmp/x', true],
    ['from /var/tmp', 'x', '/var/tmp/a/x', true],
    ['from /dev/shm', 'x', '/dev/shm/x', true],
    ['from a hidden directory', 'kworker', '/usr/lib/.cache/kworker', true],
    ['that is a hidden file', 'x', '/root/.x', true],
    ['named in ALERT_PROCESS_NAMES, wherever it runs from', 'xmrig', '/usr/bin/xmrig', true],
    ['from /usr/sbin', 'nginx', '/usr/sbin/nginx', false],
    ['from /tmpfoo (not /tmp)', 'x', '/tmpfoo/x', false],
    ['with .. in its path', 'x', '/opt/app/../bin/x', false],
  ])('a process %s (%s, %s) is suspicious: %s', (_name, processName, fullPath, expected) => {
    expect(isSuspicious(proc(processName, fullPath), ['xmrig'])).toBe(expected);
  });

  test('only an added suspicious process opens process.suspicious; it resolves when a snapshot no longer lists it', () => {
    const writes = change('process', [proc('nginx', '/usr/sbin/nginx')], [proc('nginx', '/usr/sbin/nginx'), proc('sh', '/bin/sh'), proc('miner', '/tmp/.x/miner', 'nobody')]);
    expect(rows(writes)).toEqual([['process.suspicious', 'firing', 'firing', true]]);
    expect(writes[0]!.incident).toMatchObject({ processName: 'miner', fullPath: '/tmp/.x/miner', username: 'nobody', kind: 'process' });
    expect(rows(change('process', [proc('miner', '/tmp/.x/miner', 'nobody')], [], [writes[0]!.incident]))).toEqual([['process.suspicious', 'resolved', 'resolved', false]]);
  });
});

describe('the clock', () => {
  const pending = () => statusChange('AGENT_OFFLINE')[0]!.incident;

  test('a pending incident past its fireAt fires, previous pending, with its first repeat due', () => {
    const w = incidentForClock(ctx(), pending(), T + 120_000);
    told([w]);
    expect(w.incident).toMatchObject({ state: 'firing', firingAt: T + 120_000, fireAt: null, nextRepeatAt: T + 120_000 + 4 * 3_600_000, revision: 2 });
    expect(w.event!.data).toMatchObject({ notification: 'firing', previous: 'pending', durationSeconds: 120 });
  });

  test('a firing incident past nextRepeatAt repeats, numbered, with the next one due', () => {
    const firing = incidentForClock(ctx(), pending(), T + 120_000).incident;
    const r1 = incidentForClock(ctx(), firing, firing.nextRepeatAt!);
    const r2 = incidentForClock(ctx(), r1.incident, r1.incident.nextRepeatAt!);
    told([r1, r2]);
    expect([r1.event!.data.repeat, r2.event!.data.repeat]).toEqual([1, 2]);
    expect(r1.event!.data).toMatchObject({ notification: 'repeat', previous: 'firing', state: 'firing' });
    expect(r1.event!.id).not.toBe(r2.event!.id);
  });

  test('an incident claimed before it is due is written back unchanged and told nobody', () => {
    const i = pending();
    const w = incidentForClock(ctx(), i, T + 1_000);
    expect(w.event).toBeNull();
    expect(w.incident).toEqual({ ...i, revision: i.revision + 1 });
  });

  test('with ALERT_REPEAT_EVERY=0 a fired incident never repeats', () => {
    const firing = incidentForClock(ctx({ repeatEveryMs: null }), pending(), T + 120_000).incident;
    expect(firing.nextRepeatAt).toBeNull();
    expect(incidentDueAt(firing)).toBeNull();
  });
});

describe('acknowledgement', () => {
  const firing = () => statusChange('FAILED')[0]!.incident;

  test('a firing incident is acknowledged once, told, and its repeats stop', () => {
    const w = acknowledgeIncident(ctx(), firing(), 'alice', 'looking', T + 5_000);
    if (typeof w === 'string') throw new Error(w);
    told([w]);
    expect(w.incident).toMatchObject({ acknowledged: true, acknowledgedBy: 'alice', ackComment: 'looking', nextRepeatAt: null });
    expect(incidentDueAt(w.incident)).toBeNull();
    expect(w.event!.data).toMatchObject({ notification: 'acknowledged', acknowledged: true, acknowledgedBy: 'alice', comment: 'looking', state: 'firing' });
    expect(acknowledgeIncident(ctx(), w.incident, 'bob', undefined, T + 6_000)).toBe('already_acknowledged');
  });

  test.each([
    ['pending', () => statusChange('AGENT_OFFLINE')[0]!.incident],
    ['resolved', () => statusChange('COMPLETE', [statusChange('FAILED')[0]!.incident])[0]!.incident],
  ])('a %s incident cannot be acknowledged', (_state, make) => {
    expect(acknowledgeIncident(ctx(), make(), 'alice', undefined, T)).toBe('not_firing');
  });

  test('the resolution of an acknowledged incident still says it was acknowledged', () => {
    const acked = acknowledgeIncident(ctx(), firing(), 'alice', undefined, T + 5_000) as IncidentWrite;
    const [resolved] = statusChange('COMPLETE', [acked.incident], 'process', T + 9_000);
    expect(resolved!.event!.data).toMatchObject({ notification: 'resolved', acknowledged: true, acknowledgedBy: 'alice', durationSeconds: 9 });
  });
});

describe('the listing and the watch list', () => {
  test('the listing\'s ONLINE resolves agent.offline and nothing else', () => {
    const open = after(['FAILED', 'port'], ['AGENT_OFFLINE', 'process']);
    expect(open.map((i) => i.type)).toEqual(['collection.failed', 'agent.offline']);
    const writes = told(incidentsForAgentOnline(ctx(), UUID, open, T + 1_000));
    expect(rows(writes)).toEqual([['agent.offline', 'resolved', null, false]]);
  });

  test('an agent no longer watched resolves every open incident with reason unwatched; one no longer watched for a kind, that kind\'s', () => {
    const open = after(['FAILED', 'port'], ['UNKNOWN_AGENT', 'process']);
    const all = told(incidentsForUnwatched(ctx(), open, null, T + 1_000));
    expect(all.map((w) => [w.incident.type, w.incident.resolvedReason, w.event?.data.reason])).toEqual([
      ['collection.failed', 'unwatched', 'unwatched'], ['agent.unknown', 'unwatched', 'unwatched'],
    ]);
    expect(rows(incidentsForUnwatched(ctx(), open, ['process'], T + 1_000))).toEqual([['collection.failed', 'resolved', 'resolved', false]]);
  });
});

describe('bounded lists', () => {
  test('eventIds and the timeline keep the first entries and the latest', () => {
    let incident = statusChange('AGENT_OFFLINE')[0]!.incident;
    for (let n = 1; n <= 100; n++) {
      const [w] = statusChange('AGENT_OFFLINE', [incident], n % 2 ? 'port' : 'process', T + n);
      incident = w!.incident;
    }
    expect(incident.eventIds).toHaveLength(EVENT_IDS_FIRST + EVENT_IDS_LAST);
    expect(incident.eventIds[0]).toBe(`ev-process-AGENT_OFFLINE-${T}`);
    expect(incident.eventIds.at(-1)).toBe(`ev-process-AGENT_OFFLINE-${T + 100}`);
    expect(incident.timeline).toHaveLength(TIMELINE_FIRST + TIMELINE_LAST);
    expect(incident.timeline[0]).toMatchObject({ what: 'opened', at: T });
  });
});

test('a host is named by its machine when the listing knows it, else by its Uuid', () => {
  expect([hostLabel({ uuid: UUID, machineName: 'web-01', machineIp: '10.0.0.5' }), hostLabel({ uuid: UUID, machineIp: '10.0.0.5' }), hostLabel({ uuid: UUID })]).toEqual(['web-01 (10.0.0.5)', '10.0.0.5', UUID]);
});
