// The domain types of cwp-task-bridge: tasks, records, watches, machines, deliveries, the sweep summary. The event
// types (what the bridge publishes) are in lib/events/types.ts. Every module imports its shared types from these two.
import type { BridgeEvent } from './events/types';

/** The two CWP collection tasks we watch. `process` = real-time process collection, `port` = open ports. */
export type TaskKind = 'process' | 'port';
export const TASK_KINDS: readonly TaskKind[] = ['process', 'port'];

/** The statuses CWP itself returns in `Response.Status`. */
export type CwpStatus = 'COLLECTING' | 'COMPLETE' | 'FAILED' | 'AGENT_OFFLINE';
export const CWP_STATUSES: readonly CwpStatus[] = ['COLLECTING', 'COMPLETE', 'FAILED', 'AGENT_OFFLINE'];

/**
 * What the bridge knows of one (uuid, kind): the CWP statuses plus two states implied by errors:
 * `NO_TASK` (FailedOperation.*TaskNotFound) and `UNKNOWN_AGENT` (ResourceNotFound).
 */
export type TaskState = CwpStatus | 'NO_TASK' | 'UNKNOWN_AGENT';
export const TASK_STATES: readonly TaskState[] = [...CWP_STATUSES, 'NO_TASK', 'UNKNOWN_AGENT'];

export interface TaskKey {
  uuid: string;
  kind: TaskKind;
}

/** One live answer from CWP, already mapped through the error table. */
export interface TaskObservation {
  uuid: string;
  kind: TaskKind;
  state: TaskState;
  /** Tencent's RequestId of the answer (success or error). */
  requestId: string;
  /** Epoch milliseconds when the answer arrived. */
  observedAt: number;
}

/** The state of the account's asset scan on the cwp API (SyncAssetScan): one scan runs at a time, for many hosts. */
export type ScanState = 'NOTASK' | 'SYNCING' | 'FINISHED';
export const SCAN_STATES: readonly ScanState[] = ['NOTASK', 'SYNCING', 'FINISHED'];

/** The account's latest asset scan, as SyncAssetScan answers it. Times are epoch milliseconds. */
export interface AccountScan {
  /** 0 while the account has had no scan (NOTASK). */
  taskId: number;
  state: ScanState;
  startedAt: number | null;
  /** When the scan ended; null while it runs (or before any). */
  endedAt: number | null;
  requestId: string;
  observedAt: number;
}

/** What the store keeps per (uuid, kind). Times are epoch milliseconds. */
export interface KeyRecord {
  uuid: string;
  kind: TaskKind;
  /** null until the first successful observation. */
  state: TaskState | null;
  /** Bumped by every recorded change; the compare-and-set token. 0 = never observed. */
  version: number;
  /** When the current state was first observed. */
  since: number | null;
  lastChecked: number | null;
  nextDue: number;
  /** RequestId of the observation that set the current state. */
  requestId: string | null;
  /**
   * Set while the machine listing (WATCH_DISCOVER) says the agent is OFFLINE: the key is AGENT_OFFLINE without
   * status calls, not checked with spare budget, and due again only when the listing sees it ONLINE (or, if the
   * listing stops, after a safety horizon).
   */
  parked?: true;
}

/**
 * What the bridge last recorded of a key: a backend that cannot ask a host for its task's state (cwp) infers the
 * state from it and from what the API does say.
 */
export type KnownState = Pick<KeyRecord, 'state' | 'since'>;

/**
 * A watched agent. `source: 'env'` comes from WATCH_UUIDS and cannot be deleted through the API; `discovered`
 * comes from the machine listing (WATCH_DISCOVER) and goes when the listing no longer has it. Env and API
 * watches win over discovery.
 */
export interface Watch {
  uuid: string;
  kinds: TaskKind[];
  source: 'env' | 'api' | 'discovered';
  addedAt: number | null;
  /** What the machine listing says of the agent's machine, when it lists it. */
  machine?: MachineInfo;
}

/** A machine as a CWP backend's listing describes it (lib/cwp/port.ts): what the bridge keeps of one listed machine. */
export interface ListedMachine {
  uuid: string;
  /** The CVM/BM's own id (cwp lists and scans hosts by it), when the listing gives it. */
  quuid?: string;
  name: string | null;
  ip: string | null;
  /** Tag names. */
  tags: string[];
  /** MachineType and MachineRegion of the listing it came from, e.g. CVM / ap-guangzhou. */
  type: string;
  region: string;
  /** The agent's online state at the last listing. */
  status: 'ONLINE' | 'OFFLINE';
}

/** A listed machine as discovery keeps it (WATCH_DISCOVER), for the watch list, events and messages. */
export interface MachineInfo extends ListedMachine {
  /** Epoch ms: first listed, and last listed. */
  firstSeenAt: number;
  lastSeenAt: number;
  /** The number of the last listing that had it (discovery's cursor counts listings). */
  seenInListing: number;
}

/** Where discovery is: the listing in progress, and how far it got (so a large fleet resumes next sweep). */
export interface DiscoveryCursor {
  /** Which listing is in progress (1, 2, ...); a machine missing from two whole listings is forgotten. */
  listing: number;
  /** Which (type, region) target of WATCH_DISCOVER, and the offset within it. */
  target: number;
  offset: number;
  /** The settings the cursor belongs to (WATCH_DISCOVER + filters): a change starts a fresh listing. */
  targetsKey: string;
  /** Epoch ms when the listing in progress started, and when the last whole listing ended (null: none yet). */
  startedAt: number | null;
  lastCompletedAt: number | null;
  /** Machines without an Uuid (long offline) skipped in the listing in progress, and in the last whole one. */
  skippedNoUuid: number;
  lastSkippedNoUuid: number;
}

/** Delivery of one event to one sink. */
export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface Delivery {
  status: DeliveryStatus;
  attempts: number;
  /** Epoch ms of the next attempt while pending. */
  nextAttemptAt: number;
  lastError: string | null;
  /** Epoch ms when it became delivered or dead. */
  finishedAt: number | null;
  /**
   * While a drain is sending this delivery: until when its claim holds. Concurrent drains (overlapping
   * invocations) skip a claimed delivery, so a sink is not sent one event twice; a crashed drain's claim
   * simply expires. Written by claimDelivery, cleared by updateDelivery.
   */
  claimedUntil?: number;
}

/**
 * One recorded change waiting to be published. `deliveries` is keyed by sink id (e.g. `webhook:<url>`,
 * `cmq-topic:<name>`, `console`); a sink with no entry yet has not been tried. `targets`, when set, restricts
 * delivery to those sinks (a replayed dead letter goes only to the sink that failed it).
 */
export interface OutboxEntry {
  event: BridgeEvent;
  createdAt: number;
  targets: string[] | null;
  deliveries: Record<string, Delivery>;
  /** An incident notification a silence or maintenance window holds back: only sinks with <P>_IGNORE_SILENCES take it. */
  silenced?: boolean;
}

/** An event that a sink gave up on: after the last attempt, or at once on a permanent refusal. */
export interface DeadLetter {
  event: BridgeEvent;
  sinkId: string;
  reason: string;
  attempts: number;
  deadAt: number;
}

/** The one summary line each sweep ends with; also kept in the store for /healthz. */
export interface SweepSummary {
  requestId: string;
  startedAt: string;
  /**
   * ok: ran to the end or the deadline, and some check succeeded (or none was due).
   * auth: stopped on rejected credentials (AuthFailure*, UnauthorizedOperation*).
   * clock: this machine's clock is off Tencent Cloud's: over 4 minutes (from the Date of its API answers), nothing
   *   went to the sinks that check timestamps; over 5 minutes CWP refuses the signatures and the sweep stops.
   * gone: stopped because the CWP action or version is not offered (ActionOffline, InvalidAction, NoSuchVersion, UnsupportedOperation*).
   * failing: ran, but every check failed.
   * store: the state store failed. error: an unexpected error.
   * store_reset: the state store is not the one this instance saw before (flushed, restarted without persistence,
   *   replaced): what it held is gone. The sweep ran; /healthz is degraded until an operator acknowledges it.
   * busy: another process holds this file store's sweep lease; this run did nothing (one writer per file store).
   */
  outcome: 'ok' | 'auth' | 'clock' | 'gone' | 'failing' | 'store' | 'error' | 'store_reset' | 'busy';
  error: string | null;
  checked: number;
  changed: number;
  published: number;
  retried: number;
  throttled: number;
  failed: number;
  /** Keys still due when the sweep stopped (left for the next run). */
  dueLeft: number;
  /** Events still waiting in the outbox for some sink. */
  outboxLeft: number;
  deadLetters: number;
  /** Keys of agents that left the watch list FORGET_AFTER ago, forgotten by this sweep (records, snapshots). */
  forgotten?: number;
  /** Dead letters dropped by this sweep: older than DEAD_LETTER_RETENTION, or past DEAD_LETTER_MAX of their sink. */
  deadLettersExpired?: number;
  tookMs: number;
}

/** Who a state store is: a random id and when it was first used (StorePort.identity). A wiped store gets another. */
export interface StoreIdentity {
  storeId: string;
  /** Epoch ms. */
  createdAt: number;
}

/**
 * A state store found reset: the store id an instance saw before is gone or changed. Recorded in the new store,
 * so /healthz of every instance shows it until an operator acknowledges it (POST /v1/store/reset-acknowledged).
 */
export interface StoreReset {
  /** Epoch ms when it was noticed. */
  at: number;
  storeId: string;
  previousStoreId: string;
  /** Which function noticed it first. */
  noticedBy: 'poll' | 'api';
  /** What the instance that noticed it last saw in the store before (null: it had not looked). */
  lost: { apiWatches: number | null; outbox: number | null; deadLetters: number | null };
}

/**
 * How this machine's clock stands against Tencent Cloud's, from the Date of the API's answers (lib/tencent/clock.ts):
 * ok (within a minute), suspect (over a minute off, or unknown: a receiver's refusal may be the clock's fault),
 * off (over 4 minutes: receivers that check timestamps would refuse every event).
 */
export interface ClockVerdict {
  state: 'ok' | 'suspect' | 'off' | 'unknown';
  /** Tencent Cloud's time minus ours, ms (rounded to seconds); null when unknown. */
  offsetMs: number | null;
}
