// The chat robots' sink kind (`chatRobotSinks`): their settings (settings.ts) and the sinks createSinks builds
// from them, one per configured URL, each a small stand-in that knows its id at once (stored with every delivery)
// and loads the real sink (build.ts: the vendors, the wording, the signing) on its first send. So a run that
// configures no robot never evaluates any chat code, and one that does pays for it when the first event is due,
// not at cold start (scripts/build.mjs ships build.ts as a deferred module). This file imports none of that code.
import type { BridgeEvent } from '../../events/types';
import { settingsOf, type SinkKind } from '../kind';
import type { BatchSink, SendResult, Sink } from '../sink';
import { allowsPlainHttp } from '../webhook-url';
import { webhookSinks } from '../webhook';
import type { ChatSinkDeps } from './build';
import type { ChatRobotSink } from './chat-sink';
import { chatSinkId } from './id';
import { CHAT_ENV, parseChatConfig, type ChatConfig, type ChatRobotConfig, type ChatRobotKind } from './settings';

export type { ChatSinkDeps } from './build';
export { chatSinkId, robotHash } from './id';
export { CHAT_ENV, type ChatConfig, type ChatRobotConfig, type ChatRobotKind } from './settings';

/** Matches ChatRobotSink's: one batch at a time; at most a burst of messages per batch (4), each within the timeout. */
const MAX_MESSAGES_PER_BATCH = 4;
const DEFAULT_MAX_BATCH = 100;

/** The routing prefix of each vendor's robots (WECOM_MIN_SEVERITY, …; lib/config/routing.ts). */
export const CHAT_ROUTE_PREFIX = { wecom: 'WECOM', dingtalk: 'DINGTALK', feishu: 'FEISHU', slack: 'SLACK' } as const satisfies Record<ChatRobotKind, string>;

export class LazyChatRobotSink implements BatchSink {
  readonly id: string;
  readonly kind: ChatRobotKind;
  readonly concurrency = 1;
  readonly maxBatch: number;
  readonly maxSendMs: number;
  /** A signed DingTalk or Feishu robot: the signature carries a timestamp the vendor checks. */
  readonly checksTimestamps: boolean;
  /** As ChatRobotSink: a person reads the robot, so it is told when a silence that held something back ended. */
  readonly takesNotices = true;
  #sink: Promise<ChatRobotSink> | null = null;

  constructor(private readonly robot: ChatRobotConfig, private readonly deps: ChatSinkDeps) {
    this.id = chatSinkId(robot.kind, robot.url);
    this.kind = robot.kind;
    this.maxBatch = deps.maxBatch ?? DEFAULT_MAX_BATCH;
    this.maxSendMs = deps.timeoutMs * MAX_MESSAGES_PER_BATCH + 1_000;
    this.checksTimestamps = robot.secret !== null && (robot.kind === 'dingtalk' || robot.kind === 'feishu');
  }

  #load(): Promise<ChatRobotSink> {
    this.#sink ??= import('./build').then((m) => m.buildChatRobotSink(this.robot, this.deps));
    return this.#sink;
  }

  async send(event: BridgeEvent, signal: AbortSignal): Promise<SendResult> {
    return (await this.#load()).send(event, signal);
  }

  async sendBatch(events: BridgeEvent[], signal: AbortSignal): Promise<SendResult[]> {
    return (await this.#load()).sendBatch(events, signal);
  }
}

/**
 * The chat robots: a sink per URL of WECOM_WEBHOOK_URLS, DINGTALK_WEBHOOK_URLS, FEISHU_WEBHOOK_URLS and
 * SLACK_WEBHOOK_URLS, each vendor routed on its own. WEBHOOK_ALLOW_HTTP and WEBHOOK_TIMEOUT_MS hold for them too.
 */
export const chatRobotSinks: SinkKind<'chat', ChatConfig> = {
  key: 'chat',
  prefixes: Object.values(CHAT_ROUTE_PREFIX),
  variables: CHAT_ENV,
  // A person reads a robot's messages: incidents (firing, repeat, acknowledged, resolved), not every state change.
  // <PREFIX>_EVENT_TYPES chooses others (e.g. DINGTALK_EVENT_TYPES=incident.changed,ports.changed).
  defaultEventTypes: ['com.tencentcloud.cwp.incident.changed'],
  settings: ({ present, problems }) => parseChatConfig(present, allowsPlainHttp(present), problems),
  create(chat, { config, budget, storeId }) {
    const timeoutMs = settingsOf(config, webhookSinks).timeoutMs;
    // With CONSOLE_URL and LINK_SECRET, a firing incident's message carries signed links bound to the store's id.
    const links = config.links && storeId ? { settings: config.links, storeId } : null;
    const byPrefix: Record<string, Sink[]> = {};
    for (const robot of chat.robots) (byPrefix[CHAT_ROUTE_PREFIX[robot.kind]] ??= []).push(new LazyChatRobotSink(robot, { budget, timeoutMs, links }));
    return byPrefix;
  },
};
