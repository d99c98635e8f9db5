// How the chat robots speak incidents (lib/sinks/chat/incident-wording.ts through message.ts and chat-sink.ts):
// one line per incident led by what happened to it, clock times in CHAT_TIMEZONE (default Asia/Shanghai),
// durations as a person says them, digests that count agents and incidents (never collection kinds), repeats as
// digest lines, and every vendor inside its size limits.
import { LocalRequestBudget } from '../../lib/ratelimit/budget';
import { buildChatRobotSink } from '../../lib/sinks/chat/build';
import { digestPlan } from '../../lib/sinks/chat/chat-sink';
import { dingtalk } from '../../lib/sinks/chat/dingtalk';
import { feishu, FEISHU_BODY_MAX_BYTES } from '../../lib/sinks/chat/feishu';
import { clockTime, humanDuration } from '../../lib/sinks/chat/incident-wording';
import { digestMessage, groupEvents, singleMessage } from '../../lib/sinks/chat/message';
import { slack, SLACK_SECTION_MAX_CHARS } from '../../lib/sinks/chat/slack';
import { wecom, WECOM_MARKDOWN_MAX_BYTES } from '../../lib/sinks/chat/wecom';
import { ChatRobotReceiver } from '../helpers/chat-receivers';
import { incidentEvents, offlineIncidents, statusEvent } from '../helpers/chat-events';

/** 10:02 in Shanghai (UTC+8). */
const AT = Date.parse('2026-11-24T02:02:00Z');
const MIN = 60_000;
const VENDORS = [wecom, dingtalk('SEC0123456789abcdef0123'), feishu('s3cret'), slack];
const title = (e: Parameters<typeof singleMessage>[0], timeZone?: string) => singleMessage(e, undefined, timeZone ? { timeZone } : undefined).title;

describe('one incident, one line', () => {
  test('an agent offline: FIRING with its name and IP and since when; RESOLVED with how long it lasted', () => {
    const { firing, resolved } = incidentEvents(5, { status: 'AGENT_OFFLINE' }, { at: AT, resolvedAt: AT + 14 * MIN + 30_000 });
    expect(title(firing)).toBe('FIRING · web-05 (10.0.0.5) offline since 10:02');
    expect(title(resolved!)).toBe('RESOLVED · web-05 back after 14 min');
  });

  test('the message carries the line, the key to acknowledge it by, and what to do', () => {
    const { firing } = incidentEvents(5, { status: 'AGENT_OFFLINE' }, { at: AT });
    const m = singleMessage(firing);
    expect(m.sections).toEqual([{ heading: m.title, severity: 'warning', facts: [{ label: 'Key', value: firing.data.key }], more: 0, action: expect.stringContaining(`POST /v1/incidents/${firing.data.key}/ack`) }]);
  });

  test('a firing a silence held back, sent when it ended, says why it comes now', () => {
    const { firing } = incidentEvents(5, { status: 'AGENT_OFFLINE' }, { at: AT });
    const released = { ...firing, data: { ...firing.data, previous: 'firing' as const } };
    expect(title(released)).toBe('FIRING · web-05 (10.0.0.5) offline since 10:02');
    expect(singleMessage(released).sections[0]!.facts).toContainEqual({ label: 'Held back', value: 'by a silence or maintenance window that ended' });
    expect(singleMessage(firing).sections[0]!.facts.map((f) => f.label)).toEqual(['Key']);
  });

  test('a resolution or an acknowledgement is no longer shown as a warning', () => {
    const { resolved, acknowledged } = incidentEvents(5, { status: 'AGENT_OFFLINE' }, { at: AT, ackBy: 'alice', resolvedAt: AT + 5 * MIN });
    expect(singleMessage(resolved!).severity).toBe('info');
    expect(singleMessage(acknowledged!).severity).toBe('info');
  });

  test.each([
    ['port.opened', { port: { port: 6379, pid: 300, processName: 'redis-server' } }, 'FIRING · port 6379 (redis-server) open on web-07 (10.0.0.7) since 10:02', 'RESOLVED · port 6379 (redis-server) closed on web-07 after 2 h 5 min'],
    ['process.suspicious', { process: { pid: 9, ppid: 1, processName: 'kdevtmpfsi', username: 'nobody', fullPath: '/tmp/kdevtmpfsi' } }, 'FIRING · suspicious process kdevtmpfsi (/tmp/kdevtmpfsi, nobody) on web-07 (10.0.0.7) since 10:02', 'RESOLVED · process kdevtmpfsi (/tmp/kdevtmpfsi) gone from web-07 after 2 h 5 min'],
    ['collection.failed', { status: 'FAILED', kind: 'port' }, 'FIRING · open-port collection failed on web-07 (10.0.0.7) since 10:02', 'RESOLVED · open-port collection on web-07 completed again after 2 h 5 min'],
    ['agent.unknown', { status: 'UNKNOWN_AGENT' }, 'FIRING · web-07 (10.0.0.7) unknown to CWP since 10:02', 'RESOLVED · web-07 known to CWP again after 2 h 5 min'],
  ] as const)('%s reads as one line firing and resolved', (_, opening, fired, over) => {
    const { firing, resolved } = incidentEvents(7, opening, { at: AT, resolvedAt: AT + 125 * MIN });
    expect(title(firing)).toBe(fired);
    expect(title(resolved!)).toBe(over);
  });

  test('a repeat says how long it has lasted; an acknowledgement says who, and what they said', () => {
    const { repeat, acknowledged } = incidentEvents(5, { status: 'AGENT_OFFLINE' }, { at: AT, repeatAt: AT + 4 * 60 * MIN, ackBy: 'alice', comment: 'restarting the agent' });
    expect(title(repeat!)).toBe('REPEAT · web-05 (10.0.0.5) offline since 10:02 (4 h; repeat 1)');
    expect(title(acknowledged!)).toBe('ACKNOWLEDGED · web-05 (10.0.0.5) offline since 10:02, by alice: restarting the agent');
  });

  test('an incident closed because its agent is no longer watched says so', () => {
    const { resolved } = incidentEvents(5, { status: 'AGENT_OFFLINE' }, { at: AT, resolvedAt: AT + 3 * MIN, reason: 'unwatched' });
    expect(title(resolved!)).toBe('RESOLVED · web-05 offline, no longer watched, after 3 min');
  });

  test('an agent without a machine name or IP is named by its Uuid', () => {
    const { firing } = incidentEvents(5, { status: 'AGENT_OFFLINE' }, { at: AT, machine: false });
    expect(title(firing)).toBe(`FIRING · ${firing.data.uuid} offline since 10:02`);
  });

  test('markup in a process name cannot restyle the line', () => {
    const { firing } = incidentEvents(5, { process: { pid: 9, ppid: 1, processName: '**x**<at all>', username: 'root', fullPath: '/tmp/.x' } }, { at: AT });
    expect(title(firing)).toBe('FIRING · suspicious process x at all (/tmp/.x, root) on web-05 (10.0.0.5) since 10:02');
  });
});

describe('times and durations', () => {
  test('clock times are shown in CHAT_TIMEZONE, with the date when it is another day there', () => {
    const { firing } = incidentEvents(5, { status: 'AGENT_OFFLINE' }, { at: AT });
    expect(title(firing, 'UTC')).toBe('FIRING · web-05 (10.0.0.5) offline since 02:02');
    expect(title(firing, 'America/New_York')).toBe('FIRING · web-05 (10.0.0.5) offline since 21:02');
    expect(clockTime(AT, 'Asia/Shanghai', AT + 24 * 60 * MIN)).toBe('11-24 10:02');
  });

  test.each([[0, '0 s'], [45, '45 s'], [14 * 60 + 59, '14 min'], [3600, '1 h'], [2 * 3600 + 5 * 60, '2 h 5 min'], [3 * 86_400 + 4 * 3600 + 60, '3 d 4 h'], [86_400, '1 d']])('%i s is "%s"', (seconds, said) => {
    expect(humanDuration(seconds)).toBe(said);
  });
});

describe('digests', () => {
  test('60 agents offline are "60 agents offline", the first names listed and the rest counted; then "60 agents back"', () => {
    const { firing, resolved } = offlineIncidents(60, 1, AT, AT + 14 * MIN);
    const fired = digestMessage(groupEvents(firing), 10);
    expect(fired.sections).toHaveLength(1);
    expect(fired.sections[0]).toMatchObject({ heading: 'FIRING · 60 agents offline', more: 50 });
    expect(fired.sections[0]!.facts[0]).toEqual({ label: '', value: 'web-01 (10.0.0.1) offline since 10:02' });
    expect(fired.eventIds).toHaveLength(60);
    const back = digestMessage(groupEvents(resolved), 10);
    expect(back.sections[0]).toMatchObject({ heading: 'RESOLVED · 60 agents back', more: 50, severity: 'info' });
    expect(back.sections[0]!.facts[0]!.value).toBe('web-01 back after 14 min');
  });

  test('group by incident type and notification, counting incidents and agents, never collection kinds', () => {
    const events = [
      incidentEvents(1, { status: 'FAILED', kind: 'process' }, { at: AT }).firing,
      incidentEvents(1, { status: 'FAILED', kind: 'port' }, { at: AT }).firing,
      incidentEvents(2, { status: 'FAILED', kind: 'port' }, { at: AT }).firing,
      incidentEvents(3, { port: { port: 6379, pid: 1, processName: 'redis-server' } }, { at: AT }).firing,
      incidentEvents(3, { port: { port: 8080, pid: 2, processName: 'java' } }, { at: AT }).firing,
      incidentEvents(4, { status: 'AGENT_OFFLINE' }, { at: AT, resolvedAt: AT + MIN }).resolved!,
    ];
    expect(digestMessage(groupEvents(events), 10).sections.map((s) => s.heading)).toEqual([
      'FIRING · 3 collections failed on 2 agents',
      'FIRING · 2 ports open on 1 agent',
      'RESOLVED · 1 agent back',
    ]);
  });

  test('repeats are one digest line per incident', () => {
    const repeats = [1, 2, 3].map((i) => incidentEvents(i, { status: 'AGENT_OFFLINE' }, { at: AT, repeatAt: AT + 4 * 60 * MIN }).repeat!);
    const m = digestMessage(groupEvents(repeats), 10);
    expect(m.sections[0]!.heading).toBe('REPEAT · 3 agents still offline');
    expect(m.sections[0]!.facts.map((f) => f.value)).toEqual(['web-01 (10.0.0.1) offline since 10:02 (4 h; repeat 1)', 'web-02 (10.0.0.2) offline since 10:02 (4 h; repeat 1)', 'web-03 (10.0.0.3) offline since 10:02 (4 h; repeat 1)']);
  });

  test.each(VENDORS.map((v) => [v.kind, v] as const))('%s: 60 agents offline and 60 back fit in one message each, inside its size limit', (_, vendor) => {
    const { firing, resolved } = offlineIncidents(60, 1, AT, AT + 14 * MIN);
    const plan = digestPlan([...firing, ...resolved], (m) => vendor.fits(m));
    expect(plan.length).toBeLessThanOrEqual(2);
    expect(plan.flatMap((p) => p.events)).toHaveLength(120);
  });

  test('1,000 incidents of every type stay inside each vendor\'s documented limits', () => {
    const many = Array.from({ length: 1000 }, (_, i) => {
      const opening = [{ status: 'AGENT_OFFLINE' }, { status: 'FAILED', kind: 'port' }, { port: { port: 1000 + i, pid: i, processName: 'p'.repeat(80) } }, { process: { pid: i, ppid: 1, processName: 'x'.repeat(80), username: 'u', fullPath: `/tmp/${'y'.repeat(150)}` } }][i % 4] as Parameters<typeof incidentEvents>[1];
      const e = incidentEvents(i, opening, { at: AT, resolvedAt: AT + i * MIN });
      return i % 2 ? e.firing : e.resolved!;
    });
    for (const p of digestPlan(many, (m) => wecom.fits(m))) expect(Buffer.byteLength((wecom.render(p.message) as { markdown: { content: string } }).markdown.content)).toBeLessThanOrEqual(WECOM_MARKDOWN_MAX_BYTES);
    const ding = dingtalk(null);
    for (const p of digestPlan(many, (m) => ding.fits(m))) expect(Buffer.byteLength((ding.render(p.message) as { markdown: { text: string } }).markdown.text)).toBeLessThanOrEqual(4096);
    const fs = feishu('s3cret');
    for (const p of digestPlan(many, (m) => fs.fits(m))) expect(Buffer.byteLength(fs.request('https://x/open-apis/bot/v2/hook/t', fs.render(p.message), AT).body)).toBeLessThanOrEqual(FEISHU_BODY_MAX_BYTES);
    for (const p of digestPlan(many, (m) => slack.fits(m))) {
      for (const b of (slack.render(p.message) as { blocks: Array<{ type: string; text?: { text: string } }> }).blocks) if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(SLACK_SECTION_MAX_CHARS);
    }
  });
});

describe('through a robot', () => {
  const receivers: ChatRobotReceiver[] = [];
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  async function dingtalkRobot(timeZone?: string) {
    const now = () => AT + 20 * MIN;
    const receiver = await ChatRobotReceiver.start('dingtalk', { now });
    receivers.push(receiver);
    const sink = buildChatRobotSink({ kind: 'dingtalk', url: receiver.url, secret: null, template: null, ...(timeZone ? { timeZone } : {}) }, { budget: (rate, burst) => new LocalRequestBudget(rate, burst, now), timeoutMs: 3000, now });
    return { receiver, sink };
  }
  const signal = new AbortController().signal;

  test('a lone incident is one message with its line, in the robot\'s time zone', async () => {
    const { receiver, sink } = await dingtalkRobot('UTC');
    const { firing } = incidentEvents(5, { status: 'AGENT_OFFLINE' }, { at: AT });
    expect(await sink.sendBatch([firing], signal)).toEqual([{ ok: true }]);
    expect(receiver.accepted[0]!.text).toContain('FIRING · web-05 (10.0.0.5) offline since 02:02');
  });

  test('a lone repeat is a digest line under its heading', async () => {
    const { receiver, sink } = await dingtalkRobot();
    const { repeat } = incidentEvents(5, { status: 'AGENT_OFFLINE' }, { at: AT, repeatAt: AT + 4 * 60 * MIN });
    await sink.sendBatch([repeat!], signal);
    expect(receiver.accepted[0]!.text).toContain('REPEAT · 1 agent still offline');
    expect(receiver.accepted[0]!.text).toContain('- web-05 (10.0.0.5) offline since 10:02 (4 h; repeat 1)');
  });

  test('other event types, when a robot is given them, keep their own wording', async () => {
    const { receiver, sink } = await dingtalkRobot();
    await sink.sendBatch([statusEvent(5, 'COLLECTING', 'AGENT_OFFLINE')], signal);
    expect(receiver.accepted[0]!.text).toContain('Agent went offline: web-05 (10.0.0.5)');
  });
});
