// Just enough of SCF's 7-field cron (second minute hour day month weekday year) for the local runner to fire
// the poll function on the schedule serverless.yml deploys. Fields: `*`, `*/n`, `a`, `a-b`, `a-b/n`, `a,b`.
export interface Cron {
  fields: Array<Set<number> | null>; // null = any value
}

const RANGES: Array<[number, number]> = [[0, 59], [0, 59], [0, 23], [1, 31], [1, 12], [0, 6], [1970, 2199]];

function parseField(text: string, [min, max]: [number, number]): Set<number> | null {
  if (text === '*' || text === '?') return null;
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`cron field "${text}" is not supported`);
    const from = m[1] === '*' ? min : Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : m[1] === '*' || m[3] !== undefined ? max : from;
    const step = m[3] !== undefined ? Number(m[3]) : 1;
    if (from < min || to > max || step < 1) throw new Error(`cron field "${text}" is out of range ${min}-${max}`);
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

export function parseScfCron(expression: string): Cron {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 7) throw new Error(`"${expression}" is not a 7-field SCF cron (second minute hour day month weekday year)`);
  return { fields: parts.map((p, i) => parseField(p, RANGES[i]!)) };
}

/** The first second strictly after `from` (local time) that the cron matches; searched for up to a year. */
export function nextCronTime(cron: Cron, from: Date): Date {
  const t = new Date(from.getTime());
  t.setMilliseconds(0);
  for (let i = 0; i < 366 * 24 * 3600; i++) {
    t.setSeconds(t.getSeconds() + 1);
    const values = [t.getSeconds(), t.getMinutes(), t.getHours(), t.getDate(), t.getMonth() + 1, t.getDay(), t.getFullYear()];
    if (cron.fields.every((f, j) => f === null || f.has(values[j]!))) return t;
  }
  throw new Error('the cron never fires within a year');
}
