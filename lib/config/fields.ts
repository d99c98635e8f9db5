// The field rules the settings share (lib/config/index.ts and the sink settings beside it): a whole number in a
// range, an API origin, a region. Each error says what the value must be.
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
