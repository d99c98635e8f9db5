// The JSON Schemas in schemas/ against the events the bridge builds: every kind, previous state and state
// conforms, and the schema refuses what the documented contract forbids (so the check can fail).
import { buildAgentUnwatchedEvent, buildResultsChangedEvent, buildStatusChangedEvent } from '../../lib/events';
import { TASK_KINDS, TASK_STATES, type TaskState } from '../../lib/types';
import type { CloudEvent } from '../../lib/events/types';
import { eventSchemaProblems, schemaTypes } from '../helpers/event-schema';
import { TEST_STORE_ID } from '../helpers/events';

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const event = (previous: TaskState | null, state: TaskState, kind = TASK_KINDS[0]!): CloudEvent =>
  buildStatusChangedEvent({ storeId: TEST_STORE_ID, source: '/cwp-task-bridge/ap-guangzhou', uuid: UUID, kind, previous, state, version: 3, observedAt: Date.UTC(2026, 10, 24, 10), requestId: '354f4ac3-8546-4516-8c8a-69e3ab73aa8a' });
const withData = (e: CloudEvent, data: Record<string, unknown>): unknown => ({ ...e, data: { ...e.data, ...data } });

describe('event JSON Schemas', () => {
  test('there is one schema per event type the bridge publishes', () => {
    expect(schemaTypes().sort()).toEqual(['com.tencentcloud.cwp.agent.unwatched', 'com.tencentcloud.cwp.incident.changed', 'com.tencentcloud.cwp.ports.changed', 'com.tencentcloud.cwp.processes.changed', 'com.tencentcloud.cwp.scan.status.changed', 'com.tencentcloud.cwp.task.status.changed']);
  });

  test('a status event with the machine listing\'s name and IP conforms', () => {
    const e = buildStatusChangedEvent({ storeId: TEST_STORE_ID, source: '/s', uuid: UUID, kind: 'port', previous: 'COMPLETE', state: 'AGENT_OFFLINE', version: 2, observedAt: Date.UTC(2026, 10, 24), requestId: 'r', machine: { name: 'VM-1-2-centos', ip: '10.0.1.2' } });
    expect(e.data).toMatchObject({ machineName: 'VM-1-2-centos', machineIp: '10.0.1.2' });
    expect(eventSchemaProblems(e)).toEqual([]);
    expect(eventSchemaProblems(withData(e, { machineName: '' }))).not.toEqual([]);
  });

  test('an agent.unwatched event conforms, and names the machine when known', () => {
    const e = buildAgentUnwatchedEvent({ storeId: TEST_STORE_ID, source: '/s', uuid: UUID, kinds: ['process', 'port'], machine: { name: 'web-1', ip: null }, lastSeenAt: Date.UTC(2026, 10, 1), unwatchedAt: Date.UTC(2026, 10, 2), listing: 7 });
    expect(e).toMatchObject({ subject: UUID, data: { reason: 'not-listed', machineName: 'web-1', severity: 'warning' } });
    expect(e.data).not.toHaveProperty('machineIp');
    expect(eventSchemaProblems(e)).toEqual([]);
    expect(eventSchemaProblems({ ...e, subject: `${UUID}/process` })).not.toEqual([]);
  });

  const combos = TASK_KINDS.flatMap((kind) => [null, ...TASK_STATES].flatMap((previous) => TASK_STATES.filter((s) => s !== previous).map((state) => [kind, previous, state] as const)));
  test.each(combos)('a %s event %s -> %s conforms', (kind, previous, state) => {
    expect(eventSchemaProblems(event(previous, state, kind))).toEqual([]);
  });

  test('an unknown field is refused', () => {
    expect(eventSchemaProblems({ ...event(null, 'COMPLETE'), extra: 1 })).not.toEqual([]);
  });

  test('a warning state with severity info is refused', () => {
    expect(eventSchemaProblems(withData(event('COLLECTING', 'FAILED'), { severity: 'info' }))).not.toEqual([]);
  });

  test('COMPLETE without the result action in next is refused', () => {
    expect(eventSchemaProblems(withData(event('COLLECTING', 'COMPLETE'), { next: null }))).not.toEqual([]);
  });

  test('a state CWP does not have is refused', () => {
    expect(eventSchemaProblems(withData(event(null, 'COMPLETE'), { state: 'DONE' }))).not.toEqual([]);
  });

  test('a time that is not RFC 3339 is refused', () => {
    expect(eventSchemaProblems({ ...event(null, 'COMPLETE'), time: 'yesterday' })).not.toEqual([]);
  });

  test('an event type without a schema is refused', () => {
    expect(eventSchemaProblems({ ...event(null, 'COMPLETE'), type: 'com.example.other' })).toEqual(['no schema for event type "com.example.other" in schemas/']);
  });
});

describe('results-changed event schemas', () => {
  const base = { source: '/cwp-task-bridge/ap-guangzhou', uuid: UUID, addedCount: 1, removedCount: 0, total: 3, truncated: false, takenAt: Date.UTC(2026, 10, 25), previousTakenAt: Date.UTC(2026, 10, 24), requestId: 'rq', forVersion: 4 };

  test('a ports.changed event conforms, and a newly listening port is a warning', () => {
    const e = buildResultsChangedEvent({ storeId: TEST_STORE_ID, ...base, kind: 'port', added: [{ port: 6379, pid: 77, processName: 'redis-server' }], removed: [] });
    expect(e.data.severity).toBe('warning');
    expect(eventSchemaProblems(e)).toEqual([]);
  });

  test('a processes.changed event conforms', () => {
    const e = buildResultsChangedEvent({ storeId: TEST_STORE_ID, ...base, kind: 'process', added: [{ pid: 9, ppid: 1, processName: 'xmrig', username: 'nobody', fullPath: '/tmp/xmrig' }], removed: [] });
    expect(e.data.severity).toBe('info');
    expect(eventSchemaProblems(e)).toEqual([]);
  });

  test('a port item carrying a process\'s fields is refused', () => {
    const e = buildResultsChangedEvent({ storeId: TEST_STORE_ID, ...base, kind: 'port', added: [{ pid: 9, ppid: 1, processName: 'x', username: 'u', fullPath: '/x' }], removed: [] });
    expect(eventSchemaProblems(e)).not.toEqual([]);
  });
});
