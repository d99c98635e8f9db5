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
  return z._default(originOf(fallback), fallback);
}

/** An API endpoint, or unset (the caller picks the default, e.g. by another setting); `example` is in the error. */
export function optionalHttpOrigin(example: string) {
  return z.optional(originOf(example));
}

function originOf(example: string) {
  return z.string().check(z.refine((v) => /^https?:\/\/[^/\s]+\/?$/.test(v), { error: `must be an http(s) origin such as ${example} (no path)` }));
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration written `30s`, `10m`, `4h` or `7d` (a whole number and one unit), in milliseconds; `0` when
 * `allowZero`. Null when it is not such a duration, or shorter than `minMs`.
 */
export function parseDurationMs(v: string, options: { minMs?: number; allowZero?: boolean } = {}): number | null {
  const s = v.trim();
  if (s === '0') return options.allowZero ? 0 : null;
  const m = /^(\d{1,6})([smhd])$/.exec(s);
  if (!m) return null;
  const ms = Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
  return ms >= (options.minMs ?? 1) ? ms : null;
}

/**
 * A duration setting (parseDurationMs), `fallback` when unset. The error shows the form and an example, and
 * what `0` means where it is allowed (`zeroMeans`, e.g. "to forget at once").
 */
export function durationSetting(fallback: string, options: { minMs?: number; zeroMeans?: string } = {}) {
  const allowZero = options.zeroMeans !== undefined;
  const min = options.minMs !== undefined && options.minMs > 1_000 ? ` of at least ${formatDuration(options.minMs)}` : '';
  const msg = `must be a duration${min} such as ${fallback} (a whole number with s, m, h or d: 30s, 10m, 4h, 7d)${allowZero ? `, or 0 ${options.zeroMeans}` : ''}`;
  return z._default(z.string().check(z.refine((v) => parseDurationMs(v, { ...(options.minMs !== undefined ? { minMs: options.minMs } : {}), allowZero }) !== null, { error: msg })), fallback);
}

/** Milliseconds as the largest whole unit that fits: 604800000 -> `7d`, 90000 -> `90s`, 0 -> `0`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = DURATION_UNITS_MS[unit]!;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
