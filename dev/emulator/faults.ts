// Injected faults: what the network and a sick upstream do to a client. Each rule matches an action (or any),
// lets the first `after` matching requests through (default 0), then fires `times` times (default 1, Infinity
// for ever), first matching rule first.

export type FaultKind = 'latency' | 'http500' | 'reset' | 'badBody' | 'emptyBody' | 'error';
export const FAULT_KINDS: readonly FaultKind[] = ['latency', 'http500', 'reset', 'badBody', 'emptyBody', 'error'];

export interface FaultSpec {
  /** Only this action (X-TC-Action); any API action when absent. */
  action?: string;
  fault: FaultKind;
  /** latency: the delay before the request is handled normally. */
  ms?: number;
  /** error: the Tencent code to answer (default InternalError). */
  code?: string;
  /** error: the message (default: the code's usual text). */
  message?: string;
  /** http500: the HTTP status to answer (default 500; 502, 503, 504 also useful). */
  status?: number;
  /** How many matching requests it hits; default 1, Infinity for ever. */
  times?: number;
  /**
   * How many matching requests pass untouched before it fires (default 0), e.g. 2 to fail the third page of
   * a read. A request counts when no fault stops it (a latency fault does not), whatever it is then answered.
   */
  after?: number;
}

interface Rule extends FaultSpec {
  id: number;
  left: number;
  /** Matching requests still to let through. */
  waiting: number;
}

export class Faults {
  private rules: Rule[] = [];
  private nextId = 1;

  inject(spec: FaultSpec): number {
    if (!FAULT_KINDS.includes(spec.fault)) throw new Error(`unknown fault "${String(spec.fault)}"; one of ${FAULT_KINDS.join(', ')}`);
    const times = spec.times ?? 1;
    if (!(times > 0)) throw new Error('times must be positive (or Infinity)');
    const after = spec.after ?? 0;
    if (!(Number.isInteger(after) && after >= 0)) throw new Error('after must be a non-negative integer');
    const id = this.nextId++;
    this.rules.push({ ...spec, id, left: times, waiting: after });
    return id;
  }

  clear(): void {
    this.rules = [];
  }

  active(): FaultSpec[] {
    return this.rules.map(({ id: _id, left, waiting, after: _after, ...spec }) => ({ ...spec, times: left, ...(waiting > 0 ? { after: waiting } : {}) }));
  }

  /** The fault for this request, if one matches and is done waiting; it is consumed. */
  take(action: string): FaultSpec | null {
    const matching = this.rules.filter((r) => r.action === undefined || r.action === action);
    const rule = matching.find((r) => r.waiting === 0) ?? null;
    // The request gets through (no fault, or only a delay): it counts for the rules still waiting.
    if (rule === null || rule.fault === 'latency') for (const r of matching) if (r !== rule && r.waiting > 0) r.waiting--;
    if (!rule) return null;
    rule.left--;
    if (rule.left <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule;
  }
}
