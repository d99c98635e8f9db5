// Agent: its machine, each kind's state and since when, the latest ports and processes with the last diff, its
// incidents and its latest events.
import { useState } from 'preact/hooks';
import { ApiError, call, type AgentView, type IncidentView, type SnapshotView, type Whoami } from '../api';
import { count, hostName } from '../format';
import { may } from '../permissions';
import { link } from '../router';
import { Badge, ErrorBox, OutcomeLine, Show, TableWrap, Time, useAction, useLoad } from '../ui';
import { eventSummary } from './history';
import type { CloudEvent, PortItem, ProcessItem } from '../../../lib/events/types';
import { TASK_KINDS, type TaskKind } from '../../../lib/types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Rows of a snapshot shown at first; the rest behind "Show all" (a host can run thousands of processes). */
const ITEMS_SHOWN = 100;

export function Agent({ uuid, who }: { uuid: string; who: Whoami }) {
  const [agent, reload] = useLoad(() => call<AgentView>('GET', `/v1/agents/${encodeURIComponent(uuid)}`), `agent:${uuid}`);
  if (!UUID.test(uuid)) return <ErrorBox error={new ApiError(400, 'invalid_uuid', `"${uuid}" is not an agent Uuid`)} />;
  return (
    <>
      <Show value={agent} what="the agent" reload={reload}>
        {(a) => <AgentHead agent={a} who={who} reload={reload} />}
      </Show>
      <Snapshot uuid={uuid} kind="port" />
      <Snapshot uuid={uuid} kind="process" />
      <AgentIncidents uuid={uuid} />
      <AgentEvents uuid={uuid} />
    </>
  );
}

function AgentHead({ agent, who, reload }: { agent: AgentView; who: Whoami; reload: () => void }) {
  const m = agent.watch?.machine;
  const [busy, outcome, run] = useAction();
  return (
    <section aria-labelledby="h-machine">
      <h2 id="h-machine">{hostName(agent.uuid, m)}</h2>
      <dl class="facts">
        <dt>Agent Uuid</dt><dd><code>{agent.uuid}</code></dd>
        {m ? (
          <>
            <dt>Machine</dt><dd>{m.name ?? '—'} · {m.ip ?? 'no IP'} · {m.type} in {m.region}</dd>
            <dt>Listed</dt><dd><Badge value={m.status === 'OFFLINE' ? 'offline' : 'online'} /> at the listing of <Time iso={new Date(m.lastSeenAt).toISOString()} relative /></dd>
            {m.tags.length ? <><dt>Tags</dt><dd>{m.tags.join(', ')}</dd></> : null}
          </>
        ) : null}
        <dt>Watched</dt><dd>{agent.watch ? `${agent.watch.kinds.join(' and ')} (${agent.watch.source})` : 'no longer'}</dd>
      </dl>
      <TableWrap label="States by kind">
        <thead><tr><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Since</th><th scope="col">Last checked</th><th scope="col">Last read</th></tr></thead>
        <tbody>
          {TASK_KINDS.map((k) => {
            const t = agent.tasks[k];
            return (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td><Badge value={t?.state ?? null} /></td>
                <td><Time iso={t?.since} relative /></td>
                <td><Time iso={t?.lastChecked} /></td>
                <td><Time iso={t?.snapshotTakenAt} /></td>
              </tr>
            );
          })}
        </tbody>
      </TableWrap>
      {may(who, 'collect') && agent.watch ? (
        <p>
          <button type="button" disabled={busy} onClick={() => run(async () => {
            const r = await call<{ collections: Record<string, { started: boolean; error?: { message: string } }> }>('POST', `/v1/collections/${agent.uuid}`, { body: { kinds: agent.watch!.kinds } });
            reload();
            return Object.entries(r.collections).map(([k, c]) => `${k}: ${c.started ? 'started' : c.error?.message ?? 'not started'}`).join('; ');
          })}>Collect now</button>
        </p>
      ) : null}
      <OutcomeLine outcome={outcome} />
    </section>
  );
}

type Item = PortItem | ProcessItem;

function itemCells(kind: TaskKind, i: Item) {
  if (kind === 'port') {
    const p = i as PortItem;
    return <><td>{p.port}</td><td>{p.processName}</td><td>{p.pid}</td></>;
  }
  const p = i as ProcessItem;
  return <><td>{p.processName}</td><td><code>{p.fullPath}</code></td><td>{p.username}</td><td>{p.pid}</td></>;
}

const HEADS: Record<TaskKind, string[]> = { port: ['Port', 'Process', 'pid'], process: ['Process', 'Path', 'User', 'pid'] };
const TITLE: Record<TaskKind, string> = { port: 'Open ports', process: 'Processes' };

function Snapshot({ uuid, kind }: { uuid: string; kind: TaskKind }) {
  const path = `/v1/agents/${encodeURIComponent(uuid)}/${kind === 'port' ? 'ports' : 'processes'}`;
  const [snap, reload] = useLoad(async () => {
    try {
      return await call<SnapshotView<Item>>('GET', path);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'no_snapshot') return null;
      throw e;
    }
  }, path);
  const [all, setAll] = useState(false);
  const id = `h-${kind}`;
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{TITLE[kind]}</h2>
      <Show value={snap} what={TITLE[kind].toLowerCase()} reload={reload}>
        {(s) => s === null ? <p>No {kind} collection of this agent has been read yet.</p> : (
          <>
            <p>{count(s.total, kind === 'port' ? 'open port' : 'process', kind === 'port' ? 'open ports' : 'processes')}, read <Time iso={s.takenAt} relative />{s.baseline ? ' (the first read: the baseline)' : <>; the read before <Time iso={s.previousTakenAt} /></>}.</p>
            {s.changes && (s.changes.added.length || s.changes.removed.length) ? (
              <div class="diff">
                <h3>What the last read changed</h3>
                <TableWrap label={`${TITLE[kind]}: last change`}>
                  <thead><tr><th scope="col">Change</th>{HEADS[kind].map((h) => <th scope="col" key={h}>{h}</th>)}</tr></thead>
                  <tbody>
                    {s.changes.added.map((i, n) => <tr key={`a${n}`} class="added"><td>added</td>{itemCells(kind, i)}</tr>)}
                    {s.changes.removed.map((i, n) => <tr key={`r${n}`} class="removed"><td>removed</td>{itemCells(kind, i)}</tr>)}
                  </tbody>
                </TableWrap>
              </div>
            ) : s.changes ? <p>The last read changed nothing.</p> : null}
            <TableWrap label={TITLE[kind]}>
              <thead><tr>{HEADS[kind].map((h) => <th scope="col" key={h}>{h}</th>)}</tr></thead>
              <tbody>{(all ? s.items : s.items.slice(0, ITEMS_SHOWN)).map((i, n) => <tr key={n}>{itemCells(kind, i)}</tr>)}</tbody>
            </TableWrap>
            {!all && s.items.length > ITEMS_SHOWN ? <button type="button" onClick={() => setAll(true)}>Show all {s.items.length}</button> : null}
          </>
        )}
      </Show>
    </section>
  );
}

function AgentIncidents({ uuid }: { uuid: string }) {
  const [list, reload] = useLoad(() => call<{ incidents: IncidentView[] }>('GET', '/v1/incidents', { query: { uuid, limit: 50 } }), `incidents:${uuid}`);
  return (
    <section aria-labelledby="h-agent-incidents">
      <h2 id="h-agent-incidents">Incidents</h2>
      <Show value={list} what="incidents" reload={reload}>
        {({ incidents }) => incidents.length === 0 ? <p>No incidents for this agent.</p> : (
          <ul class="plain">{incidents.map((i) => <li key={i.key}><a href={link('incidents', i.key)}>{i.summary}</a> <Badge value={i.state} /> <Time iso={i.openedAt} /></li>)}</ul>
        )}
      </Show>
    </section>
  );
}

/** The agent's newest events: one page of the history, with a link to search the rest. */
const AGENT_EVENTS = 10;

function AgentEvents({ uuid }: { uuid: string }) {
  const [page, reload] = useLoad(() => call<{ events: CloudEvent[]; nextCursor: string | null }>('GET', '/v1/events', { query: { uuid, limit: AGENT_EVENTS } }), `events:${uuid}`);
  return (
    <section aria-labelledby="h-agent-events">
      <h2 id="h-agent-events">Latest events</h2>
      <Show value={page} what="the agent's events" reload={reload}>
        {({ events, nextCursor }) => events.length === 0 ? <p>No events of this agent in the history.</p> : (
          <>
            <ul class="plain">{events.map((e) => <li key={e.id}><Time iso={e.time} /> {e.type.replace('com.tencentcloud.cwp.', '')}: {eventSummary(e)}</li>)}</ul>
            <p><a href={link('history', null, { uuid })}>{nextCursor ? 'All its events in the history' : 'Search them in the history'}</a></p>
          </>
        )}
      </Show>
    </section>
  );
}
