// Where a held-back notification goes: only to sinks with <P>_IGNORE_SILENCES=true (the drain, lib/sinks/deliver.ts,
// reading the outbox entry's `silenced`); where a silence's end notice goes: only to the sinks that take notices; the settings: <P>_IGNORE_SILENCES and ALERT_MAINTENANCE, whose every
// problem is listed at start-up.
import { Quiet } from '../../lib/alerts/quiet';
import { incidentsForStatusChange, type AlertContext } from '../../lib/alerts/rules';
import { INCIDENT_TYPES } from '../../lib/alerts/types';
import { loadConfig } from '../../lib/config';
import type { BridgeEvent } from '../../lib/events/types';
import { silentLogger } from '../../lib/log';
import { drainOutbox } from '../../lib/sinks/deliver';
import { buildSilenceEndedNotice, SILENCE_ENDED } from '../../lib/events/silence-ended';
import { withRoute } from '../../lib/sinks/route';
import type { SendResult, Sink } from '../../lib/sinks/sink';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { configProblems, TEST_CREDENTIALS } from '../helpers/config';
import { TEST_STORE_ID } from '../helpers/events';

const T = Date.UTC(2026, 10, 24, 10);
const HELD = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const SENT = '00000000-0000-4000-8000-000000000002';

class Keeping implements Sink {
  readonly events: BridgeEvent[] = [];
  readonly concurrency = 1;
  constructor(readonly id: string) {}
  async send(event: BridgeEvent): Promise<SendResult> {
    this.events.push(event);
    return { ok: true };
  }
}

describe('held-back notifications in the drain', () => {
  test('reach only the sinks that ignore silences; the rest get what is not held back, and the outbox empties', async () => {
    const store = new MemoryStateStore();
    const quiet = new Quiet({ silences: [{ id: 's1', matchers: [{ name: 'uuid', value: HELD, op: '=' }], startsAt: T - 1, endsAt: T + 60_000, createdBy: 'a', comment: 'c', createdAt: T, hits: 0, lastHitAt: null, endNoticed: false }], windows: [], expectations: [] });
    const ctx: AlertContext = { storeId: TEST_STORE_ID, source: '/s', settings: { offlineForMs: 0, repeatEveryMs: null, processNames: [], types: [...INCIDENT_TYPES], retentionMs: 60_000 }, quiet };
    const writes = [HELD, SENT].flatMap((uuid, i) => incidentsForStatusChange(ctx, { uuid, kind: 'process', state: 'FAILED', eventId: `e${i}`, at: T, open: [] }));
    expect(await store.applyIncidents(writes)).toBe(true);
    const chat = new Keeping('chat');
    const siem = withRoute(new Keeping('siem'), { minSeverity: 'info', kinds: null, states: null, types: null, ignoreSilences: true });
    const result = await drainOutbox(store, [chat, siem], { maxAttempts: 3, logger: silentLogger, now: () => T });
    expect(chat.events.map((e) => e.subject)).toEqual([writes[1]!.incident.key]);
    expect(siem.events.map((e) => e.subject)).toEqual([writes[0]!.incident.key, writes[1]!.incident.key]);
    expect(result.left).toBe(0);
  });
});

describe("a silence's end notice in the drain", () => {
  const silence = { id: 's1', matchers: [{ name: 'uuid' as const, value: HELD, op: '=' as const }], startsAt: T - 1, endsAt: T, createdBy: 'alice', comment: 'db reboot', createdAt: T - 1, hits: 3, lastHitAt: T - 1, endNoticed: false };

  test('reaches only the sinks that take notices (the chat robots), whatever the others route or ignore; the outbox empties', async () => {
    const store = new MemoryStateStore();
    await store.putQuietRule('silence', silence);
    expect(await store.noticeSilenceEnded('s1', buildSilenceEndedNotice(TEST_STORE_ID, '/s', silence, 0, T))).toBe(true);
    const robot = Object.assign(new Keeping('robot'), { takesNotices: true });
    const webhook = new Keeping('webhook');
    const siem = withRoute(new Keeping('siem'), { minSeverity: 'info', kinds: null, states: null, types: null, ignoreSilences: true });
    const result = await drainOutbox(store, [robot, webhook, siem], { maxAttempts: 3, logger: silentLogger, now: () => T });
    expect(robot.events.map((e) => e.type)).toEqual([SILENCE_ENDED]);
    expect(webhook.events).toEqual([]);
    expect(siem.events).toEqual([]);
    expect(result.left).toBe(0);
  });

  test('is routed as an incident.changed: a robot given other types only is not sent it', async () => {
    const store = new MemoryStateStore();
    await store.putQuietRule('silence', silence);
    expect(await store.noticeSilenceEnded('s1', buildSilenceEndedNotice(TEST_STORE_ID, '/s', silence, 0, T))).toBe(true);
    const route = { minSeverity: 'info' as const, kinds: null, states: null, ignoreSilences: false };
    const incidents = withRoute(Object.assign(new Keeping('incidents'), { takesNotices: true }), { ...route, types: ['com.tencentcloud.cwp.incident.changed'] });
    const ports = withRoute(Object.assign(new Keeping('ports'), { takesNotices: true }), { ...route, types: ['com.tencentcloud.cwp.ports.changed'] });
    await drainOutbox(store, [incidents, ports], { maxAttempts: 3, logger: silentLogger, now: () => T });
    expect(incidents.events).toHaveLength(1);
    expect(ports.events).toEqual([]);
  });
});

describe('settings', () => {
  test('<P>_IGNORE_SILENCES is true or false, per sink prefix', () => {
    expect(loadConfig({ ...TEST_CREDENTIALS, WEBHOOK_IGNORE_SILENCES: 'true' }).routes.WEBHOOK!.ignoreSilences).toBe(true);
    expect(loadConfig(TEST_CREDENTIALS).routes.WEBHOOK!.ignoreSilences).toBe(false);
    expect(configProblems({ SLACK_IGNORE_SILENCES: 'yes' })).toEqual([expect.stringContaining('SLACK_IGNORE_SILENCES: "yes" must be true or false')]);
  });

  test('ALERT_MAINTENANCE is a JSON list of windows, each with a stable id', () => {
    const w = { matchers: [{ name: 'machineName', value: 'db-*', op: 'glob' }], days: ['Sun'], start: '02:00', end: '04:00', timezone: 'Asia/Shanghai', createdBy: 'ops', comment: 'patching' };
    const [a] = loadConfig({ ...TEST_CREDENTIALS, ALERT_MAINTENANCE: JSON.stringify([w]) }).alerts.maintenance!;
    const [b] = loadConfig({ ...TEST_CREDENTIALS, ALERT_MAINTENANCE: JSON.stringify([w]) }).alerts.maintenance!;
    expect(a).toMatchObject({ ...w, origin: 'config', id: expect.stringMatching(/^cfg-[0-9a-f]{12}$/) });
    expect(a!.id).toBe(b!.id);
  });

  test('ALERT_MAINTENANCE: every problem of every window is listed at start-up', () => {
    const bad = [{ matchers: [], days: ['Funday'], start: '2am', end: '04:00', timezone: 'Nowhere/City', createdBy: 'ops' }];
    const problems = configProblems({ ALERT_MAINTENANCE: JSON.stringify(bad) });
    expect(problems).toEqual([
      expect.stringContaining('ALERT_MAINTENANCE: [0].matchers'),
      expect.stringContaining('ALERT_MAINTENANCE: [0].days'),
      expect.stringContaining('ALERT_MAINTENANCE: [0].start'),
      expect.stringContaining('ALERT_MAINTENANCE: [0].timezone'),
      expect.stringContaining('ALERT_MAINTENANCE: [0].comment'),
    ]);
    expect(configProblems({ ALERT_MAINTENANCE: '{not json' })).toEqual([expect.stringContaining('ALERT_MAINTENANCE: is not valid JSON')]);
  });
});
