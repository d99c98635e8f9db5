// Input checks that answer 400 naming the field and the expected form.
import * as z from 'zod/mini';
import { isAgentUuid, normalizeUuid } from '../cwp/uuid';
import { TASK_KINDS, type TaskKind } from '../types';
import type { HttpRequest } from './request';
import { HttpError } from './respond';

export const UUID_FORM = 'the 8-4-4-4-12 hex form, e.g. 6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';

export function parseUuid(raw: string | undefined): string {
  if (raw === undefined || !isAgentUuid(raw)) {
    throw new HttpError(400, 'invalid_uuid', `uuid ${JSON.stringify(truncate(raw ?? ''))} is not an agent Uuid; use ${UUID_FORM}`, { details: { field: 'uuid' } });
  }
  return normalizeUuid(raw);
}

export function parseKind(raw: string | undefined): TaskKind {
  if (raw === undefined || !(TASK_KINDS as readonly string[]).includes(raw)) {
    throw new HttpError(400, 'invalid_kind', `kind ${JSON.stringify(truncate(raw ?? ''))} is not a task kind; use ${TASK_KINDS.join(' or ')}`, { details: { field: 'kind' } });
  }
  return raw as TaskKind;
}

function truncate(s: string): string {
  return s.length > 64 ? s.slice(0, 63) + '…' : s;
}

/** `a.b[2]` from a zod issue path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? 'body' : out;
}

/**
 * The JSON body checked against `schema`; `fallback` when the body is absent or blank. Not JSON, or not the
 * schema: 400 `invalid_body` naming the field (`body` when the whole body is wrong).
 */
export function parseJsonBody<S extends z.ZodMiniType>(req: HttpRequest, schema: S, fallback: z.output<S>): z.output<S> {
  if (req.body === null || req.body.trim() === '') return fallback;
  let value: unknown;
  try {
    value = JSON.parse(req.body);
  } catch {
    throw new HttpError(400, 'invalid_body', 'body is not valid JSON', { details: { field: 'body' } });
  }
  const parsed = z.safeParse(schema, value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path: PropertyKey[] = [...(issue?.path ?? [])];
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  const field = fieldPath(path);
  throw new HttpError(400, 'invalid_body', `${field}: ${issue?.message ?? 'is invalid'}`, { details: { field } });
}

/** `make()`, called once, on the first call: zod schemas of the write routes are built on first use, not at cold start. */
export function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/** The body `{"kinds": [...]}` of PUT /v1/watches/{uuid} and POST /v1/collections/{uuid}: at least one kind, each process or port. */
export const kindsBody = lazy(() => z.strictObject({
  kinds: z.optional(z.array(z.enum(TASK_KINDS as [TaskKind, ...TaskKind[]], { error: 'must be process or port' })).check(z.minLength(1, { error: 'must name at least one kind: process, port' }))),
}));

/** Epoch ms as ISO 8601, null kept. */
export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A whole-number query parameter within [min, max], or `fallback` when absent; else 400 naming it. */
export function parseWholeNumber(raw: string | undefined, field: string, min: number, max: number, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) {
    throw new HttpError(400, `invalid_${field}`, `${field} must be a whole number from ${min} to ${max} (default ${fallback})`, { details: { field } });
  }
  return n;
}
