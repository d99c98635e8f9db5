// The quiet rules as a sweep uses them: read once (QuietPort.listQuietRules), compiled once, matched in memory
// against every incident write the rules (rules.ts) make. `Quiet` answers which silences and maintenance windows hold
// an incident back at an instant, and which expectation covers a port or process, and counts what took effect so
// the sweep adds the hits to the store once at its end.
import { expectationCovers } from './expectations';
import { compileMatchers, targetOf, type CompiledMatcher } from './matchers';
import type { Incident, QuietHit, QuietKind, QuietRules } from './types';
import { windowActiveAt } from './windows';

interface Compiled<R> {
  rule: R;
  matches: CompiledMatcher;
}

export class Quiet {
  readonly #silences: Array<Compiled<QuietRules['silences'][number]>>;
  readonly #windows: Array<Compiled<QuietRules['windows'][number]>>;
  readonly #expectations: Array<Compiled<QuietRules['expectations'][number]>>;
  readonly #tagsOf: (uuid: string) => readonly string[];
  /** Hits not yet added to the store, by `<kind>/<id>`. */
  readonly #hits = new Map<string, QuietHit>();
  /** What was counted already (`<id>|<what>`): a rule computed again after a store conflict counts once. */
  readonly #counted = new Set<string>();

  constructor(rules: QuietRules, tagsOf: (uuid: string) => readonly string[] = () => []) {
    this.#silences = rules.silences.map((rule) => ({ rule, matches: compileMatchers(rule.matchers) }));
    this.#windows = rules.windows.map((rule) => ({ rule, matches: compileMatchers(rule.matchers) }));
    this.#expectations = rules.expectations.map((rule) => ({ rule, matches: compileMatchers(rule.matchers) }));
    this.#tagsOf = tagsOf;
  }

  static none(): Quiet {
    return new Quiet({ silences: [], windows: [], expectations: [] });
  }

  get size(): number {
    return this.#silences.length + this.#windows.length + this.#expectations.length;
  }

  /** The ids of the silences and windows that hold the incident back at `at` (empty: none). */
  silencersOf(i: Pick<Incident, 'type' | 'kind' | 'port' | 'processName' | 'agent'>, at: number): string[] {
    if (this.#silences.length === 0 && this.#windows.length === 0) return [];
    const t = targetOf(i, this.#tagsOf(i.agent.uuid));
    const ids: string[] = [];
    for (const { rule, matches } of this.#silences) if (rule.startsAt <= at && at < rule.endsAt && matches(t)) ids.push(rule.id);
    for (const { rule, matches } of this.#windows) if (matches(t) && windowActiveAt(rule, at)) ids.push(rule.id);
    return ids;
  }

  /**
   * Whether the silence `id` held the incident's firing back: its matchers take the incident and the incident
   * started firing while the silence was in force. (Its `silencedBy` is not enough: a later write after the
   * silence ended clears it while the firing is still unsent.)
   */
  silenceHeldFiring(id: string, i: Pick<Incident, 'type' | 'kind' | 'port' | 'processName' | 'agent' | 'firingAt'>): boolean {
    const s = this.#silences.find((c) => c.rule.id === id);
    if (!s || i.firingAt === null || i.firingAt < s.rule.startsAt || i.firingAt >= s.rule.endsAt) return false;
    return s.matches(targetOf(i, this.#tagsOf(i.agent.uuid)));
  }

  /** The id of an expectation that covers the port or process incident (null: none does). */
  expectationFor(i: Pick<Incident, 'type' | 'kind' | 'port' | 'processName' | 'fullPath' | 'agent'>): string | null {
    if (i.type !== 'port.opened' && i.type !== 'process.suspicious') return null;
    let t;
    for (const { rule, matches } of this.#expectations) {
      if (!expectationCovers(rule, i)) continue;
      t ??= targetOf(i, this.#tagsOf(i.agent.uuid));
      if (matches(t)) return rule.id;
    }
    return null;
  }

  /**
   * Counts a hit of each rule on `what` (an incident key held back, or a subject not opened at an instant) once,
   * however often a rule is computed again after a conflict (added to the store by takeHits).
   */
  hit(kind: QuietKind, ids: readonly string[], what: string, at: number): void {
    for (const id of ids) {
      if (this.#counted.has(`${id}|${what}`)) continue;
      this.#counted.add(`${id}|${what}`);
      const k = `${kind}/${id}`;
      const h = this.#hits.get(k);
      if (h) {
        h.count++;
        h.at = Math.max(h.at, at);
      } else this.#hits.set(k, { kind, id, count: 1, at });
    }
  }

  /** The hits counted since the last call. */
  takeHits(): QuietHit[] {
    const out = [...this.#hits.values()];
    this.#hits.clear();
    return out;
  }

  /** The kind of the rule with this id, among silences and windows. */
  kindOf(id: string): QuietKind | null {
    if (this.#silences.some((s) => s.rule.id === id)) return 'silence';
    if (this.#windows.some((w) => w.rule.id === id)) return 'window';
    return null;
  }
}
