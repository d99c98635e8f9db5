// The Lua scripts of the Redis store: every step that must be atomic across keys, in one table. Each entry
// names its KEYS and ARGV (the script sees each as a Lua local of that name, and the store passes them by
// name, so no call can put one in the wrong place), the rules of rules.ts it restates (it runs inside Redis, so
// it cannot call them), and the shared fragments it uses. One loop registers them all (defineScripts).
// A new atomic step is one entry here and a call in store.ts (`this.script('name', { keys }, { args })`); a port
// group whose Lua would make this file too long keeps it in a table of its own, merged here (incident-scripts.ts).
import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import type * as rules from '../rules';
import { LIFECYCLE_SCRIPTS } from './lifecycle-scripts';
import { INCIDENT_FRAGMENTS, INCIDENT_SCRIPTS } from './incident-scripts';
import { HISTORY_LUA, HISTORY_SCRIPTS } from './history-scripts';
import { QUIET_SCRIPTS } from './quiet-scripts';

/** Lua functions more than one script needs, each the one Lua copy of a rule or a step. */
export const FRAGMENTS = {
  /** rules.laneOf: state null ('' or absent) or COLLECTING is the hot lane, else cold. */
  laneOf: `local function lane_of(state, hot, cold) if state == false or state == '' or state == 'COLLECTING' then return hot end return cold end`,
  /** rules.blankRecord: the record of a key never observed. */
  blankRecord: `local function blank_record(rec, uuid, kind, nextDue, lastChecked)
  redis.call('HSET', rec, 'uuid', uuid, 'kind', kind, 'state', '', 'version', '0', 'since', '', 'lastChecked', lastChecked, 'nextDue', nextDue, 'requestId', '')
end`,
  /** rules.isIdleCandidate, rules.idleScore: a scheduled key's place in the spare-budget order. */
  placeIdle: `local function place_idle(idle, id, parked, last) if parked == '1' then redis.call('ZREM', idle, id) else redis.call('ZADD', idle, last, id) end end`,
  /**
   * An event enters the outbox once, last in its order, and the history with it (LocalState.appendToOutbox;
   * history-scripts.ts: `history` is the script's ARGV of that name). True if it was appended.
   */
  appendToOutbox: `${HISTORY_LUA}
local function append_to_outbox(outbox, entry, seq, eventId, eventJson, createdAt, history)
  if redis.call('EXISTS', entry) == 1 then return false end
  redis.call('ZADD', outbox, redis.call('INCR', seq), eventId)
  redis.call('HSET', entry, 'event', eventJson, 'createdAt', createdAt)
  record_history(history, eventId, eventJson)
  return true
end`,
  /** rules.leftAtAfterWrite: a write to a key that is not scheduled marks it as left, unless it is marked already. */
  markIfUnscheduled: `local function mark_if_unscheduled(dueHot, dueCold, left, id, at)
  if not (redis.call('ZSCORE', dueHot, id) or redis.call('ZSCORE', dueCold, id)) then redis.call('ZADD', left, 'NX', at, id) end
end`,
  /**
   * A dead letter's indexes beside the letter: its age, its sink's order (the sink id hashed into the key, as
   * connection.ts deadSinkKey does), the set of sinks.
   */
  indexDeadLetter: `local function dead_sink_of(member) return string.sub(member, string.find(member, '\\n', 1, true) + 1) end
local function dead_sink_key(sinkPrefix, sinkId) return sinkPrefix .. string.sub(redis.sha1hex(sinkId), 1, 16) end
local function index_dead_letter(deadAt, sinks, sinkPrefix, member, seqNo, at)
  local sinkId = dead_sink_of(member)
  redis.call('ZADD', deadAt, at, member)
  redis.call('ZADD', dead_sink_key(sinkPrefix, sinkId), seqNo, member)
  redis.call('SADD', sinks, sinkId)
end
local function remove_dead_letter(dead, letters, deadAt, sinks, sinkPrefix, member)
  if redis.call('ZREM', dead, member) == 0 then return false end
  redis.call('HDEL', letters, member)
  redis.call('ZREM', deadAt, member)
  local sinkId = dead_sink_of(member)
  local sinkKey = dead_sink_key(sinkPrefix, sinkId)
  redis.call('ZREM', sinkKey, member)
  if redis.call('ZCARD', sinkKey) == 0 then redis.call('SREM', sinks, sinkId) end
  return true
end`,
  ...INCIDENT_FRAGMENTS,
};

/**
 * A script: its KEYS and ARGV in order (a script over a list takes more of each after these, "More:" in its
 * comment, and reads them by index).
 */
export interface Script {
  readonly keys: readonly string[];
  readonly args: readonly string[];
  /** The rules of rules.ts it restates. */
  readonly restates: ReadonlyArray<keyof typeof rules>;
  readonly uses?: ReadonlyArray<keyof typeof FRAGMENTS>;
  readonly lua: string;
}

const STORE_SCRIPTS = {
  /**
   * Schedules each listed key not scheduled yet (a missing record is blank; a parked one keeps its nextDue, else
   * it is due now), unmarks it as left, and puts it in the spare-budget order unless parked; returns how many it scheduled. One call
   * per chunk of keys, not one command per key. More: per key of that kind, KEYS its record, ARGV its uuid and id.
   */
  addKeys: {
    keys: ['dueHot', 'dueCold', 'idle', 'left'],
    args: ['kind', 'now'],
    restates: ['blankRecord', 'laneOf', 'isIdleCandidate', 'idleScore'],
    uses: ['laneOf', 'blankRecord'],
    lua: `local added = 0
for i = 1, #KEYS - 4 do
  local rec, uuid, id = KEYS[4 + i], ARGV[1 + 2 * i], ARGV[2 + 2 * i]
  if not (redis.call('ZSCORE', dueHot, id) or redis.call('ZSCORE', dueCold, id)) then
    redis.call('ZREM', left, id)
    local f = redis.call('HMGET', rec, 'state', 'parked', 'nextDue', 'lastChecked')
    local state, due = f[1], now
    if state == false then
      blank_record(rec, uuid, kind, now, '')
    elseif f[2] == '1' then
      due = f[3]
    else
      redis.call('HSET', rec, 'nextDue', now)
    end
    redis.call('ZADD', lane_of(state, dueHot, dueCold), due, id)
    if f[2] ~= '1' then
      local last = f[4]
      if last == false or last == '' then last = 0 end
      redis.call('ZADD', idle, last, id)
    end
    added = added + 1
  end
end
return added`,
  },

  /**
   * recordCheck: lastChecked and nextDue (a missing record is blank); a scheduled key moves in the schedule and
   * in the spare-budget order (out of it while parked); an unscheduled one is marked as left.
   */
  check: {
    keys: ['rec', 'dueHot', 'dueCold', 'idle', 'left'],
    args: ['uuid', 'kind', 'observedAt', 'nextDue', 'id', 'parked'],
    restates: ['blankRecord', 'laneOf', 'isIdleCandidate', 'leftAtAfterWrite'],
    uses: ['laneOf', 'blankRecord', 'placeIdle', 'markIfUnscheduled'],
    lua: `local state = redis.call('HGET', rec, 'state')
if state == false then
  blank_record(rec, uuid, kind, nextDue, observedAt)
else
  redis.call('HSET', rec, 'lastChecked', observedAt, 'nextDue', nextDue)
end
if parked == '1' then redis.call('HSET', rec, 'parked', '1') else redis.call('HDEL', rec, 'parked') end
local due = lane_of(state, dueHot, dueCold)
if redis.call('ZSCORE', due, id) then
  redis.call('ZADD', due, nextDue, id)
  place_idle(idle, id, parked, observedAt)
end
mark_if_unscheduled(dueHot, dueCold, left, id, observedAt)
return 1`,
  },

  /** putRegister: compare-and-set of a register on its version, and the outbox append, in one step. 1 = applied. */
  putRegister: {
    keys: ['register', 'outbox', 'entry', 'seq'],
    args: ['expectedVersion', 'value', 'eventId', 'eventJson', 'at', 'history'],
    restates: [],
    uses: ['appendToOutbox'],
    lua: `local version = tonumber(redis.call('HGET', register, 'version') or '0')
if version ~= tonumber(expectedVersion) then return 0 end
redis.call('HSET', register, 'value', value, 'version', version + 1)
append_to_outbox(outbox, entry, seq, eventId, eventJson, at, history)
return 1`,
  },

  /**
   * recordChange: compare-and-set of the record on its version, the move in the schedule, the outbox append,
   * (readPending 1: a change to COMPLETE) the result read made pending, and the incident writes (a JSON array, '[]'
   * for none) in one step. 1 = applied.
   */
  change: {
    keys: ['rec', 'dueHot', 'dueCold', 'idle', 'outbox', 'entry', 'seq', 'reads', 'readsV', 'left'],
    args: ['expectedVersion', 'uuid', 'kind', 'state', 'requestId', 'observedAt', 'nextDue', 'id', 'eventId', 'eventJson', 'readPending', 'parked', 'prefix', 'incidents', 'history'],
    restates: ['sinceAfterChange', 'laneOf', 'isIdleCandidate', 'readPendingAfter', 'leftAtAfterWrite', 'incidentWriteApplies'],
    uses: ['laneOf', 'placeIdle', 'appendToOutbox', 'incidents'],
    lua: `local cur = redis.call('HMGET', rec, 'version', 'state', 'since')
local v = tonumber(cur[1] or '0') or 0
if v ~= tonumber(expectedVersion) then return 0 end
local writes = cjson.decode(incidents)
if not incident_writes_apply(prefix, writes) then return 0 end
local since = observedAt
if cur[2] == state and cur[3] and cur[3] ~= '' then since = cur[3] end
redis.call('HSET', rec, 'uuid', uuid, 'kind', kind, 'state', state, 'version', tostring(v + 1), 'since', since, 'lastChecked', observedAt, 'nextDue', nextDue, 'requestId', requestId)
if parked == '1' then redis.call('HSET', rec, 'parked', '1') else redis.call('HDEL', rec, 'parked') end
if redis.call('ZREM', dueHot, id) + redis.call('ZREM', dueCold, id) > 0 then
  redis.call('ZADD', lane_of(state, dueHot, dueCold), nextDue, id)
  place_idle(idle, id, parked, observedAt)
else
  redis.call('ZADD', left, 'NX', observedAt, id)
end
append_to_outbox(outbox, entry, seq, eventId, eventJson, observedAt, history)
if readPending == '1' then
  redis.call('ZADD', reads, observedAt, id)
  redis.call('HSET', readsV, id, tostring(v + 1))
end
apply_incident_writes(prefix, writes, outbox, seq, history)
return 1`,
  },

  /**
   * claimDueKeys: takes up to `limit` due keys of one zset, most overdue first, moving them to claimedUntil.
   * Flat [id, nextDue, ...].
   */
  claimDue: {
    keys: ['due'],
    args: ['now', 'limit', 'claimedUntil'],
    restates: [],
    lua: `local taken = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(limit))
for i = 1, #taken, 2 do redis.call('ZADD', due, 'XX', claimedUntil, taken[i]) end
return taken`,
  },

  /**
   * releaseClaims: puts each claimed key back at its nextDue if it is still at its claim. More: per claim, KEYS
   * its due zset, ARGV its id, claimedUntil and nextDue.
   */
  release: {
    keys: [],
    args: [],
    restates: [],
    lua: `for i = 1, #KEYS do
  local id, claimed, back = ARGV[3 * i - 2], ARGV[3 * i - 1], ARGV[3 * i]
  local score = redis.call('ZSCORE', KEYS[i], id)
  if score and tonumber(score) == tonumber(claimed) then redis.call('ZADD', KEYS[i], 'XX', back, id) end
end
return 1`,
  },

  /**
   * claimIdleKeys: walks the idle order from the least recently checked, taking keys that are scheduled, not due
   * and not claimed (a claim moves the due score away from the record's nextDue; the record is read under
   * recPrefix, which shares the hash tag of the other keys), and moves each taken one to `now`. Flat [id, ...].
   * Looks at most 8 x limit candidates.
   */
  claimIdle: {
    keys: ['idle', 'dueHot', 'dueCold'],
    args: ['now', 'limit', 'checkedBefore', 'recPrefix'],
    restates: ['idleScore', 'isIdleCandidate'],
    lua: `now, limit = tonumber(now), tonumber(limit)
local ids = redis.call('ZRANGEBYSCORE', idle, '-inf', checkedBefore, 'LIMIT', 0, limit * 8)
local out = {}
for _, id in ipairs(ids) do
  if #out >= limit then break end
  local ds = redis.call('ZSCORE', dueHot, id) or redis.call('ZSCORE', dueCold, id)
  if ds and tonumber(ds) > now then
    local nd = redis.call('HGET', recPrefix .. id, 'nextDue')
    if nd and tonumber(nd) == tonumber(ds) then
      redis.call('ZADD', idle, now, id)
      table.insert(out, id)
    end
  end
end
return out`,
  },

  /**
   * claimPendingReads of one kind: takes due pending reads, moving them to claimedUntil. Flat [id, forVersion,
   * ...].
   */
  claimReads: {
    keys: ['reads', 'readsV'],
    args: ['now', 'limit', 'claimedUntil'],
    restates: [],
    lua: `local ids = redis.call('ZRANGEBYSCORE', reads, '-inf', now, 'LIMIT', 0, tonumber(limit))
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZADD', reads, 'XX', claimedUntil, id)
  table.insert(out, id)
  table.insert(out, redis.call('HGET', readsV, id) or '0')
end
return out`,
  },

  /** releasePendingRead: the read is due again at retryAt, if it is still the one that was claimed. */
  releaseRead: {
    keys: ['reads', 'readsV'],
    args: ['id', 'forVersion', 'retryAt'],
    restates: ['isSameRead'],
    lua: `if redis.call('HGET', readsV, id) == forVersion then redis.call('ZADD', reads, 'XX', retryAt, id) end
return 1`,
  },

  /**
   * recordSnapshot: compare-and-set of the snapshot on its takenAt (expectedTakenAt '' = none yet), with its
   * event (eventId '' = none), the end of the read it answers and the incident writes ('[]' for none). 1 = applied.
   */
  recordSnapshot: {
    keys: ['snap', 'reads', 'readsV', 'outbox', 'entry', 'seq', 'dueHot', 'dueCold', 'left'],
    args: ['expectedTakenAt', 'enc', 'takenAt', 'id', 'forVersion', 'eventId', 'eventJson', 'prefix', 'incidents', 'history'],
    restates: ['isSameRead', 'leftAtAfterWrite', 'incidentWriteApplies'],
    uses: ['appendToOutbox', 'markIfUnscheduled', 'incidents'],
    lua: `if (redis.call('HGET', snap, 'takenAt') or '') ~= expectedTakenAt then return 0 end
local writes = cjson.decode(incidents)
if not incident_writes_apply(prefix, writes) then return 0 end
redis.call('HSET', snap, 'enc', enc, 'takenAt', takenAt)
mark_if_unscheduled(dueHot, dueCold, left, id, takenAt)
if eventId ~= '' then append_to_outbox(outbox, entry, seq, eventId, eventJson, takenAt, history) end
if redis.call('HGET', readsV, id) == forVersion then
  redis.call('ZREM', reads, id)
  redis.call('HDEL', readsV, id)
end
apply_incident_writes(prefix, writes, outbox, seq, history)
return 1`,
  },

  /** updateDelivery: sets one sink's delivery, only while the event is in the outbox. */
  updateDelivery: {
    keys: ['entry'],
    args: ['sinkId', 'deliveryJson'],
    restates: [],
    lua: `if redis.call('EXISTS', entry) == 1 then redis.call('HSET', entry, 'd:' .. sinkId, deliveryJson) return 1 end
return 0`,
  },

  /**
   * claimDelivery: 1 if the delivery may be claimed (a missing one starts untried), and then its lease; else 0.
   * cjson is Redis's own JSON library; claimedUntil is the only field this adds.
   */
  claimDelivery: {
    keys: ['entry'],
    args: ['sinkId', 'now', 'leaseMs'],
    restates: ['canClaimDelivery', 'untriedDelivery', 'claimedDelivery'],
    lua: `if redis.call('EXISTS', entry) == 0 then return 0 end
now = tonumber(now)
local raw = redis.call('HGET', entry, 'd:' .. sinkId)
local d
if raw then
  d = cjson.decode(raw)
  if d.status ~= 'pending' or tonumber(d.nextAttemptAt) > now or (d.claimedUntil and tonumber(d.claimedUntil) > now) then return 0 end
else
  d = { status = 'pending', attempts = 0, nextAttemptAt = now, lastError = cjson.null, finishedAt = cjson.null }
end
d.claimedUntil = now + tonumber(leaseMs)
redis.call('HSET', entry, 'd:' .. sinkId, cjson.encode(d))
return 1`,
  },

  /** addDeadLetter: a re-added (event, sink) replaces the old letter and moves last (in its sink's order too). */
  addDeadLetter: {
    keys: ['dead', 'letters', 'seq', 'deadAt', 'sinks'],
    args: ['member', 'letterJson', 'deadAtMs', 'sinkPrefix'],
    restates: ['deadLetterId'],
    uses: ['indexDeadLetter'],
    lua: `local seqNo = redis.call('INCR', seq)
redis.call('ZADD', dead, seqNo, member)
redis.call('HSET', letters, member, letterJson)
index_dead_letter(deadAt, sinks, sinkPrefix, member, seqNo, deadAtMs)
return 1`,
  },

  /**
   * replayDeadLetters, one letter: back to the outbox for its sink, merged into the event's entry if it is still
   * there. 1 = moved.
   */
  replay: {
    keys: ['dead', 'letters', 'outbox', 'entry', 'seq', 'deadAt', 'sinks'],
    args: ['member', 'sinkId', 'eventJson', 'now', 'eventId', 'sinkPrefix'],
    restates: ['replayedEntry'],
    uses: ['appendToOutbox', 'indexDeadLetter'],
    lua: `if not remove_dead_letter(dead, letters, deadAt, sinks, sinkPrefix, member) then return 0 end
if append_to_outbox(outbox, entry, seq, eventId, eventJson, now, '') then
  redis.call('HSET', entry, 'targets', cjson.encode({ sinkId }))
  return 1
end
local t = redis.call('HGET', entry, 'targets')
if t then
  local arr = cjson.decode(t)
  local found = false
  for _, s in ipairs(arr) do if s == sinkId then found = true end end
  if not found then
    table.insert(arr, sinkId)
    redis.call('HSET', entry, 'targets', cjson.encode(arr))
  end
end
redis.call('HDEL', entry, 'd:' .. sinkId)
return 1`,
  },

  /**
   * forgetMachine: deletes the machine (and appends its event, eventId '' = none) only if its last listing is
   * still <= lastListing. 1 = forgotten.
   */
  forgetMachine: {
    keys: ['machines', 'first', 'outbox', 'entry', 'seq'],
    args: ['uuid', 'lastListing', 'eventId', 'eventJson', 'createdAt', 'history'],
    restates: ['isForgotten'],
    uses: ['appendToOutbox'],
    lua: `local raw = redis.call('HGET', machines, uuid)
if not raw then return 0 end
if tonumber(cjson.decode(raw).seenInListing) > tonumber(lastListing) then return 0 end
redis.call('HDEL', machines, uuid)
redis.call('HDEL', first, uuid)
if eventId ~= '' then append_to_outbox(outbox, entry, seq, eventId, eventJson, createdAt, history) end
return 1`,
  },

  /** claimDiscovery: takes the lease if free: {cursorJson or ''}, or nil when busy. */
  claimDiscovery: {
    keys: ['discovery'],
    args: ['now', 'leaseMs'],
    restates: [],
    lua: `local lease = tonumber(redis.call('HGET', discovery, 'leaseUntil') or '0') or 0
if lease > tonumber(now) then return false end
redis.call('HSET', discovery, 'leaseUntil', tostring(tonumber(now) + tonumber(leaseMs)))
return { redis.call('HGET', discovery, 'cursor') or '' }`,
  },

  ...INCIDENT_SCRIPTS,
  ...HISTORY_SCRIPTS,
} as const satisfies Record<string, Script>;

/** Every script, one registry: the store's, and each port group's table of its own (lifecycle-scripts.ts). */
export const SCRIPTS = { ...STORE_SCRIPTS, ...LIFECYCLE_SCRIPTS, ...QUIET_SCRIPTS };

export type ScriptName = keyof typeof SCRIPTS;
/** The KEYS of a script, by name. */
export type ScriptKeys<N extends ScriptName> = Record<(typeof SCRIPTS)[N]['keys'][number], string>;
/** The ARGV of a script, by name. */
export type ScriptArgs<N extends ScriptName> = Record<(typeof SCRIPTS)[N]['args'][number], string | number>;
/** The KEYS and ARGV after the named ones, of a script over a list ("More:" in its comment). */
export interface MoreKeysAndArgs {
  keys: string[];
  args: Array<string | number>;
}

const commandOf = (name: ScriptName): string => `cwpStore${name[0]!.toUpperCase()}${name.slice(1)}`;

/** The Lua Redis runs: the fragments it uses, its KEYS and ARGV as locals of their names, then its body. */
export function luaOf(script: Script): string {
  const lines = (script.uses ?? []).map((f) => FRAGMENTS[f]);
  const locals = (names: readonly string[], array: string) => `local ${names.join(', ')} = ${names.map((_, i) => `${array}[${i + 1}]`).join(', ')}`;
  if (script.keys.length > 0) lines.push(locals(script.keys, 'KEYS'));
  if (script.args.length > 0) lines.push(locals(script.args, 'ARGV'));
  lines.push(script.lua);
  return lines.join('\n');
}

/** Registers every script on the connection (ioredis runs it by EVALSHA, loading it when Redis lacks it). */
export function defineScripts(redis: Redis): void {
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) redis.defineCommand(commandOf(name), { lua: luaOf(SCRIPTS[name]) });
}

/** The positional form of a call: the command, then numkeys, the KEYS in the script's order, and the ARGV. */
function positional<N extends ScriptName>(name: N, keys: ScriptKeys<N>, args: ScriptArgs<N>, more: MoreKeysAndArgs): [string, Array<string | number>] {
  const script: Script = SCRIPTS[name];
  const named = keys as Record<string, string>;
  const values = args as Record<string, string | number>;
  const flatKeys = [...script.keys.map((k) => named[k]!), ...more.keys];
  return [commandOf(name), [flatKeys.length, ...flatKeys, ...script.args.map((a) => values[a]!), ...more.args]];
}

type Commands = Record<string, (...argv: Array<string | number>) => unknown>;

/** Runs a script; resolves to its answer. */
export function runScript<N extends ScriptName>(redis: Redis, name: N, keys: ScriptKeys<N>, args: ScriptArgs<N>, more: MoreKeysAndArgs = { keys: [], args: [] }): Promise<unknown> {
  const [command, argv] = positional(name, keys, args, more);
  return (redis as unknown as Commands)[command]!(...argv) as Promise<unknown>;
}

/** Queues a script on a pipeline or transaction; its answer comes with the others at exec(). */
export function queueScript<N extends ScriptName>(batch: ChainableCommander, name: N, keys: ScriptKeys<N>, args: ScriptArgs<N>, more: MoreKeysAndArgs = { keys: [], args: [] }): void {
  const [command, argv] = positional(name, keys, args, more);
  (batch as unknown as Commands)[command]!(...argv);
}
