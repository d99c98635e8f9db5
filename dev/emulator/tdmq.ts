// TDMQ for CMQ on API 3.0 (tdmq 2020-02-17): PublishCmqMsg to a topic, SendCmqMsg to a queue.
// Documented for both actions: FailedOperation and ResourceNotFound (tencentcloud-sdk-go tdmq/v20200217/client.go);
// the responses are {Result: boolean, MsgId: string} (PublishCmqMsgResponse, SendCmqMsgResponse).
import { ApiError } from './errors';

export const TDMQ_VERSION = '2020-02-17';
export const TDMQ_ACTIONS: readonly string[] = ['PublishCmqMsg', 'SendCmqMsg'];
/** CMQ's default and largest MaxMsgSize (ModifyCmqTopicAttribute: 1024 - 65536 bytes, default 65536). */
export const DEFAULT_MAX_MSG_SIZE = 65536;
const MAX_TAG_LENGTH = 64;

export interface CmqMessage {
  msgId: string;
  content: string;
  /** PublishCmqMsg's MsgTag (topics); [] for queues. */
  tags: string[];
  /** SendCmqMsg's DelaySeconds (queues); 0 for topics. */
  delaySeconds: number;
  /** Epoch ms when it was accepted. */
  at: number;
}

interface Destination {
  maxMsgSize: number;
  messages: CmqMessage[];
}

export class Tdmq {
  readonly topics = new Map<string, Destination>();
  readonly queues = new Map<string, Destination>();
  private seq = 0;

  constructor(private readonly now: () => number) {}

  createTopic(name: string, options: { maxMsgSize?: number } = {}): void {
    this.topics.set(name, { maxMsgSize: options.maxMsgSize ?? DEFAULT_MAX_MSG_SIZE, messages: this.topics.get(name)?.messages ?? [] });
  }

  createQueue(name: string, options: { maxMsgSize?: number } = {}): void {
    this.queues.set(name, { maxMsgSize: options.maxMsgSize ?? DEFAULT_MAX_MSG_SIZE, messages: this.queues.get(name)?.messages ?? [] });
  }

  /** Messages of a topic or queue: a name looks in topics first, then queues. */
  messages(target: string | { topic: string } | { queue: string }): CmqMessage[] {
    if (typeof target === 'string') return [...(this.topics.get(target) ?? this.queues.get(target))?.messages ?? []];
    const dest = 'topic' in target ? this.topics.get(target.topic) : this.queues.get(target.queue);
    return [...(dest?.messages ?? [])];
  }

  handle(action: string, body: string): Record<string, unknown> {
    const params = parseParams(body);
    const content = requireString(params, 'MsgContent');
    let dest: Destination | undefined;
    let tags: string[] = [];
    let delaySeconds = 0;
    if (action === 'PublishCmqMsg') {
      const name = requireString(params, 'TopicName');
      allowOnly(params, ['TopicName', 'MsgContent', 'MsgTag']);
      if (params.MsgTag !== undefined) {
        const t = params.MsgTag;
        if (!Array.isArray(t) || t.some((x) => typeof x !== 'string' || x.length > MAX_TAG_LENGTH)) {
          throw new ApiError('InvalidParameterValue', `MsgTag must be an array of strings of at most ${MAX_TAG_LENGTH} characters.`);
        }
        tags = t as string[];
      }
      dest = this.topics.get(name);
      if (!dest) throw new ApiError('ResourceNotFound', `The topic ${name} does not exist.`);
    } else {
      const name = requireString(params, 'QueueName');
      allowOnly(params, ['QueueName', 'MsgContent', 'DelaySeconds']);
      const d = params.DelaySeconds;
      if (d === undefined) throw new ApiError('MissingParameter', 'The request is missing a required parameter `DelaySeconds`.');
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) throw new ApiError('InvalidParameterValue', 'DelaySeconds must be a non-negative integer.');
      delaySeconds = d;
      dest = this.queues.get(name);
      if (!dest) throw new ApiError('ResourceNotFound', `The queue ${name} does not exist.`);
    }
    const size = Buffer.byteLength(content, 'utf8');
    if (size > dest.maxMsgSize) {
      throw new ApiError('InvalidParameterValue', `MsgContent is ${size} bytes, more than the MaxMsgSize of ${dest.maxMsgSize} bytes.`);
    }
    const msgId = `${Math.floor(this.now() / 1000)}:${++this.seq}:0:-1`;
    dest.messages.push({ msgId, content, tags, delaySeconds, at: this.now() });
    return { Result: true, MsgId: msgId };
  }
}

function parseParams(body: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(body);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new ApiError('InvalidParameter', 'The request body could not be parsed as a JSON object.');
}

function requireString(params: Record<string, unknown>, name: string): string {
  const v = params[name];
  if (v === undefined) throw new ApiError('MissingParameter', `The request is missing a required parameter \`${name}\`.`);
  if (typeof v !== 'string') throw new ApiError('InvalidParameterValue', `${name} must be a string.`);
  return v;
}

function allowOnly(params: Record<string, unknown>, names: string[]): void {
  const extra = Object.keys(params).filter((k) => !names.includes(k));
  if (extra.length > 0) throw new ApiError('InvalidParameter', `Unknown parameter(s): ${extra.join(', ')}.`);
}
