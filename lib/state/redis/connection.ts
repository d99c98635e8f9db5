// What the Redis store's port methods (store.ts) stand on: the connection and how it fails, the key layout, the
// scripts (scripts.ts) and a record's hash.
//
// Key layout, all under `<prefix>:` (default prefix `cwp-bridge`):
//   <p>:rec:<uuid>/<kind>      hash   uuid kind state version since lastChecked nextDue requestId ('' = null),
//                                     parked ('1' while the machine listing says OFFLINE, else absent)
//   <p>:due:<kind>:<lane>      zset   key id -> nextDue; one per (kind, lane); a key is in at most one
//   <p>:watches                hash   uuid -> Watch JSON
//   <p>:outbox                 zset   event id -> sequence number (outbox order)
//   <p>:outbox:<eventId>       hash   event (CloudEvent JSON), createdAt, targets (JSON array, absent = all
//                                     sinks), d:<sinkId> (Delivery JSON) per sink
//   <p>:dead                   zset   "<eventId>\n<sinkId>" -> sequence number (dead-letter order)
//   <p>:dead:letters           hash   "<eventId>\n<sinkId>" -> DeadLetter JSON
//   <p>:seq                    string the sequence counter of outbox and dead letters
//   <p>:last-sweep             string SweepSummary JSON
//   <p>:reads:<kind>           zset   key id -> when its pending result read is due (rules.readPendingAfter)
//   <p>:reads:v                hash   key id -> the version whose COMPLETE is to be read
//   <p>:snap:<uuid>/<kind>     hash   enc (the compact snapshot record, lib/results/snapshot.ts), takenAt
//   <p>:idle:<kind>            zset   key id -> lastChecked (0 = never): the spare-budget order of scheduled,
//                                     unparked keys (rules.idleScore); taking a key moves it to `now`
//   <p>:machines               hash   uuid -> MachineInfo JSON (discovery), firstSeenAt aside:
//   <p>:machines:first         hash   uuid -> firstSeenAt (HSETNX: the first sighting is kept, rules.mergeMachine)
//   <p>:discovery              hash   cursor (DiscoveryCursor JSON), leaseUntil
//   <p>:incident:<key>         hash   rev (the compare-and-set revision), json (the Incident), uuid, state
//   <p>:inc:open               hash   subject -> key of its open (pending or firing) incident
//   <p>:inc:open:<uuid>        set    keys of the agent's open incidents
//   <p>:inc:agents             zset   uuid -> 0: the agents with open incidents, by uuid
//   <p>:inc:all, <p>:inc:state:<state>, <p>:inc:agent:<uuid>
//                              zset   key -> openedAt: every incident, those of a state, those of an agent (listings)
//   <p>:inc:due                zset   key -> when the clock must look at it (rules.incidentDueAt, or a claim's end)
//   <p>:inc:resolved           zset   key -> resolvedAt (retention)
//   <p>:quiet:<kind>          hash   id -> the quiet rule's JSON (kind: silence, window, expectation)
//   <p>:quiet:hits, <p>:quiet:last
//                              hash   "<kind>/<id>" -> hits, and the last hit's time (QuietPort.addQuietHits)
//   <p>:quiet:ended            hash   silence id -> "<at>\n<by>": ended early (DELETE); the first end stands
//   <p>:quiet:noticed          set    silence ids whose end was said (QuietPort.noticeSilenceEnded)
//   <p>:rate:<action>          string the rate limiter's theoretical arrival time (lib/ratelimit/redis.ts)
//   <p>:store                  hash   storeId, createdAt: the store's identity (StorePort.identity), made on first use
//   <p>:register:<name>        hash   value, version: a register (RegisterPort), e.g. `scan`, the account's scan on cwp
//   <p>:reset                  hash   the unacknowledged reset: at, storeId, previousStoreId, noticedBy, apiWatches,
//                                     outbox, deadLetters ('' = unknown)
//   <p>:left                   zset   key id -> when it left the watch list (rules.leftAtAfterWrite): retention's index
//   <p>:dead:at                zset   "<eventId>\n<sinkId>" -> deadAt: dead letters by age
//   <p>:dead:sinks             set    the sink ids that have dead letters
//   <p>:hist, <p>:hist:*, <p>:counters   the event history and the counters: history-scripts.ts has their layout
//   <p>:dead:sink:<hash>       zset   "<eventId>\n<sinkId>" -> sequence number: one sink's letters in order; <hash> is
//                                     the first 16 hex digits of the SHA-1 of the sink id (a hook URL is a secret)
// With Redis Cluster, put a hash tag in the prefix (e.g. `{cwp-bridge}`) so every script's keys share a slot.
//
// Failure behaviour for a serverless function: connecting gives up after connectTimeoutMs; once connected the
// offline queue is off, so a call while the connection is down fails at once instead of waiting, and a call
// on a hung connection fails after commandTimeoutMs. Every error names the store and the operation.
import { createHash } from 'node:crypto';
import Redis, { type ChainableCommander } from 'ioredis';
import { TASK_KINDS, type KeyRecord, type MachineInfo, type TaskKind, type TaskState } from '../../types';
import { StoreError } from '../errors';
import { LANES, parseKeyId, type Lane } from '../rules';
import type { DueFilter } from '../store';
import { DEFAULT_HISTORY_LIMITS, type HistoryLimits } from '../history';
import { defineScripts, queueScript, runScript, type MoreKeysAndArgs, type ScriptArgs, type ScriptKeys, type ScriptName } from './scripts';

export const DEFAULT_PREFIX = 'cwp-bridge';

export interface RedisStateStoreOptions {
  /** Every key starts with `<prefix>:` (default `cwp-bridge`). */
  prefix?: string;
  /** Give up connecting after this long (default 1500 ms). */
  connectTimeoutMs?: number;
  /** Fail a command that has no answer after this long (default 2000 ms). */
  commandTimeoutMs?: number;
  /** HISTORY_RETENTION and HISTORY_MAX (default 7 days, 200,000 events). */
  history?: HistoryLimits;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const str = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);
const num = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));

/** `redis://host:port/db` of a URL, with any password replaced by *** and the query left out. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    const auth = u.username || u.password ? `${u.username}${u.password ? ':***' : ''}@` : '';
    const db = u.pathname.replace(/^\//, '') || '0';
    return `${u.protocol}//${auth}${u.hostname}:${u.port || '6379'}/${db}`;
  } catch {
    return 'redis://(unparseable url)';
  }
}

/** A client that connects when asked (connect()), with the store's timeouts. */
export function newRedisClient(url: string, options: RedisStateStoreOptions): Redis {
  return new Redis(url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 1_500,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    maxRetriesPerRequest: 1,
    // Reconnect in the background after a drop; calls made meanwhile fail at once (offline queue off in connect()).
    retryStrategy: (times) => Math.min(100 * times, 2_000),
    enableAutoPipelining: false,
  });
}

export abstract class RedisConnection {
  readonly durableAcrossInstances = true;
  private lastError: string | null = null;
  /** HISTORY_RETENTION and HISTORY_MAX; set by RedisStateStore.open. */
  historyLimits: HistoryLimits = DEFAULT_HISTORY_LIMITS;

  /** The ARGV `history` of every script that appends to the outbox (history-scripts.ts): `<retentionMs>|<max>|<p>:`. */
  protected get historyArg(): string {
    return `${this.historyLimits.retentionMs}|${this.historyLimits.max}|${this.prefix}:`;
  }

  protected constructor(
    /** The connection, shared with the Redis rate limiter (lib/ratelimit). */
    readonly redis: Redis,
    readonly description: string,
    readonly prefix: string,
  ) {
    redis.on('error', (e: unknown) => {
      this.lastError = messageOf(e);
    });
    defineScripts(redis);
  }

  /** Connects, failing after connectTimeoutMs with a message naming the server. */
  protected async connect(connectTimeoutMs: number): Promise<void> {
    let guard: NodeJS.Timeout | undefined;
    try {
      // ioredis bounds the TCP connect; this also bounds a server that accepts but never gets ready (e.g. AUTH).
      await Promise.race([
        this.redis.connect(),
        new Promise((_, reject) => {
          guard = setTimeout(() => reject(new Error(`not ready after ${connectTimeoutMs + 1_000} ms`)), connectTimeoutMs + 1_000);
        }),
      ]);
    } catch (e) {
      this.redis.disconnect();
      const why = this.lastError ?? messageOf(e);
      throw new StoreError(this.description, 'open', `redis state store ${this.description}: cannot connect: ${why}; check STATE_STORE and that Redis is reachable`, { cause: e });
    } finally {
      clearTimeout(guard);
    }
    this.redis.options.enableOfflineQueue = false;
  }

  /** Runs one store operation, turning any failure into an Error that names the store and the operation. */
  protected async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      let why = messageOf(e);
      if (/Stream isn't writeable|Connection is closed/i.test(why)) why = `not connected (${this.lastError ?? why})`;
      throw new StoreError(this.description, op, `redis state store ${this.description}: ${op} failed: ${why}`, { cause: e });
    }
  }

  /** The answers of a pipeline or transaction, in order; the first failed command's error is thrown. */
  protected async exec(p: ChainableCommander): Promise<unknown[]> {
    const results = (await p.exec()) ?? [];
    return results.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
  }

  /** Runs a script of scripts.ts, its KEYS and ARGV by name. */
  protected script<N extends ScriptName>(name: N, keys: ScriptKeys<N>, args: ScriptArgs<N>, more?: MoreKeysAndArgs): Promise<unknown> {
    return runScript(this.redis, name, keys, args, more);
  }

  protected queueScript<N extends ScriptName>(batch: ChainableCommander, name: N, keys: ScriptKeys<N>, args: ScriptArgs<N>): void {
    queueScript(batch, name, keys, args);
  }

  // --- the key layout ---

  protected k(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  protected dueKey(kind: TaskKind, lane: Lane): string {
    return this.k('due', kind, lane);
  }

  /** The two due zsets of a kind, as the scripts take them. */
  protected lanesOf(kind: TaskKind): { dueHot: string; dueCold: string } {
    return { dueHot: this.dueKey(kind, 'hot'), dueCold: this.dueKey(kind, 'cold') };
  }

  protected idleKey(kind: TaskKind): string {
    return this.k('idle', kind);
  }

  /** The prefix of the per-sink dead-letter zsets; the scripts add the hash of the sink id (deadSinkKey). */
  protected deadSinkPrefix(): string {
    return `${this.k('dead', 'sink')}:`;
  }

  /** One sink's dead letters in order: the sink id hashed, as the scripts do (redis.sha1hex). */
  protected deadSinkKey(sinkId: string): string {
    return this.deadSinkPrefix() + createHash('sha1').update(sinkId).digest('hex').slice(0, 16);
  }

  /** The keys every dead-letter script takes: the letters, their order, their age, their sinks. */
  protected deadLetterKeys(): { dead: string; letters: string; deadAt: string; sinks: string } {
    return { dead: this.k('dead'), letters: this.k('dead', 'letters'), deadAt: this.k('dead', 'at'), sinks: this.k('dead', 'sinks') };
  }

  /** The due zsets a filter selects. */
  protected matching(filter?: DueFilter): string[] {
    const out: string[] = [];
    for (const kind of TASK_KINDS) {
      if (filter?.kind !== undefined && filter.kind !== kind) continue;
      for (const lane of LANES) if (filter?.lane === undefined || filter.lane === lane) out.push(this.dueKey(kind, lane));
    }
    return out;
  }

  /** A record from its hash; `due` stands in for a missing nextDue. */
  protected toRecord(id: string, h: Record<string, string>, due?: number): KeyRecord {
    const { uuid, kind } = parseKeyId(id);
    return {
      uuid: h.uuid ?? uuid,
      kind: (h.kind as TaskKind | undefined) ?? kind,
      state: str(h.state) as TaskState | null,
      version: num(h.version) ?? 0,
      since: num(h.since),
      lastChecked: num(h.lastChecked),
      nextDue: num(h.nextDue) ?? due ?? 0,
      requestId: str(h.requestId),
      ...(h.parked === '1' ? { parked: true as const } : {}),
    };
  }

  /** The record hashes of these key ids, in order ({} where there is none), one round trip. */
  protected async recordHashes(ids: string[]): Promise<Array<Record<string, string>>> {
    if (ids.length === 0) return [];
    const p = this.redis.pipeline();
    for (const id of ids) p.hgetall(this.k('rec', id));
    return (await this.exec(p)) as Array<Record<string, string>>;
  }

  /** The records of these key ids, in order; `dues` stand in for a missing nextDue. */
  protected async recordsOf(ids: string[], dues?: number[]): Promise<KeyRecord[]> {
    const hashes = await this.recordHashes(ids);
    return ids.map((id, i) => this.toRecord(id, hashes[i] ?? {}, dues?.[i]));
  }

  /** A machine from its JSON and the first sighting kept aside (rules.mergeMachine: the earlier one counts). */
  protected toMachine(json: string, first: string | null | undefined): MachineInfo {
    const m = JSON.parse(json) as MachineInfo;
    const f = Number(first);
    if (first && Number.isFinite(f) && f < m.firstSeenAt) m.firstSeenAt = f;
    return m;
  }

  ping(): Promise<void> {
    return this.run('ping', async () => {
      await this.redis.ping();
    });
  }

  /** Quits politely; if Redis does not answer within a second, drops the connection. */
  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 1_000).unref());
    try {
      const r = await Promise.race([this.redis.quit(), timer]);
      if (r === 'timeout') this.redis.disconnect();
    } catch {
      this.redis.disconnect();
    }
  }
}
