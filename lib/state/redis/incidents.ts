// The Redis store's incident port (IncidentPort). A link in the chain connection.ts -> delivery.ts -> incidents.ts
// -> store.ts (RedisStateStore); its Lua is in incident-scripts.ts, and `incidentArgs` is how recordChange and
// recordSnapshot (store.ts) hand their incident writes to the same scripts. Reads are plain commands: an index,
// then the incidents' JSON in one pipeline.
import type { Incident, IncidentPage, IncidentQuery, IncidentWrite } from '../../alerts/types';
import { decodeIncidentCursor, incidentDueAt, incidentIndexOf, IncidentPager, type IncidentIndex, type IncidentPosition } from '../rules';
import type { IncidentPort } from '../store';
import { RedisLifecycleStore } from './lifecycle';

/** How many index entries a listing reads at a time. */
const LIST_BATCH = 100;

const byOpenedAt = (a: Incident, b: Incident): number => a.openedAt - b.openedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export abstract class RedisIncidentStore extends RedisLifecycleStore implements IncidentPort {
  /** `<p>:`: the incident scripts build their keys under it (incident-scripts.ts). */
  protected get keyPrefix(): string {
    return `${this.prefix}:`;
  }

  /** The ARGV `incidents` of a script: the writes as incident-scripts.ts reads them ('[]' for none). */
  protected incidentArgs(writes: readonly IncidentWrite[] | undefined): string {
    return JSON.stringify((writes ?? []).map(({ incident: i, expectedRevision, event, silenced }) => {
      const due = incidentDueAt(i);
      return {
        key: i.key, subject: i.subject, uuid: i.agent.uuid, state: i.state, expectedRevision: String(expectedRevision), revision: String(i.revision),
        json: JSON.stringify(i), openedAt: String(i.openedAt), resolvedAt: i.resolvedAt === null ? '' : String(i.resolvedAt), dueAt: due === null ? '' : String(due),
        eventId: event?.id ?? '', eventJson: event ? JSON.stringify(event) : '', createdAt: event ? String(Date.parse(event.time)) : '',
        silenced: silenced ? '1' : '',
      };
    }));
  }

  /** The incidents of these keys, in order, those gone meanwhile left out. */
  private async incidentsOf(keys: readonly string[]): Promise<Incident[]> {
    if (keys.length === 0) return [];
    const p = this.redis.pipeline();
    for (const key of keys) p.hget(this.k('incident', key), 'json');
    return ((await this.exec(p)) as Array<string | null>).filter((v): v is string => v !== null).map((v) => JSON.parse(v) as Incident);
  }

  getIncident(key: string): Promise<Incident | null> {
    return this.run('getIncident', async () => {
      const v = await this.redis.hget(this.k('incident', key), 'json');
      return v ? (JSON.parse(v) as Incident) : null;
    });
  }

  openIncidentsOf(uuid: string): Promise<Incident[]> {
    return this.run('openIncidentsOf', async () => (await this.incidentsOf(await this.redis.smembers(this.k('inc', 'open', uuid)))).sort(byOpenedAt));
  }

  agentsWithOpenIncidents(limit: number, after?: string): Promise<string[]> {
    // Every member has score 0, so the zset's order is the uuids' and ZRANGEBYLEX pages through it.
    return this.run('agentsWithOpenIncidents', async () => (limit <= 0 ? [] : this.redis.zrangebylex(this.k('inc', 'agents'), after === undefined ? '-' : `(${after}`, '+', 'LIMIT', 0, limit)));
  }

  private indexKey(index: IncidentIndex): string {
    if (index.by === 'uuid') return this.k('inc', 'agent', index.uuid);
    if (index.by === 'state') return this.k('inc', 'state', index.state);
    return this.k('inc', 'all');
  }

  /**
   * Walks the index newest first from the cursor, a batch at a time: ZREVRANGEBYSCORE from the cursor's openedAt
   * (the ones of that same time at or before the cursor's key skipped), until the page is done or the index ends.
   */
  async listIncidents(query: IncidentQuery): Promise<IncidentPage> {
    const cursor: IncidentPosition | null = query.cursor === undefined ? null : decodeIncidentCursor(query.cursor);
    return this.run('listIncidents', async () => {
      const index = this.indexKey(incidentIndexOf(query));
      const pager = new IncidentPager(query);
      const max = cursor === null ? '+inf' : String(cursor.openedAt);
      for (let offset = 0; ; offset += LIST_BATCH) {
        const flat = await this.redis.zrevrangebyscore(index, max, '-inf', 'WITHSCORES', 'LIMIT', offset, LIST_BATCH);
        const keys: string[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const key = flat[i]!;
          if (cursor !== null && Number(flat[i + 1]) === cursor.openedAt && key >= cursor.key) continue;
          keys.push(key);
        }
        for (const incident of await this.incidentsOf(keys)) if (!pager.offer(incident)) return pager.page();
        if (flat.length < 2 * LIST_BATCH) return pager.page();
      }
    });
  }

  claimDueIncidents(now: number, limit: number, leaseMs: number): Promise<Incident[]> {
    return this.run('claimDueIncidents', async () => {
      if (limit <= 0) return [];
      const flat = (await this.script('claimDue', { due: this.k('inc', 'due') }, { now, limit, claimedUntil: now + leaseMs })) as string[];
      const keys: string[] = [];
      for (let i = 0; i < flat.length; i += 2) keys.push(flat[i]!);
      return this.incidentsOf(keys);
    });
  }

  nextIncidentDueAt(): Promise<number | null> {
    return this.run('nextIncidentDueAt', async () => {
      const r = await this.redis.zrange(this.k('inc', 'due'), 0, 0, 'WITHSCORES');
      return r.length >= 2 ? Number(r[1]) : null;
    });
  }

  applyIncidents(writes: IncidentWrite[]): Promise<boolean> {
    return this.run('applyIncidents', async () => {
      if (writes.length === 0) return true;
      return Number(await this.script('applyIncidents', { outbox: this.k('outbox'), seq: this.k('seq') }, { prefix: this.keyPrefix, incidents: this.incidentArgs(writes), history: this.historyArg })) === 1;
    });
  }

  purgeResolvedIncidents(before: number, limit: number): Promise<number> {
    return this.run('purgeResolvedIncidents', async () => {
      if (limit <= 0) return 0;
      return Number(await this.script('purgeIncidents', {
        resolved: this.k('inc', 'resolved'), all: this.k('inc', 'all'), stateResolved: this.k('inc', 'state', 'resolved'), due: this.k('inc', 'due'),
      }, { prefix: this.keyPrefix, before, limit }));
    });
  }
}
