// Validates emitted events against the JSON Schemas in schemas/ (one file per event type, named by the type).
// Every sink the tests record through (RecordingSink, the verifying WebhookReceiver) checks each event here.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

export const SCHEMAS_DIR = path.join(__dirname, '..', '..', 'schemas');

let validators: Map<string, ValidateFunction> | null = null;

function load(): Map<string, ValidateFunction> {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const out = new Map<string, ValidateFunction>();
  for (const file of readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.json'))) {
    const schema = JSON.parse(readFileSync(path.join(SCHEMAS_DIR, file), 'utf8')) as { title: string };
    out.set(schema.title, ajv.compile(schema));
  }
  return out;
}

/** The event types that have a schema. */
export function schemaTypes(): string[] {
  validators ??= load();
  return [...validators.keys()];
}

/** Problems of one event against the schema of its type; [] when it conforms. */
export function eventSchemaProblems(event: unknown): string[] {
  validators ??= load();
  const type = (event as { type?: unknown } | null)?.type;
  const validate = typeof type === 'string' ? validators.get(type) : undefined;
  if (!validate) return [`no schema for event type ${JSON.stringify(type)} in schemas/`];
  if (validate(event)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

/** Throws, naming every problem, unless the event conforms to the schema of its type. */
export function assertEventMatchesSchema(event: unknown): void {
  const problems = eventSchemaProblems(event);
  if (problems.length > 0) throw new Error(`event does not match its JSON Schema: ${problems.join('; ')}\n${JSON.stringify(event)}`);
}
