// The console's plain logic (console/src, no DOM): how it counts, words times, reads its routes, decides what a
// token is offered, and turns the overview's series into its charts' bars. The pages themselves are tested in a real browser
// (test/browser).
import { conditionOf } from '../../console/src/agent-state';
import { agentsOfflineBars, eventsPerHourBars } from '../../console/src/chart-data';
import { count, duration, hostName, local, utc } from '../../console/src/format';
import { ACTION_SCOPE, may } from '../../console/src/permissions';
import { link, parseRoute } from '../../console/src/router';

describe('words', () => {
  test('counts what people count, in the singular for one', () => {
    expect([count(3, 'agent') + ' offline', count(1, 'agent'), count(0, 'incident'), count(2, 'process', 'processes'), count(12345, 'event')])
      .toEqual(['3 agents offline', '1 agent', '0 incidents', '2 processes', '12,345 events']);
  });

  test('a time in the viewer\'s zone, with UTC for the hover', () => {
    expect(utc('2026-11-24T10:00:00.000Z')).toBe('2026-11-24 10:00:00 UTC');
    expect(local('2026-11-24T10:00:00.000Z', 'Asia/Shanghai')).toMatch(/\b(18:00:00|6:00:00\sPM)/);
    expect(local('not a time')).toBe('not a time');
  });

  test('durations for people', () => {
    expect([duration(4_400), duration(180_000), duration(7_500_000), duration(3 * 86_400_000 + 4 * 3_600_000)]).toEqual(['4 s', '3 min', '2 h 5 min', '3 d 4 h']);
  });

  test('a host by its machine name and IP, else its Uuid', () => {
    expect(hostName('u-1', { name: 'web-01', ip: '10.0.1.11' })).toBe('web-01 (10.0.1.11)');
    expect(hostName('u-1', null)).toBe('u-1');
  });
});

describe('an agent\'s condition: the worst of its kinds', () => {
  test.each([
    [{ process: 'COMPLETE', port: 'AGENT_OFFLINE' }, false, 'offline'],
    [{ process: 'COMPLETE', port: 'COMPLETE' }, true, 'offline'],
    [{ process: 'UNKNOWN_AGENT', port: 'FAILED' }, false, 'unknown'],
    [{ process: 'FAILED', port: 'COLLECTING' }, false, 'failed'],
    [{ process: 'COLLECTING', port: 'NO_TASK' }, false, 'collecting'],
    [{ process: 'COMPLETE', port: 'NO_TASK' }, false, 'ok'],
    [{ process: 'COMPLETE', port: null }, false, 'unchecked'],
  ] as const)('%j, listed offline %s: %s', (states, listedOffline, condition) => {
    expect(conditionOf(states, listedOffline)).toBe(condition);
  });
});

describe('routes in the hash', () => {
  test('each page, its id and its query', () => {
    expect(parseRoute('')).toMatchObject({ page: 'overview', id: null });
    expect(parseRoute('#/')).toMatchObject({ page: 'overview' });
    expect(parseRoute('#/agents/6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1')).toMatchObject({ page: 'agent', id: '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1' });
    expect(parseRoute('#/incidents/agent.offline%3Aabc')).toMatchObject({ page: 'incident', id: 'agent.offline:abc' });
    expect(parseRoute('#/incidents?state=firing&type=port.opened').query.get('type')).toBe('port.opened');
    expect(parseRoute('#/deliveries/')).toMatchObject({ page: 'deliveries' });
    expect(parseRoute('#/nowhere')).toMatchObject({ page: 'unknown' });
  });

  test('link() makes what parseRoute reads, leaving out empty query values', () => {
    expect(link('history', null, { type: 'x', uuid: '' })).toBe('#/history?type=x');
    expect(parseRoute(link('incidents', 'a/b c'))).toMatchObject({ page: 'incident', id: 'a/b c' });
  });
});

describe('what a token is offered', () => {
  const as = (...scopes: Array<'read' | 'write' | 'alerts' | 'metrics' | 'admin'>) => ({ name: 't', scopes });

  test('a read-only token is offered no write action at all', () => {
    for (const action of Object.keys(ACTION_SCOPE) as Array<keyof typeof ACTION_SCOPE>) expect([action, may(as('read'), action)]).toEqual([action, false]);
  });

  test('alerts acknowledges, silences and accepts; admin may do everything; write starts collections', () => {
    expect(['acknowledge', 'silence', 'accept', 'replay'].map((a) => may(as('read', 'alerts'), a as keyof typeof ACTION_SCOPE))).toEqual([true, true, true, false]);
    expect((Object.keys(ACTION_SCOPE) as Array<keyof typeof ACTION_SCOPE>).every((a) => may(as('admin'), a))).toBe(true);
    expect([may(as('write'), 'collect'), may(as('write'), 'replay')]).toEqual([true, false]);
  });
});

describe('the charts\' numbers', () => {
  test('events per hour: one bar per hour of the overview, oldest first', () => {
    const bars = eventsPerHourBars([{ hour: '2026-11-24T10:00:00.000Z', events: 2 }, { hour: '2026-11-24T09:00:00.000Z', events: 1 }]);
    expect(bars).toEqual([{ at: '2026-11-24T09:00:00.000Z', value: 1 }, { at: '2026-11-24T10:00:00.000Z', value: 2 }]);
  });

  test('agents offline per day: one bar per UTC day, starting at its midnight', () => {
    const bars = agentsOfflineBars([{ day: '2026-11-18', agents: 1 }, { day: '2026-11-24', agents: 2 }]);
    expect(bars).toEqual([{ at: '2026-11-18T00:00:00.000Z', value: 1 }, { at: '2026-11-24T00:00:00.000Z', value: 2 }]);
  });
});
