// The wording of chat messages (message.ts), templates (template.ts), and each vendor's rendering inside its
// size limit (WeCom markdown 4096 bytes, DingTalk 4096 bytes, Feishu body 20 KB, Slack sections 3000 chars).
import { digestPlan } from '../../lib/sinks/chat/chat-sink';
import { dingtalk } from '../../lib/sinks/chat/dingtalk';
import { feishu, FEISHU_BODY_MAX_BYTES } from '../../lib/sinks/chat/feishu';
import { clean, digestMessage, eventFields, groupEvents, silenceEndedLine, singleMessage, EVENT_FIELDS } from '../../lib/sinks/chat/message';
import { buildSilenceEndedNotice } from '../../lib/events/silence-ended';
import { loadConfig } from '../../lib/config';
import { createSinks } from '../../lib/sinks';
import { silentLogger } from '../../lib/log';
import { LocalRequestBudget } from '../../lib/ratelimit/budget';
import { TEST_CREDENTIALS } from '../helpers/config';
import { slack, SLACK_SECTION_MAX_CHARS } from '../../lib/sinks/chat/slack';
import { compileTemplate } from '../../lib/sinks/chat/template';
import { wecom, WECOM_MARKDOWN_MAX_BYTES } from '../../lib/sinks/chat/wecom';
import { agentUuid, offlineEvents, portsEvent, statusEvent } from '../helpers/chat-events';
import { buildAgentUnwatchedEvent } from '../../lib/events';
import { TEST_STORE_ID } from '../helpers/events';

const VENDORS = [wecom, dingtalk('SEC0123456789abcdef0123'), feishu('s3cret'), slack];

describe('one event', () => {
  const e = statusEvent(5, 'COLLECTING', 'AGENT_OFFLINE');

  test('says what happened, where (machine name and IP), the transition, severity, when, and what to do', () => {
    const m = singleMessage(e);
    expect(m.title).toBe('Agent went offline: web-05 (10.0.0.5)');
    const facts = Object.fromEntries(m.sections[0]!.facts.map((f) => [f.label, f.value]));
    expect(facts).toEqual({
      Agent: `web-05 (10.0.0.5) · ${agentUuid(5)}`,
      Kind: 'process collection',
      State: 'COLLECTING -> AGENT_OFFLINE',
      Severity: 'warning',
      When: e.time,
    });
    expect(m.sections[0]!.action).toMatch(/CWP agent is running/);
  });

  test('without a machine name or IP the agent is named by its Uuid', () => {
    expect(singleMessage(statusEvent(5, null, 'COMPLETE', { machine: false })).title).toBe(`Collection completed: ${agentUuid(5)}`);
  });

  test('a ports change names the ports added and removed, and counts what it does not list', () => {
    expect(eventFields(portsEvent(1, 8, 1)).changes).toBe('added 20000 (nginx), 20001 (nginx), 20002 (nginx), 20003 (nginx), 20004 (nginx) and 3 more; removed 80 (httpd)');
  });

  test('markup in outside values is dropped, so a machine name cannot restyle a message', () => {
    expect(clean('**evil** <at id=all> [x](y) `z`')).toBe('evil at id=all x (y) z');
  });

  test.each(VENDORS.map((v) => [v.kind, v] as const))('%s renders it inside its size limit', (_, vendor) => {
    expect(vendor.fits(singleMessage(e))).toBe(true);
    expect(JSON.stringify(vendor.render(singleMessage(e)))).toContain('web-05 (10.0.0.5)');
  });
});

describe('digests', () => {
  test('group by what happened, warnings first, with a count per group', () => {
    const events = [statusEvent(1, 'COLLECTING', 'COMPLETE'), ...offlineEvents(3, 10), statusEvent(2, 'COLLECTING', 'FAILED')];
    const m = digestMessage(groupEvents(events), 10);
    expect(m.sections.map((s) => s.heading)).toEqual(['3 agents went offline', '1 collection failed', '1 collection completed']);
    expect(m.title).toBe('3 agents went offline, 1 collection failed, 1 collection completed');
    expect(m.severity).toBe('warning');
  });

  test('list the first N of a group and count the rest', () => {
    const m = digestMessage(groupEvents(offlineEvents(23)), 10);
    expect(m.sections[0]).toMatchObject({ heading: '23 agents went offline', more: 13 });
    expect(m.sections[0]!.facts).toHaveLength(10);
    expect(m.eventIds).toHaveLength(23);
  });

  test('show an event handed twice (a replayed dead letter beside its original) once', () => {
    const [a, b] = offlineEvents(2);
    const m = digestMessage(groupEvents([a!, b!, a!]), 10);
    expect(m.eventIds).toEqual([a!.id, b!.id]);
    expect(m.sections[0]!.heading).toBe('2 agents went offline');
  });

  test.each(VENDORS.map((v) => [v.kind, v] as const))('%s: 60 offline agents fit in one message', (_, vendor) => {
    const plan = digestPlan(offlineEvents(60), (m) => vendor.fits(m));
    expect(plan).toHaveLength(1);
    expect(plan[0]!.events).toHaveLength(60);
  });

  test('a WeCom digest is never over 4096 bytes of markdown', () => {
    const many = [...offlineEvents(100), ...Array.from({ length: 40 }, (_, i) => portsEvent(200 + i, 50, 50))];
    for (const p of digestPlan(many, (m) => wecom.fits(m))) {
      const content = (wecom.render(p.message) as { markdown: { content: string } }).markdown.content;
      expect(Buffer.byteLength(content)).toBeLessThanOrEqual(WECOM_MARKDOWN_MAX_BYTES);
    }
  });

  test('a Feishu digest is never over 20 KB, signature included', () => {
    const v = feishu('s3cret');
    const many = [...offlineEvents(300), ...Array.from({ length: 100 }, (_, i) => portsEvent(500 + i, 50, 50))];
    for (const p of digestPlan(many, (m) => v.fits(m))) {
      expect(Buffer.byteLength(v.request('https://x/open-apis/bot/v2/hook/t', v.render(p.message), Date.now()).body)).toBeLessThanOrEqual(FEISHU_BODY_MAX_BYTES);
    }
  });

  test('a Slack digest keeps every section within 3000 characters', () => {
    const many = Array.from({ length: 30 }, (_, i) => portsEvent(i, 50, 50));
    for (const p of digestPlan(many, (m) => slack.fits(m))) {
      for (const b of (slack.render(p.message) as { blocks: Array<{ type: string; text?: { text: string } }> }).blocks) {
        if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(SLACK_SECTION_MAX_CHARS);
      }
    }
  });
});

describe('templates', () => {
  test('replace {{field}} with the event field, and \\n with a line break', () => {
    const t = compileTemplate('{{what}} on {{host}}\\n{{transition}} ({{severity}})');
    if (!t.ok) throw new Error(t.problems.join());
    expect(t.template.render(eventFields(statusEvent(3, 'COLLECTING', 'FAILED')))).toBe('Collection failed on web-03 (10.0.0.3)\nCOLLECTING -> FAILED (warning)');
  });

  test('name an unknown field and the known ones', () => {
    expect(compileTemplate('{{hostname}} is {{state}}')).toEqual({ ok: false, problems: [`unknown field {{hostname}}; use one of ${EVENT_FIELDS.join(', ')}`] });
  });

  test('refuse an unclosed placeholder', () => {
    expect(compileTemplate('{{what} went')).toMatchObject({ ok: false });
  });

  test('every field has a value for every event type', () => {
    for (const e of [statusEvent(1, null, 'COMPLETE'), portsEvent(2, 1)]) {
      const f = eventFields(e);
      for (const name of EVENT_FIELDS) expect(typeof f[name]).toBe('string');
    }
  });

  test('a templated message is rendered as the vendor markup', () => {
    const m = singleMessage(statusEvent(1, null, 'COMPLETE'), 'custom **text**');
    expect((wecom.render(m) as { markdown: { content: string } }).markdown.content).toBe('custom **text**');
  });
});

describe('an agent.unwatched event (WATCH_DISCOVER)', () => {
  const gone = (n: number) => buildAgentUnwatchedEvent({ storeId: TEST_STORE_ID, source: '/s', uuid: agentUuid(n), kinds: ['process', 'port'], machine: { name: `web-0${n}`, ip: `10.0.0.${n}` }, lastSeenAt: Date.UTC(2026, 11, 1), unwatchedAt: Date.UTC(2026, 11, 2), listing: 4 });

  test('says which machine left the watch list, for both kinds, and what to check', () => {
    const m = singleMessage(gone(3));
    expect(m.title).toBe('Agent no longer watched: web-03 (10.0.0.3)');
    const facts = Object.fromEntries(m.sections[0]!.facts.map((f) => [f.label, f.value]));
    expect(facts).toMatchObject({ Kind: 'process collection and open-port collection', State: 'watched -> unwatched', Severity: 'warning' });
    expect(m.sections[0]!.action).toMatch(/WATCH_DISCOVER_FILTERS/);
  });

  test('several are one digest group', () => {
    expect(groupEvents([gone(1), gone(2), statusEvent(5, 'COLLECTING', 'AGENT_OFFLINE')]).map((g) => g.length)).toEqual([2, 1]);
  });
});

describe("a silence's end notice", () => {
  const silence = { id: 's1', matchers: [{ name: 'machineName' as const, value: 'db-*', op: 'glob' as const }], startsAt: 0, endsAt: Date.UTC(2026, 0, 1, 10), createdBy: 'alice', comment: 'db reboot', createdAt: 0, hits: 10, lastHitAt: 1, endNoticed: false };
  const notice = (stillFiring: number | null, over: Partial<typeof silence> & { endedBy?: string } = {}) => buildSilenceEndedNotice(TEST_STORE_ID, '/s', { ...silence, ...over }, stillFiring, Date.UTC(2026, 0, 1, 10, 1));

  test('is one digest line, even alone: who made it, why, and that what it held back all resolved', () => {
    const m = singleMessage(notice(0));
    expect(m.sections).toEqual([expect.objectContaining({ heading: 'A silence ended', severity: 'info', facts: [{ label: '', value: 'Silence "db reboot" by alice ended: it held back 10 incidents, all resolved' }] })]);
    for (const vendor of VENDORS) expect(JSON.stringify(vendor.render(m))).toContain('it held back 10 incidents, all resolved');
  });

  test('says who ended it early and how many still fire (a warning then); says neither count when not known', () => {
    expect(silenceEndedLine(notice(3, { endedBy: 'bob' }))).toBe('Silence "db reboot" by alice ended (ended early by bob): it held back 10 incidents, 3 still firing');
    expect(singleMessage(notice(3)).severity).toBe('warning');
    expect(silenceEndedLine(notice(null))).toBe('Silence "db reboot" by alice ended: it held back 10 incidents');
  });

  test('two in one batch are one group: "2 silences ended"', () => {
    const other = buildSilenceEndedNotice(TEST_STORE_ID, '/s', { ...silence, id: 's2', comment: 'web deploy', hits: 1 }, 0, Date.UTC(2026, 0, 1, 10, 1));
    const m = digestMessage(groupEvents([notice(0), other]), 10);
    expect(m.sections.map((s) => [s.heading, s.facts.length])).toEqual([['2 silences ended', 2]]);
    expect(m.sections[0]!.facts[1]!.value).toBe('Silence "web deploy" by alice ended: it held back 1 incident, resolved');
  });

  test('the chat robots take notices; no other sink does', () => {
    const config = loadConfig({ ...TEST_CREDENTIALS, WECOM_WEBHOOK_URLS: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k', WEBHOOK_URLS: 'https://example.com/hook', WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}` });
    const sinks = createSinks(config, { logger: silentLogger, budget: (r, b) => new LocalRequestBudget(r, b) });
    expect(sinks.map((s) => [s.id.split(':')[0], s.takesNotices === true])).toEqual(expect.arrayContaining([['wecom', true], ['webhook', false]]));
  });
});
