// The field rules the settings share (lib/config/core.ts and the sink settings beside it): a whole number in a
// range, a period of time, an API origin, a region. Each error says what the value must be.
import * as z from 'zod/mini';

/** The entries of a comma-separated setting, trimmed, empty ones left out. */
export const commaList = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);

/** A Tencent Cloud region such as ap-guangzhou. */
export const REGION_PATTERN = /^[a-z]{2,}(-[a-z0-9]+)+$/;

/** A whole number from min to max, `fallback` when unset. */
export function int(min: number, max: number, fallback: number, unit: string) {
  const msg = `must be a whole number of ${unit} from ${min} to ${max}`;
  return z._default(z.coerce.number({ error: msg }).check(z.int({ error: msg }), z.minimum(min, { error: msg }), z.maximum(max, { error: msg })), fallback);
}

/** A whole number from min to max, or unset. */
export function optionalInt(min: number, max: number, unit: string) {
  const msg = `must be a whole number of ${unit} from ${min} to ${max}, or unset`;
  return z.optional(z.coerce.number({ error: msg }).check(z.int({ error: msg }), z.minimum(min, { error: msg }), z.maximum(max, { error: msg })));
}

/** An API endpoint: an http(s) origin with no path, `fallback` (also the example the error gives) when unset. */
export function httpOrigin(fallback: string) {
  return z._default(z.string().check(z.refine((v) => /^https?:\/\/[^/\s]+\/?$/.test(v), { error: `must be an http(s) origin such as ${fallback} (no path)` })), fallback);
}

const PERIOD_UNITS_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10s`, `30m`, `6h`, `1d` as milliseconds; null when not such a period or shorter than `minMs`. */
export function parsePeriod(v: string, minMs: number): number | null {
  const m = /^(\d{1,6})([smhd])$/.exec(v.trim());
  if (!m) return null;
  const ms = Number(m[1]) * PERIOD_UNITS_MS[m[2]!]!;
  return ms >= minMs ? ms : null;
}

/** What a duration setting accepts beside its periods. */
export interface DurationRule {
  /** The value when unset, e.g. `2m`. */
  fallback: string;
  /** The shortest period accepted (ms). */
  minMs: number;
  /** What `0` means for this setting ("fires at once", "never"), or null when 0 is not accepted. */
  zero: string | null;
}

/** How a duration setting's error words its shortest period: "10s", "1h". */
function shortest(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) if (ms % size === 0 && ms >= size) return `${ms / size}${unit}`;
  return `${Math.ceil(ms / 1000)}s`;
}

/**
 * A period of time written `30s`, `2m`, `4h` or `7d` (a whole number and one unit), and `0` where the setting
 * gives it a meaning. Read with `durationMs`.
 */
export function duration(rule: DurationRule) {
  const zero = rule.zero === null ? '' : `, or 0 (${rule.zero})`;
  const error = `must be a period of at least ${shortest(rule.minMs)} such as 30s, 2m, 4h or 7d (s, m, h, d)${zero}`;
  return z._default(z.string().check(z.refine((v) => durationMs(v, rule) !== null, { error })), rule.fallback);
}

/** The milliseconds of a value `duration(rule)` accepted (0 where it allows 0); null when it is not one. */
export function durationMs(v: string, rule: Pick<DurationRule, 'minMs' | 'zero'>): number | null {
  if (v.trim() === '0') return rule.zero === null ? null : 0;
  return parsePeriod(v, rule.minMs);
}
