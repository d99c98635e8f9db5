// The wording of a single-event chat message, changeable per sink kind (WECOM_TEMPLATE, DINGTALK_TEMPLATE,
// FEISHU_TEMPLATE, SLACK_TEMPLATE): plain text in the vendor's markdown with `{{field}}` placeholders, one of
// EVENT_FIELDS each (message.ts). Deliberately tiny and safe: no expressions, no loops, no eval; a field is
// replaced by its value (already cleaned of markup by message.ts), and `\n` in the variable stands for a line
// break (environment variables rarely hold real ones). An unknown field is a configuration problem at start-up,
// named with the list of known ones, never a blank in a message at 3 a.m. Digests keep the default wording:
// a template describes one event; a digest lists many (each line still names host, kind, transition, time).
// It has no imports, so the chat settings (settings.ts) check templates at start-up without the vendor code.

/** The fields a template may use ({{field}}), one string each (message.ts eventFields). */
export const EVENT_FIELDS = [
  'id', 'type', 'subject', 'source', 'time', 'severity', 'agent', 'machineName', 'machineIp', 'host', 'kind',
  'previous', 'state', 'transition', 'what', 'changes', 'action',
] as const;
export type EventField = (typeof EVENT_FIELDS)[number];
export type EventFields = Record<EventField, string>;

export interface ChatTemplate {
  readonly source: string;
  render(fields: EventFields): string;
}

type Part = { text: string } | { field: EventField };

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const KNOWN = new Set<string>(EVENT_FIELDS);

/** The template, or the problems with it (each names the field and the fix). */
export function compileTemplate(source: string): { ok: true; template: ChatTemplate } | { ok: false; problems: string[] } {
  const text = source.replace(/\\n/g, '\n');
  const parts: Part[] = [];
  const problems: string[] = [];
  let at = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index! > at) parts.push({ text: text.slice(at, m.index) });
    const name = m[1]!;
    if (KNOWN.has(name)) parts.push({ field: name as EventField });
    else problems.push(`unknown field {{${name}}}; use one of ${EVENT_FIELDS.join(', ')}`);
    at = m.index! + m[0].length;
  }
  if (at < text.length) parts.push({ text: text.slice(at) });
  if (/\{\{|\}\}/.test(parts.filter((p): p is { text: string } => 'text' in p).map((p) => p.text).join(''))) {
    problems.push('has an unclosed {{ or a stray }}; write fields as {{field}}');
  }
  if (parts.length === 0 || text.trim() === '') problems.push('is empty; unset it to use the default wording');
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    template: {
      source,
      render: (fields) => parts.map((p) => ('text' in p ? p.text : fields[p.field])).join(''),
    },
  };
}
