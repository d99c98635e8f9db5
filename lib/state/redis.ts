// The Redis StateStore (`redis://host:port/db`, `rediss://` for TLS): production, shared by every SCF instance.
// Multi-key steps run as Lua scripts (EVALSHA through ioredis defineCommand), so each is atomic.
//
// Key layout, all under `<prefix>:` (default prefix `cwp-bridge`):
//   <p>:rec:<uuid>/<kind>      hash   uuid kind state version since lastChecked nextDue requestId ('' = null),
//                                     parked ('1' while the machine listing says OFFLINE, else absent)
//   <p>:due:<kind>:<lane>      zset   key id -> nextDue; one per (kind, lane); a key is in at most one
//   <p>:watches                hash   uuid -> Watch JSON
//   <p>:outbox                 zset   event id -> sequence number (outbox order)
//   <p>:outbox:<eventId>       hash   event (BridgeEvent JSON), createdAt, targets (JSON array, absent = all
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
//   <p>:rate:<action>          string the rate limiter's theoretical arrival time (lib/ratelimit/redis.ts)
// With Redis Cluster, put a hash tag in the prefix (e.g. `{cwp-bridge}`) so every script's keys share a slot.
//
// Failure behaviour for a serverless function: connecting gives up after connectTimeoutMs; once connected the
// offline queue is off, so a call while the connection is down fails at once instead of waiting, and a call
// on a hung connection fails after commandTimeoutMs. Every error names the store and the operation.
import Redis, { type ChainableCommander } from 'ioredis';
import { TASK_KINDS, type DeadLetter, type Delivery, type DiscoveryCursor, type KeyRecord, type MachineInfo, type OutboxEntry, type SweepSummary, type TaskKey, type TaskKind, type TaskState, type Watch } from '../types';
import type { BridgeEvent } from '../events/types';
import { StoreError } from './errors';
import { compareWatches, deadLetterId, keyId, laneOf, LANES, parseKeyId, putWatchRecord, readPendingAfter, type Lane } from './rules';
import type { ChangeToRecord, CheckToRecord, DueFilter, KeyClaim, PendingRead, StateStore, StoredSnapshot } from './store';

export const DEFAULT_PREFIX = 'cwp-bridge';

export interface RedisStateStoreOptions {
  /** Every key starts with `<prefix>:` (default `cwp-bridge`). */
  prefix?: string;
  /** Give up connecting after this long (default 1500 ms). */
  connectTimeoutMs?: number;
  /** Fail a command that has no answer after this long (default 2000 ms). */
  commandTimeoutMs?: number;
}

/** rules.laneOf: state null ('') or COLLECTING is the hot lane (KEYS[2]), else cold (KEYS[3]). */
const LANE_OF = `local function lane(state) if state == false or state == '' or state == 'COLLECTING' then return 2 end return 3 end`;

/**
 * KEYS: dueHot, dueCold, idle of one kind, then rec of each key. ARGV: kind, now, then uuid and id of each key.
 * Schedules each key that is not scheduled yet (a missing record is rules.blankRecord; a parked one keeps its
 * nextDue, else it is due now) and puts it in the spare-budget order unless parked (rules.isIdleCandidate);
 * returns how many it scheduled. One call per chunk of keys, not one command per key: a sweep's first sync of
 * a large watch list would otherwise build a command object and a promise per key on the client.
 */
const ADD_KEYS = `${LANE_OF}
local kind, now, added = ARGV[1], ARGV[2], 0
for i = 4, #KEYS do
  local rec, uuid, id = KEYS[i], ARGV[2 * i - 5], ARGV[2 * i - 4]
  if not (redis.call('ZSCORE', KEYS[1], id) or redis.call('ZSCORE', KEYS[2], id)) then
    local f = redis.call('HMGET', rec, 'state', 'parked', 'nextDue', 'lastChecked')
    local state, due = f[1], now
    if state == false then
      redis.call('HSET', rec, 'uuid', uuid, 'kind', kind, 'state', '', 'version', '0', 'since', '', 'lastChecked', '', 'nextDue', now, 'requestId', '')
    elseif f[2] == '1' then
      due = f[3]
    else
      redis.call('HSET', rec, 'nextDue', now)
    end
    redis.call('ZADD', KEYS[lane(state) - 1], due, id)
    if f[2] ~= '1' then
      local last = f[4]
      if last == false or last == '' then last = 0 end
      redis.call('ZADD', KEYS[3], last, id)
    end
    added = added + 1
  end
end
return added`;

/** Lua: a scheduled key's place in the spare-budget order (KEYS index of the idle zset), as its parked flag says. */
const PLACE_IDLE = `local function place_idle(idle, id, parked, last) if parked == '1' then redis.call('ZREM', idle, id) else redis.call('ZADD', idle, last, id) end end`;

/**
 * KEYS: rec, dueHot, dueCold, idle. ARGV: uuid, kind, observedAt, nextDue, id, parked ('1'/'0'). A missing record
 * is rules.blankRecord. A scheduled key moves in the schedule and in the spare-budget order (out of it while parked).
 */
const CHECK = `${LANE_OF}
${PLACE_IDLE}
local state = redis.call('HGET', KEYS[1], 'state')
if state == false then
  redis.call('HSET', KEYS[1], 'uuid', ARGV[1], 'kind', ARGV[2], 'state', '', 'version', '0', 'since', '', 'lastChecked', ARGV[3], 'nextDue', ARGV[4], 'requestId', '')
else
  redis.call('HSET', KEYS[1], 'lastChecked', ARGV[3], 'nextDue', ARGV[4])
end
if ARGV[6] == '1' then redis.call('HSET', KEYS[1], 'parked', '1') else redis.call('HDEL', KEYS[1], 'parked') end
if redis.call('ZSCORE', KEYS[lane(state)], ARGV[5]) then
  redis.call('ZADD', KEYS[lane(state)], ARGV[4], ARGV[5])
  place_idle(KEYS[4], ARGV[5], ARGV[6], ARGV[3])
end
return 1`;

/**
 * KEYS: rec, dueHot, dueCold, outbox, entry, seq, reads, readsV, idle.
 * ARGV: expectedVersion, uuid, kind, state, requestId, observedAt, nextDue, id, eventId, eventJson, readPending (1/0), parked (1/0).
 * A change to COMPLETE makes its result read pending (rules.readPendingAfter), in the same step.
 * Compare-and-set of the record, the move in the schedule and the outbox append, in one step. 1 = applied.
 * `since` follows rules.sinceAfterChange.
 */
const CHANGE = `${LANE_OF}
${PLACE_IDLE}
local cur = redis.call('HMGET', KEYS[1], 'version', 'state', 'since')
local v = tonumber(cur[1] or '0') or 0
if v ~= tonumber(ARGV[1]) then return 0 end
local since = ARGV[6]
if cur[2] == ARGV[4] and cur[3] and cur[3] ~= '' then since = cur[3] end
redis.call('HSET', KEYS[1], 'uuid', ARGV[2], 'kind', ARGV[3], 'state', ARGV[4], 'version', tostring(v + 1), 'since', since, 'lastChecked', ARGV[6], 'nextDue', ARGV[7], 'requestId', ARGV[5])
if ARGV[12] == '1' then redis.call('HSET', KEYS[1], 'parked', '1') else redis.call('HDEL', KEYS[1], 'parked') end
if redis.call('ZREM', KEYS[2], ARGV[8]) + redis.call('ZREM', KEYS[3], ARGV[8]) > 0 then
  redis.call('ZADD', KEYS[lane(ARGV[4])], ARGV[7], ARGV[8])
  place_idle(KEYS[9], ARGV[8], ARGV[12], ARGV[6])
end
if redis.call('EXISTS', KEYS[5]) == 0 then
  redis.call('ZADD', KEYS[4], redis.call('INCR', KEYS[6]), ARGV[9])
  redis.call('HSET', KEYS[5], 'event', ARGV[10], 'createdAt', ARGV[6])
end
if ARGV[11] == '1' then
  redis.call('ZADD', KEYS[7], ARGV[6], ARGV[8])
  redis.call('HSET', KEYS[8], ARGV[8], tostring(v + 1))
end
return 1`;

/** KEYS: reads, readsV. ARGV: now, limit, claimedUntil. Takes due pending reads: flat [id, version, ...]. */
const CLAIM_READS = `local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[3], id)
  table.insert(out, id)
  table.insert(out, redis.call('HGET', KEYS[2], id) or '0')
end
return out`;

/** KEYS: reads, readsV. ARGV: id, forVersion, retryAt. rules.isSameRead: only the read that was claimed. */
const RELEASE_READ = `if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1]) end
return 1`;

/**
 * KEYS: snap, reads, readsV, outbox, entry, seq. ARGV: expectedTakenAt ('' = none), enc, takenAt, id, forVersion,
 * eventId ('' = no event), eventJson. Compare-and-set of the snapshot with its event and the read's end. 1 = applied.
 */
const RECORD_SNAPSHOT = `local cur = redis.call('HGET', KEYS[1], 'takenAt') or ''
if cur ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'enc', ARGV[2], 'takenAt', ARGV[3])
if ARGV[6] ~= '' and redis.call('EXISTS', KEYS[5]) == 0 then
  redis.call('ZADD', KEYS[4], redis.call('INCR', KEYS[6]), ARGV[6])
  redis.call('HSET', KEYS[5], 'event', ARGV[7], 'createdAt', ARGV[3])
end
if redis.call('HGET', KEYS[3], ARGV[4]) == ARGV[5] then
  redis.call('ZREM', KEYS[2], ARGV[4])
  redis.call('HDEL', KEYS[3], ARGV[4])
end
return 1`;

/** KEYS: entry. ARGV: sinkId, deliveryJson. Only while the event is in the outbox. */
const DELIVERY = `if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'd:' .. ARGV[1], ARGV[2]) return 1 end
return 0`;

/**
 * KEYS: entry. ARGV: sinkId, now, leaseMs. Claims the delivery if rules.canClaimDelivery (1), else 0; a missing
 * delivery starts as rules.untriedDelivery and the claim is rules.claimedDelivery.
 * cjson is Redis's own JSON library; claimedUntil is the only field this script adds.
 */
const CLAIM = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local now = tonumber(ARGV[2])
local raw = redis.call('HGET', KEYS[1], 'd:' .. ARGV[1])
local d
if raw then
  d = cjson.decode(raw)
  if d.status ~= 'pending' or tonumber(d.nextAttemptAt) > now or (d.claimedUntil and tonumber(d.claimedUntil) > now) then return 0 end
else
  d = { status = 'pending', attempts = 0, nextAttemptAt = now, lastError = cjson.null, finishedAt = cjson.null }
end
d.claimedUntil = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'd:' .. ARGV[1], cjson.encode(d))
return 1`;

/** KEYS: due zset. ARGV: now, limit, claimedUntil. Takes up to `limit` due keys (moving them to claimedUntil). */
const CLAIM_DUE = `local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #due, 2 do redis.call('ZADD', KEYS[1], 'XX', ARGV[3], due[i]) end
return due`;

/** KEYS: due zsets of the claims. ARGV: per claim id, claimedUntil, nextDue. Restores keys still at their claim. */
const RELEASE = `for i = 1, #KEYS do
  local id, claimed, back = ARGV[3 * i - 2], ARGV[3 * i - 1], ARGV[3 * i]
  local score = redis.call('ZSCORE', KEYS[i], id)
  if score and tonumber(score) == tonumber(claimed) then redis.call('ZADD', KEYS[i], 'XX', back, id) end
end
return 1`;

/**
 * KEYS: idle, dueHot, dueCold of one kind. ARGV: now, limit, checkedBefore, record key prefix (`<p>:rec:`).
 * Spare budget (rules.idleScore): walks the idle order from the least recently checked, taking keys that are
 * scheduled, not due and not claimed (a claim moves the due score away from the record's nextDue; the record
 * is read under the prefix, which shares the hash tag of the other keys), and moves each taken one to `now`.
 * Returns flat [id, ...]. Bounded: looks at most 8 x limit candidates.
 */
const CLAIM_IDLE = `local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3], 'LIMIT', 0, limit * 8)
local out = {}
for _, id in ipairs(ids) do
  if #out >= limit then break end
  local ds = redis.call('ZSCORE', KEYS[2], id) or redis.call('ZSCORE', KEYS[3], id)
  if ds and tonumber(ds) > now then
    local nd = redis.call('HGET', ARGV[4] .. id, 'nextDue')
    if nd and tonumber(nd) == tonumber(ds) then
      redis.call('ZADD', KEYS[1], now, id)
      table.insert(out, id)
    end
  end
end
return out`;

/**
 * KEYS: machines, first, outbox, entry, seq. ARGV: uuid, lastListing, eventId ('' = none), eventJson, createdAt.
 * rules.isForgotten: deletes the machine (and appends its event) only if its last listing is still <= lastListing.
 */
const FORGET = `local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local m = cjson.decode(raw)
if tonumber(m.seenInListing) > tonumber(ARGV[2]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if ARGV[3] ~= '' and redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[5]), ARGV[3])
  redis.call('HSET', KEYS[4], 'event', ARGV[4], 'createdAt', ARGV[5])
end
return 1`;

/** KEYS: discovery. ARGV: now, leaseMs. Takes the lease if free: {cursorJson or ''}, or false when busy. */
const CLAIM_DISCOVERY = `local lease = tonumber(redis.call('HGET', KEYS[1], 'leaseUntil') or '0') or 0
if lease > tonumber(ARGV[1]) then return false end
redis.call('HSET', KEYS[1], 'leaseUntil', tostring(tonumber(ARGV[1]) + tonumber(ARGV[2])))
return { redis.call('HGET', KEYS[1], 'cursor') or '' }`;

/** KEYS: dead, letters, seq. ARGV: member, letterJson. A re-added letter replaces the old one and moves last. */
const DEAD_LETTER = `redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1`;

/**
 * KEYS: dead, letters, outbox, entry, seq. ARGV: member, sinkId, eventJson, now, eventId.
 * Moves one dead letter back to the outbox for its sink, as rules.replayedEntry merges it. 1 = moved.
 */
const REPLAY = `if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[4]) == 1 then
  local t = redis.call('HGET', KEYS[4], 'targets')
  if t then
    local arr = cjson.decode(t)
    local found = false
    for _, s in ipairs(arr) do if s == ARGV[2] then found = true end end
    if not found then
      table.insert(arr, ARGV[2])
      redis.call('HSET', KEYS[4], 'targets', cjson.encode(arr))
    end
  end
  redis.call('HDEL', KEYS[4], 'd:' .. ARGV[2])
else
  redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[5]), ARGV[5])
  redis.call('HSET', KEYS[4], 'event', ARGV[3], 'createdAt', ARGV[4], 'targets', cjson.encode({ ARGV[2] }))
end
return 1`;

type Script = (...args: Array<string | number>) => Promise<number>;
interface Scripts {
  cwpStoreAddKeys: Script;
  cwpStoreCheck: Script;
  cwpStoreChange: Script;
  cwpStoreDelivery: Script;
  cwpStoreClaim: Script;
  cwpStoreClaimDue: (...args: Array<string | number>) => Promise<string[]>;
  cwpStoreRelease: Script;
  cwpStoreDeadLetter: Script;
  cwpStoreReplay: Script;
  cwpStoreClaimReads: (...args: Array<string | number>) => Promise<string[]>;
  cwpStoreReleaseRead: Script;
  cwpStoreRecordSnapshot: Script;
  cwpStoreClaimIdle: (...args: Array<string | number>) => Promise<string[]>;
  cwpStoreForget: Script;
  cwpStoreClaimDiscovery: (...args: Array<string | number>) => Promise<[string] | null>;
}
type PipelineScripts = { [K in keyof Scripts]: (...args: Array<string | number>) => ChainableCommander };

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

export class RedisStateStore implements StateStore {
  readonly description: string;
  readonly durableAcrossInstances = true;
  /** The connection, shared with the Redis rate limiter (lib/ratelimit). */
  readonly redis: Redis;
  readonly prefix: string;
  private lastError: string | null = null;

  private constructor(redis: Redis, description: string, prefix: string) {
    this.redis = redis;
    this.description = description;
    this.prefix = prefix;
    redis.on('error', (e: unknown) => {
      this.lastError = messageOf(e);
    });
    redis.defineCommand('cwpStoreAddKeys', { lua: ADD_KEYS });
    redis.defineCommand('cwpStoreCheck', { numberOfKeys: 4, lua: CHECK });
    redis.defineCommand('cwpStoreChange', { numberOfKeys: 9, lua: CHANGE });
    redis.defineCommand('cwpStoreClaimIdle', { numberOfKeys: 3, lua: CLAIM_IDLE });
    redis.defineCommand('cwpStoreForget', { numberOfKeys: 5, lua: FORGET });
    redis.defineCommand('cwpStoreClaimDiscovery', { numberOfKeys: 1, lua: CLAIM_DISCOVERY });
    redis.defineCommand('cwpStoreClaimReads', { numberOfKeys: 2, lua: CLAIM_READS });
    redis.defineCommand('cwpStoreReleaseRead', { numberOfKeys: 2, lua: RELEASE_READ });
    redis.defineCommand('cwpStoreRecordSnapshot', { numberOfKeys: 6, lua: RECORD_SNAPSHOT });
    redis.defineCommand('cwpStoreDelivery', { numberOfKeys: 1, lua: DELIVERY });
    redis.defineCommand('cwpStoreClaim', { numberOfKeys: 1, lua: CLAIM });
    redis.defineCommand('cwpStoreClaimDue', { numberOfKeys: 1, lua: CLAIM_DUE });
    redis.defineCommand('cwpStoreRelease', { lua: RELEASE });
    redis.defineCommand('cwpStoreDeadLetter', { numberOfKeys: 3, lua: DEAD_LETTER });
    redis.defineCommand('cwpStoreReplay', { numberOfKeys: 5, lua: REPLAY });
  }

  /** Connects (failing after connectTimeoutMs with a message naming the server) and returns the store. */
  static async open(url: string, options: RedisStateStoreOptions = {}): Promise<RedisStateStore> {
    const description = describeRedisUrl(url);
    const connectTimeoutMs = options.connectTimeoutMs ?? 1_500;
    const redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs ?? 2_000,
      maxRetriesPerRequest: 1,
      // Reconnect in the background after a drop; calls made meanwhile fail at once (offline queue off below).
      retryStrategy: (times) => Math.min(100 * times, 2_000),
      enableAutoPipelining: false,
    });
    const store = new RedisStateStore(redis, description, options.prefix ?? DEFAULT_PREFIX);
    let guard: NodeJS.Timeout | undefined;
    try {
      // ioredis bounds the TCP connect; this also bounds a server that accepts but never gets ready (e.g. AUTH).
      await Promise.race([
        redis.connect(),
        new Promise((_, reject) => {
          guard = setTimeout(() => reject(new Error(`not ready after ${connectTimeoutMs + 1_000} ms`)), connectTimeoutMs + 1_000);
        }),
      ]);
    } catch (e) {
      redis.disconnect();
      const why = store.lastError ?? messageOf(e);
      throw new StoreError(description, 'open', `redis state store ${description}: cannot connect: ${why}; check STATE_STORE and that Redis is reachable`, { cause: e });
    } finally {
      clearTimeout(guard);
    }
    redis.options.enableOfflineQueue = false;
    return store;
  }

  private get scripts(): Scripts {
    return this.redis as unknown as Scripts;
  }

  private k(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  private dueKey(kind: TaskKind, lane: Lane): string {
    return this.k('due', kind, lane);
  }

  private lanesOf(kind: TaskKind): [string, string] {
    return [this.dueKey(kind, 'hot'), this.dueKey(kind, 'cold')];
  }

  private idleKey(kind: TaskKind): string {
    return this.k('idle', kind);
  }

  private matching(filter?: DueFilter): string[] {
    const out: string[] = [];
    for (const kind of TASK_KINDS) {
      if (filter?.kind !== undefined && filter.kind !== kind) continue;
      for (const lane of LANES) if (filter?.lane === undefined || filter.lane === lane) out.push(this.dueKey(kind, lane));
    }
    return out;
  }

  /** Runs one store operation, turning any failure into an Error that names the store and the operation. */
  private async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      let why = messageOf(e);
      if (/Stream isn't writeable|Connection is closed/i.test(why)) why = `not connected (${this.lastError ?? why})`;
      throw new StoreError(this.description, op, `redis state store ${this.description}: ${op} failed: ${why}`, { cause: e });
    }
  }

  private async exec(p: ChainableCommander): Promise<unknown[]> {
    const results = (await p.exec()) ?? [];
    return results.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
  }

  private toRecord(id: string, h: Record<string, string>, due?: number): KeyRecord {
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

  // --- per-key state and schedule ---

  getRecord(key: TaskKey): Promise<KeyRecord | null> {
    return this.run('getRecord', async () => {
      const id = keyId(key);
      const h = await this.redis.hgetall(this.k('rec', id));
      return Object.keys(h).length === 0 ? null : this.toRecord(id, h);
    });
  }

  getRecords(keys: TaskKey[]): Promise<Array<KeyRecord | null>> {
    return this.run('getRecords', async () => {
      if (keys.length === 0) return [];
      const p = this.redis.pipeline();
      for (const key of keys) p.hgetall(this.k('rec', keyId(key)));
      const hashes = (await this.exec(p)) as Array<Record<string, string>>;
      return hashes.map((h, i) => (Object.keys(h).length === 0 ? null : this.toRecord(keyId(keys[i]!), h)));
    });
  }

  claimIdleKeys(now: number, limit: number, kind: TaskKind, checkedBefore: number): Promise<KeyRecord[]> {
    return this.run('claimIdleKeys', async () => {
      if (limit <= 0) return [];
      const ids = await this.scripts.cwpStoreClaimIdle(this.idleKey(kind), ...this.lanesOf(kind), now, limit, checkedBefore, `${this.k('rec')}:`);
      if (ids.length === 0) return [];
      const p = this.redis.pipeline();
      for (const id of ids) p.hgetall(this.k('rec', id));
      const hashes = (await this.exec(p)) as Array<Record<string, string>>;
      return ids.map((id, i) => this.toRecord(id, hashes[i] ?? {}));
    });
  }

  getRecordsForAgent(uuid: string): Promise<KeyRecord[]> {
    return this.run('getRecordsForAgent', async () => {
      const ids = TASK_KINDS.map((kind) => keyId({ uuid, kind }));
      const p = this.redis.pipeline();
      for (const id of ids) p.hgetall(this.k('rec', id));
      const hashes = (await this.exec(p)) as Array<Record<string, string>>;
      const out: KeyRecord[] = [];
      hashes.forEach((h, i) => {
        if (Object.keys(h).length > 0) out.push(this.toRecord(ids[i]!, h));
      });
      return out;
    });
  }

  syncSchedule(keys: TaskKey[], now: number): Promise<number> {
    return this.run('syncSchedule', async () => {
      // Per-key work without intermediate copies of the key list: with 20,000 keys every extra array or
      // per-key command is megabytes of garbage in a 128 MB function.
      const CHUNK = 1000;
      const all = this.matching();
      const read = this.redis.pipeline();
      for (const z of all) read.zrange(z, 0, -1);
      const scheduled = new Set<string>();
      for (const ids of (await this.exec(read)) as string[][]) for (const id of ids) scheduled.add(id);
      const wanted = new Set<string>();
      for (const key of keys) wanted.add(keyId(key));
      let chunk: string[] = [];
      const idle = TASK_KINDS.map((kind) => this.idleKey(kind));
      const removeChunk = async () => {
        const p = this.redis.pipeline();
        for (const z of [...all, ...idle]) p.zrem(z, ...chunk);
        await this.exec(p);
        chunk = [];
      };
      for (const id of scheduled) {
        if (wanted.has(id)) continue;
        chunk.push(id);
        if (chunk.length >= CHUNK) await removeChunk();
      }
      if (chunk.length > 0) await removeChunk();
      wanted.clear();
      // Adds, one script call per chunk of one kind: KEYS dueHot, dueCold, rec...; ARGV kind, now, (uuid, id)...
      let added = 0;
      const pending = new Map<TaskKind, { keys: string[]; args: Array<string | number> }>();
      const flush = async (kind: TaskKind) => {
        const batch = pending.get(kind);
        if (!batch || batch.keys.length <= 3) return;
        pending.delete(kind);
        added += Number(await this.scripts.cwpStoreAddKeys(batch.keys.length, ...batch.keys, ...batch.args));
      };
      for (const key of keys) {
        const id = keyId(key);
        if (scheduled.has(id)) continue;
        scheduled.add(id); // a key listed twice is added once
        let batch = pending.get(key.kind);
        if (!batch) pending.set(key.kind, (batch = { keys: [...this.lanesOf(key.kind), this.idleKey(key.kind)], args: [key.kind, now] }));
        batch.keys.push(this.k('rec', id));
        batch.args.push(key.uuid, id);
        if (batch.keys.length - 3 >= CHUNK) await flush(key.kind);
      }
      for (const kind of [...pending.keys()]) await flush(kind);
      return added;
    });
  }

  /** Inspection for tests and tools, not part of any port: due keys without claiming them. */
  dueKeys(now: number, limit: number, filter?: DueFilter): Promise<KeyRecord[]> {
    return this.run('dueKeys', async () => {
      if (limit <= 0) return [];
      const zsets = this.matching(filter);
      const read = this.redis.pipeline();
      for (const z of zsets) read.zrangebyscore(z, '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit);
      const due: Array<{ id: string; due: number }> = [];
      for (const flat of (await this.exec(read)) as string[][]) {
        for (let i = 0; i + 1 < flat.length; i += 2) due.push({ id: flat[i]!, due: Number(flat[i + 1]) });
      }
      if (zsets.length > 1) due.sort((a, b) => a.due - b.due || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const picked = due.slice(0, limit);
      if (picked.length === 0) return [];
      const p = this.redis.pipeline();
      for (const d of picked) p.hgetall(this.k('rec', d.id));
      const hashes = (await this.exec(p)) as Array<Record<string, string>>;
      return picked.map((d, i) => this.toRecord(d.id, hashes[i] ?? {}, d.due));
    });
  }

  claimDueKeys(now: number, limit: number, filter: Required<DueFilter>, leaseMs: number): Promise<KeyRecord[]> {
    return this.run('claimDueKeys', async () => {
      if (limit <= 0) return [];
      const flat = await this.scripts.cwpStoreClaimDue(this.dueKey(filter.kind, filter.lane), now, limit, now + leaseMs);
      const picked: Array<{ id: string; due: number }> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) picked.push({ id: flat[i]!, due: Number(flat[i + 1]) });
      if (picked.length === 0) return [];
      const p = this.redis.pipeline();
      for (const d of picked) p.hgetall(this.k('rec', d.id));
      const hashes = (await this.exec(p)) as Array<Record<string, string>>;
      return picked.map((d, i) => this.toRecord(d.id, hashes[i] ?? {}, d.due));
    });
  }

  releaseClaims(claims: KeyClaim[]): Promise<void> {
    return this.run('releaseClaims', async () => {
      if (claims.length === 0) return;
      // The key may have moved lanes since the claim (a change by another sweep): then its score differs anyway.
      const keys = claims.map((c) => this.dueKey(c.record.kind, laneOf(c.record.state)));
      const args = claims.flatMap((c) => [keyId(c.record), c.claimedUntil, c.record.nextDue]);
      await this.scripts.cwpStoreRelease(keys.length, ...keys, ...args);
    });
  }

  countDue(now: number, filter?: DueFilter): Promise<number> {
    return this.run('countDue', async () => {
      const p = this.redis.pipeline();
      for (const z of this.matching(filter)) p.zcount(z, '-inf', now);
      return ((await this.exec(p)) as number[]).reduce((a, b) => a + Number(b), 0);
    });
  }

  nextDueAt(kind?: TaskKind): Promise<number | null> {
    return this.run('nextDueAt', async () => {
      const p = this.redis.pipeline();
      for (const z of this.matching(kind === undefined ? undefined : { kind })) p.zrange(z, 0, 0, 'WITHSCORES');
      let min: number | null = null;
      for (const r of (await this.exec(p)) as string[][]) {
        if (r.length >= 2) {
          const d = Number(r[1]);
          if (min === null || d < min) min = d;
        }
      }
      return min;
    });
  }

  recordCheck(check: CheckToRecord): Promise<void> {
    return this.run('recordCheck', async () => {
      const id = keyId(check.key);
      await this.scripts.cwpStoreCheck(this.k('rec', id), ...this.lanesOf(check.key.kind), this.idleKey(check.key.kind), check.key.uuid, check.key.kind, check.observedAt, check.nextDue, id, check.parked ? '1' : '0');
    });
  }

  recordChange(change: ChangeToRecord): Promise<boolean> {
    return this.run('recordChange', async () => {
      const id = keyId(change.key);
      const r = await this.scripts.cwpStoreChange(
        this.k('rec', id), ...this.lanesOf(change.key.kind), this.k('outbox'), this.k('outbox', change.event.id), this.k('seq'), this.k('reads', change.key.kind), this.k('reads', 'v'), this.idleKey(change.key.kind),
        change.expectedVersion, change.key.uuid, change.key.kind, change.state, change.requestId, change.observedAt, change.nextDue,
        id, change.event.id, JSON.stringify(change.event), readPendingAfter(change.state) ? '1' : '0', change.parked ? '1' : '0',
      );
      return Number(r) === 1;
    });
  }

  // --- watches ---

  listWatches(): Promise<Watch[]> {
    return this.run('listWatches', async () => {
      const all = (await this.redis.hvals(this.k('watches'))).map((v) => JSON.parse(v) as Watch);
      return all.sort(compareWatches);
    });
  }

  getWatch(uuid: string): Promise<Watch | null> {
    return this.run('getWatch', async () => {
      const v = await this.redis.hget(this.k('watches'), uuid);
      return v ? (JSON.parse(v) as Watch) : null;
    });
  }

  countWatches(): Promise<number> {
    return this.run('countWatches', () => this.redis.hlen(this.k('watches')));
  }

  putWatch(uuid: string, kinds: TaskKind[], now: number): Promise<Watch> {
    return this.run('putWatch', async () => {
      const prev = await this.redis.hget(this.k('watches'), uuid);
      const w = putWatchRecord(prev ? (JSON.parse(prev) as Watch) : null, uuid, kinds, now);
      await this.redis.hset(this.k('watches'), uuid, JSON.stringify(w));
      return w;
    });
  }

  deleteWatch(uuid: string): Promise<boolean> {
    return this.run('deleteWatch', async () => (await this.redis.hdel(this.k('watches'), uuid)) > 0);
  }

  // --- outbox and deliveries ---

  listOutbox(limit: number): Promise<OutboxEntry[]> {
    return this.run('listOutbox', async () => {
      if (limit <= 0) return [];
      const ids = await this.redis.zrange(this.k('outbox'), 0, limit - 1);
      if (ids.length === 0) return [];
      const p = this.redis.pipeline();
      for (const id of ids) p.hgetall(this.k('outbox', id));
      const out: OutboxEntry[] = [];
      for (const h of (await this.exec(p)) as Array<Record<string, string>>) {
        if (!h.event) continue; // removed meanwhile
        const deliveries: Record<string, Delivery> = {};
        for (const [f, v] of Object.entries(h)) if (f.startsWith('d:')) deliveries[f.slice(2)] = JSON.parse(v) as Delivery;
        out.push({
          event: JSON.parse(h.event),
          createdAt: Number(h.createdAt),
          targets: h.targets ? (JSON.parse(h.targets) as string[]) : null,
          deliveries,
        });
      }
      return out;
    });
  }

  countOutbox(): Promise<number> {
    return this.run('countOutbox', () => this.redis.zcard(this.k('outbox')));
  }

  updateDelivery(eventId: string, sinkId: string, delivery: Delivery): Promise<void> {
    return this.run('updateDelivery', async () => {
      await this.scripts.cwpStoreDelivery(this.k('outbox', eventId), sinkId, JSON.stringify(delivery));
    });
  }

  claimDelivery(eventId: string, sinkId: string, now: number, leaseMs: number): Promise<boolean> {
    return this.run('claimDelivery', async () => Number(await this.scripts.cwpStoreClaim(this.k('outbox', eventId), sinkId, now, leaseMs)) === 1);
  }

  removeFromOutbox(eventId: string): Promise<void> {
    return this.run('removeFromOutbox', async () => {
      await this.exec(this.redis.multi().zrem(this.k('outbox'), eventId).del(this.k('outbox', eventId)));
    });
  }

  addDeadLetter(letter: DeadLetter): Promise<void> {
    return this.run('addDeadLetter', async () => {
      await this.scripts.cwpStoreDeadLetter(this.k('dead'), this.k('dead', 'letters'), this.k('seq'), deadLetterId(letter.event.id, letter.sinkId), JSON.stringify(letter));
    });
  }

  listDeadLetters(limit: number): Promise<DeadLetter[]> {
    return this.run('listDeadLetters', async () => {
      if (limit <= 0) return [];
      const members = await this.redis.zrange(this.k('dead'), 0, limit - 1);
      if (members.length === 0) return [];
      const values = await this.redis.hmget(this.k('dead', 'letters'), ...members);
      return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as DeadLetter);
    });
  }

  countDeadLetters(): Promise<number> {
    return this.run('countDeadLetters', () => this.redis.zcard(this.k('dead')));
  }

  replayDeadLetters(eventIds: string[] | null, now: number): Promise<number> {
    return this.run('replayDeadLetters', async () => {
      const only = eventIds ? new Set(eventIds) : null;
      const members = (await this.redis.zrange(this.k('dead'), 0, -1)).filter((m) => !only || only.has(m.slice(0, m.indexOf('\n'))));
      if (members.length === 0) return 0;
      const values = await this.redis.hmget(this.k('dead', 'letters'), ...members);
      const p = this.redis.pipeline() as unknown as PipelineScripts & ChainableCommander;
      let queued = 0;
      members.forEach((member, i) => {
        const v = values[i];
        if (!v) return;
        const letter = JSON.parse(v) as DeadLetter;
        p.cwpStoreReplay(
          this.k('dead'), this.k('dead', 'letters'), this.k('outbox'), this.k('outbox', letter.event.id), this.k('seq'),
          member, letter.sinkId, JSON.stringify(letter.event), now, letter.event.id,
        );
        queued++;
      });
      if (queued === 0) return 0;
      return ((await this.exec(p)) as number[]).reduce((a, b) => a + Number(b), 0);
    });
  }

  // --- result reads and snapshots ---

  claimPendingReads(now: number, limit: number, leaseMs: number, kind?: TaskKind): Promise<PendingRead[]> {
    return this.run('claimPendingReads', async () => {
      const out: PendingRead[] = [];
      for (const k of kind === undefined ? TASK_KINDS : [kind]) {
        if (out.length >= limit) break;
        const flat = await this.scripts.cwpStoreClaimReads(this.k('reads', k), this.k('reads', 'v'), now, limit - out.length, now + leaseMs);
        for (let i = 0; i + 1 < flat.length; i += 2) out.push({ key: parseKeyId(flat[i]!), forVersion: Number(flat[i + 1]) });
      }
      return out;
    });
  }

  releasePendingRead(read: PendingRead, retryAt: number): Promise<void> {
    return this.run('releasePendingRead', async () => {
      await this.scripts.cwpStoreReleaseRead(this.k('reads', read.key.kind), this.k('reads', 'v'), keyId(read.key), read.forVersion, retryAt);
    });
  }

  getSnapshot(key: TaskKey): Promise<StoredSnapshot | null> {
    return this.run('getSnapshot', async () => {
      const [enc, takenAt] = await this.redis.hmget(this.k('snap', keyId(key)), 'enc', 'takenAt');
      return enc && takenAt ? { encoded: enc, takenAt: Number(takenAt) } : null;
    });
  }

  recordSnapshot(key: TaskKey, expectedTakenAt: number | null, snapshot: StoredSnapshot, forVersion: number, event: BridgeEvent | null): Promise<boolean> {
    return this.run('recordSnapshot', async () => {
      const id = keyId(key);
      const r = await this.scripts.cwpStoreRecordSnapshot(
        this.k('snap', id), this.k('reads', key.kind), this.k('reads', 'v'), this.k('outbox'), this.k('outbox', event?.id ?? '-'), this.k('seq'),
        expectedTakenAt === null ? '' : String(expectedTakenAt), snapshot.encoded, String(snapshot.takenAt), id, forVersion, event?.id ?? '', event ? JSON.stringify(event) : '',
      );
      return Number(r) === 1;
    });
  }

  // --- health ---

  // --- the fleet (discovery) ---

  claimDiscovery(now: number, leaseMs: number): Promise<{ cursor: DiscoveryCursor | null } | 'busy'> {
    return this.run('claimDiscovery', async () => {
      const r = await this.scripts.cwpStoreClaimDiscovery(this.k('discovery'), now, leaseMs);
      if (!r) return 'busy';
      return { cursor: r[0] ? (JSON.parse(r[0]) as DiscoveryCursor) : null };
    });
  }

  saveDiscovery(cursor: DiscoveryCursor, leaseUntil: number | null): Promise<void> {
    return this.run('saveDiscovery', async () => {
      await this.redis.hset(this.k('discovery'), 'cursor', JSON.stringify(cursor), 'leaseUntil', String(leaseUntil ?? 0));
    });
  }

  getDiscovery(): Promise<DiscoveryCursor | null> {
    return this.run('getDiscovery', async () => {
      const v = await this.redis.hget(this.k('discovery'), 'cursor');
      return v ? (JSON.parse(v) as DiscoveryCursor) : null;
    });
  }

  putMachines(machines: MachineInfo[]): Promise<void> {
    return this.run('putMachines', async () => {
      if (machines.length === 0) return;
      // rules.mergeMachine: the details are replaced; the first sighting is kept by HSETNX in a hash of its own.
      const p = this.redis.pipeline();
      for (const m of machines) {
        p.hset(this.k('machines'), m.uuid, JSON.stringify(m));
        p.hsetnx(this.k('machines', 'first'), m.uuid, String(m.firstSeenAt));
      }
      await this.exec(p);
    });
  }

  private machineOf(json: string, first: string | null | undefined): MachineInfo {
    const m = JSON.parse(json) as MachineInfo;
    const f = Number(first);
    if (first && Number.isFinite(f) && f < m.firstSeenAt) m.firstSeenAt = f;
    return m;
  }

  listMachines(): Promise<MachineInfo[]> {
    return this.run('listMachines', async () => {
      const [all, first] = await Promise.all([this.redis.hgetall(this.k('machines')), this.redis.hgetall(this.k('machines', 'first'))]);
      return Object.entries(all).map(([uuid, json]) => this.machineOf(json, first[uuid])).sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
    });
  }

  getMachine(uuid: string): Promise<MachineInfo | null> {
    return this.run('getMachine', async () => {
      const [json, first] = await Promise.all([this.redis.hget(this.k('machines'), uuid), this.redis.hget(this.k('machines', 'first'), uuid)]);
      return json ? this.machineOf(json, first) : null;
    });
  }

  forgetMachine(uuid: string, lastListing: number, event: BridgeEvent | null): Promise<boolean> {
    return this.run('forgetMachine', async () => {
      const r = await this.scripts.cwpStoreForget(
        this.k('machines'), this.k('machines', 'first'), this.k('outbox'), this.k('outbox', event?.id ?? '-'), this.k('seq'),
        uuid, lastListing, event?.id ?? '', event ? JSON.stringify(event) : '', event ? Date.parse(event.time) : 0,
      );
      return Number(r) === 1;
    });
  }

  putLastSweep(summary: SweepSummary): Promise<void> {
    return this.run('putLastSweep', async () => {
      await this.redis.set(this.k('last-sweep'), JSON.stringify(summary));
    });
  }

  getLastSweep(): Promise<SweepSummary | null> {
    return this.run('getLastSweep', async () => {
      const v = await this.redis.get(this.k('last-sweep'));
      return v ? (JSON.parse(v) as SweepSummary) : null;
    });
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
