// The local stores' quiet-rule port (QuietPort): silences, maintenance windows and expectations with their hits, on
// a LocalState (state.ts). A link in the chain delivery.ts -> lifecycle.ts -> incidents.ts -> quiet.ts -> store.ts.
import type { QuietHit, QuietKind, QuietRule, QuietRules } from '../../alerts/types';
import { compareQuietRules } from '../rules';
import type { SilenceEndedNotice } from '../../events/types';
import type { QuietPort } from '../store';
import { clone } from './delivery';
import { LocalHistoryStore } from './history';
import type { LocalState } from './state';

type StoredSilence = QuietRules['silences'][number];

export abstract class LocalQuietStore extends LocalHistoryStore implements QuietPort {
  listQuietRules(): Promise<QuietRules> {
    return this.persistence.read((s) => ({
      silences: [...s.quiet.silence.values()].map((r) => clone({ ...r, endNoticed: r.endNoticed === true }) as StoredSilence).sort(compareQuietRules),
      windows: [...s.quiet.window.values()].map((r) => clone(r) as QuietRules['windows'][number]).sort(compareQuietRules),
      expectations: [...s.quiet.expectation.values()].map((r) => clone(r) as QuietRules['expectations'][number]).sort(compareQuietRules),
    }));
  }

  putQuietRule(kind: QuietKind, rule: QuietRule): Promise<void> {
    return this.persistence.write((s) => {
      const had = s.quiet[kind].get(rule.id);
      s.quiet[kind].set(rule.id, { ...clone(rule), hits: had?.hits ?? 0, lastHitAt: had?.lastHitAt ?? null, ...(kind === 'silence' ? { endNoticed: false } : {}) });
    }, () => true);
  }

  deleteQuietRule(kind: QuietKind, id: string): Promise<boolean> {
    return this.persistence.write((s) => s.quiet[kind].delete(id), (deleted) => deleted);
  }

  endSilence(id: string, at: number, by: string): Promise<StoredSilence | null> {
    return this.persistence.write((s: LocalState) => {
      const r = s.quiet.silence.get(id) as StoredSilence | undefined;
      if (!r) return null;
      if (at < r.endsAt) {
        r.endsAt = Math.max(at, r.startsAt);
        r.endedBy = by;
      }
      return clone({ ...r, endNoticed: r.endNoticed === true });
    }, (r) => r !== null);
  }

  addQuietHits(hits: QuietHit[]): Promise<void> {
    return this.persistence.write((s) => {
      for (const h of hits) {
        const r = s.quiet[h.kind].get(h.id);
        if (!r) continue;
        r.hits += h.count;
        r.lastHitAt = r.lastHitAt === null ? h.at : Math.max(r.lastHitAt, h.at);
      }
    }, () => hits.length > 0);
  }

  noticeSilenceEnded(id: string, notice?: SilenceEndedNotice | null): Promise<boolean> {
    return this.persistence.write((s) => {
      const r = s.quiet.silence.get(id);
      if (!r || r.endNoticed === true) return false;
      r.endNoticed = true;
      if (notice) s.appendToOutbox(notice, Date.parse(notice.time));
      return true;
    }, (marked) => marked);
  }
}
