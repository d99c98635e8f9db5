// EventBridge (eb 2021-04-16): PutEvents to custom event buses. Checked as lib/sinks/eventbridge.ts documents the
// API: the bus exists; EventList holds 1 to EB_MAX_EVENTS_PER_CALL events; each event has string Source (of the
// `<name>.cloud.tencent` form), Type, Subject and Data (JSON, at most 64 KB), an optional integer Time in ms,
// optional string Id and Region; nothing else. Errors are PutEvents' documented codes (tencentcloud-sdk-go eb
// client.go): ResourceNotFound.EventBus, InvalidParameter, InvalidParameterValue.InvalidEvent, MissingParameter.
// Its calls-per-second limit is its own (1000 by default, the documented one), not the 20 of the CWP actions.
import { ApiError } from './errors';
import { RateLimiter } from './ratelimit';

export const EB_VERSION = '2021-04-16';
export const EB_ACTIONS: readonly string[] = ['PutEvents'];
/** Events per PutEvents call the emulator takes (Tencent documents none; the bridge sends at most this many). */
export const EB_MAX_EVENTS_PER_CALL = 10;
/** "Maximum size of an event message body: 64 KB" (tencentcloud.com/document/product/1108/42271). */
export const EB_MAX_EVENT_BYTES = 64 * 1024;
/** PutEvents' default request limit: 1000 per second (cloud.tencent.com/document/api/1359/68465). */
export const EB_RATE_LIMIT_PER_SECOND = 1000;
/** The bus every emulator starts with (the demo's). */
export const EB_DEMO_BUS = 'eb-cwpdemo';

const SOURCE = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*\.cloud\.tencent$/;
const EVENT_FIELDS = ['Source', 'Type', 'Subject', 'Data', 'Time', 'Id', 'Region'];
// Milliseconds since 2001: a seconds timestamp (10 digits) is refused, as a mistake.
const MIN_TIME_MS = 1e12;

export interface EbEventRecord {
  Source: string;
  Type: string;
  Subject: string;
  Data: string;
  Time?: number;
  Id?: string;
  Region?: string;
}

/** One event as the bus received it. */
export interface EbArrival {
  /** The RequestId of the PutEvents call that carried it. */
  requestId: string;
  /** Its index in that call's EventList. */
  batchIndex: number;
  /** How many events that call carried. */
  batchSize: number;
  event: EbEventRecord;
  /** Epoch ms when it was accepted. */
  at: number;
}

export class EventBridge {
  private readonly buses = new Map<string, EbArrival[]>();
  /** PutEvents' own limit (server.ts admits eb calls through it). */
  readonly limiter: RateLimiter;

  constructor(private readonly now: () => number, readonly rateLimitPerSecond = EB_RATE_LIMIT_PER_SECOND) {
    this.limiter = new RateLimiter(rateLimitPerSecond);
    this.createBus(EB_DEMO_BUS);
  }

  /** Adds a custom bus (idempotent: its events stay). */
  createBus(id: string): void {
    if (!this.buses.has(id)) this.buses.set(id, []);
  }

  /** The events a bus received, in order. */
  events(busId: string): EbArrival[] {
    return [...(this.buses.get(busId) ?? [])];
  }

  /** Forgets every received event (the buses stay). */
  reset(): void {
    for (const id of this.buses.keys()) this.buses.set(id, []);
    this.limiter.reset();
  }

  handle(action: string, body: string, requestId: string): Record<string, unknown> {
    if (action !== 'PutEvents') throw new ApiError('InvalidAction', `The action \`${action}\` does not exist.`);
    const params = parseObject(body);
    const extra = Object.keys(params).filter((k) => k !== 'EventList' && k !== 'EventBusId');
    if (extra.length > 0) throw new ApiError('InvalidParameter', `Unknown parameter(s): ${extra.join(', ')}.`);
    if (params.EventBusId === undefined) throw new ApiError('MissingParameter', 'The request is missing a required parameter `EventBusId`.');
    if (typeof params.EventBusId !== 'string') throw new ApiError('InvalidParameter', 'EventBusId must be a string.');
    if (params.EventList === undefined) throw new ApiError('MissingParameter', 'The request is missing a required parameter `EventList`.');
    const list = params.EventList;
    if (!Array.isArray(list) || list.length === 0 || list.length > EB_MAX_EVENTS_PER_CALL) {
      throw new ApiError('InvalidParameter', `EventList must be an array of 1 to ${EB_MAX_EVENTS_PER_CALL} events.`);
    }
    const events = list.map((e, i) => checkEvent(e, i));
    const bus = this.buses.get(params.EventBusId);
    if (!bus) throw new ApiError('ResourceNotFound.EventBus', `The event bus ${params.EventBusId} does not exist.`);
    const at = this.now();
    for (const [batchIndex, event] of events.entries()) bus.push({ requestId, batchIndex, batchSize: events.length, event, at });
    return {};
  }
}

function parseObject(body: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(body);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new ApiError('InvalidParameter', 'The request body could not be parsed as a JSON object.');
}

function checkEvent(value: unknown, i: number): EbEventRecord {
  const at = `EventList.${i}`;
  const invalid = (why: string) => new ApiError('InvalidParameterValue.InvalidEvent', `${at}: ${why}`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('an event must be an object.');
  const e = value as Record<string, unknown>;
  const extra = Object.keys(e).filter((k) => !EVENT_FIELDS.includes(k));
  if (extra.length > 0) throw new ApiError('InvalidParameter', `${at}: unknown field(s): ${extra.join(', ')}.`);
  for (const field of ['Source', 'Type', 'Subject', 'Data']) {
    if (typeof e[field] !== 'string' || e[field] === '') throw invalid(`${field} is required and must be a non-empty string.`);
  }
  const event = e as unknown as EbEventRecord;
  if (!SOURCE.test(event.Source)) throw invalid(`Source "${event.Source}" must be of the form <name>.cloud.tencent.`);
  try {
    JSON.parse(event.Data);
  } catch {
    throw invalid('Data must be a JSON string (datacontenttype application/json).');
  }
  const bytes = Buffer.byteLength(event.Data, 'utf8');
  if (bytes > EB_MAX_EVENT_BYTES) throw invalid(`Data is ${bytes} bytes, more than the ${EB_MAX_EVENT_BYTES}-byte event limit.`);
  if (e.Time !== undefined && (typeof e.Time !== 'number' || !Number.isInteger(e.Time) || e.Time < MIN_TIME_MS)) throw invalid('Time must be a timestamp in milliseconds.');
  for (const field of ['Id', 'Region']) if (e[field] !== undefined && typeof e[field] !== 'string') throw invalid(`${field} must be a string.`);
  return event;
}
