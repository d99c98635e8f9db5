// Routing per sink: the <PREFIX>_MIN_SEVERITY / _KINDS / _STATES / _EVENT_TYPES settings as lib/config parses
// them (every problem named with its variable and the fix), and routeAccepts as a table of events.
import { ENV, loadConfig, VARIABLE_OWNER } from '../../lib/config';
import { configProblems, TEST_CREDENTIALS } from '../helpers/config';
import { ROUTING_ENV, SINK_PREFIXES } from '../../lib/sinks/kinds';
import { buildAgentUnwatchedEvent, buildStatusChangedEvent } from '../../lib/events';
import { EVERY_EVENT, routeAccepts, type EventRoute } from '../../lib/sinks/route';
import type { TaskKind, TaskState } from '../../lib/types';
import type { CloudEvent } from '../../lib/events/types';
import { TEST_STORE_ID } from '../helpers/events';

const base = TEST_CREDENTIALS;
const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';


function status(state: TaskState, kind: TaskKind = 'process'): CloudEvent {
  return buildStatusChangedEvent({ storeId: TEST_STORE_ID, source: '/test', uuid: UUID, kind, previous: 'COLLECTING', state, version: 2, observedAt: 0, requestId: 'r' });
}

/** A results-changed event of the given type (only the fields routing reads matter). */
function changed(type: 'com.tencentcloud.cwp.ports.changed' | 'com.tencentcloud.cwp.processes.changed', severity: 'info' | 'warning'): CloudEvent {
  const kind = type === 'com.tencentcloud.cwp.ports.changed' ? 'port' : 'process';
  return { ...status('COMPLETE', kind), type, data: { kind, severity } } as unknown as CloudEvent;
}

describe('routing settings', () => {
  test('every sink prefix has the five variables (IGNORE_SILENCES the fifth), listed in ENV and owned by the poll function', () => {
    expect(SINK_PREFIXES).toEqual(['WEBHOOK', 'CMQ', 'EB', 'WECOM', 'DINGTALK', 'FEISHU', 'SLACK']);
    expect(ROUTING_ENV).toHaveLength(35);
    for (const name of ROUTING_ENV) {
      expect(ENV).toContain(name);
      expect(VARIABLE_OWNER[name]).toBe('poll');
    }
  });

  test('unset, every sink takes every event', () => {
    const { routes } = loadConfig(base);
    for (const prefix of SINK_PREFIXES) expect(routes[prefix]).toEqual(EVERY_EVENT);
  });

  test('set, each is parsed for its own sink only', () => {
    const { routes } = loadConfig({ ...base, DINGTALK_MIN_SEVERITY: 'warning', EB_KINDS: 'port', WEBHOOK_STATES: 'failed, AGENT_OFFLINE', SLACK_EVENT_TYPES: 'ports.changed,com.tencentcloud.cwp.task.status.changed' });
    expect(routes.DINGTALK).toEqual({ ...EVERY_EVENT, minSeverity: 'warning' });
    expect(routes.EB).toEqual({ ...EVERY_EVENT, kinds: ['port'] });
    expect(routes.WEBHOOK).toEqual({ ...EVERY_EVENT, states: ['FAILED', 'AGENT_OFFLINE'] });
    expect(routes.SLACK).toEqual({ ...EVERY_EVENT, types: ['com.tencentcloud.cwp.ports.changed', 'com.tencentcloud.cwp.task.status.changed'] });
    expect(routes.CMQ).toEqual(EVERY_EVENT);
  });

  test('a bad severity names the variable and the two values', () => {
    expect(configProblems({ WECOM_MIN_SEVERITY: 'critical' })).toEqual(['WECOM_MIN_SEVERITY: "critical" must be info or warning']);
  });

  test('unknown kinds, states and types are listed, with the values to use', () => {
    expect(configProblems({ CMQ_KINDS: 'process,files,users' })).toEqual(['CMQ_KINDS: "files", "users" are not task kinds; use process, port (comma separated)']);
    expect(configProblems({ FEISHU_STATES: 'DONE' })).toEqual(['FEISHU_STATES: "DONE" is not a task state; use COLLECTING, COMPLETE, FAILED, AGENT_OFFLINE, NO_TASK, UNKNOWN_AGENT (comma separated)']);
    expect(configProblems({ EB_EVENT_TYPES: 'port.changed' })).toEqual([
      'EB_EVENT_TYPES: "port.changed" is not an event type; use com.tencentcloud.cwp.task.status.changed, com.tencentcloud.cwp.ports.changed, com.tencentcloud.cwp.processes.changed, com.tencentcloud.cwp.agent.unwatched, com.tencentcloud.cwp.incident.changed, com.tencentcloud.cwp.scan.status.changed (comma separated); the part after com.tencentcloud.cwp. is enough, e.g. ports.changed',
    ]);
  });

  test('a list of only commas is a problem, not a sink that takes nothing', () => {
    expect(configProblems({ SLACK_KINDS: ',' })).toEqual(['SLACK_KINDS: names no task kind; use process, port (comma separated), or leave it unset for all']);
  });

  test('every bad routing variable is reported at once', () => {
    expect(configProblems({ WEBHOOK_MIN_SEVERITY: 'x', DINGTALK_KINDS: 'y' })).toHaveLength(2);
  });

  test('a bad routing variable does not stop the api function', () => {
    expect(() => loadConfig({ ...base, API_TOKENS: 'a'.repeat(16), WEBHOOK_MIN_SEVERITY: 'loud' }, { role: 'api' })).not.toThrow();
  });
});

describe('routeAccepts', () => {
  const route = (r: Partial<EventRoute>): EventRoute => ({ ...EVERY_EVENT, ...r });
  const rows: Array<[string, Partial<EventRoute>, CloudEvent, boolean]> = [
    ['no settings take an info event', {}, status('COLLECTING'), true],
    ['MIN_SEVERITY=warning drops an info event', { minSeverity: 'warning' }, status('COMPLETE'), false],
    ['MIN_SEVERITY=warning keeps a warning', { minSeverity: 'warning' }, status('FAILED'), true],
    ['KINDS=port drops a process event', { kinds: ['port'] }, status('FAILED', 'process'), false],
    ['KINDS=port keeps a port event', { kinds: ['port'] }, status('FAILED', 'port'), true],
    ['STATES=FAILED drops a COMPLETE status change', { states: ['FAILED'] }, status('COMPLETE'), false],
    ['STATES=FAILED keeps a FAILED status change', { states: ['FAILED'] }, status('FAILED'), true],
    ['STATES does not filter a ports.changed event (it has no state)', { states: ['FAILED'] }, changed('com.tencentcloud.cwp.ports.changed', 'info'), true],
    ['EVENT_TYPES=ports.changed drops a status change', { types: ['com.tencentcloud.cwp.ports.changed'] }, status('FAILED', 'port'), false],
    ['EVENT_TYPES=ports.changed keeps a ports.changed event', { types: ['com.tencentcloud.cwp.ports.changed'] }, changed('com.tencentcloud.cwp.ports.changed', 'info'), true],
    ['all settings must match: a warning of the wrong kind is dropped', { minSeverity: 'warning', kinds: ['port'] }, status('FAILED', 'process'), false],
    ['MIN_SEVERITY applies to results-changed events too', { minSeverity: 'warning' }, changed('com.tencentcloud.cwp.processes.changed', 'info'), false],
  ];
  test.each(rows)('%s', (_name, r, event, expected) => {
    expect(routeAccepts(route(r), event)).toBe(expected);
  });
});

describe('routing of agent.unwatched events (WATCH_DISCOVER)', () => {
  const unwatched = buildAgentUnwatchedEvent({ storeId: TEST_STORE_ID, source: '/s', uuid: '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1', kinds: ['port'], lastSeenAt: 0, unwatchedAt: 1, listing: 3 });

  test('a KINDS filter takes it when it names one of the kinds it stopped', () => {
    expect(routeAccepts({ ...EVERY_EVENT, kinds: ['port'] }, unwatched)).toBe(true);
    expect(routeAccepts({ ...EVERY_EVENT, kinds: ['process'] }, unwatched)).toBe(false);
  });

  test('EVENT_TYPES can leave it out, and STATES does not filter it (it has no task state)', () => {
    expect(routeAccepts({ ...EVERY_EVENT, types: ['com.tencentcloud.cwp.task.status.changed'] }, unwatched)).toBe(false);
    expect(routeAccepts({ ...EVERY_EVENT, states: ['FAILED'] }, unwatched)).toBe(true);
  });
});
