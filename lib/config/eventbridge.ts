// The EventBridge sink's settings (issue #13): EB_EVENT_BUS_ID turns it on; the rest have defaults. Limits and
// their sources are in lib/sinks/eventbridge.ts.
import * as z from 'zod/mini';
import { httpOrigin, int, REGION_PATTERN } from './fields';

export const EB_ENV = ['EB_EVENT_BUS_ID', 'EB_REGION', 'EB_ENDPOINT', 'EB_SOURCE', 'EB_RATE_LIMIT'] as const;

export const EB_DEFAULT_ENDPOINT = 'https://eb.tencentcloudapi.com';
/**
 * Our custom source, in the `<name>.cloud.tencent` form of EventBridge's event structure (cos.cloud.tencent,
 * ckafka.cloud.tencent): event rules match on it, e.g. {"source": "cwp-task-bridge.cloud.tencent"}.
 */
export const EB_DEFAULT_SOURCE = 'cwp-task-bridge.cloud.tencent';
/**
 * PutEvents calls per second. Tencent documents 1000 requests/s for the action and 5,000 TPS of PutEvents
 * throughput per region; 500 calls of at most 10 events stay within both readings of "TPS" (calls or events).
 */
export const EB_DEFAULT_RATE_LIMIT = 500;

/** `<name>.cloud.tencent`: lower-case labels of letters, digits and hyphens. */
export const EB_SOURCE_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*\.cloud\.tencent$/;

export interface EventBridgeConfig {
  busId: string;
  region: string;
  endpoint: string;
  source: string;
  /** PutEvents calls per second (shared across instances through Redis). */
  rateLimit: number;
}

const schema = z.object({
  EB_EVENT_BUS_ID: z.optional(z.string().check(z.regex(/^[A-Za-z0-9][\w-]{0,127}$/, { error: 'must be an event bus ID such as eb-abcd1234 (EventBridge console, Event bus)' }))),
  EB_REGION: z.optional(z.string().check(z.regex(REGION_PATTERN, { error: 'must be a region such as ap-guangzhou, or unset for TENCENTCLOUD_REGION' }))),
  EB_ENDPOINT: httpOrigin(EB_DEFAULT_ENDPOINT),
  EB_SOURCE: z._default(z.string().check(z.regex(EB_SOURCE_PATTERN, { error: `must be a source of the form <name>.cloud.tencent in lower case, such as ${EB_DEFAULT_SOURCE}` })), EB_DEFAULT_SOURCE),
  EB_RATE_LIMIT: int(1, 1000, EB_DEFAULT_RATE_LIMIT, 'PutEvents calls per second'),
});

/** The EventBridge settings from the variables present (trimmed, non-empty); null when EB_EVENT_BUS_ID is unset. */
export function parseEventBridge(present: Readonly<Record<string, string>>, region: string): { eb: EventBridgeConfig | null; problems: string[] } {
  const input: Record<string, string> = {};
  for (const name of EB_ENV) if (present[name] !== undefined) input[name] = present[name]!;
  const parsed = z.safeParse(schema, input);
  if (!parsed.success) return { eb: null, problems: parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`) };
  const e = parsed.data;
  // Without a bus the sink is off; its other settings (still checked above) wait for one.
  if (!e.EB_EVENT_BUS_ID) return { eb: null, problems: [] };
  return { eb: { busId: e.EB_EVENT_BUS_ID, region: e.EB_REGION ?? region, endpoint: e.EB_ENDPOINT.replace(/\/$/, ''), source: e.EB_SOURCE, rateLimit: e.EB_RATE_LIMIT }, problems: [] };
}
