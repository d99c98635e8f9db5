// The overview's two charts, from GET /v1/overview's series (the server counts them from the history's index):
// events per hour over the last 24 h, and agents offline per day over the last 7 days. Plain functions, tested on
// their own.
import type { OverviewView } from './api';

export interface Bar {
  /** Start of the bucket, ISO 8601. */
  at: string;
  value: number;
}

/** One bar per hour, oldest first, as the overview counted them. */
export function eventsPerHourBars(series: OverviewView['eventsPerHour']): Bar[] {
  return [...series].sort((a, b) => a.hour.localeCompare(b.hour)).map((h) => ({ at: h.hour, value: h.events }));
}

/** One bar per UTC day, oldest first; the day is the overview's `YYYY-MM-DD` or an ISO time. */
export function agentsOfflineBars(series: OverviewView['agentsOfflinePerDay']): Bar[] {
  return [...series].sort((a, b) => a.day.localeCompare(b.day)).map((d) => ({ at: /^\d{4}-\d\d-\d\d$/.test(d.day) ? `${d.day}T00:00:00.000Z` : d.day, value: d.agents }));
}
