// The overview's two charts from the history (GET /v1/events): events per hour over the last 24 h, and agents
// reported offline per day over the last 7 days. Plain functions over the events, tested on their own.
import type { CloudEvent } from '../../lib/events/types';

export interface Bar {
  /** Start of the bucket, ISO 8601. */
  at: string;
  value: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** 24 hourly buckets ending with the current hour (the last one partial), each the number of events in it. */
export function eventsPerHour(events: Pick<CloudEvent, 'time'>[], now: number): Bar[] {
  const end = Math.floor(now / HOUR) * HOUR + HOUR;
  const start = end - 24 * HOUR;
  const bars = Array.from({ length: 24 }, (_, i) => ({ at: new Date(start + i * HOUR).toISOString(), value: 0 }));
  for (const e of events) {
    const t = Date.parse(e.time);
    if (t >= start && t < end) bars[Math.floor((t - start) / HOUR)]!.value++;
  }
  return bars;
}

/**
 * 7 daily buckets (UTC days, ending with today): how many distinct agents a status event reported AGENT_OFFLINE
 * that day (an agent offline for three days with one event counts on the first day only: the history holds
 * changes, not states).
 */
export function agentsOfflinePerDay(events: CloudEvent[], now: number): Bar[] {
  const end = Math.floor(now / DAY) * DAY + DAY;
  const start = end - 7 * DAY;
  const days = Array.from({ length: 7 }, () => new Set<string>());
  for (const e of events) {
    if (e.type !== 'com.tencentcloud.cwp.task.status.changed' || e.data.state !== 'AGENT_OFFLINE') continue;
    const t = Date.parse(e.time);
    if (t >= start && t < end) days[Math.floor((t - start) / DAY)]!.add(e.data.uuid);
  }
  return days.map((agents, i) => ({ at: new Date(start + i * DAY).toISOString(), value: agents.size }));
}
