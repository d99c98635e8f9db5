// What surrounds incidents: their settings (periods written 30s, 2m, 4h, 7d; 0 where it means something), how
// incident.changed is routed (KINDS and STATES by what the incident is about, every notification alike), its CMQ
// tags, its chat wording, and the chat robots' default route (incident.changed only, others selectable).
import { incidentForClock, incidentsForStatusChange, type AlertContext } from '../../lib/alerts/rules';
import { INCIDENT_TYPES, type IncidentWrite } from '../../lib/alerts/types';
import { loadConfig } from '../../lib/config';
import type { IncidentChangedEvent } from '../../lib/events/types';
import { silentLogger } from '../../lib/log';
import { cmqTags, createSinks, EVERY_EVENT, routeAccepts } from '../../lib/sinks';
import { CMQ_MAX_FILTER_TAG_CHARS, INCIDENT_TYPE_TAG } from '../../lib/sinks/cmq';
import { digestMessage, groupEvents, singleMessage } from '../../lib/sinks/chat/message';
import { buildStatusChangedEvent } from '../../lib/events';
import type { TaskKind, TaskState } from '../../lib/types';
import { configProblems, TEST_CREDENTIALS } from '../helpers/config';
import { TEST_STORE_ID } from '../helpers/events';

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const T = Date.UTC(2026, 10, 24, 10);
const ctx: AlertContext = { storeId: TEST_STORE_ID, source: '/s', settings: { offlineForMs: 0, repeatEveryMs: 60_000, processNames: [], types: [...INCIDENT_TYPES], retentionMs: 86_400_000 } };

function incidentEvent(state: TaskState, kind: TaskKind = 'port'): { event: IncidentChangedEvent; write: IncidentWrite } {
  const [write] = incidentsForStatusChange(ctx, { uuid: UUID, kind, state, eventId: 'ev-1', at: T, machine: { name: 'web-01', ip: '10.0.0.5' }, open: [] });
  return { event: write!.event!, write: write! };
}

describe('settings', () => {
  test('defaults: offline for 2m, repeats every 4h, kept 30d, no process names, every incident type', () => {
    expect(loadConfig(TEST_CREDENTIALS).alerts).toEqual({ offlineForMs: 120_000, repeatEveryMs: 4 * 3_600_000, processNames: [], types: [...INCIDENT_TYPES], retentionMs: 30 * 86_400_000, maintenance: [] });
  });

  test('ALERT_TYPES chooses the incident types that open, or none', () => {
    expect(loadConfig({ ...TEST_CREDENTIALS, ALERT_TYPES: 'port.opened, agent.offline' }).alerts.types).toEqual(['agent.offline', 'port.opened']);
    expect(loadConfig({ ...TEST_CREDENTIALS, ALERT_TYPES: 'none' }).alerts.types).toEqual([]);
    expect(configProblems({ ALERT_TYPES: 'agent.offline,port.open' })).toEqual([
      'ALERT_TYPES: "port.open" is not an incident type; use agent.offline, collection.failed, agent.unknown, port.opened, process.suspicious (comma separated), none, or leave it unset for all',
    ]);
  });

  test('periods are read in s, m, h and d; 0 fires at once and turns repeats off', () => {
    const c = loadConfig({ ...TEST_CREDENTIALS, ALERT_OFFLINE_FOR: '0', ALERT_REPEAT_EVERY: '0', INCIDENT_RETENTION: '7d', ALERT_PROCESS_NAMES: 'xmrig, kdevtmpfsi,xmrig' });
    expect(c.alerts).toMatchObject({ offlineForMs: 0, repeatEveryMs: null, processNames: ['xmrig', 'kdevtmpfsi'], retentionMs: 7 * 86_400_000 });
    expect(loadConfig({ ...TEST_CREDENTIALS, ALERT_OFFLINE_FOR: '30s', ALERT_REPEAT_EVERY: '2s' }).alerts).toMatchObject({ offlineForMs: 30_000, repeatEveryMs: 2_000 });
  });

  test.each([
    ['ALERT_OFFLINE_FOR', '2 minutes', 'ALERT_OFFLINE_FOR: must be a duration such as 2m (a whole number with s, m, h or d: 30s, 10m, 4h, 7d), or 0 to fire at once'],
    ['ALERT_REPEAT_EVERY', '-1h', 'ALERT_REPEAT_EVERY: must be a duration such as 4h (a whole number with s, m, h or d: 30s, 10m, 4h, 7d), or 0 never to repeat'],
    ['INCIDENT_RETENTION', '0', 'INCIDENT_RETENTION: must be a duration of at least 1m such as 30d (a whole number with s, m, h or d: 30s, 10m, 4h, 7d)'],
  ])('a bad %s (%s) is named with what it must be', (name, value, problem) => {
    expect(configProblems({ [name]: value })).toEqual([problem]);
  });

  test('a bad alert setting does not stop the api function (it is the poll function\'s)', () => {
    expect(() => loadConfig({ ...TEST_CREDENTIALS, API_TOKENS: 'a'.repeat(16), ALERT_OFFLINE_FOR: 'soon' }, { role: 'api' })).not.toThrow();
  });
});

describe('routing of incident.changed', () => {
  const failedPort = incidentEvent('FAILED', 'port').event;
  const offline = incidentEvent('AGENT_OFFLINE', 'process').event;
  test.each([
    ['EVENT_TYPES=incident.changed takes it', { types: ['com.tencentcloud.cwp.incident.changed' as const] }, failedPort, true],
    ['MIN_SEVERITY=warning takes it (every incident is a warning, its resolution too)', { minSeverity: 'warning' as const }, failedPort, true],
    ['KINDS=port takes a port collection.failed', { kinds: ['port' as const] }, failedPort, true],
    ['KINDS=process drops a port collection.failed', { kinds: ['process' as const] }, failedPort, false],
    ['KINDS=process takes agent.offline (about every kind)', { kinds: ['process' as const] }, offline, true],
    ['STATES=FAILED takes collection.failed', { states: ['FAILED' as const] }, failedPort, true],
    ['STATES=FAILED drops agent.offline', { states: ['FAILED' as const] }, offline, false],
    ['STATES=AGENT_OFFLINE takes agent.offline', { states: ['AGENT_OFFLINE' as const] }, offline, true],
  ])('%s', (_name, r, event, expected) => {
    expect(routeAccepts({ ...EVERY_EVENT, ...r }, event)).toBe(expected);
  });

  test('its resolution is routed as its firing was', () => {
    const { write } = incidentEvent('FAILED', 'port');
    const [resolved] = incidentsForStatusChange(ctx, { uuid: UUID, kind: 'port', state: 'COMPLETE', eventId: 'ev-2', at: T + 1, open: [write.incident] });
    for (const r of [{ kinds: ['port' as const] }, { states: ['FAILED' as const] }, { minSeverity: 'warning' as const }]) {
      expect(routeAccepts({ ...EVERY_EVENT, ...r }, resolved!.event!)).toBe(routeAccepts({ ...EVERY_EVENT, ...r }, write.event!));
    }
  });

  test('the chat robots take incident.changed only unless <PREFIX>_EVENT_TYPES says otherwise; the other sinks take everything', () => {
    const status = buildStatusChangedEvent({ storeId: TEST_STORE_ID, source: '/s', uuid: UUID, kind: 'port', previous: 'COMPLETE', state: 'AGENT_OFFLINE', version: 2, observedAt: T, requestId: 'r' });
    const config = loadConfig({
      ...TEST_CREDENTIALS, WEBHOOK_URLS: 'http://127.0.0.1:9/hook', WEBHOOK_SECRET: `whsec_${Buffer.alloc(24, 1).toString('base64')}`,
      DINGTALK_WEBHOOK_URLS: 'https://oapi.dingtalk.com/robot/send?access_token=0123abcd0123abcd',
      SLACK_WEBHOOK_URLS: 'https://hooks.slack.com/services/T000/B000/XXXX', SLACK_EVENT_TYPES: 'incident.changed,task.status.changed',
    });
    const sinks = createSinks(config, { logger: silentLogger });
    const takes = (prefix: string, e: IncidentChangedEvent | typeof status) => {
      const sink = sinks.find((s) => s.id.startsWith(prefix))!;
      return sink.accepts ? sink.accepts(e) : true;
    };
    expect([takes('webhook:', status), takes('webhook:', failedPort)]).toEqual([true, true]);
    expect([takes('dingtalk:', status), takes('dingtalk:', failedPort)]).toEqual([false, true]);
    expect([takes('slack:', status), takes('slack:', failedPort)]).toEqual([true, true]);
  });
});

describe('CMQ tags', () => {
  test('incident, its type, firing or resolved, and its severity, each one a subscription can filter on', () => {
    expect(cmqTags(incidentEvent('FAILED', 'port').event)).toEqual(['incident', 'collect.failed', 'firing', 'warning']);
    expect(cmqTags(incidentEvent('AGENT_OFFLINE').event)).toEqual(['incident', 'agent.offline', 'firing', 'warning']);
    for (const tag of ['incident', 'firing', 'resolved', ...Object.values(INCIDENT_TYPE_TAG)]) expect(tag.length).toBeLessThanOrEqual(CMQ_MAX_FILTER_TAG_CHARS);
  });
});

describe('chat wording', () => {
  test('one incident: its line (what, where, since when in Asia/Shanghai), its key and what to do', () => {
    const { event } = incidentEvent('FAILED', 'port');
    const m = singleMessage(event);
    expect(m.title).toBe('FIRING · open-port collection failed on web-01 (10.0.0.5) since 18:00');
    expect(m.sections[0]!.heading).toBe(m.title);
    expect(m.sections[0]!.facts).toEqual([{ label: 'Key', value: event.data.key }]);
    expect(m.sections[0]!.action).toContain(`POST /v1/incidents/${event.data.key}/ack`);
  });

  test('a digest groups incidents by notification and type, one line each', () => {
    const events = ['AGENT_OFFLINE', 'FAILED', 'UNKNOWN_AGENT'].map((s) => incidentEvent(s as TaskState).event);
    const repeat = incidentForClock(ctx, incidentEvent('FAILED', 'process').write.incident, T + 60_000).event!;
    const m = digestMessage(groupEvents([...events, repeat]), 10);
    expect(m.sections.map((s) => s.heading)).toEqual(['FIRING · 1 agent offline', 'FIRING · 1 collection failed on 1 agent', 'FIRING · 1 agent unknown to CWP', 'REPEAT · 1 collection still failed on 1 agent']);
    expect(m.sections[0]!.facts[0]!.value).toBe('web-01 (10.0.0.5) offline since 18:00');
    expect(m.sections[3]!.facts[0]!.value).toBe('process collection failed on web-01 (10.0.0.5) since 18:00 (1 min; repeat 1)');
  });
});
