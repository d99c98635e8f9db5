// What the HTTP core needs from the outside, injected so that tests (fakes) and the runtime wiring
// (functions/api: real store, the CWP backend over the emulator or Tencent Cloud) pass the same shapes.
import type { ApiToken, Config } from '../config';
import type { RequestBudget } from '../ratelimit/budget';
import type { CwpPort } from '../cwp/port';
import type { Logger } from '../log';
import type { StoreIdentityWatch } from '../state/identity-watch';
import type { AgentRecordsPort, CounterPort, DeadLetterPort, FleetPort, HealthPort, HistoryPort, IncidentPort, OutboxPort, QuietPort, ResultsPort, RetentionPort, SchedulePort, StorePort, WatchPort } from '../state/store';
import type { StoreIdentity } from '../types';
import type { ScfContext } from '../scf/types';
import type { HttpRequest } from './request';

export interface HttpDeps {
  config: Config;
  /**
   * The ports the routes read and write: recorded states, watches, dead letters, health; a started collection
   * records its key's COLLECTING (getRecord, recordChange), the results routes read snapshots, and the incident
   * routes read incidents and write acknowledgements, the quiet-rule routes silences, windows and expectations.
   */
  store: AgentRecordsPort & WatchPort & DeadLetterPort & HealthPort & Pick<SchedulePort, 'getRecord' | 'recordChange'> & Pick<ResultsPort, 'getSnapshot'>
    & Pick<FleetPort, 'listMachines' | 'getMachine' | 'getDiscovery'> & Pick<StorePort, 'identity' | 'recordReset' | 'getReset' | 'acknowledgeReset'> & Pick<RetentionPort, 'forgetAgent'>
    & Pick<IncidentPort, 'getIncident' | 'listIncidents' | 'applyIncidents'> & Pick<QuietPort, 'listQuietRules' | 'putQuietRule' | 'deleteQuietRule' | 'endSilence'> & Pick<HistoryPort, 'searchHistory' | 'countHistory'> & Pick<CounterPort, 'readCounters'>
    & Pick<OutboxPort, 'listOutbox'> & Pick<SchedulePort, 'getRecords'>;
  cwp: Pick<CwpPort, 'getTaskStatus' | 'createTask'>;
  logger: Logger;
  /** Epoch ms; defaults to Date.now. Used for watch times and replays. */
  now?: () => number;
  /**
   * Replays dead letters (`eventIds` null = all) and returns how many moved back to the outbox. Defaults to
   * `store.replayDeadLetters`; the wiring may pass one that also kicks off delivery.
   */
  replayDeadLetters?: (eventIds: string[] | null, now: number) => Promise<number>;
  /** Each token's request budget (API_RATE_LIMIT); none = unlimited (tests). */
  tokenBudget?: RequestBudget;
  /**
   * The store id this instance saw last (lib/runtime keeps one per instance), checked on every request: a change is
   * a reset, logged and recorded for /healthz. None: the identity is read on each request, and nothing compared.
   */
  identityWatch?: StoreIdentityWatch;
}

/** Settings of the handler itself, valid even when the configuration failed to load. */
export interface HttpOptions {
  /** A prefix the gateway leaves on paths (e.g. '/release'), stripped before routing. */
  basePath?: string;
  /** Largest body accepted (bytes, decoded). Default 64 KiB. */
  maxBodyBytes?: number;
  /** Logger to use when `deps` is a ConfigError (otherwise deps.logger). Default: JSON lines on stdout. */
  logger?: Logger;
  /** Cap on a live status call's deadline, ms. Default 10 000. */
  statusDeadlineMs?: number;
}

/** What a route handler receives. */
export interface RouteContext {
  req: HttpRequest;
  params: Record<string, string>;
  deps: HttpDeps;
  scf: ScfContext | undefined;
  options: HttpOptions;
  now: () => number;
  logger: Logger;
  /** The token that made the request (its name and scopes); null on a public route (/healthz). */
  caller: ApiToken | null;
  /** The store's identity, read for this request (its id is in event ids); null when /healthz could not read it. */
  identity: StoreIdentity | null;
}
