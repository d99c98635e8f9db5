// The local stores' incident port (IncidentPort): incidents by key, the open one of each subject, and the clock's
// index, on a LocalState (state.ts, which also makes the writes recordChange and recordSnapshot carry). A link in
// the chain delivery.ts -> incidents.ts -> store.ts (LocalStateStore). The local stores serve fleets whose state
// fits one process: the listings sort what they walk, no index is kept beside the Map.
import type { Incident, IncidentPage, IncidentQuery, IncidentWrite } from '../../alerts/types';
import { compareIncidentsNewestFirst, decodeIncidentCursor, incidentIndexOf, IncidentPager, isAfterCursor } from '../rules';
import type { IncidentPort } from '../store';
import { clone } from './delivery';
import { LocalLifecycleStore } from './lifecycle';
import type { LocalState } from './state';

/** The open incidents of one agent, oldest first (ties by key). */
function openOf(s: LocalState, uuid: string): Incident[] {
  const out: Incident[] = [];
  for (const key of s.openIncidents.values()) {
    const i = s.incidents.get(key);
    if (i && i.agent.uuid === uuid) out.push(i);
  }
  return out.sort((a, b) => a.openedAt - b.openedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export abstract class LocalIncidentStore extends LocalLifecycleStore implements IncidentPort {
  getIncident(key: string): Promise<Incident | null> {
    return this.persistence.read((s) => {
      const i = s.incidents.get(key);
      return i ? clone(i) : null;
    });
  }

  openIncidentsOf(uuid: string): Promise<Incident[]> {
    return this.persistence.read((s) => openOf(s, uuid).map(clone));
  }

  agentsWithOpenIncidents(limit: number, after?: string): Promise<string[]> {
    return this.persistence.read((s) => {
      const uuids = new Set<string>();
      for (const key of s.openIncidents.values()) {
        const i = s.incidents.get(key);
        if (i && (after === undefined || i.agent.uuid > after)) uuids.add(i.agent.uuid);
      }
      return [...uuids].sort().slice(0, Math.max(0, limit));
    });
  }

  async listIncidents(query: IncidentQuery): Promise<IncidentPage> {
    const cursor = query.cursor === undefined ? null : decodeIncidentCursor(query.cursor);
    return this.persistence.read((s) => {
      const index = incidentIndexOf(query);
      const walked: Incident[] = [];
      for (const i of s.incidents.values()) {
        if (index.by === 'uuid' && i.agent.uuid !== index.uuid) continue;
        if (index.by === 'state' && i.state !== index.state) continue;
        if (isAfterCursor(i, cursor)) walked.push(i);
      }
      walked.sort(compareIncidentsNewestFirst);
      const pager = new IncidentPager(query);
      for (const i of walked) if (!pager.offer(i)) break;
      const page = pager.page();
      return { incidents: page.incidents.map(clone), nextCursor: page.nextCursor };
    });
  }

  claimDueIncidents(now: number, limit: number, leaseMs: number): Promise<Incident[]> {
    return this.persistence.write((s) => {
      const due = [...s.incidentDue].filter(([, at]) => at <= now).sort(([ka, a], [kb, b]) => a - b || (ka < kb ? -1 : ka > kb ? 1 : 0)).slice(0, Math.max(0, limit));
      const out: Incident[] = [];
      for (const [key] of due) {
        const i = s.incidents.get(key);
        if (!i) continue;
        s.incidentDue.set(key, now + leaseMs);
        out.push(clone(i));
      }
      return out;
    }, (taken) => taken.length > 0);
  }

  nextIncidentDueAt(): Promise<number | null> {
    return this.persistence.read((s) => {
      let min: number | null = null;
      for (const at of s.incidentDue.values()) if (min === null || at < min) min = at;
      return min;
    });
  }

  applyIncidents(writes: IncidentWrite[]): Promise<boolean> {
    return this.persistence.write((s) => {
      if (!s.incidentWritesApply(writes)) return false;
      s.applyIncidentWrites(writes);
      return true;
    }, (applied) => applied && writes.length > 0);
  }

  purgeResolvedIncidents(before: number, limit: number): Promise<number> {
    return this.persistence.write((s) => {
      const old: Incident[] = [];
      for (const i of s.incidents.values()) if (i.state === 'resolved' && i.resolvedAt !== null && i.resolvedAt <= before) old.push(i);
      old.sort((a, b) => a.resolvedAt! - b.resolvedAt! || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const purged = old.slice(0, Math.max(0, limit));
      for (const i of purged) {
        s.incidents.delete(i.key);
        s.incidentDue.delete(i.key);
      }
      return purged.length;
    }, (n) => n > 0);
  }
}
