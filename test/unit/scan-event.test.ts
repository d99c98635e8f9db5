// The account's scan as an event (cwp): com.tencentcloud.cwp.scan.status.changed against its JSON Schema, its id,
// and how each sink takes it: routing (KINDS does not filter it, EVENT_TYPES does), its CMQ tags, its chat wording
// and the local receiver's line.
import { describeEvent } from '../../dev/webhook-receiver';
import { buildScanStatusChangedEvent, scanChangeId } from '../../lib/events';
import { digestLine, digestMessage, eventFields, singleMessage } from '../../lib/sinks/chat/message';
import { CMQ_MAX_FILTER_TAG_CHARS, cmqTags } from '../../lib/sinks/cmq';
import { EVERY_EVENT, routeAccepts } from '../../lib/sinks/route';
import { SCAN_STATES, type ScanState } from '../../lib/types';
import { eventSchemaProblems } from '../helpers/event-schema';
import { TEST_STORE_ID } from '../helpers/events';

const AT = Date.UTC(2026, 2, 1, 4, 0, 3);
const scan = (state: ScanState, previous: ScanState | null = null, taskId = 7) =>
  buildScanStatusChangedEvent({
    storeId: TEST_STORE_ID, source: '/cwp-task-bridge/ap-guangzhou', taskId, state, previous, startedAt: state === 'NOTASK' ? null : AT - 3_000, endedAt: state === 'FINISHED' ? AT : null, observedAt: AT, requestId: 'req-scan',
  });

describe('the event', () => {
  test.each(SCAN_STATES.flatMap((state) => [null, ...SCAN_STATES].map((previous) => [previous, state] as const)))('%s -> %s conforms to its schema, subject scan', (previous, state) => {
    const e = scan(state, previous);
    expect(e).toMatchObject({ type: 'com.tencentcloud.cwp.scan.status.changed', subject: 'scan', data: { taskId: 7, state, previous, severity: 'info' } });
    expect(eventSchemaProblems(e)).toEqual([]);
  });

  test('the schema refuses an end time while the scan runs, and another subject', () => {
    const running = scan('SYNCING', 'FINISHED');
    expect(eventSchemaProblems({ ...running, data: { ...running.data, endedAt: new Date(AT).toISOString() } })).not.toEqual([]);
    expect(eventSchemaProblems({ ...running, subject: '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1/port' })).not.toEqual([]);
  });

  test('its id is the same for the same change of the same task in the same store, and differs for another task, state or store', () => {
    expect(scan('FINISHED', 'SYNCING').id).toBe(scanChangeId({ storeId: TEST_STORE_ID, taskId: 7, previous: 'SYNCING', state: 'FINISHED' }));
    expect(scanChangeId({ storeId: 'another-store', taskId: 7, previous: 'SYNCING', state: 'FINISHED' })).not.toBe(scan('FINISHED', 'SYNCING').id);
    expect(new Set([scan('FINISHED', 'SYNCING').id, scan('FINISHED', 'SYNCING', 8).id, scan('SYNCING', 'FINISHED').id]).size).toBe(3);
  });
});

describe('the sinks', () => {
  test('routing: KINDS does not filter the account\'s scan out, EVENT_TYPES and MIN_SEVERITY do', () => {
    const e = scan('FINISHED', 'SYNCING');
    expect(routeAccepts({ ...EVERY_EVENT, kinds: ['port'] }, e)).toBe(true);
    expect(routeAccepts({ ...EVERY_EVENT, types: ['com.tencentcloud.cwp.ports.changed'] }, e)).toBe(false);
    expect(routeAccepts({ ...EVERY_EVENT, types: ['com.tencentcloud.cwp.scan.status.changed'] }, e)).toBe(true);
    expect(routeAccepts({ ...EVERY_EVENT, minSeverity: 'warning' }, e)).toBe(false);
  });

  test('CMQ tags: scan, the state, the severity, each within a filter tag\'s 16 characters', () => {
    expect(cmqTags(scan('SYNCING', 'FINISHED'))).toEqual(['scan', 'SYNCING', 'info']);
    for (const state of SCAN_STATES) for (const tag of cmqTags(scan(state))) expect(tag.length).toBeLessThanOrEqual(CMQ_MAX_FILTER_TAG_CHARS);
  });

  test('chat: one short line per message, what happened to which scan', () => {
    const m = singleMessage(scan('FINISHED', 'SYNCING'));
    expect(m.title).toBe('Asset scan finished: the account\'s scan (task 7)');
    expect(m.sections[0]!.facts).toEqual(expect.arrayContaining([{ label: 'Scan', value: 'the account\'s scan (task 7)' }, { label: 'State', value: 'SYNCING -> FINISHED' }]));
    expect(eventFields(scan('SYNCING'))).toMatchObject({ agent: '', state: 'SYNCING', transition: '(first) -> SYNCING', what: 'Asset scan started' });
    expect(digestLine(scan('SYNCING', 'FINISHED'))).toBe('the account\'s scan (task 7) · process+port · FINISHED -> SYNCING · 04:00:03Z');
    expect(digestMessage([[scan('SYNCING', 'FINISHED'), scan('FINISHED', 'SYNCING')]], 5).title).toBe('The account\'s asset scan changed 2 times');
  });

  test('the local receiver prints one line', () => {
    expect(describeEvent(scan('FINISHED', 'SYNCING'))).toBe('info asset scan 7 SYNCING       -> FINISHED');
  });
});
