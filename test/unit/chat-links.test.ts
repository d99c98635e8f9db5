// The one-click links of chat messages: with CONSOLE_URL and LINK_SECRET, each robot's message of a firing incident
// carries "Acknowledge" and "Silence 1 h" in its own markup, each a link the api function verifies; without them,
// or for any other message, there are none. Against local robots that answer as each vendor does.
import { incidentsForStatusChange, acknowledgeIncident, type AlertContext } from '../../lib/alerts/rules';
import { INCIDENT_TYPES } from '../../lib/alerts/types';
import type { IncidentChangedEvent } from '../../lib/events/types';
import { verifyLink } from '../../lib/links/signed-link';
import type { LinkSettings } from '../../lib/links/settings';
import { LocalRequestBudget } from '../../lib/ratelimit/budget';
import { buildChatRobotSink } from '../../lib/sinks/chat/build';
import type { ChatLinkSigner } from '../../lib/sinks/chat/links';
import type { ChatRobotKind } from '../../lib/sinks/chat/settings';
import { ChatRobotReceiver } from '../helpers/chat-receivers';
import { statusEvent, T0 } from '../helpers/chat-events';

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const STORE_ID = 'store-for-links';
const SETTINGS: LinkSettings = { consoleUrl: 'https://fn.example.com', secret: 'z'.repeat(40) };
const DINGTALK_SECRET = 'SECd8f3c1a2b4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f';
const FEISHU_SECRET = 'fs0123456789abcdefghij';
const SECRETS: Record<ChatRobotKind, string | undefined> = { wecom: undefined, dingtalk: DINGTALK_SECRET, feishu: FEISHU_SECRET, slack: undefined };
const alerts: AlertContext = { storeId: STORE_ID, source: '/s', settings: { offlineForMs: 0, repeatEveryMs: 60_000, processNames: [], types: [...INCIDENT_TYPES], retentionMs: 86_400_000 } };

function firing(): { event: IncidentChangedEvent; acknowledged: IncidentChangedEvent } {
  const [w] = incidentsForStatusChange(alerts, { uuid: UUID, kind: 'port', state: 'AGENT_OFFLINE', eventId: 'ev-1', at: T0, machine: { name: 'web-01', ip: '10.0.0.5' }, open: [] });
  const ack = acknowledgeIncident(alerts, w!.incident, 'alice', undefined, T0 + 1000);
  if (typeof ack === 'string') throw new Error(ack);
  return { event: w!.event!, acknowledged: ack.event! };
}

const receivers: ChatRobotReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function robot(kind: ChatRobotKind, links: ChatLinkSigner | null) {
  const clock = { t: T0 };
  const now = () => clock.t;
  const secret = SECRETS[kind];
  const receiver = await ChatRobotReceiver.start(kind, { ...(secret ? { secret } : {}), now });
  receivers.push(receiver);
  const sink = buildChatRobotSink({ kind, url: receiver.url, secret: secret ?? null, template: null }, { budget: (rate, burst) => new LocalRequestBudget(rate, burst, now), timeoutMs: 3000, now, links });
  return { receiver, sink, clock };
}

const signer: ChatLinkSigner = { settings: SETTINGS, storeId: async () => STORE_ID };
const signal = new AbortController().signal;
/** The link URLs in a message's text, whatever the markup ([label](url) or <url|label>). */
const linksIn = (text: string) => [...text.matchAll(/https:\/\/fn\.example\.com\/v1\/links\/([A-Za-z0-9_.-]+)/g)].map((m) => m[1]!);

describe.each(['wecom', 'dingtalk', 'feishu', 'slack'] as const)('%s', (kind) => {
  test('a firing incident\'s message carries Acknowledge and Silence 1 h, signed for its incident, action and store, for 24 h', async () => {
    const { receiver, sink } = await robot(kind, signer);
    const { event } = firing();
    expect((await sink.sendBatch([event], signal)).every((r) => r.ok)).toBe(true);
    const text = receiver.accepted[0]!.text;
    const link = kind === 'slack' ? (label: string) => new RegExp(`<https://fn\\.example\\.com/v1/links/[^|>]+\\|${label}>`) : (label: string) => new RegExp(`\\[${label}\\]\\(https://fn\\.example\\.com/v1/links/[^)]+\\)`);
    expect(text).toMatch(link('Acknowledge'));
    expect(text).toMatch(link('Silence 1 h'));
    const [ack, silence] = linksIn(text).map((t) => verifyLink(SETTINGS.secret, t, STORE_ID, T0));
    expect(ack).toEqual({ ok: true, claims: { action: 'ack', key: event.data.key, storeId: STORE_ID, expiresAt: T0 + 24 * 3_600_000 } });
    expect(silence).toEqual({ ok: true, claims: { action: 'silence', key: event.data.key, storeId: STORE_ID, expiresAt: T0 + 24 * 3_600_000, hours: 1 } });
  });

  test('without CONSOLE_URL and LINK_SECRET the same message has no links', async () => {
    const { receiver, sink } = await robot(kind, null);
    await sink.sendBatch([firing().event], signal);
    expect(receiver.accepted[0]!.text).not.toContain('/v1/links/');
    expect(receiver.accepted[0]!.text).not.toContain('Acknowledge]');
  });

  test('an acknowledged incident\'s message, or a state change, has no links', async () => {
    const { receiver, sink, clock } = await robot(kind, signer);
    await sink.sendBatch([firing().acknowledged], signal);
    clock.t += 60_000; // room in the robot's rate for a second message
    await sink.sendBatch([statusEvent(1, 'COLLECTING', 'AGENT_OFFLINE')], signal);
    expect(receiver.accepted).toHaveLength(2);
    for (const m of receiver.accepted) expect(linksIn(m.text)).toEqual([]);
  });
});

test('a store that does not answer: the message goes without links rather than not at all', async () => {
  const { receiver, sink } = await robot('wecom', { settings: SETTINGS, storeId: () => Promise.reject(new Error('down')) });
  expect((await sink.sendBatch([firing().event], signal)).every((r) => r.ok)).toBe(true);
  expect(linksIn(receiver.accepted[0]!.text)).toEqual([]);
});
