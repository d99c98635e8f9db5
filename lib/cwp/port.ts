// The CWP port: what the bridge asks of a Cloud Workload Protection API, in the bridge's own terms (task states,
// result items already normalised, machines as the bridge keeps them). A backend turns each call into its API's
// requests: the action names (and with them the rate limiter's budgets and the errors' `action`), paging, the
// checks and conversions of a response, and the wording of an error that stops the sweep all live in the
// backend (yunjing.ts: the frozen yunjing 2018-02-28 actions). Callers take `Pick<CwpPort, ...>` of what they use.
import type { DiscoverTarget } from '../config/discover';
import type { ResultItem } from '../results/items';
import type { CallOptions } from '../tencent/types';
import type { ListedMachine, SweepSummary, TaskKind, TaskObservation } from '../types';

/** A machine listing filter as WATCH_DISCOVER_FILTERS gives it (e.g. Keywords=web): the backend passes it on. */
export interface MachineFilter {
  Name: string;
  Values: string[];
  ExactMatch?: boolean;
}

/** Which page of which machines: a (type, region) target of WATCH_DISCOVER, and where in it. */
export interface MachinesQuery {
  target: DiscoverTarget;
  /** Where this page starts: 0, then the previous page's `nextOffset`. */
  offset: number;
  filters?: MachineFilter[];
}

/** One page of a target's machine listing. */
export interface MachinesRead {
  /** The listed machines that have an agent Uuid (lower-cased). */
  machines: ListedMachine[];
  /** Machines listed without an agent Uuid (an agent long offline or uninstalled): counted, never watched. */
  skippedNoUuid: number;
  /** How many machines the target has in all. */
  total: number;
  /** Where the next page of this target starts, or null: this was its last page. */
  nextOffset: number | null;
  requestId: string;
}

/** The most items one read returns: a host past this is read in part, its `total` still true. */
export const MAX_RESULT_ITEMS = 10_000;

/** What a finished collection found on a host: every item (up to MAX_RESULT_ITEMS), normalised. */
export interface ResultsRead {
  items: ResultItem[];
  /** How many items the host has, as the API counts them. */
  total: number;
  /** The RequestId of the (last) request the read took. */
  requestId: string;
}

/** Why an error stops the whole sweep (or discovery), in the words of the backend that raised it. */
export interface CwpStop {
  outcome: Extract<SweepSummary['outcome'], 'auth' | 'clock' | 'gone'>;
  /** The log line's message. */
  log: string;
  /** What the operator should do. */
  fix: string;
  /** For the summary and /healthz: the code, the action, and the fix. */
  message: string;
}

export interface CwpPort {
  /**
   * The state of one key's collection. Errors that imply a state (agent offline, no task, unknown agent) come back
   * as an observation; every other failure rejects (InvalidUuidError before any request).
   */
  getTaskStatus(kind: TaskKind, uuid: string, options?: CallOptions): Promise<TaskObservation>;
  /**
   * Starts a collection of one key. Every failure rejects, state-implying ones included (the caller decides what a
   * refused start means). A backend whose API starts many hosts in one request may coalesce concurrent starts into
   * one and answer each with that request's RequestId: callers must not count requests by calls. Per key rather than
   * a batch method because every caller (a sweep worker, an HTTP route) decides and records one key's start, with
   * its own event; gathering keys across workers for one backend's sake belongs in that backend.
   */
  createTask(kind: TaskKind, uuid: string, options?: CallOptions): Promise<{ requestId: string }>;
  /**
   * Everything the host's last finished collection of this kind found, normalised (lib/results/items.ts), read in
   * as many requests as the backend needs. A failure part-way rejects: a read is whole or nothing.
   */
  readResults(kind: TaskKind, uuid: string, options?: CallOptions): Promise<ResultsRead>;
  /** The regions where machines of `machineType` can be listed: what a WATCH_DISCOVER `all` stands for. */
  machineRegions(machineType: string, options?: CallOptions): Promise<readonly string[]>;
  /** One page of a target's machine listing. */
  readMachines(query: MachinesQuery, options?: CallOptions): Promise<MachinesRead>;
  /** Whether an error of this backend stops the sweep (rejected credentials, a clock off, an API gone), and how to say so. */
  stopFor(error: unknown): CwpStop | null;
}

/** An agent Uuid that is not one: refused before any request, so a typo costs no budget. */
export class InvalidUuidError extends Error {
  override readonly name = 'InvalidUuidError';
  constructor(readonly value: string) {
    super(`"${value}" is not an agent Uuid; use the 8-4-4-4-12 hex form, e.g. 6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1`);
  }
}
