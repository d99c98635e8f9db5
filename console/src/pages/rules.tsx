// Silences, maintenance windows and expectations (lib/http/quiet.ts): each listed with what it held back, created,
// and ended (a silence ends and stays listed, expired) or deleted. ALERT_MAINTENANCE's windows are listed but not
// deletable here. Writes are offered to a token with the alerts scope only.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { call, type ExpectationView, type Matcher, type SilenceView, type Whoami, type WindowView } from '../api';
import { count } from '../format';
import { may } from '../permissions';
import { Badge, ConfirmButton, OutcomeLine, Show, TableWrap, Time, useAction, useLoad } from '../ui';
import { INCIDENT_TYPES, WEEKDAYS } from '../../../lib/alerts/types';
import { SILENCE_FOR } from './incidents';

/** `uuid = 3f…, type = port.opened` */
export function matchersText(matchers: readonly Matcher[]): string {
  return matchers.map((m) => `${m.name} ${m.op} ${m.value}`).join(', ');
}

/** The matchers a form's fields make: an agent by Uuid and/or machine names by glob, and an incident type. */
function matchersOf(f: { uuid: string; machineName: string; type?: string }): Matcher[] {
  const out: Matcher[] = [];
  if (f.uuid.trim()) out.push({ name: 'uuid', op: '=', value: f.uuid.trim() });
  if (f.machineName.trim()) out.push({ name: 'machineName', op: 'glob', value: f.machineName.trim() });
  if (f.type) out.push({ name: 'type', op: '=', value: f.type });
  return out;
}

const viewerZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function Rules({ who }: { who: Whoami }) {
  return (
    <>
      <Silences who={who} />
      <Windows who={who} />
      <Expectations who={who} />
    </>
  );
}

/** A part of the page: its heading, its list (or why not), and the form to make one. */
function Part<T>({ id, title, one, load, who, children, form }: {
  id: string; title: string; one: string; load: () => Promise<T[]>; who: Whoami;
  children: (rows: T[], remove: Remove) => ComponentChildren; form: (done: () => void) => ComponentChildren;
}) {
  const [list, reload] = useLoad(load, id);
  const [busy, outcome, run] = useAction();
  const remove: Remove = { busy, run: (path, what) => run(async () => {
    await call('DELETE', path);
    reload();
    return what;
  }) };
  return (
    <section aria-labelledby={`h-${id}`}>
      <h2 id={`h-${id}`}>{title}</h2>
      <OutcomeLine outcome={outcome} />
      <Show value={list} what={title.toLowerCase()} reload={reload}>
        {(rows) => (
          <>
            {rows.length === 0 ? <p>No {title.toLowerCase()}.</p> : <>{children(rows, remove)}<p class="muted">{count(rows.length, one)}.</p></>}
            {may(who, 'createRule') ? <details><summary>New {one}</summary>{form(reload)}</details> : null}
          </>
        )}
      </Show>
    </section>
  );
}

/** Ending or deleting a rule of a part: its outcome shows above the list, which outlives the row's button. */
interface Remove {
  busy: boolean;
  /** DELETE `path`, then say `what` and reload the list. */
  run: (path: string, what: string) => Promise<void>;
}

/** The End / Delete button of a row, with its confirm step. */
function RemoveButton({ label, confirm, path, remove, what }: { label: string; confirm: string; path: string; remove: Remove; what: string }) {
  return <ConfirmButton label={label} confirmLabel={confirm} disabled={remove.busy} onConfirm={() => void remove.run(path, what)} />;
}

function Comment({ comment, by }: { comment: string; by: string }) {
  return <>{comment}<div class="muted small">by {by}</div></>;
}

// -------------------------------------------------------------------------------------------------- silences

function Silences({ who }: { who: Whoami }) {
  const canEnd = may(who, 'endRule');
  return (
    <Part<SilenceView> id="silences" title="Silences" one="silence" who={who}
      load={async () => (await call<{ silences: SilenceView[] }>('GET', '/v1/silences')).silences}
      form={(done) => <SilenceForm who={who} done={done} />}>
      {(rows, remove) => (
        <TableWrap label="Silences">
          <thead><tr><th scope="col">Matches</th><th scope="col">State</th><th scope="col">From</th><th scope="col">Until</th><th scope="col">Held back</th><th scope="col">Comment</th>{canEnd ? <th scope="col"><span class="visually-hidden">End</span></th> : null}</tr></thead>
          <tbody>
            {[...rows].reverse().map((s) => (
              <tr key={s.id}>
                <th scope="row"><code>{matchersText(s.matchers)}</code>{s.force ? <div class="small">every agent (forced)</div> : null}</th>
                <td><Badge value={s.state} />{s.endedBy ? <div class="small">ended by {s.endedBy}</div> : null}</td>
                <td><Time iso={s.startsAt} /></td>
                <td><Time iso={s.endsAt} relative /></td>
                <td>{count(s.heldBack, 'notification')}{s.lastHeldAt ? <div class="small">last <Time iso={s.lastHeldAt} relative /></div> : null}</td>
                <td><Comment comment={s.comment} by={s.createdBy} /></td>
                {canEnd ? <td>{s.state !== 'expired' ? <RemoveButton label="End" confirm="End this silence now?" path={`/v1/silences/${encodeURIComponent(s.id)}`} remove={remove} what="The silence ended: what it held back and still fires is notified by the next sweep." /> : null}</td> : null}
              </tr>
            ))}
          </tbody>
        </TableWrap>
      )}
    </Part>
  );
}

function SilenceForm({ who, done }: { who: Whoami; done: () => void }) {
  const [f, setF] = useState({ type: '', uuid: '', machineName: '', forMs: SILENCE_FOR[0].ms as number, comment: '', force: false });
  const [busy, outcome, run] = useAction();
  return (
    <form class="stack" onSubmit={(e) => {
      e.preventDefault();
      void run(async () => {
        await call('POST', '/v1/silences', { body: { matchers: matchersOf(f), endsAt: new Date(Date.now() + f.forMs).toISOString(), createdBy: who.name, comment: f.comment, ...(f.force ? { force: true } : {}) } });
        done();
        return 'The silence was created.';
      });
    }}>
      <label>Agent Uuid<input type="text" value={f.uuid} onInput={(e) => setF({ ...f, uuid: e.currentTarget.value })} spellcheck={false} autocomplete="off" /></label>
      <label>Machine names (glob, e.g. web-*)<input type="text" value={f.machineName} onInput={(e) => setF({ ...f, machineName: e.currentTarget.value })} spellcheck={false} autocomplete="off" /></label>
      <label>Incident type
        <select value={f.type} onChange={(e) => setF({ ...f, type: e.currentTarget.value })}>
          <option value="">any</option>
          {INCIDENT_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
      </label>
      <fieldset>
        <legend>For</legend>
        {SILENCE_FOR.map((s) => <label key={s.label} class="inline"><input type="radio" name="new-silence-for" checked={f.forMs === s.ms} onChange={() => setF({ ...f, forMs: s.ms })} /> {s.label}</label>)}
      </fieldset>
      <label>Comment<input type="text" required maxLength={2000} value={f.comment} onInput={(e) => setF({ ...f, comment: e.currentTarget.value })} /></label>
      <label class="inline"><input type="checkbox" checked={f.force} onChange={(e) => setF({ ...f, force: e.currentTarget.checked })} /> It may silence every agent (no Uuid or machine name narrows it)</label>
      <button type="submit" disabled={busy}>Create the silence</button>
      <OutcomeLine outcome={outcome} />
    </form>
  );
}

// -------------------------------------------------------------------------------------- maintenance windows

function Windows({ who }: { who: Whoami }) {
  const canDelete = may(who, 'endRule');
  return (
    <Part<WindowView> id="windows" title="Maintenance windows" one="window" who={who}
      load={async () => (await call<{ windows: WindowView[] }>('GET', '/v1/maintenance')).windows}
      form={(done) => <WindowForm who={who} done={done} />}>
      {(rows, remove) => (
        <TableWrap label="Maintenance windows">
          <thead><tr><th scope="col">Matches</th><th scope="col">When</th><th scope="col">From</th><th scope="col">Held back</th><th scope="col">Comment</th>{canDelete ? <th scope="col"><span class="visually-hidden">Delete</span></th> : null}</tr></thead>
          <tbody>
            {rows.map((w) => (
              <tr key={w.id}>
                <th scope="row"><code>{matchersText(w.matchers)}</code></th>
                <td>{w.days.join(' ')} {w.start}–{w.end} <span class="muted">{w.timezone}</span></td>
                <td>{w.origin === 'config' ? 'ALERT_MAINTENANCE' : 'the API'}</td>
                <td>{count(w.heldBack, 'notification')}{w.lastHeldAt ? <div class="small">last <Time iso={w.lastHeldAt} relative /></div> : null}</td>
                <td><Comment comment={w.comment} by={w.createdBy} /></td>
                {canDelete ? <td>{w.origin === 'api' ? <RemoveButton label="Delete" confirm="Delete this window?" path={`/v1/maintenance/${encodeURIComponent(w.id)}`} remove={remove} what="The window was deleted." /> : <span class="muted small">change it in ALERT_MAINTENANCE</span>}</td> : null}
              </tr>
            ))}
          </tbody>
        </TableWrap>
      )}
    </Part>
  );
}

function WindowForm({ who, done }: { who: Whoami; done: () => void }) {
  const [f, setF] = useState({ uuid: '', machineName: '', days: [] as string[], start: '', end: '', timezone: viewerZone(), comment: '' });
  const [busy, outcome, run] = useAction();
  const toggle = (d: string, on: boolean) => setF({ ...f, days: on ? WEEKDAYS.filter((w) => w === d || f.days.includes(w)) : f.days.filter((x) => x !== d) });
  return (
    <form class="stack" onSubmit={(e) => {
      e.preventDefault();
      void run(async () => {
        await call('POST', '/v1/maintenance', { body: { matchers: matchersOf(f), days: f.days, start: f.start, end: f.end, timezone: f.timezone.trim(), createdBy: who.name, comment: f.comment } });
        done();
        return 'The maintenance window was created.';
      });
    }}>
      <label>Agent Uuid<input type="text" value={f.uuid} onInput={(e) => setF({ ...f, uuid: e.currentTarget.value })} spellcheck={false} autocomplete="off" /></label>
      <label>Machine names (glob, e.g. db-*)<input type="text" value={f.machineName} onInput={(e) => setF({ ...f, machineName: e.currentTarget.value })} spellcheck={false} autocomplete="off" /></label>
      <fieldset>
        <legend>Days</legend>
        {WEEKDAYS.map((d) => <label key={d} class="inline"><input type="checkbox" checked={f.days.includes(d)} onChange={(e) => toggle(d, e.currentTarget.checked)} /> {d}</label>)}
      </fieldset>
      <label>Starts (HH:MM)<input type="time" required value={f.start} onInput={(e) => setF({ ...f, start: e.currentTarget.value })} /></label>
      <label>Ends (HH:MM; at or before the start runs past midnight)<input type="time" required value={f.end} onInput={(e) => setF({ ...f, end: e.currentTarget.value })} /></label>
      <label>Time zone (IANA name)<input type="text" required value={f.timezone} onInput={(e) => setF({ ...f, timezone: e.currentTarget.value })} spellcheck={false} /></label>
      <label>Comment<input type="text" required maxLength={2000} value={f.comment} onInput={(e) => setF({ ...f, comment: e.currentTarget.value })} /></label>
      <button type="submit" disabled={busy}>Create the window</button>
      <OutcomeLine outcome={outcome} />
    </form>
  );
}

// ------------------------------------------------------------------------------------------------ expectations

/** `22 (sshd), nginx at /usr/sbin/nginx` */
function expectedText(e: Pick<ExpectationView, 'ports' | 'processes'>): string {
  return [
    ...e.ports.map((p) => `port ${p.port}${p.processName ? ` (${p.processName})` : ''}`),
    ...e.processes.map((p) => `process ${p.processName}${p.fullPath ? ` at ${p.fullPath}` : ''}`),
  ].join(', ');
}

function Expectations({ who }: { who: Whoami }) {
  const canDelete = may(who, 'endRule');
  return (
    <Part<ExpectationView> id="expectations" title="Expectations" one="expectation" who={who}
      load={async () => (await call<{ expectations: ExpectationView[] }>('GET', '/v1/expectations')).expectations}
      form={(done) => <ExpectationForm who={who} done={done} />}>
      {(rows, remove) => (
        <TableWrap label="Expectations">
          <thead><tr><th scope="col">Matches</th><th scope="col">Expected</th><th scope="col">Hits</th><th scope="col">Comment</th>{canDelete ? <th scope="col"><span class="visually-hidden">Delete</span></th> : null}</tr></thead>
          <tbody>
            {rows.map((x) => (
              <tr key={x.id}>
                <th scope="row"><code>{matchersText(x.matchers)}</code></th>
                <td>{expectedText(x)}</td>
                <td>{count(x.hits, 'incident')} not opened{x.lastHitAt ? <div class="small">last <Time iso={x.lastHitAt} relative /></div> : null}</td>
                <td><Comment comment={x.comment} by={x.createdBy} /></td>
                {canDelete ? <td><RemoveButton label="Delete" confirm="Delete this expectation?" path={`/v1/expectations/${encodeURIComponent(x.id)}`} remove={remove} what="The expectation was deleted." /></td> : null}
              </tr>
            ))}
          </tbody>
        </TableWrap>
      )}
    </Part>
  );
}

function ExpectationForm({ who, done }: { who: Whoami; done: () => void }) {
  const [f, setF] = useState({ uuid: '', machineName: '', kind: 'port', port: '', processName: '', fullPath: '', comment: '' });
  const [busy, outcome, run] = useAction();
  return (
    <form class="stack" onSubmit={(e) => {
      e.preventDefault();
      const name = f.processName.trim();
      const expected = f.kind === 'port'
        ? { ports: [{ port: Number(f.port), ...(name ? { processName: name } : {}) }] }
        : { processes: [{ processName: name, ...(f.fullPath.trim() ? { fullPath: f.fullPath.trim() } : {}) }] };
      void run(async () => {
        await call('POST', '/v1/expectations', { body: { matchers: matchersOf(f), ...expected, createdBy: who.name, comment: f.comment } });
        done();
        return 'The expectation was created.';
      });
    }}>
      <label>Agent Uuid<input type="text" value={f.uuid} onInput={(e) => setF({ ...f, uuid: e.currentTarget.value })} spellcheck={false} autocomplete="off" /></label>
      <label>Machine names (glob, e.g. web-*)<input type="text" value={f.machineName} onInput={(e) => setF({ ...f, machineName: e.currentTarget.value })} spellcheck={false} autocomplete="off" /></label>
      <label>What is expected
        <select value={f.kind} onChange={(e) => setF({ ...f, kind: e.currentTarget.value })}>
          <option value="port">a listening port</option>
          <option value="process">a process</option>
        </select>
      </label>
      {f.kind === 'port' ? <label>Port<input type="number" min={1} max={65535} required value={f.port} onInput={(e) => setF({ ...f, port: e.currentTarget.value })} /></label> : null}
      <label>Process name{f.kind === 'port' ? ' (empty: any process)' : ''}<input type="text" required={f.kind === 'process'} value={f.processName} onInput={(e) => setF({ ...f, processName: e.currentTarget.value })} spellcheck={false} /></label>
      {f.kind === 'process' ? <label>Full path (empty: any)<input type="text" value={f.fullPath} onInput={(e) => setF({ ...f, fullPath: e.currentTarget.value })} spellcheck={false} /></label> : null}
      <label>Comment<input type="text" required maxLength={2000} value={f.comment} onInput={(e) => setF({ ...f, comment: e.currentTarget.value })} /></label>
      <button type="submit" disabled={busy}>Create the expectation</button>
      <OutcomeLine outcome={outcome} />
    </form>
  );
}
