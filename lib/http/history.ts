// GET /v1/events (scope read): the event history (lib/state HistoryPort), newest first, filtered by type (its full
// name or the part after com.tencentcloud.cwp.), agent and time, a page at a time with an opaque cursor.
import { EVENT_TYPES, type EventType } from '../events/types';
import type { ScfHttpResponse } from '../scf/types';
import { BadCursorError } from '../state/rules';
import type { HistoryQuery } from '../state/history';
import type { RouteContext } from './deps';
import { HttpError, jsonResponse } from './respond';
import { storeCall } from './store-call';
import { parseUuid, parseWholeNumber } from './validate';

export const HISTORY_LIMIT = { min: 1, max: 500, default: 100 };
const TYPE_PREFIX = 'com.tencentcloud.cwp.';
/** ISO 8601 date-time with a zone (Z or ±hh:mm), or a date alone (midnight UTC). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

function parseType(raw: string | undefined): EventType | undefined {
  if (raw === undefined || raw === '') return undefined;
  const full = raw.startsWith(TYPE_PREFIX) ? raw : TYPE_PREFIX + raw;
  if (!(EVENT_TYPES as readonly string[]).includes(full)) {
    const short = EVENT_TYPES.map((t) => t.slice(TYPE_PREFIX.length)).join(', ');
    throw new HttpError(400, 'invalid_type', `type must be an event type the bridge publishes: ${short} (or the full name, e.g. ${EVENT_TYPES[0]})`, { details: { field: 'type' } });
  }
  return full as EventType;
}

function parseTime(raw: string | undefined, field: 'since' | 'until'): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const ms = ISO_8601.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isFinite(ms)) {
    throw new HttpError(400, `invalid_${field}`, `${field} must be an ISO 8601 time such as 2026-12-07T08:00:00Z (or a date, 2026-12-07)`, { details: { field } });
  }
  return ms;
}

export async function searchEvents(ctx: RouteContext): Promise<ScfHttpResponse> {
  const q = ctx.req.query;
  const type = parseType(q.type);
  const uuid = q.uuid === undefined || q.uuid === '' ? undefined : parseUuid(q.uuid);
  const since = parseTime(q.since, 'since');
  const until = parseTime(q.until, 'until');
  if (since !== undefined && until !== undefined && since > until) {
    throw new HttpError(400, 'invalid_since', 'since must not be after until', { details: { field: 'since' } });
  }
  const limit = parseWholeNumber(q.limit, 'limit', HISTORY_LIMIT.min, HISTORY_LIMIT.max, HISTORY_LIMIT.default);
  const query: HistoryQuery = { limit, ...(type ? { type } : {}), ...(uuid ? { uuid } : {}), ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), ...(q.cursor ? { cursor: q.cursor } : {}) };
  try {
    const page = await storeCall('searchHistory', () => ctx.deps.store.searchHistory(query));
    return jsonResponse(200, { events: page.events, nextCursor: page.nextCursor }, ctx.req.requestId);
  } catch (e) {
    if (e instanceof BadCursorError) {
      throw new HttpError(400, 'invalid_cursor', 'cursor is not one this API gave; pass nextCursor of the previous page as it is, or start without it', { details: { field: 'cursor' } });
    }
    throw e;
  }
}
