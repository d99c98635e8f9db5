// How the console words counts and times: "3 agents offline", times in the viewer's zone with UTC beside.
// Plain functions (no DOM), so the unit tests read them too.

/** `count(3, 'agent')` -> "3 agents"; `count(1, 'agent')` -> "1 agent"; irregular plurals passed in. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

/** "2026-11-24 10:00:00 UTC" */
export function utc(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The time in the viewer's own zone and locale, e.g. "24 Nov 2026, 18:00:00". */
export function local(iso: string, timeZone?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium', ...(timeZone ? { timeZone } : {}) }).format(d);
}

/** "5 s", "3 min", "2 h 5 min", "3 d 4 h": a duration for people. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "3 min ago" / "in 5 min", from `now`. */
export function ago(iso: string, now: number): string {
  const ms = now - new Date(iso).getTime();
  if (Number.isNaN(ms)) return '';
  return ms >= 0 ? `${duration(ms)} ago` : `in ${duration(-ms)}`;
}

/** A machine as people name it: "web-01 (10.0.1.11)", else its agent's Uuid. */
export function hostName(uuid: string, machine?: { name?: string | null; ip?: string | null } | null): string {
  if (machine?.name) return machine.ip ? `${machine.name} (${machine.ip})` : machine.name;
  return machine?.ip ?? uuid;
}
