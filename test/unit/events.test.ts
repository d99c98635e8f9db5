import { buildStatusChangedEvent, severityOf, transitionId } from '../../lib/events';
import { TASK_STATES } from '../../lib/types';

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const base = { storeId: 'test-store', source: '/cwp-task-bridge/ap-guangzhou', uuid: UUID, kind: 'process' as const, previous: 'COLLECTING' as const, state: 'COMPLETE' as const, version: 2, observedAt: Date.UTC(2026, 10, 24, 10), requestId: '354f4ac3-8546-4516-8c8a-69e3ab73aa8a' };

describe('status-changed CloudEvent', () => {
  test('has the documented structure (README, Events)', () => {
    expect(buildStatusChangedEvent(base)).toEqual({
      specversion: '1.0',
      type: 'com.tencentcloud.cwp.task.status.changed',
      source: '/cwp-task-bridge/ap-guangzhou',
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      subject: `${UUID}/process`,
      time: '2026-11-24T10:00:00.000Z',
      datacontenttype: 'application/json',
      data: { uuid: UUID, kind: 'process', previous: 'COLLECTING', state: 'COMPLETE', severity: 'info', observedAt: '2026-11-24T10:00:00.000Z', requestId: base.requestId, next: 'DescribeProcesses' },
    });
  });

  test('the id is stable for one transition whatever the observation time or request', () => {
    const a = buildStatusChangedEvent(base);
    const b = buildStatusChangedEvent({ ...base, observedAt: base.observedAt + 5000, requestId: 'other' });
    expect(a.id).toBe(b.id);
  });

  test('the id differs when a key returns to a state it had before (the version differs)', () => {
    expect(transitionId({ ...base, version: 2 })).not.toBe(transitionId({ ...base, version: 4 }));
  });

  test('the id differs for each kind, previous and state', () => {
    const ids = new Set([
      transitionId(base),
      transitionId({ ...base, kind: 'port' }),
      transitionId({ ...base, previous: null }),
      transitionId({ ...base, state: 'FAILED' }),
    ]);
    expect(ids.size).toBe(4);
  });

  test('the first observation of a key has previous null', () => {
    expect(buildStatusChangedEvent({ ...base, previous: null, version: 1 }).data.previous).toBeNull();
  });

  test('FAILED, AGENT_OFFLINE and UNKNOWN_AGENT are warnings; the rest info', () => {
    const warnings = TASK_STATES.filter((s) => severityOf(s) === 'warning');
    expect(warnings.sort()).toEqual(['AGENT_OFFLINE', 'FAILED', 'UNKNOWN_AGENT']);
  });

  test('next names the results action only after COMPLETE', () => {
    expect(buildStatusChangedEvent({ ...base, kind: 'port' }).data.next).toBe('DescribeOpenPorts');
    expect(buildStatusChangedEvent({ ...base, state: 'FAILED' }).data.next).toBeNull();
  });
});
