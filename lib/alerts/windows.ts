// Recurring maintenance windows: whether an instant is inside one. The window is wall-clock time in its IANA time
// zone (Intl, no tz database of our own), so a window that crosses midnight belongs to the day it starts on, and the
// daylight-saving changes move it with the clocks: on the spring-forward day a 02:00-04:00 window in Europe/Berlin
// starts when the clocks jump to 03:00; on the fall-back day the repeated hour is inside it both times.
import type { MaintenanceWindow, Weekday } from './types';
import { WEEKDAYS } from './types';

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes since midnight of `HH:MM`, or null when it is not one (00:00 to 23:59). */
export function minutesOf(hhmm: string): number | null {
  const m = HHMM.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}


const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall clocks already read, by zone and minute: a sweep matches many incidents within a few minutes. */
const readings = new Map<string, { day: Weekday; minute: number }>();
const READINGS_MAX = 4_096;

/** The weekday and minute of the day at `at` on the wall clocks of `tz` (every zone's offset is whole minutes). */
export function wallClock(at: number, tz: string): { day: Weekday; minute: number } {
  const key = `${tz}|${Math.floor(at / 60_000)}`;
  const known = readings.get(key);
  if (known) return known;
  if (readings.size >= READINGS_MAX) readings.clear();
  const reading = readWallClock(at, tz);
  readings.set(key, reading);
  return reading;
}

function readWallClock(at: number, tz: string): { day: Weekday; minute: number } {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(tz, f);
  }
  let day: Weekday = 'Sun';
  let hour = 0;
  let minute = 0;
  for (const p of f.formatToParts(at)) {
    if (p.type === 'weekday') day = p.value as Weekday;
    else if (p.type === 'hour') hour = Number(p.value) % 24;
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { day, minute: hour * 60 + minute };
}

const previousDay = (d: Weekday): Weekday => WEEKDAYS[(WEEKDAYS.indexOf(d) + 6) % 7]!;

/** Whether `at` is inside the window: on one of its days between start and end, or past midnight of one that crosses it. */
export function windowActiveAt(w: Pick<MaintenanceWindow, 'days' | 'start' | 'end' | 'timezone'>, at: number): boolean {
  const start = minutesOf(w.start);
  const end = minutesOf(w.end);
  if (start === null || end === null) return false;
  const { day, minute } = wallClock(at, w.timezone);
  if (start < end) return w.days.includes(day) && minute >= start && minute < end;
  // Crosses midnight (an end at or before the start): the evening of one of its days, or the morning after it.
  return (w.days.includes(day) && minute >= start) || (w.days.includes(previousDay(day)) && minute < end);
}
