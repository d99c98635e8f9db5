// The chat robot sinks as createSinks builds them: one per configured URL, each a small stand-in that knows its
// id at once (stored with every delivery) and loads the real sink (build.ts: the vendors, the wording, the
// signing) on its first send. So a run that configures no robot never evaluates any chat code, and one that
// does pays for it when the first event is due, not at cold start. This file imports nothing heavy.
import { createHash } from 'node:crypto';
import type { ChatRobotConfig, ChatRobotKind } from '../../config/chat';
import type { BridgeEvent } from '../../events/types';
import type { BatchSink, SendResult } from '../sink';
import type { ChatSinkDeps } from './build';
import type { ChatRobotSink } from './chat-sink';

export type { ChatSinkDeps } from './build';

/** 12 hex characters of the URL's SHA-256: the robot's stable name in sink ids and budget keys, never its key. */
export function robotHash(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 12);
}

/** `wecom:qyapi.weixin.qq.com#1a2b3c4d5e6f`: no path, no query (the id is stored and shown; robot URLs are credentials). */
export function chatSinkId(kind: ChatRobotKind, url: string): string {
  const u = new URL(url);
  return `${kind}:${u.host}#${robotHash(u.toString())}`;
}

/** Matches ChatRobotSink's: one batch at a time; at most a burst of messages per batch (4), each within the timeout. */
const MAX_MESSAGES_PER_BATCH = 4;
const DEFAULT_MAX_BATCH = 100;

/** The settings prefix of each kind's routing variables (WECOM_MIN_SEVERITY, …; lib/config/routing.ts). */
export const CHAT_ROUTE_PREFIX = { wecom: 'WECOM', dingtalk: 'DINGTALK', feishu: 'FEISHU', slack: 'SLACK' } as const;

export class LazyChatRobotSink implements BatchSink {
  readonly id: string;
  readonly kind: ChatRobotKind;
  readonly concurrency = 1;
  readonly maxBatch: number;
  readonly maxSendMs: number;
  #sink: Promise<ChatRobotSink> | null = null;

  constructor(private readonly robot: ChatRobotConfig, private readonly deps: ChatSinkDeps) {
    this.id = chatSinkId(robot.kind, robot.url);
    this.kind = robot.kind;
    this.maxBatch = deps.maxBatch ?? DEFAULT_MAX_BATCH;
    this.maxSendMs = deps.timeoutMs * MAX_MESSAGES_PER_BATCH + 1_000;
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

export function createChatSinks(robots: ChatRobotConfig[], deps: ChatSinkDeps): LazyChatRobotSink[] {
  return robots.map((r) => new LazyChatRobotSink(r, deps));
}
