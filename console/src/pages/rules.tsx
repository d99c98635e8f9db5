// Silences, maintenance windows and expectations: each listed with its hits, created, and ended. Their routes are
// being built (issue #21); each part shows "not available on this server yet" until its route answers.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { call, type RuleView, type Whoami } from '../api';
import { count } from '../format';
import { may } from '../permissions';
import { ConfirmButton, OutcomeLine, Show, TableWrap, Time, useAction, useLoad } from '../ui';
import { INCIDENT_TYPES } from '../../../lib/alerts/types';
import { SILENCE_FOR } from './incidents';

/** The list in a GET answer: its first array (`{silences: [...]}`, `{windows: [...]}`, …). */
function listOf(body: Record<string, unknown>): RuleView[] {
  const list = Object.values(body).find(Array.isArray);
  return (list ?? []) as RuleView[];
}

const text = (v: unknown): string => (v === null || v === undefined ? '' : Array.isArray(v) ? v.join(', ') : String(v));

interface Part {
  path: string;
  title: string;
  one: string;
  /** Which fields of an entry are shown, and under what heading. */
  columns: Array<[field: string, heading: string]>;
}

const PARTS = {
  silences: { path: '/v1/silences', title: 'Silences', one: 'silence', columns: [['type', 'Type'], ['uuid', 'Agent']] },
  windows: { path: '/v1/maintenance', title: 'Maintenance windows', one: 'window', columns: [['uuid', 'Agent'], ['startsAt', 'Starts']] },
  expectations: { path: '/v1/expectations', title: 'Expectations', one: 'expectation', columns: [['uuid', 'Agent'], ['kind', 'Kind'], ['port', 'Port'], ['processName', 'Process']] },
} as const satisfies Record<string, Part>;

export function Rules({ who }: { who: Whoami }) {
  return (
    <>
      <RuleList part={PARTS.silences} who={who} form={(done) => <SilenceForm who={who} done={done} />} />
      <RuleList part={PARTS.windows} who={who} form={(done) => <WindowForm who={who} done={done} />} />
      <RuleList part={PARTS.expectations} who={who} form={(done) => <ExpectationForm who={who} done={done} />} />
    </>
  );
}

function RuleList({ part, who, form }: { part: Part; who: Whoami; form: (done: () => void) => ComponentChildren }) {
  const [list, reload] = useLoad(async () => listOf(await call<Record<string, unknown>>('GET', part.path)), part.path);
  const [busy, outcome, run] = useAction();
  const id = `h-${part.one}`;
  const canEnd = may(who, 'endRule');
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{part.title}</h2>
      <OutcomeLine outcome={outcome} />
      <Show value={list} what={part.title.toLowerCase()} reload={reload}>
        {(rules) => (
          <>
            {rules.length === 0 ? <p>No {part.title.toLowerCase()}.</p> : (
              <TableWrap label={part.title}>
                <thead>
                  <tr>
                    {part.columns.map(([, h]) => <th scope="col" key={h}>{h}</th>)}
                    <th scope="col">Ends</th><th scope="col">Hits</th><th scope="col">Comment</th>
                    {canEnd ? <th scope="col"><span class="visually-hidden">End</span></th> : null}
                  </tr>
                </thead>
                <tbody>
                  {rules.map((r) => (
                    <tr key={r.id}>
                      {part.columns.map(([f]) => <td key={f}>{f.endsWith('At') ? <Time iso={text(r[f]) || null} /> : text(r[f]) || <span class="muted">any</span>}</td>)}
                      <td><Time iso={r.endsAt ?? null} relative /></td>
                      <td>{r.hits ?? 0}</td>
                      <td>{text(r.comment)}{r.createdBy ? <div class="muted small">by {r.createdBy}</div> : null}</td>
                      {canEnd ? <td><ConfirmButton label="End" confirmLabel={`End this ${part.one} now?`} disabled={busy} onConfirm={() => run(async () => {
                        await call('DELETE', `${part.path}/${encodeURIComponent(r.id)}`);
                        reload();
                        return `The ${part.one} ended.`;
                      })} /></td> : null}
                    </tr>
                  ))}
                </tbody>
              </TableWrap>
            )}
            {rules.length ? <p class="muted">{count(rules.length, part.one)}.</p> : null}
            {may(who, 'createRule') ? <details><summary>New {part.one}</summary>{form(reload)}</details> : null}
          </>
        )}
      </Show>
    </section>
  );
}

function useCreate(path: string, what: string, done: () => void) {
  const [busy, outcome, run] = useAction();
  const create = (body: Record<string, unknown>) => run(async () => {
    await call('POST', path, { body });
    done();
    return `The ${what} was created.`;
  });
  return [busy, outcome, create] as const;
}

function SilenceForm({ who, done }: { who: Whoami; done: () => void }) {
  const [f, setF] = useState({ type: '', uuid: '', forMs: SILENCE_FOR[0].ms as number, comment: '' });
  const [busy, outcome, create] = useCreate('/v1/silences', 'silence', done);
  return (
    <form class="stack" onSubmit={(e) => {
      e.preventDefault();
      create({ type: f.type || null, uuid: f.uuid.trim() || null, endsAt: new Date(Date.now() + f.forMs).toISOString(), comment: f.comment, by: who.name });
    }}>
      <label>Incident type
        <select value={f.type} onChange={(e) => setF({ ...f, type: e.currentTarget.value })}>
          <option value="">any</option>
          {INCIDENT_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
      </label>
      <label>Agent Uuid (empty: every agent)<input type="text" value={f.uuid} onInput={(e) => setF({ ...f, uuid: e.currentTarget.value })} spellcheck={false} autocomplete="off" /></label>
      <fieldset>
        <legend>For</legend>
        {SILENCE_FOR.map((s) => <label key={s.label} class="inline"><input type="radio" name="new-silence-for" checked={f.forMs === s.ms} onChange={() => setF({ ...f, forMs: s.ms })} /> {s.label}</label>)}
      </fieldset>
      <label>Comment<input type="text" required maxLength={500} value={f.comment} onInput={(e) => setF({ ...f, comment: e.currentTarget.value })} /></label>
      <button type="submit" disabled={busy}>Create the silence</button>
      <OutcomeLine outcome={outcome} />
    </form>
  );
}

function WindowForm({ who, done }: { who: Whoami; done: () => void }) {
  const [f, setF] = useState({ uuid: '', startsAt: '', endsAt: '', comment: '' });
  const [busy, outcome, create] = useCreate('/v1/maintenance', 'maintenance window', done);
  return (
    <form class="stack" onSubmit={(e) => {
      e.preventDefault();
      create({ uuid: f.uuid.trim() || null, startsAt: new Date(f.startsAt).toISOString(), endsAt: new Date(f.endsAt).toISOString(), comment: f.comment, by: who.name });
    }}>
      <label>Agent Uuid (empty: every agent)<input type="text" value={f.uuid} onInput={(e) => setF({ ...f, uuid: e.currentTarget.value })} spellcheck={false} autocomplete="off" /></label>
      <label>Starts (your time)<input type="datetime-local" required value={f.startsAt} onInput={(e) => setF({ ...f, startsAt: e.currentTarget.value })} /></label>
      <label>Ends (your time)<input type="datetime-local" required value={f.endsAt} onInput={(e) => setF({ ...f, endsAt: e.currentTarget.value })} /></label>
      <label>Comment<input type="text" required maxLength={500} value={f.comment} onInput={(e) => setF({ ...f, comment: e.currentTarget.value })} /></label>
      <button type="submit" disabled={busy}>Create the window</button>
      <OutcomeLine outcome={outcome} />
    </form>
  );
}

function ExpectationForm({ who, done }: { who: Whoami; done: () => void }) {
  const [f, setF] = useState({ uuid: '', kind: 'port', port: '', processName: '', comment: '' });
  const [busy, outcome, create] = useCreate('/v1/expectations', 'expectation', done);
  return (
    <form class="stack" onSubmit={(e) => {
      e.preventDefault();
      create({ uuid: f.uuid.trim() || null, kind: f.kind, ...(f.kind === 'port' && f.port ? { port: Number(f.port) } : {}), processName: f.processName.trim() || null, comment: f.comment, by: who.name });
    }}>
      <label>Agent Uuid (empty: every agent)<input type="text" value={f.uuid} onInput={(e) => setF({ ...f, uuid: e.currentTarget.value })} spellcheck={false} autocomplete="off" /></label>
      <label>Kind
        <select value={f.kind} onChange={(e) => setF({ ...f, kind: e.currentTarget.value })}>
          <option value="port">port</option>
          <option value="process">process</option>
        </select>
      </label>
      {f.kind === 'port' ? <label>Port<input type="number" min={1} max={65535} required value={f.port} onInput={(e) => setF({ ...f, port: e.currentTarget.value })} /></label> : null}
      <label>Process name<input type="text" required={f.kind === 'process'} value={f.processName} onInput={(e) => setF({ ...f, processName: e.currentTarget.value })} spellcheck={false} /></label>
      <label>Comment<input type="text" required maxLength={500} value={f.comment} onInput={(e) => setF({ ...f, comment: e.currentTarget.value })} /></label>
      <button type="submit" disabled={busy}>Create the expectation</button>
      <OutcomeLine outcome={outcome} />
    </form>
  );
}
