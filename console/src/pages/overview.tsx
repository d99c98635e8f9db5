// Overview: the bridge's health and last sweep (GET /healthz), then one GET /v1/overview for the agents by state,
// the incidents firing, the outbox and dead letters per sink and the history's two charts; the watched agents'
// table reads each agent's states, a page at a time.
import { useState } from 'preact/hooks';
import { ApiError, call, type AgentView, type Health, type OverviewView, type WatchPage, type Whoami } from '../api';
import { CONDITIONS, CONDITION_LABEL, conditionOf, listedOffline, type AgentCondition } from '../agent-state';
import { agentsOfflineBars, eventsPerHourBars } from '../chart-data';
import { BarChart } from '../chart';
import { count, duration, hostName } from '../format';
import { may } from '../permissions';
import { link } from '../router';
import { Badge, OutcomeLine, Show, TableWrap, Time, useAction, useLoad, type Loaded } from '../ui';
import type { TaskKind, Watch } from '../../../lib/types';

/** Agents whose states are read at a time (one request each, within a token's burst of API_RATE_BURST). */
export const AGENT_STATES_PAGE = 25;
const WATCH_PAGE = 1000;
const MAX_WATCH_PAGES = 20;
/** Firing incidents the overview answers with (lib/metrics/overview.ts OVERVIEW_INCIDENTS). */
const OVERVIEW_INCIDENTS = 20;

async function allWatches(): Promise<Watch[]> {
  const out: Watch[] = [];
  let offset: number | null = 0;
  for (let i = 0; offset !== null && i < MAX_WATCH_PAGES; i++) {
    const page: WatchPage = await call<WatchPage>('GET', '/v1/watches', { query: { limit: WATCH_PAGE, offset } });
    out.push(...page.watches);
    offset = page.nextOffset;
  }
  return out;
}

/** The agents' records, a few requests at a time; an agent the store no longer knows is left out. */
export async function agentStates(uuids: string[]): Promise<Map<string, AgentView>> {
  const out = new Map<string, AgentView>();
  let next = 0;
  const worker = async () => {
    while (next < uuids.length) {
      const uuid = uuids[next++]!;
      try {
        out.set(uuid, await call<AgentView>('GET', `/v1/agents/${uuid}`));
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return out;
}

export function Overview({ who }: { who: Whoami }) {
  const [overview, reload] = useLoad(() => call<OverviewView>('GET', '/v1/overview'), 'overview');
  return (
    <>
      <HealthPart who={who} />
      <AgentsPart overview={overview} />
      <IncidentsPart overview={overview} reload={reload} />
      <DeliveriesPart overview={overview} reload={reload} />
      <ChartsPart overview={overview} reload={reload} />
    </>
  );
}

function HealthPart({ who }: { who: Whoami }) {
  const [health, reload] = useLoad(() => call<Health>('GET', '/healthz'), 'health');
  const [busy, outcome, run] = useAction();
  return (
    <section aria-labelledby="h-health">
      <h2 id="h-health">The bridge</h2>
      <Show value={health} what="the bridge's health" reload={reload}>
        {(h) => (
          <>
            <p>
              Status <Badge value={h.status} /> · store <code>{h.store}</code>
              {h.durable === false ? <span class="muted"> (not shared across instances)</span> : null}
            </p>
            {h.problem ? <p class="warn" role="alert">{h.problem}</p> : null}
            {(h.warnings ?? []).map((w) => <p class="warn" key={w}>{w}</p>)}
            {h.storeResetAt ? (
              <div class="warn" role="alert">
                <p>The state store was found empty at <Time iso={h.storeResetAt} />: states, watches and dead letters before then are gone.</p>
                {may(who, 'acknowledgeStoreReset') ? (
                  <button type="button" disabled={busy} onClick={() => run(async () => {
                    await call('POST', '/v1/store/reset-acknowledged', { body: {} });
                    reload();
                    return 'Store reset acknowledged.';
                  })}>Acknowledge the reset</button>
                ) : null}
                <OutcomeLine outcome={outcome} />
              </div>
            ) : null}
            <dl class="facts">
              <dt>Last sweep</dt>
              <dd>{h.lastSweep ? <><Badge value={h.lastSweep.outcome} /> <Time iso={h.lastSweep.startedAt} relative /></> : 'none yet'}</dd>
              {h.lastSweep ? (
                <>
                  <dt>Checked</dt><dd>{count(h.lastSweep.checked, 'key')}</dd>
                  <dt>Changed</dt><dd>{count(h.lastSweep.changed, 'state')}</dd>
                  <dt>Took</dt><dd>{duration(h.lastSweep.tookMs)}</dd>
                  <dt>Outbox</dt><dd>{count(h.lastSweep.outboxLeft, 'event')} waiting to be delivered</dd>
                  <dt>Dead letters</dt><dd>{count(h.lastSweep.deadLetters, 'dead letter')}</dd>
                </>
              ) : null}
              <dt>Discovery</dt>
              <dd>
                {h.discovery
                  ? <>listing {h.discovery.listing ?? '—'}{h.discovery.inProgress ? ' (in progress)' : ''}, last completed <Time iso={h.discovery.lastCompletedAt} relative />, every {h.discovery.every}{h.discovery.skippedNoUuid ? `, ${count(h.discovery.skippedNoUuid, 'machine')} without an agent skipped` : ''}</>
                  : 'off (WATCH_DISCOVER is not set)'}
              </dd>
            </dl>
          </>
        )}
      </Show>
    </section>
  );
}

function AgentsPart({ overview }: { overview: Loaded<OverviewView> }) {
  const [shown, setShown] = useState(AGENT_STATES_PAGE);
  const [watches, reloadWatches] = useLoad(allWatches, 'watches');
  const uuids = watches.status === 'ok' ? watches.data.slice(0, shown).map((w) => w.uuid) : [];
  const [states, reloadStates] = useLoad(() => (uuids.length ? agentStates(uuids) : Promise.resolve(new Map<string, AgentView>())), `states:${uuids.join(',')}`);
  return (
    <section aria-labelledby="h-agents">
      <h2 id="h-agents">Agents</h2>
      <Show value={watches} what="the watch list" reload={reloadWatches}>
        {(all) => {
          const offlineListed = all.filter(listedOffline).length;
          return (
            <>
              <p class="lead">{count(all.length, 'agent')} watched{offlineListed ? <>, <strong>{count(offlineListed, 'agent')} listed offline</strong> by CWP's machine listing</> : null}.</p>
              {all.length === 0 ? <p>No agent is watched yet: set WATCH_UUIDS or WATCH_DISCOVER, or PUT /v1/watches/&#123;uuid&#125;.</p> : (
                <Show value={states} what="the agents' states" reload={reloadStates}>
                  {(byUuid) => <AgentTable watches={all.slice(0, shown)} states={byUuid} total={all.length} byCondition={overview.status === 'ok' ? overview.data.agents.byCondition : null} onMore={() => setShown((n) => n + AGENT_STATES_PAGE)} />}
                </Show>
              )}
            </>
          );
        }}
      </Show>
    </section>
  );
}

/** `byCondition`: the overview's count over every watched agent; until it answers, the count of the rows shown. */
function AgentTable({ watches, states, total, byCondition: all, onMore }: { watches: Watch[]; states: Map<string, AgentView>; total: number; byCondition: Record<AgentCondition, number> | null; onMore: () => void }) {
  const rows = watches.map((w) => {
    const a = states.get(w.uuid);
    const kindStates: Partial<Record<TaskKind, AgentView['tasks'][TaskKind]>> = a?.tasks ?? {};
    const condition = conditionOf(Object.fromEntries(w.kinds.map((k) => [k, kindStates[k]?.state ?? null])), listedOffline(w));
    return { w, a, condition };
  });
  const byCondition = new Map<AgentCondition, number>();
  if (all) for (const c of CONDITIONS) byCondition.set(c, all[c] ?? 0);
  else for (const r of rows) byCondition.set(r.condition, (byCondition.get(r.condition) ?? 0) + 1);
  return (
    <>
      <ul class="counts" aria-label="Agents by state">
        {CONDITIONS.filter((c) => byCondition.get(c)).map((c) => (
          <li key={c} class={`count-${c}`}><strong>{count(byCondition.get(c)!, 'agent')}</strong> {CONDITION_LABEL[c]}</li>
        ))}
      </ul>
      {watches.length < total ? <p class="muted">The table shows the first {watches.length} of {count(total, 'agent')}.</p> : null}
      <TableWrap label="Watched agents">
        <thead>
          <tr><th scope="col">Agent</th><th scope="col">State</th><th scope="col">Process</th><th scope="col">Port</th><th scope="col">Source</th></tr>
        </thead>
        <tbody>
          {rows.map(({ w, a, condition }) => (
            <tr key={w.uuid}>
              <th scope="row"><a href={link('agents', w.uuid)}>{hostName(w.uuid, w.machine)}</a>{w.machine ? <div class="muted small">{w.uuid}</div> : null}</th>
              <td><Badge value={condition} /></td>
              {(['process', 'port'] as const).map((k) => (
                <td key={k}>{w.kinds.includes(k) ? <><Badge value={a?.tasks[k]?.state ?? null} /> {a?.tasks[k]?.since ? <div class="small"><Time iso={a.tasks[k]!.since} /></div> : null}</> : <span class="muted">not watched</span>}</td>
              ))}
              <td>{w.source}</td>
            </tr>
          ))}
        </tbody>
      </TableWrap>
      {watches.length < total ? <button type="button" onClick={onMore}>Show {Math.min(AGENT_STATES_PAGE, total - watches.length)} more</button> : null}
    </>
  );
}

function IncidentsPart({ overview, reload }: { overview: Loaded<OverviewView>; reload: () => void }) {
  return (
    <section aria-labelledby="h-firing">
      <h2 id="h-firing">Incidents firing</h2>
      <Show value={overview} what="incidents" reload={reload}>
        {({ incidentsFiring: list }) => {
          const newest = [...list].sort((a, b) => (b.firingAt ?? b.openedAt).localeCompare(a.firingAt ?? a.openedAt));
          return list.length === 0 ? <p>No incident is firing.</p> : (
            <>
              <p class="lead"><a href={link('incidents', null, { state: 'firing' })}><strong>{count(list.length, 'incident')} firing</strong></a>{list.length >= OVERVIEW_INCIDENTS ? ` (the newest ${OVERVIEW_INCIDENTS})` : ''}.</p>
              <ul class="plain">
                {newest.map((i) => (
                  <li key={i.key}><a href={link('incidents', i.key)}>{i.summary}</a> <Badge value={i.severity} /> since <Time iso={i.firingAt ?? i.openedAt} relative />{i.acknowledged ? ' · acknowledged' : ''}{i.silencedBy?.length ? ' · silenced' : ''}</li>
                ))}
              </ul>
            </>
          );
        }}
      </Show>
    </section>
  );
}

/** What waits in the outbox and what died, per sink. */
function DeliveriesPart({ overview, reload }: { overview: Loaded<OverviewView>; reload: () => void }) {
  return (
    <section aria-labelledby="h-dead">
      <h2 id="h-dead">Deliveries</h2>
      <Show value={overview} what="the deliveries" reload={reload}>
        {({ outbox, deadLetters }) => {
          const dead = deadLetters.reduce((n, d) => n + d.count, 0);
          return (
            <>
              {outbox.length === 0 ? <p>The outbox is empty: nothing waits to be delivered.</p> : (
                <TableWrap label="Outbox per sink">
                  <thead><tr><th scope="col">Sink</th><th scope="col">Waiting</th><th scope="col">Oldest</th></tr></thead>
                  <tbody>{outbox.map((o) => <tr key={o.sink}><th scope="row"><code>{o.sink}</code></th><td>{count(o.events, 'event')}</td><td><Time iso={o.oldestAt} relative /></td></tr>)}</tbody>
                </TableWrap>
              )}
              {dead === 0 ? <p>No dead letters: every event reached its sinks or is still being tried.</p> : (
                <>
                  <p class="lead"><a href={link('deliveries')}><strong>{count(dead, 'dead letter')}</strong></a>.</p>
                  <TableWrap label="Dead letters per sink">
                    <thead><tr><th scope="col">Sink</th><th scope="col">Dead letters</th></tr></thead>
                    <tbody>{deadLetters.map((d) => <tr key={d.sink}><th scope="row"><code>{d.sink}</code></th><td>{d.count}</td></tr>)}</tbody>
                  </TableWrap>
                </>
              )}
            </>
          );
        }}
      </Show>
    </section>
  );
}

const hourLabel = (at: string) => new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(new Date(at));
const dayLabel = (at: string) => new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(at));

function ChartsPart({ overview, reload }: { overview: Loaded<OverviewView>; reload: () => void }) {
  return (
    <section aria-labelledby="h-charts">
      <h2 id="h-charts">History</h2>
      <Show value={overview} what="the event history" reload={reload}>
        {(o) => (
          <>
            <div class="charts">
              <BarChart title="Events per hour, last 24 h" bars={eventsPerHourBars(o.eventsPerHour)} label={hourLabel} unit={(n) => count(n, 'event')} />
              <BarChart title="Agents offline per day (UTC), last 7 days" bars={agentsOfflineBars(o.agentsOfflinePerDay)} label={dayLabel} unit={(n) => count(n, 'agent')} />
            </div>
            {o.agentsOfflineTruncated ? <p class="muted small">The busiest days' status changes were more than the overview reads: the oldest offline counts may be low.</p> : null}
            <p><a href={link('history')}>Search the history</a></p>
          </>
        )}
      </Show>
    </section>
  );
}
