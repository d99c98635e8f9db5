// The quiet rules in memory (lib/alerts: matchers.ts, windows.ts, expectations.ts, quiet.ts, and their part in
// rules.ts): what each matcher op takes, which silences are too broad, maintenance windows on wall-clock time across
// midnight and the daylight-saving changes of their zone, expectations that open no incident, and which
// notifications a silence holds back, sends anyway, or sends late.
import { expectationCovers } from '../../lib/alerts/expectations';
import { compileMatcher, globRegExp, isTooBroad, parseCidr, type MatchTarget } from '../../lib/alerts/matchers';
import { Quiet } from '../../lib/alerts/quiet';
import { checkExpectationInput, checkSilenceInput, checkWindowInput } from '../../lib/alerts/quiet-input';
import { incidentForClock, incidentsForResultsChange, incidentsForStatusChange, isHeldBack, releaseIncident, resolveIncident, type AlertContext } from '../../lib/alerts/rules';
import { INCIDENT_TYPES, type Matcher, type QuietRules } from '../../lib/alerts/types';
import { windowActiveAt } from '../../lib/alerts/windows';
import { eventSchemaProblems } from '../helpers/event-schema';
import { TEST_STORE_ID } from '../helpers/events';

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const target: MatchTarget = { uuid: UUID, machineName: 'db-01', machineIp: '10.2.3.4', tags: ['prod', 'db'], type: 'port.opened', kind: 'port', port: 6379, processName: 'redis-server' };
const m = (name: Matcher['name'], op: Matcher['op'], value: string): Matcher => ({ name, op, value });

describe('matchers', () => {
  test.each([
    [m('machineName', '=', 'db-01'), true],
    [m('machineName', '=', 'db-02'), false],
    [m('machineName', '!=', 'db-02'), true],
    [m('machineName', 'glob', 'db-*'), true],
    [m('machineName', 'glob', 'db-0?'), true],
    [m('machineName', 'glob', 'web-*'), false],
    [m('machineName', 'glob', 'db.01'), false], // only * and ? are special: "." is a dot
    [m('machineIp', 'cidr', '10.2.0.0/16'), true],
    [m('machineIp', 'cidr', '10.3.0.0/16'), false],
    [m('machineIp', 'cidr', '10.2.3.4'), true],
    [m('tag', '=', 'db'), true],
    [m('tag', '!=', 'db'), false],
    [m('tag', 'glob', 'pr*'), true],
    [m('port', '=', '6379'), true],
    [m('type', '=', 'agent.offline'), false],
    [m('kind', '=', 'port'), true],
    [m('processName', 'glob', 'redis*'), true],
    [m('uuid', '=', UUID), true],
  ])('%j on db-01 is %s', (matcher, expected) => {
    expect(compileMatcher(matcher)(target)).toBe(expected);
  });

  test('a field the target lacks matches only !=', () => {
    const bare: MatchTarget = { uuid: UUID, tags: [] };
    expect(compileMatcher(m('machineName', '=', 'db-01'))(bare)).toBe(false);
    expect(compileMatcher(m('machineName', 'glob', '*'))(bare)).toBe(false);
    expect(compileMatcher(m('machineName', '!=', 'db-01'))(bare)).toBe(true);
  });

  test('a glob is not a regular expression', () => {
    expect(globRegExp('a+b').test('a+b')).toBe(true);
    expect(globRegExp('a+b').test('aab')).toBe(false);
    expect(globRegExp('(x|y)').test('x')).toBe(false);
  });

  test('CIDRs are IPv4 with a prefix of 0 to 32', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ base: 0x0a000000, mask: 0xff000000 });
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(parseCidr('10.0.0/8')).toBeNull();
  });

  test.each([
    [[m('type', '=', 'agent.offline')], true],
    [[m('machineName', 'glob', '*')], true],
    [[m('machineName', 'glob', '**')], true],
    [[m('machineName', '!=', 'db-01')], true],
    [[m('machineIp', 'cidr', '0.0.0.0/0')], true],
    [[m('machineName', 'glob', 'db-*')], false],
    [[m('uuid', '=', UUID), m('type', '=', 'agent.offline')], false],
    [[m('tag', '=', 'db')], false],
    [[m('machineIp', 'cidr', '10.0.0.0/8')], false],
  ])('%j leaves every agent in: %s', (matchers, broad) => {
    expect(isTooBroad(matchers)).toBe(broad);
  });
});

describe('maintenance windows', () => {
  const at = (iso: string) => Date.parse(iso);
  const overnight = { days: ['Sun' as const], start: '22:00', end: '02:00', timezone: 'Europe/Berlin' };

  test('a window that crosses midnight runs from its day into the next morning', () => {
    expect(windowActiveAt(overnight, at('2026-03-22T20:59:00Z'))).toBe(false); // Sun 21:59 CET
    expect(windowActiveAt(overnight, at('2026-03-22T21:00:00Z'))).toBe(true); // Sun 22:00
    expect(windowActiveAt(overnight, at('2026-03-22T23:30:00Z'))).toBe(true); // Mon 00:30
    expect(windowActiveAt(overnight, at('2026-03-23T00:59:00Z'))).toBe(true); // Mon 01:59
    expect(windowActiveAt(overnight, at('2026-03-23T01:00:00Z'))).toBe(false); // Mon 02:00
    expect(windowActiveAt(overnight, at('2026-03-21T21:30:00Z'))).toBe(false); // Sat 22:30: not its day
    expect(windowActiveAt(overnight, at('2026-03-21T23:30:00Z'))).toBe(false); // Sun 00:30: the morning after Saturday
  });

  test('on the spring-forward day it starts at the local time and ends when the clocks say so (Europe/Berlin)', () => {
    const w = { days: ['Sun' as const], start: '01:00', end: '04:00', timezone: 'Europe/Berlin' };
    // 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00Z). The window is 01:00 CET (00:00Z) to 04:00 CEST (02:00Z).
    expect(windowActiveAt(w, at('2026-03-28T23:59:00Z'))).toBe(false);
    expect(windowActiveAt(w, at('2026-03-29T00:00:00Z'))).toBe(true);
    expect(windowActiveAt(w, at('2026-03-29T01:30:00Z'))).toBe(true); // 03:30 CEST
    expect(windowActiveAt(w, at('2026-03-29T01:59:00Z'))).toBe(true);
    expect(windowActiveAt(w, at('2026-03-29T02:00:00Z'))).toBe(false); // 04:00 CEST
  });

  test('on the fall-back day the repeated hour is inside it both times (America/New_York)', () => {
    const w = { days: ['Sun' as const], start: '01:00', end: '03:00', timezone: 'America/New_York' };
    // 2026-11-01: 02:00 EDT becomes 01:00 EST (06:00Z). 01:00 EDT is 05:00Z; 03:00 EST is 08:00Z.
    expect(windowActiveAt(w, at('2026-11-01T04:59:00Z'))).toBe(false);
    expect(windowActiveAt(w, at('2026-11-01T05:00:00Z'))).toBe(true); // 01:00 EDT
    expect(windowActiveAt(w, at('2026-11-01T06:30:00Z'))).toBe(true); // 01:30 EST, the second time
    expect(windowActiveAt(w, at('2026-11-01T07:59:00Z'))).toBe(true); // 02:59 EST
    expect(windowActiveAt(w, at('2026-11-01T08:00:00Z'))).toBe(false);
  });
});

describe('expectations', () => {
  test('a port matches by number, and by process when the expectation names one', () => {
    expect(expectationCovers({ ports: [{ port: 6379 }], processes: [] }, { type: 'port.opened', port: 6379, processName: 'anything' })).toBe(true);
    expect(expectationCovers({ ports: [{ port: 6379, processName: 'redis-server' }], processes: [] }, { type: 'port.opened', port: 6379, processName: 'nc' })).toBe(false);
    expect(expectationCovers({ ports: [], processes: [{ processName: 'agent', fullPath: '/opt/.agent/agent' }] }, { type: 'process.suspicious', processName: 'agent', fullPath: '/opt/.agent/agent' })).toBe(true);
    expect(expectationCovers({ ports: [{ port: 6379 }], processes: [] }, { type: 'agent.offline' })).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------- the rules

const T = Date.UTC(2026, 10, 24, 10);
const HOUR = 3_600_000;
const rules = (over: Partial<QuietRules> = {}): QuietRules => ({ silences: [], windows: [], expectations: [], ...over });
const silence = (id: string, matchers: Matcher[], startsAt = T - HOUR, endsAt = T + HOUR) => ({ id, matchers, startsAt, endsAt, createdBy: 'alice', comment: 'reboot', createdAt: T - HOUR, hits: 0, lastHitAt: null, endNoticed: false });
const ctxWith = (quiet?: Quiet): AlertContext => ({
  storeId: TEST_STORE_ID, source: '/s', settings: { offlineForMs: 0, repeatEveryMs: HOUR, processNames: [], types: [...INCIDENT_TYPES] , retentionMs: HOUR }, ...(quiet ? { quiet } : {}),
});

describe('what a silence holds back', () => {
  test.each([
    ['firing', false, true, true],
    ['firing', false, false, false],
    ['repeat', true, true, true],
    ['repeat', false, false, true],
    ['acknowledged', true, true, true],
    ['acknowledged', true, false, false],
    ['resolved', true, true, false], // what fired before the silence still resolves
    ['resolved', false, false, true], // its firing was never sent: nothing is
  ] as const)('%s (firing sent: %s, silenced: %s) is held back: %s', (notification, notified, silenced, held) => {
    expect(isHeldBack(notification, notified, silenced)).toBe(held);
  });

  test('a firing a silence covers is stored unnotified with silencedBy, its event marked silenced; the hit counted once', () => {
    const quiet = new Quiet(rules({ silences: [silence('s1', [m('uuid', '=', UUID)])] }));
    const ctx = ctxWith(quiet);
    const change = () => incidentsForStatusChange(ctx, { uuid: UUID, kind: 'process', state: 'FAILED', eventId: 'e1', at: T, open: [] });
    const [w] = change();
    change(); // computed again after a conflict
    expect(w).toMatchObject({ silenced: true, incident: { state: 'firing', notified: false, silencedBy: ['s1'] } });
    expect(eventSchemaProblems(w!.event!)).toEqual([]);
    expect(quiet.takeHits()).toEqual([{ kind: 'silence', id: 's1', count: 1, at: T }]);
    const other = incidentsForStatusChange(ctx, { uuid: '00000000-0000-4000-8000-000000000001', kind: 'process', state: 'FAILED', eventId: 'e2', at: T, open: [] });
    expect(other[0]!.silenced).toBeUndefined();
    expect(other[0]!.incident.notified).toBe(true);
  });

  test('resolved while silenced and never sent: held back; released once the silence is over: a firing with its own id', () => {
    const ctx = ctxWith(new Quiet(rules({ silences: [silence('s1', [m('uuid', '=', UUID)])] })));
    const [fired] = incidentsForStatusChange(ctx, { uuid: UUID, kind: 'process', state: 'FAILED', eventId: 'e1', at: T, open: [] });
    expect(resolveIncident(ctx, fired!.incident, 'recovered', T + 1, null).silenced).toBe(true);
    expect(releaseIncident(ctx, fired!.incident, T + 2)).toBeNull(); // still silenced

    const after = ctxWith(new Quiet(rules({ silences: [silence('s1', [m('uuid', '=', UUID)], T - HOUR, T + 2)] })));
    const released = releaseIncident(after, fired!.incident, T + 3)!;
    expect(released.silenced).toBeUndefined();
    expect(released.event!.data).toMatchObject({ notification: 'firing', previous: 'firing', state: 'firing' });
    expect(released.event!.id).not.toBe(fired!.event!.id);
    expect(eventSchemaProblems(released.event!)).toEqual([]);
    expect(released.incident).toMatchObject({ notified: true });
    expect(released.incident.silencedBy).toBeUndefined();
    expect(resolveIncident(after, released.incident, 'recovered', T + 4, null).silenced).toBeUndefined();
  });

  test('a repeat while silenced is held back', () => {
    const plain = ctxWith();
    const [fired] = incidentsForStatusChange(plain, { uuid: UUID, kind: 'process', state: 'FAILED', eventId: 'e1', at: T, open: [] });
    const ctx = ctxWith(new Quiet(rules({ silences: [silence('s1', [m('uuid', '=', UUID)], T, T + 2 * HOUR)] })));
    const repeat = incidentForClock(ctx, fired!.incident, T + HOUR);
    expect(repeat.event!.data.notification).toBe('repeat');
    expect(repeat.silenced).toBe(true);
  });

  test('an expectation opens no incident for what it covers, and counts the hit', () => {
    const quiet = new Quiet(rules({ expectations: [{ id: 'x1', matchers: [m('machineName', 'glob', 'redis-*')], ports: [{ port: 6379 }], processes: [], createdBy: 'a', comment: 'c', createdAt: T, hits: 0, lastHitAt: null }] }));
    const ctx = ctxWith(quiet);
    const open = (name: string) => incidentsForResultsChange(ctx, {
      uuid: UUID, kind: 'port', previous: [], current: [{ port: 6379, pid: 1, processName: 'redis-server', proto: 'tcp', bindIp: '0.0.0.0' } as never], eventId: 'e', at: T, machine: { name, ip: null }, open: [],
    }).writes;
    expect(open('redis-01')).toEqual([]);
    expect(open('web-01')).toHaveLength(1);
    expect(quiet.takeHits()).toEqual([{ kind: 'expectation', id: 'x1', count: 1, at: T }]);
  });
});

describe('what a person writes', () => {
  const now = T;
  const valid = { matchers: [{ name: 'machineName', value: 'db-*', op: 'glob' }], endsAt: new Date(T + HOUR).toISOString(), createdBy: 'alice', comment: 'reboot' };

  test('a silence needs createdBy, comment and an endsAt at most 30 days ahead; op defaults to =', () => {
    expect(checkSilenceInput(valid, now).problems).toEqual([]);
    expect(checkSilenceInput({ ...valid, matchers: [{ name: 'uuid', value: UUID }] }, now).value.matchers[0]!.op).toBe('=');
    expect(checkSilenceInput({ ...valid, createdBy: undefined }, now).problems.map((p) => p.field)).toEqual(['createdBy']);
    expect(checkSilenceInput({ ...valid, comment: ' ' }, now).problems.map((p) => p.field)).toEqual(['comment']);
    expect(checkSilenceInput({ ...valid, endsAt: new Date(T + 31 * 24 * HOUR).toISOString() }, now).problems.map((p) => p.field)).toEqual(['endsAt']);
    expect(checkSilenceInput({ ...valid, endsAt: undefined }, now).problems.map((p) => p.field)).toEqual(['endsAt']);
  });

  test('matchers name only known fields and ops; cidr only on machineIp; port and type values are checked', () => {
    const fields = (matchers: unknown[]) => checkSilenceInput({ ...valid, matchers }, now).problems.map((p) => p.field);
    expect(fields([{ name: 'hostname', value: 'x' }])).toEqual(['matchers[0].name']);
    expect(fields([{ name: 'machineName', value: 'x', op: '=~' }])).toEqual(['matchers[0].op']);
    expect(fields([{ name: 'machineName', value: '10.0.0.0/8', op: 'cidr' }])).toEqual(['matchers[0].value']);
    expect(fields([{ name: 'machineIp', value: '10.0.0.0/40', op: 'cidr' }])).toEqual(['matchers[0].value']);
    expect(fields([{ name: 'port', value: 'http' }])).toEqual(['matchers[0].value']);
    expect(fields([{ name: 'type', value: 'agent.down' }])).toEqual(['matchers[0].value']);
    expect(fields([])).toEqual(['matchers']);
  });

  test('a window names its days, HH:MM times that differ, and an IANA time zone', () => {
    const w = { matchers: valid.matchers, days: ['Sun'], start: '22:00', end: '02:00', timezone: 'Asia/Shanghai', createdBy: 'ops', comment: 'patching' };
    expect(checkWindowInput(w).problems).toEqual([]);
    expect(checkWindowInput({ ...w, days: ['Sunday'], start: '25:00', timezone: 'Mars/Olympus' }).problems.map((p) => p.field)).toEqual(['days', 'start', 'timezone']);
    expect(checkWindowInput({ ...w, end: '22:00' }).problems.map((p) => p.field)).toEqual(['end']);
  });

  test('an expectation names at least one port or process', () => {
    const e = { matchers: valid.matchers, ports: [{ port: 6379 }], createdBy: 'ops', comment: 'redis' };
    expect(checkExpectationInput(e).problems).toEqual([]);
    expect(checkExpectationInput({ ...e, ports: [] }).problems.map((p) => p.field)).toEqual(['ports']);
    expect(checkExpectationInput({ ...e, ports: [{ port: 70000 }] }).problems.map((p) => p.field)).toEqual(['ports[0].port']);
  });
});
