// Deliveries: the dead letters with their reasons; replay or discard, chosen ones or all. Replaying sends an event
// again to the sink that failed it only; discarding (DELETE /v1/deliveries) drops it for good.
import { useState } from 'preact/hooks';
import { call, isNotAvailable, type DeadLetterPage, type DeadLetterView, type Whoami } from '../api';
import { count } from '../format';
import { may } from '../permissions';
import { link } from '../router';
import { ConfirmButton, OutcomeLine, Show, TableWrap, Time, useAction, useLoad } from '../ui';

const LIMIT = 500;

/** "agent web-01 (10.0.1.11) process COLLECTING -> FAILED", from the event a dead letter carries. */
function whatHappened(d: DeadLetterView): string {
  const e = d.event;
  const host = 'machineName' in e.data && e.data.machineName ? e.data.machineName : e.data.uuid;
  switch (e.type) {
    case 'com.tencentcloud.cwp.task.status.changed':
      return `${host} ${e.data.kind} ${e.data.previous ?? '(first)'} -> ${e.data.state}`;
    case 'com.tencentcloud.cwp.ports.changed':
      return `${host} ports: +${e.data.addedCount} −${e.data.removedCount}`;
    case 'com.tencentcloud.cwp.processes.changed':
      return `${host} processes: +${e.data.addedCount} −${e.data.removedCount}`;
    case 'com.tencentcloud.cwp.agent.unwatched':
      return `${host} unwatched (${e.data.reason})`;
  }
}

export function Deliveries({ who }: { who: Whoami }) {
  const [page, reload] = useLoad(() => call<DeadLetterPage>('GET', '/v1/deliveries', { query: { status: 'dead', limit: LIMIT } }), 'deliveries');
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [busy, outcome, run] = useAction();
  const canReplay = may(who, 'replay');
  const canDiscard = may(who, 'discard');
  const offerAny = canReplay || canDiscard;

  const replay = (eventIds: string[] | null) => run(async () => {
    const r = await call<{ replayed: number }>('POST', '/v1/deliveries/replay', { body: eventIds ? { eventIds } : {} });
    setChosen(new Set());
    reload();
    return `${count(r.replayed, 'dead letter')} sent back to the outbox: the next sweep delivers ${r.replayed === 1 ? 'it' : 'them'} again.`;
  });
  const discard = (eventIds: string[] | null) => run(async () => {
    try {
      const r = await call<{ discarded: number }>('DELETE', '/v1/deliveries', { body: eventIds ? { eventIds } : {} });
      setChosen(new Set());
      reload();
      return `${count(r.discarded, 'dead letter')} discarded.`;
    } catch (e) {
      if (isNotAvailable(e)) return 'Discarding dead letters is not available on this server yet.';
      throw e;
    }
  });

  return (
    <section aria-labelledby="h-deliveries">
      <h2 id="h-deliveries" class="visually-hidden">Dead letters</h2>
      <OutcomeLine outcome={outcome} />
      <Show value={page} what="dead letters" reload={reload}>
        {(p) => {
          if (p.total === 0) return <p>No dead letters: every event reached its sinks or is still being tried.</p>;
          const ids = p.deliveries.map((d) => d.eventId);
          const picked = ids.filter((id) => chosen.has(id));
          const toggle = (id: string) => setChosen((s) => {
            const n = new Set(s);
            if (n.has(id)) n.delete(id);
            else n.add(id);
            return n;
          });
          return (
            <>
              <p class="lead"><strong>{count(p.total, 'dead letter')}</strong>{p.total > p.count ? ` (the first ${p.count} shown)` : ''}.</p>
              {offerAny ? (
                <div class="actions" role="group" aria-label="Dead letter actions">
                  {canReplay ? <button type="button" disabled={busy || picked.length === 0} onClick={() => replay(picked)}>Replay {picked.length ? count(picked.length, 'chosen letter') : 'chosen'}</button> : null}
                  {canReplay ? <ConfirmButton label="Replay all" confirmLabel={`Replay all ${count(p.total, 'dead letter')}?`} disabled={busy} onConfirm={() => replay(null)} /> : null}
                  {canDiscard ? <ConfirmButton label={`Discard ${picked.length ? count(picked.length, 'chosen letter') : 'chosen'}`} confirmLabel={`Discard ${count(picked.length, 'dead letter')} for good?`} disabled={busy || picked.length === 0} onConfirm={() => discard(picked)} /> : null}
                  {canDiscard ? <ConfirmButton label="Discard all" confirmLabel={`Discard all ${count(p.total, 'dead letter')} for good?`} disabled={busy} onConfirm={() => discard(null)} /> : null}
                </div>
              ) : <p class="muted">This token may read dead letters; replaying and discarding need the admin scope.</p>}
              <TableWrap label="Dead letter list">
                <thead>
                  <tr>
                    {offerAny ? <th scope="col"><span class="visually-hidden">Choose</span></th> : null}
                    <th scope="col">Event</th><th scope="col">Sink</th><th scope="col">Reason</th><th scope="col">Attempts</th><th scope="col">Dead since</th>
                  </tr>
                </thead>
                <tbody>
                  {p.deliveries.map((d) => (
                    <tr key={`${d.eventId} ${d.sinkId}`}>
                      {offerAny ? <td><input type="checkbox" id={`pick-${d.eventId}`} checked={chosen.has(d.eventId)} onChange={() => toggle(d.eventId)} aria-label={`Choose ${whatHappened(d)}`} /></td> : null}
                      <td><a href={link('agents', d.event.data.uuid)}>{whatHappened(d)}</a><div class="muted small"><code>{d.eventId}</code></div></td>
                      <td class="nowrap"><code>{d.sinkId}</code></td>
                      <td class="reason">{d.reason}</td>
                      <td>{d.attempts}</td>
                      <td><Time iso={d.deadAt} relative /></td>
                    </tr>
                  ))}
                </tbody>
              </TableWrap>
            </>
          );
        }}
      </Show>
    </section>
  );
}
