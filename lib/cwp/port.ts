// The CWP port: what the bridge asks of a Cloud Workload Protection API, in the bridge's own terms (task states,
// result items already normalised, machines as the bridge keeps them). A backend turns each call into its API's
// requests: the action names (and with them the rate limiter's budgets and the errors' `action`), paging, the
// checks and conversions of a response, and the wording of an error that stops the sweep all live in the
// backend (yunjing.ts: the frozen yunjing 2018-02-28 actions; cwp.ts: the current cwp API, whose account-wide asset
// scan also implements AccountScanPort). Callers take `Pick<CwpPort, ...>` of what they use.
import type { DiscoverTarget } from '../config/discover';
import type { ResultItem } from '../results/items';
import type { CallOptions } from '../tencent/types';
import type { AccountScan, KnownState, ListedMachine, SweepSummary, TaskKey, TaskKind, TaskObservation, TaskState } from '../types';

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
   * as an observation; every other failure rejects (InvalidUuidError before any request). `known` is what the
   * bridge last recorded of the key: yunjing asks the host and ignores it; cwp, which has no per-host task, infers
   * the state from it (a collection the bridge started is COLLECTING until the account's scan ends).
   */
  getTaskStatus(kind: TaskKind, uuid: string, options?: CallOptions, known?: KnownState): Promise<TaskObservation>;
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

/** A batch of collections started as one scan: the keys it covers, and the keys refused before it with the state that refused them. */
export interface BatchStart {
  requestId: string;
  taskId: number;
  started: TaskKey[];
  refused: Array<{ key: TaskKey; state: TaskState }>;
}

/** An item of the account-wide inventory, newest first: whose it is, and when CWP first saw it. */
export interface NewestItem {
  uuid: string;
  firstSeenAt: number;
  item: ResultItem;
}

export interface NewestItemsPage {
  items: NewestItem[];
  total: number;
  /** Where the next page starts, or null: this was the last. */
  nextOffset: number | null;
  requestId: string;
}

/**
 * A backend whose API scans many hosts at once and keeps an account-wide inventory (cwp). The sweep then starts a
 * COLLECT_EVERY period's collections as one batch (one request, not one per host, at the period's start rather
 * than spread over it: only one scan runs at a time), follows the account's scan as scan.status.changed, and finds
 * new items across the fleet in the inventory listed newest first.
 */
export interface AccountScanPort {
  /** The account's scan, at most about a second old (shared by every key), or read now with `fresh`. */
  scanState(options?: CallOptions & { fresh?: boolean }): Promise<AccountScan>;
  /**
   * Starts one scan of these keys' hosts and kinds. Keys whose agent is unknown or offline are refused (and not
   * scanned); rejects with Bridge.ScanRunning while the account's scan runs (one at a time).
   */
  startCollections(keys: TaskKey[], options?: CallOptions): Promise<BatchStart>;
  /** One page of the account's items of a kind, newest first by when CWP first saw them. */
  readNewestItems(kind: TaskKind, offset: number, options?: CallOptions): Promise<NewestItemsPage>;
  /** Machines the store already knows (their Quuids), so a fresh instance need not ask each host for its own. */
  rememberMachines(machines: readonly ListedMachine[]): void;
}

/** Whether a backend implements AccountScanPort. */
export function scansAccount(cwp: object): cwp is AccountScanPort {
  return typeof (cwp as Partial<AccountScanPort>).startCollections === 'function' && typeof (cwp as Partial<AccountScanPort>).scanState === 'function';
}

/** An agent Uuid that is not one: refused before any request, so a typo costs no budget. */
export class InvalidUuidError extends Error {
  override readonly name = 'InvalidUuidError';
  constructor(readonly value: string) {
    super(`"${value}" is not an agent Uuid; use the 8-4-4-4-12 hex form, e.g. 6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1`);
  }
}
