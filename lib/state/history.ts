// The rules of the event history (HistoryPort) every backend shares: what of an event the history indexes, the
// order of the history (time, then the order of arrival), the cursor, and the limits. The history keeps every
// event the bridge appends to the outbox, written in the same step; see store.ts HistoryPort.
import type { BridgeEvent, EventType } from '../events/types';
import { BadCursorError } from './rules';

/** HISTORY_RETENTION and HISTORY_MAX: what the history keeps. */
export interface HistoryLimits {
  /** Events whose time is older than the newest append's time less this are dropped. */
  retentionMs: number;
  /** At most this many events are kept; the oldest go first. */
  max: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { retentionMs: 7 * 24 * 3_600_000, max: 200_000 };

/** A search of the history: every filter optional; newest first. */
export interface HistoryQuery {
  type?: EventType;
  uuid?: string;
  /** Epoch ms, inclusive: events at or after. */
  since?: number;
  /** Epoch ms, inclusive: events at or before. */
  until?: number;
  limit: number;
  /** nextCursor of the previous page. */
  cursor?: string;
}

/** The filters of a search, without its page. */
export type HistoryFilter = Omit<HistoryQuery, 'limit' | 'cursor'>;

/** The index a search or a count reads: the whole history, a type's, an agent's, or an agent's of one type. */
export function historyIndexOf(filter: HistoryFilter): string[] {
  if (filter.uuid !== undefined) return filter.type !== undefined ? ['ut', `${filter.uuid}:${filter.type}`] : ['u', filter.uuid];
  return filter.type !== undefined ? ['t', filter.type] : [];
}

export interface HistoryPage {
  events: BridgeEvent[];
  /** Where the next page starts; null when this page is the last. */
  nextCursor: string | null;
}

/** An event's time in the history's order: its `time` (epoch ms; 0 if unreadable, so it is the first to go). */
export function historyTime(event: BridgeEvent): number {
  const t = Date.parse(event.time);
  return Number.isFinite(t) && t > 0 ? t : 0;
}

/** The agent an event is about (`data.uuid`: every event type but the account's scan has one), or null. */
export function historyUuid(event: BridgeEvent): string | null {
  const data = event.data as { uuid?: unknown };
  return typeof data.uuid === 'string' && data.uuid !== '' ? data.uuid : null;
}

/**
 * An event's place in the history: its time and its arrival number, as one string whose order is the history's
 * (both zero-padded): newest first is this string descending. Ties of time keep the order of arrival, so a cursor
 * (a place) is exact and stays valid while new events arrive.
 */
export function historyPlace(time: number, seq: number): string {
  return `${String(Math.max(0, Math.floor(time))).padStart(15, '0')}:${String(seq).padStart(15, '0')}`;
}

/** The lowest place of a time (every event at `time` is at or after it). */
export const firstPlaceAt = (time: number): string => historyPlace(time, 0);
/** The highest place of a time (every event at `time` is at or before it). */
export const lastPlaceAt = (time: number): string => `${String(Math.max(0, Math.floor(time))).padStart(15, '0')}:~`;

const PLACE = /^\d{15}:\d{15}$/;

export function encodeHistoryCursor(place: string): string {
  return Buffer.from(`h1/${place}`).toString('base64url');
}

/** The place a cursor continues below; a cursor the history did not give throws BadCursorError. */
export function decodeHistoryCursor(cursor: string): string {
  const text = /^[A-Za-z0-9_-]{1,80}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const place = text.startsWith('h1/') ? text.slice(3) : '';
  if (!PLACE.test(place)) throw new BadCursorError('cursor is not one this API gave; start without it');
  return place;
}

/**
 * Where a search starts, newest first: strictly below this place (the cursor's, or just above `until`), and where
 * it stops: at or above `lowest` (`since`).
 */
export function historyBounds(query: HistoryQuery): { below: string; lowest: string } {
  const fromCursor = query.cursor === undefined ? null : decodeHistoryCursor(query.cursor);
  const fromUntil = query.until === undefined ? null : lastPlaceAt(query.until);
  const candidates = [fromCursor, fromUntil].filter((p): p is string => p !== null);
  const below = candidates.length === 0 ? '~' : candidates.reduce((a, b) => (a < b ? a : b));
  return { below, lowest: query.since === undefined ? '' : firstPlaceAt(query.since) };
}
