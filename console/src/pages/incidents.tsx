// Incidents: the list filtered by state and type, and one incident with its timeline; acknowledge, silence for
// 1 h / 4 h / 1 day with a comment, accept (what was found is expected). The actions are offered to a token with the
// alerts scope only.
import { useState } from 'preact/hooks';
import { call, type IncidentView, type Whoami } from '../api';
import { count, hostName } from '../format';
import { may } from '../permissions';
import { link } from '../router';
import { Badge, OutcomeLine, Show, TableWrap, Time, useAction, useLoad } from '../ui';
import { INCIDENT_STATES, INCIDENT_TYPES } from '../../../lib/alerts/types';

const PAGE = 50;
export const SILENCE_FOR = [
  { label: '1 h', ms: 3_600_000 },
  { label: '4 h', ms: 4 * 3_600_000 },
  { label: '1 day', ms: 86_400_000 },
] as const;

export function Incidents({ who, query, go }: { who: Whoami; query: URLSearchParams; go: (hash: string) => void }) {
  const state = query.get('state') ?? '';
  const type = query.get('type') ?? '';
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const [list, reload] = useLoad(
    () => call<{ incidents: IncidentView[]; nextCursor: string | null }>('GET', '/v1/incidents', { query: { state, type, limit: PAGE, cursor } }),
    `incidents:${state}:${type}:${cursor ?? ''}`,
  );
  const filter = (next: { state?: string; type?: string }) => {
    setCursors([]);
    go(link('incidents', null, { state, type, ...next }));
  };
  return (
    <>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>State
          <select value={state} onChange={(e) => filter({ state: e.currentTarget.value })}>
            <option value="">any</option>
            {INCIDENT_STATES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>Type
          <select value={type} onChange={(e) => filter({ type: e.currentTarget.value })}>
            <option value="">any</option>
            {INCIDENT_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </label>
      </form>
      <Show value={list} what="incidents" reload={reload}>
        {({ incidents, nextCursor }) => incidents.length === 0 ? <p>No incidents{state || type ? ' match these filters' : ''}.</p> : (
          <>
            <p class="lead">{count(incidents.length, 'incident')}{nextCursor ? ' on this page' : ''}.</p>
            <TableWrap label="Incidents">
              <thead><tr><th scope="col">Incident</th><th scope="col">State</th><th scope="col">Type</th><th scope="col">Agent</th><th scope="col">Opened</th>{may(who, 'acknowledge') ? <th scope="col">Actions</th> : null}</tr></thead>
              <tbody>
                {incidents.map((i) => (
                  <tr key={i.key}>
                    <th scope="row"><a href={link('incidents', i.key)}>{i.summary}</a></th>
                    <td><Badge value={i.state} />{i.acknowledged ? <div class="small">acknowledged</div> : null}</td>
                    <td>{i.type}</td>
                    <td><a href={link('agents', i.agent.uuid)}>{hostName(i.agent.uuid, { name: i.agent.machineName ?? null, ip: i.agent.machineIp ?? null })}</a></td>
                    <td><Time iso={i.openedAt} relative /></td>
                    {may(who, 'acknowledge') ? <td>{i.state !== 'resolved' && !i.acknowledged ? <Acknowledge incident={i} who={who} done={reload} /> : null}</td> : null}
                  </tr>
                ))}
              </tbody>
            </TableWrap>
            <div class="actions">
              {cursors.length ? <button type="button" onClick={() => setCursors((c) => c.slice(0, -1))}>Newer</button> : null}
              {nextCursor ? <button type="button" onClick={() => setCursors((c) => [...c, nextCursor])}>Older</button> : null}
            </div>
          </>
        )}
      </Show>
    </>
  );
}

function Acknowledge({ incident, who, done }: { incident: IncidentView; who: Whoami; done: () => void }) {
  const [busy, outcome, run] = useAction();
  return (
    <>
      <button type="button" disabled={busy} onClick={() => run(async () => {
        await call('POST', `/v1/incidents/${encodeURIComponent(incident.key)}/ack`, { body: { by: who.name, comment: '' } });
        done();
        return `Acknowledged: ${incident.summary}.`;
      })}>Acknowledge</button>
      <OutcomeLine outcome={outcome} />
    </>
  );
}

export function Incident({ id, who }: { id: string; who: Whoami }) {
  const [incident, reload] = useLoad(() => call<IncidentView>('GET', `/v1/incidents/${encodeURIComponent(id)}`), `incident:${id}`);
  return (
    <Show value={incident} what="the incident" reload={reload}>
      {(i) => (
        <>
          <section aria-labelledby="h-incident">
            <h2 id="h-incident">{i.summary}</h2>
            <dl class="facts">
              <dt>State</dt><dd><Badge value={i.state} />{i.acknowledged ? ' acknowledged' : ''}</dd>
              <dt>Type</dt><dd>{i.type}</dd>
              <dt>Severity</dt><dd><Badge value={i.severity} /></dd>
              <dt>Agent</dt><dd><a href={link('agents', i.agent.uuid)}>{hostName(i.agent.uuid, { name: i.agent.machineName ?? null, ip: i.agent.machineIp ?? null })}</a></dd>
              <dt>Opened</dt><dd><Time iso={i.openedAt} relative /></dd>
              <dt>Firing since</dt><dd><Time iso={i.firingAt} /></dd>
              <dt>Resolved</dt><dd><Time iso={i.resolvedAt} /></dd>
            </dl>
          </section>
          {i.state !== 'resolved' ? <IncidentActions incident={i} who={who} done={reload} /> : null}
          <section aria-labelledby="h-timeline">
            <h2 id="h-timeline">Timeline</h2>
            {i.timeline?.length ? (
              <TableWrap label="Timeline">
                <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">By</th><th scope="col">Comment</th></tr></thead>
                <tbody>{i.timeline.map((t, n) => <tr key={n}><td><Time iso={t.at} /></td><td>{t.what}</td><td>{t.by ?? ''}</td><td>{t.comment ?? ''}</td></tr>)}</tbody>
              </TableWrap>
            ) : <p>Nothing recorded yet.</p>}
          </section>
        </>
      )}
    </Show>
  );
}

/** Acknowledge, silence and accept, each with its comment; shown only to a token with the alerts scope. */
function IncidentActions({ incident, who, done }: { incident: IncidentView; who: Whoami; done: () => void }) {
  const [comment, setComment] = useState('');
  const [silenceFor, setSilenceFor] = useState<number>(SILENCE_FOR[0].ms);
  const [busy, outcome, run] = useAction();
  if (!may(who, 'acknowledge') && !may(who, 'silence') && !may(who, 'accept')) return null;
  const key = encodeURIComponent(incident.key);
  return (
    <section aria-labelledby="h-act">
      <h2 id="h-act">Act on it</h2>
      <form class="stack" onSubmit={(e) => e.preventDefault()}>
        <label for="incident-comment">Comment (shown in the timeline and the notifications)</label>
        <textarea id="incident-comment" rows={2} maxLength={500} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        <div class="actions">
          {may(who, 'acknowledge') && !incident.acknowledged ? (
            <button type="button" disabled={busy} onClick={() => run(async () => {
              await call('POST', `/v1/incidents/${key}/ack`, { body: { by: who.name, comment } });
              done();
              return 'Acknowledged: repeats stop until it resolves.';
            })}>Acknowledge</button>
          ) : null}
          {may(who, 'accept') ? (
            <button type="button" disabled={busy} onClick={() => run(async () => {
              await call('POST', `/v1/incidents/${key}/accept`, { body: { by: who.name, comment } });
              done();
              return 'Accepted: what it found is expected from now on.';
            })}>Accept as expected</button>
          ) : null}
        </div>
        {may(who, 'silence') ? (
          <fieldset>
            <legend>Silence incidents like this one</legend>
            {SILENCE_FOR.map((s) => (
              <label key={s.label} class="inline"><input type="radio" name="silence-for" value={s.ms} checked={silenceFor === s.ms} onChange={() => setSilenceFor(s.ms)} /> {s.label}</label>
            ))}
            <button type="button" disabled={busy} onClick={() => run(async () => {
              const endsAt = new Date(Date.now() + silenceFor).toISOString();
              await call('POST', '/v1/silences', { body: { type: incident.type, uuid: incident.agent.uuid, endsAt, comment, by: who.name } });
              done();
              return `Silenced until ${new Date(endsAt).toLocaleString()}.`;
            })}>Silence</button>
          </fieldset>
        ) : null}
      </form>
      <OutcomeLine outcome={outcome} />
    </section>
  );
}
