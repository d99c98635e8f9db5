// The Redis store's quiet-rule port (QuietPort). A link in the chain connection.ts -> delivery.ts -> lifecycle.ts ->
// incidents.ts -> quiet.ts -> store.ts (RedisStateStore). Each rule is a JSON value in its kind's hash; its hits, a
// silence's early end and whether its end was noticed sit beside it (connection.ts, the key layout), so a rule is
// written once and never rewritten by a counter. Its Lua is in quiet-scripts.ts.
import type { QuietHit, QuietHits, QuietKind, QuietRule, QuietRules } from '../../alerts/types';
import { compareQuietRules } from '../rules';
import type { SilenceEndedNotice } from '../../events/types';
import type { QuietPort } from '../store';
import { RedisHistoryStore } from './history';

type StoredSilence = QuietRules['silences'][number];
const KINDS: readonly QuietKind[] = ['silence', 'window', 'expectation'];

export abstract class RedisQuietStore extends RedisHistoryStore implements QuietPort {
  listQuietRules(): Promise<QuietRules> {
    return this.run('listQuietRules', async () => {
      const p = this.redis.pipeline();
      for (const kind of KINDS) p.hgetall(this.k('quiet', kind));
      p.hgetall(this.k('quiet', 'hits'));
      p.hgetall(this.k('quiet', 'last'));
      p.hgetall(this.k('quiet', 'ended'));
      p.smembers(this.k('quiet', 'noticed'));
      type Hash = Record<string, string>;
      const [silences, windows, expectations, counts, last, ended, noticed] = (await this.exec(p)) as [Hash, Hash, Hash, Hash, Hash, Hash, string[]];
      const noticedSet = new Set(noticed);
      const withHits = <R extends QuietRule>(kind: QuietKind, json: string): R & QuietHits => {
        const rule = JSON.parse(json) as R;
        const field = `${kind}/${rule.id}`;
        return { ...rule, hits: Number(counts[field] ?? 0), lastHitAt: last[field] === undefined ? null : Number(last[field]) };
      };
      return {
        silences: Object.values(silences).map((json) => {
          const s = withHits<StoredSilence>('silence', json);
          const end = ended[s.id];
          if (end !== undefined) endEarly(s, end);
          return { ...s, endNoticed: noticedSet.has(s.id) };
        }).sort(compareQuietRules),
        windows: Object.values(windows).map((json) => withHits<QuietRules['windows'][number]>('window', json)).sort(compareQuietRules),
        expectations: Object.values(expectations).map((json) => withHits<QuietRules['expectations'][number]>('expectation', json)).sort(compareQuietRules),
      };
    });
  }

  putQuietRule(kind: QuietKind, rule: QuietRule): Promise<void> {
    return this.run('putQuietRule', async () => {
      // The rule as given: a silence put again has no early end and its end not yet noticed (its hits stay).
      const m = this.redis.multi().hset(this.k('quiet', kind), rule.id, JSON.stringify(rule));
      if (kind === 'silence') m.hdel(this.k('quiet', 'ended'), rule.id).srem(this.k('quiet', 'noticed'), rule.id);
      await this.exec(m);
    });
  }

  deleteQuietRule(kind: QuietKind, id: string): Promise<boolean> {
    return this.run('deleteQuietRule', async () => {
      const field = `${kind}/${id}`;
      const r = (await this.exec(this.redis.multi()
        .hdel(this.k('quiet', kind), id)
        .hdel(this.k('quiet', 'hits'), field)
        .hdel(this.k('quiet', 'last'), field)
        .hdel(this.k('quiet', 'ended'), kind === 'silence' ? id : '')
        .srem(this.k('quiet', 'noticed'), kind === 'silence' ? id : ''))) as number[];
      return r[0] === 1;
    });
  }

  endSilence(id: string, at: number, by: string): Promise<StoredSilence | null> {
    return this.run('endSilence', async () => {
      if (!(await this.redis.hexists(this.k('quiet', 'silence'), id))) return null;
      // The first end stands: a later DELETE finds the silence over already.
      await this.redis.hsetnx(this.k('quiet', 'ended'), id, `${at}\n${by}`);
      return (await this.listQuietRules()).silences.find((s) => s.id === id) ?? null;
    });
  }

  addQuietHits(hits: QuietHit[]): Promise<void> {
    return this.run('addQuietHits', async () => {
      if (hits.length === 0) return;
      await this.script('addQuietHits', { counts: this.k('quiet', 'hits'), last: this.k('quiet', 'last') }, { prefix: this.keyPrefix, hits: JSON.stringify(hits) });
    });
  }

  noticeSilenceEnded(id: string, notice?: SilenceEndedNotice | null): Promise<boolean> {
    return this.run('noticeSilenceEnded', async () => {
      const eventId = notice?.id ?? '';
      return Number(await this.script('noticeSilenceEnded', {
        silences: this.k('quiet', 'silence'), noticed: this.k('quiet', 'noticed'), outbox: this.k('outbox'), entry: this.k('outbox', eventId), seq: this.k('seq'),
      }, { id, eventId, eventJson: notice ? JSON.stringify(notice) : '', at: notice ? Date.parse(notice.time) : 0 })) === 1;
    });
  }
}

/** A silence ended early (`<at>\n<by>`): it ends then, if that is before its endsAt (never before it starts). */
function endEarly(s: StoredSilence, stored: string): void {
  const [at, ...by] = stored.split('\n');
  const end = Math.max(Number(at), s.startsAt);
  if (end < s.endsAt) {
    s.endsAt = end;
    s.endedBy = by.join('\n');
  }
}
