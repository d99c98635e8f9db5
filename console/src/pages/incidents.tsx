// Incidents: the list filtered by state and type, and one incident with its timeline; acknowledge (a firing one),
// silence its agent and type for 1 h / 4 h / 1 day with a comment (POST /v1/silences), accept a port.opened or
// process.suspicious one as expected (POST /v1/incidents/{key}/accept). The actions are offered to a token with the
// alerts scope only, and only where the API would take them.
import { useState } from 'preact/hooks';
import { ApiError, call, type IncidentView, type Whoami } from '../api';
import { count, hostName } from '../format';
import { may } from '../permissions';
import { link } from '../router';
import { Badge, OutcomeLine, Show, TableWrap, Time, useAction, useCursorPages, useLoad } from '../ui';
import { INCIDENT_STATES, INCIDENT_TYPES } from '../../../lib/alerts/types';

const PAGE = 50;
/** The incident types that can be accepted as expected (the accept route's rule). */
export const ACCEPTABLE_TYPES: readonly IncidentView['type'][] = ['port.opened', 'process.suspicious'];

/** Acknowledging is for a firing incident not yet acknowledged (pending and resolved ones are 409 `not_firing`). */
const canAcknowledge = (i: IncidentView) => i.state === 'firing' && !i.acknowledged;

/** The body of POST /v1/silences that silences `incident`'s type on its agent from now for `ms`. */
export function silenceOf(incident: Pick<IncidentView, 'type' | 'agent'>, ms: number, createdBy: string, comment: string, now = Date.now()) {
  return {
    matchers: [{ name: 'uuid', op: '=', value: incident.agent.uuid }, { name: 'type', op: '=', value: incident.type }],
    endsAt: new Date(now + ms).toISOString(),
    createdBy,
    comment,
  };
}

export const SILENCE_FOR = [
  { label: '1 h', ms: 3_600_000 },
  { label: '4 h', ms: 4 * 3_600_000 },
  { label: '1 day', ms: 86_400_000 },
] as const;

export function Incidents({ who, query, go }: { who: Whoami; query: URLSearchParams; go: (hash: string) => void }) {
  const state = query.get('state') ?? '';
  const type = query.get('type') ?? '';
  const { cursor, reset: firstPage, pager } = useCursorPages();
  const [list, reload] = useLoad(
    () => call<{ incidents: IncidentView[]; nextCursor: string | null }>('GET', '/v1/incidents', { query: { state, type, limit: PAGE, cursor } }),
    `incidents:${state}:${type}:${cursor ?? ''}`,
  );
  const [busy, outcome, run] = useAction();
  const filter = (next: { state?: string; type?: string }) => {
    firstPage();
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
      <OutcomeLine outcome={outcome} />
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
                    <td><Badge value={i.state} />{i.acknowledged ? <div class="small">acknowledged</div> : null}{i.silencedBy?.length ? <div class="small">silenced</div> : null}</td>
                    <td>{i.type}</td>
                    <td><a href={link('agents', i.agent.uuid)}>{hostName(i.agent.uuid, { name: i.agent.machineName ?? null, ip: i.agent.machineIp ?? null })}</a></td>
                    <td><Time iso={i.openedAt} relative /></td>
                    {may(who, 'acknowledge') ? <td>{canAcknowledge(i) ? <Acknowledge incident={i} who={who} busy={busy} run={run} done={reload} /> : null}</td> : null}
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

/** The list's Acknowledge button; its outcome is shown above the list, which outlives the button. */
function Acknowledge({ incident, who, busy, run, done }: { incident: IncidentView; who: Whoami; busy: boolean; run: (f: () => Promise<string>) => Promise<void>; done: () => void }) {
  return (
    <button type="button" disabled={busy} aria-label={`Acknowledge: ${incident.summary}`} onClick={() => run(async () => {
      await call('POST', `/v1/incidents/${encodeURIComponent(incident.key)}/ack`, { body: { by: who.name } });
      done();
      return `Acknowledged: ${incident.summary}.`;
    })}>Acknowledge</button>
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
              <dt>State</dt><dd><Badge value={i.state} />{i.acknowledged ? <> acknowledged{i.acknowledgedBy ? <> by {i.acknowledgedBy}</> : null}{i.acknowledgedAt ? <> <Time iso={i.acknowledgedAt} relative /></> : null}{i.comment ? <>: “{i.comment}”</> : null}</> : ''}</dd>
              <dt>Type</dt><dd>{i.type}</dd>
              <dt>Severity</dt><dd><Badge value={i.severity} /></dd>
              <dt>Agent</dt><dd><a href={link('agents', i.agent.uuid)}>{hostName(i.agent.uuid, { name: i.agent.machineName ?? null, ip: i.agent.machineIp ?? null })}</a></dd>
              <dt>Opened</dt><dd><Time iso={i.openedAt} relative /></dd>
              {i.firesAt ? <><dt>Fires at</dt><dd><Time iso={i.firesAt} relative /> unless it resolves first</dd></> : null}
              <dt>Firing since</dt><dd><Time iso={i.firingAt} /></dd>
              <dt>Resolved</dt><dd><Time iso={i.resolvedAt} />{i.resolvedReason ? ` (${i.resolvedReason})` : ''}</dd>
              {i.silencedBy?.length ? <><dt>Held back by</dt><dd><a href={link('rules')}>{count(i.silencedBy.length, 'silence or window', 'silences or windows')}</a></dd></> : null}
            </dl>
          </section>
          <IncidentActions incident={i} who={who} done={reload} />
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

/** Acknowledge, silence and accept, each with the comment; shown only to a token with the alerts scope. */
function IncidentActions({ incident, who, done }: { incident: IncidentView; who: Whoami; done: () => void }) {
  const [comment, setComment] = useState('');
  const [silenceFor, setSilenceFor] = useState<number>(SILENCE_FOR[0].ms);
  const [busy, outcome, run] = useAction();
  const open = incident.state !== 'resolved';
  const ack = may(who, 'acknowledge') && canAcknowledge(incident);
  const accept = may(who, 'accept') && open && ACCEPTABLE_TYPES.includes(incident.type);
  const silence = may(who, 'silence') && open;
  // Nothing (more) to offer: only what the last action did, if anything (accepting resolves the incident).
  if (!ack && !accept && !silence) return <OutcomeLine outcome={outcome} />;
  const key = encodeURIComponent(incident.key);
  /** Silencing and accepting say why: the API requires the comment. */
  const why = (what: string): string => {
    const c = comment.trim();
    if (!c) throw new ApiError(0, 'missing_input', `Write a comment first: why ${what}`);
    return c;
  };
  return (
    <section aria-labelledby="h-act">
      <h2 id="h-act">Act on it</h2>
      <form class="stack" onSubmit={(e) => e.preventDefault()}>
        <label for="incident-comment">Comment (shown in the timeline and the notifications; required to silence or accept)</label>
        <textarea id="incident-comment" rows={2} maxLength={2000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        {ack || accept ? (
          <div class="actions">
            {ack ? (
              <button type="button" disabled={busy} onClick={() => run(async () => {
                const c = comment.trim();
                await call('POST', `/v1/incidents/${key}/ack`, { body: { by: who.name, ...(c ? { comment: c } : {}) } });
                done();
                return 'Acknowledged: repeats stop until it resolves.';
              })}>Acknowledge</button>
            ) : null}
            {accept ? (
              <button type="button" disabled={busy} onClick={() => run(async () => {
                await call('POST', `/v1/incidents/${key}/accept`, { body: { by: who.name, comment: why('it is expected') } });
                done();
                return `Accepted: it resolved, and ${incident.type === 'port.opened' ? 'this port' : 'this process'} is expected on this agent from now on (see Expectations).`;
              })}>Accept as expected</button>
            ) : null}
          </div>
        ) : null}
        {silence ? (
          <fieldset>
            <legend>Silence {incident.type} on this agent</legend>
            {SILENCE_FOR.map((s) => (
              <label key={s.label} class="inline"><input type="radio" name="silence-for" value={s.ms} checked={silenceFor === s.ms} onChange={() => setSilenceFor(s.ms)} /> {s.label}</label>
            ))}
            <button type="button" disabled={busy} onClick={() => run(async () => {
              const body = silenceOf(incident, silenceFor, who.name, why('it is silenced'));
              await call('POST', '/v1/silences', { body });
              done();
              return `Silenced until ${new Date(body.endsAt).toLocaleString()}.`;
            })}>Silence</button>
          </fieldset>
        ) : null}
      </form>
      <OutcomeLine outcome={outcome} />
    </section>
  );
}
