// History: the search of the event history (GET /v1/events) by type, agent and time, newest first, page by page.
import { useState } from 'preact/hooks';
import { call } from '../api';
import { count, hostName } from '../format';
import { link } from '../router';
import { Show, TableWrap, Time, useCursorPages, useLoad } from '../ui';
import { EVENT_TYPES, type CloudEvent } from '../../../lib/events/types';

const PAGE = 100;

/** A datetime-local value (the viewer's zone) as ISO 8601; empty stays empty. */
function isoOf(local: string): string {
  if (!local) return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** One event in a few words: "port COLLECTING -> COMPLETE", "ports +1 −0 (3 in all)". */
export function eventSummary(e: CloudEvent): string {
  switch (e.type) {
    case 'com.tencentcloud.cwp.task.status.changed':
      return `${e.data.kind} ${e.data.previous ?? '(first)'} -> ${e.data.state}`;
    case 'com.tencentcloud.cwp.ports.changed':
    case 'com.tencentcloud.cwp.processes.changed':
      return `${e.data.kind === 'port' ? 'ports' : 'processes'} +${e.data.addedCount} −${e.data.removedCount} (${e.data.total} in all)`;
    case 'com.tencentcloud.cwp.agent.unwatched':
      return `unwatched: ${e.data.reason}`;
    case 'com.tencentcloud.cwp.incident.changed':
      return `${e.data.notification}: ${e.data.summary}`;
  }
}

/** The machine an event names: an incident's agent, or the event's own fields. */
function machineOf(e: CloudEvent): { name: string | null; ip: string | null } {
  const m = e.type === 'com.tencentcloud.cwp.incident.changed' ? e.data.agent : e.data;
  return { name: m.machineName ?? null, ip: m.machineIp ?? null };
}

export function History({ query, go }: { query: URLSearchParams; go: (hash: string) => void }) {
  const type = query.get('type') ?? '';
  const uuid = query.get('uuid') ?? '';
  const since = query.get('since') ?? '';
  const until = query.get('until') ?? '';
  const [form, setForm] = useState({ type, uuid, since: '', until: '' });
  const { cursor, reset: firstPage, pager } = useCursorPages();
  const [page, reload] = useLoad(
    () => call<{ events: CloudEvent[]; nextCursor: string | null }>('GET', '/v1/events', { query: { type, uuid, since, until, limit: PAGE, cursor } }),
    `events:${type}:${uuid}:${since}:${until}:${cursor ?? ''}`,
  );
  return (
    <>
      <form class="filters" onSubmit={(e) => {
        e.preventDefault();
        firstPage();
        go(link('history', null, { type: form.type, uuid: form.uuid.trim(), since: isoOf(form.since), until: isoOf(form.until) }));
      }}>
        <label>Type
          <select value={form.type} onChange={(e) => setForm({ ...form, type: e.currentTarget.value })}>
            <option value="">any</option>
            {EVENT_TYPES.map((t) => <option key={t} value={t}>{t.replace('com.tencentcloud.cwp.', '')}</option>)}
          </select>
        </label>
        <label>Agent Uuid
          <input type="text" value={form.uuid} onInput={(e) => setForm({ ...form, uuid: e.currentTarget.value })} placeholder="any" spellcheck={false} autocomplete="off" />
        </label>
        <label>Since (your time)
          <input type="datetime-local" value={form.since} onInput={(e) => setForm({ ...form, since: e.currentTarget.value })} />
        </label>
        <label>Until (your time)
          <input type="datetime-local" value={form.until} onInput={(e) => setForm({ ...form, until: e.currentTarget.value })} />
        </label>
        <button type="submit">Search</button>
      </form>
      <Show value={page} what="the event history" reload={reload}>
        {({ events, nextCursor }) => events.length === 0 ? <p>No events match.</p> : (
          <>
            <p class="lead">{count(events.length, 'event')}{nextCursor ? ' on this page' : ''}.</p>
            <TableWrap label="Events">
              <thead><tr><th scope="col">When</th><th scope="col">Agent</th><th scope="col">Type</th><th scope="col">What</th></tr></thead>
              <tbody>
                {events.map((e) => (
                  <tr key={e.id}>
                    <td><Time iso={e.time} /></td>
                    <td><a href={link('agents', e.data.uuid)}>{hostName(e.data.uuid, machineOf(e))}</a></td>
                    <td>{e.type.replace('com.tencentcloud.cwp.', '')}</td>
                    <td>{eventSummary(e)}</td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
            {pager(nextCursor)}
          </>
        )}
      </Show>
    </>
  );
}
