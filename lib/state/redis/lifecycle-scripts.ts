// The Lua scripts of the lifecycle port group (lifecycle.ts): the store's identity and reset record, retention,
// discarding dead letters, and adopting what a store written before retention holds. A table of the same shape as
// scripts.ts's, which merges it into its one registry. Keys a script reaches by a prefix (a key id's record, a
// kind's zsets, a sink's letters) share the hash tag of the named keys, as claimIdle's records do.
import type { Script } from './scripts';

export const LIFECYCLE_SCRIPTS = {
  /** identity: the store's id, made on first use. {storeId, createdAt, 1 if made now}. */
  identity: {
    keys: ['store'],
    args: ['storeId', 'now'],
    restates: [],
    lua: `local f = redis.call('HMGET', store, 'storeId', 'createdAt')
if f[1] then return { f[1], f[2], 0 } end
redis.call('HSET', store, 'storeId', storeId, 'createdAt', now)
return { storeId, now, 1 }`,
  },

  /** recordReset: the first notice of a reset stands, a later one of the same reset fills in what it lacked ('' = unknown). */
  recordReset: {
    keys: ['reset'],
    args: ['at', 'storeId', 'previousStoreId', 'noticedBy', 'apiWatches', 'outbox', 'deadLetters'],
    restates: ['mergedReset'],
    lua: `if redis.call('HGET', reset, 'storeId') == storeId then
  for _, f in ipairs({ 'apiWatches', 'outbox', 'deadLetters' }) do
    local mine = ({ apiWatches = apiWatches, outbox = outbox, deadLetters = deadLetters })[f]
    if (redis.call('HGET', reset, f) or '') == '' and mine ~= '' then redis.call('HSET', reset, f, mine) end
  end
  return 0
end
redis.call('DEL', reset)
redis.call('HSET', reset, 'at', at, 'storeId', storeId, 'previousStoreId', previousStoreId, 'noticedBy', noticedBy, 'apiWatches', apiWatches, 'outbox', outbox, 'deadLetters', deadLetters)
return 1`,
  },

  /**
   * purgeUnwatched: forgets up to `limit` keys marked as left at or before leftBefore, earliest first: record,
   * snapshot, spare-budget place, pending read and mark (a key scheduled again only loses its mark). Returns how
   * many had a record or a snapshot. `prefix` is the store's key prefix with its colon.
   */
  purgeUnwatched: {
    keys: ['left', 'readsV'],
    args: ['leftBefore', 'limit', 'prefix'],
    restates: ['keysToForget'],
    lua: `local forgotten = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', left, '-inf', leftBefore, 'LIMIT', 0, tonumber(limit))) do
  local kind = string.match(id, '/([^/]+)$')
  local due = prefix .. 'due:' .. kind .. ':'
  if not (redis.call('ZSCORE', due .. 'hot', id) or redis.call('ZSCORE', due .. 'cold', id)) then
    if redis.call('DEL', prefix .. 'rec:' .. id, prefix .. 'snap:' .. id) > 0 then forgotten = forgotten + 1 end
    redis.call('ZREM', prefix .. 'idle:' .. kind, id)
    redis.call('ZREM', prefix .. 'reads:' .. kind, id)
    redis.call('HDEL', readsV, id)
  end
  redis.call('ZREM', left, id)
end
return forgotten`,
  },

  /**
   * forgetAgent: every key of an agent, scheduled or not, as purgeUnwatched forgets one. More: per key, ARGV its
   * id. Returns how many had a record or a snapshot.
   */
  forgetKeys: {
    keys: ['left', 'readsV'],
    args: ['prefix'],
    restates: [],
    lua: `local forgotten = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local kind = string.match(id, '/([^/]+)$')
  if redis.call('DEL', prefix .. 'rec:' .. id, prefix .. 'snap:' .. id) > 0 then forgotten = forgotten + 1 end
  for _, z in ipairs({ 'due:' .. kind .. ':hot', 'due:' .. kind .. ':cold', 'idle:' .. kind, 'reads:' .. kind }) do redis.call('ZREM', prefix .. z, id) end
  redis.call('HDEL', readsV, id)
  redis.call('ZREM', left, id)
end
return forgotten`,
  },

  /**
   * expireDeadLetters: up to `limit` letters, first those dead before deadBefore (oldest first), then each sink's
   * oldest beyond maxPerSink, sinks in id order. Returns how many.
   */
  expireDeadLetters: {
    keys: ['dead', 'letters', 'deadAt', 'sinks'],
    args: ['deadBefore', 'maxPerSink', 'limit', 'sinkPrefix'],
    restates: ['deadLettersToExpire'],
    uses: ['indexDeadLetter'],
    lua: `limit = tonumber(limit)
local n = 0
for _, member in ipairs(redis.call('ZRANGEBYSCORE', deadAt, '-inf', '(' .. deadBefore, 'LIMIT', 0, limit)) do
  if remove_dead_letter(dead, letters, deadAt, sinks, sinkPrefix, member) then n = n + 1 end
end
local sinkIds = redis.call('SMEMBERS', sinks)
table.sort(sinkIds)
for _, sinkId in ipairs(sinkIds) do
  local key = dead_sink_key(sinkPrefix, sinkId)
  local excess = math.min(redis.call('ZCARD', key) - tonumber(maxPerSink), limit - n)
  if excess > 0 then
    for _, member in ipairs(redis.call('ZRANGE', key, 0, excess - 1)) do
      if remove_dead_letter(dead, letters, deadAt, sinks, sinkPrefix, member) then n = n + 1 end
    end
  end
end
return n`,
  },

  /**
   * discardDeadLetters: mode 'all' (every letter), 'events' (More: ARGV the event ids) or 'sinks' (More: ARGV the
   * sink ids). Returns how many.
   */
  discardDeadLetters: {
    keys: ['dead', 'letters', 'deadAt', 'sinks'],
    args: ['mode', 'sinkPrefix'],
    restates: ['isDiscarded'],
    uses: ['indexDeadLetter'],
    lua: `local n = 0
if mode == 'all' then
  n = redis.call('ZCARD', dead)
  for _, sinkId in ipairs(redis.call('SMEMBERS', sinks)) do redis.call('DEL', dead_sink_key(sinkPrefix, sinkId)) end
  redis.call('DEL', dead, letters, deadAt, sinks)
  return n
end
local sinkIds = redis.call('SMEMBERS', sinks)
for i = 3, #ARGV do
  if mode == 'sinks' then
    for _, member in ipairs(redis.call('ZRANGE', dead_sink_key(sinkPrefix, ARGV[i]), 0, -1)) do
      if remove_dead_letter(dead, letters, deadAt, sinks, sinkPrefix, member) then n = n + 1 end
    end
  else
    for _, sinkId in ipairs(sinkIds) do
      if remove_dead_letter(dead, letters, deadAt, sinks, sinkPrefix, ARGV[i] .. '\\n' .. sinkId) then n = n + 1 end
    end
  end
end
return n`,
  },

  /**
   * A store written before retention, adopted when its identity is first made: each record of a key that is not
   * scheduled is marked as left now (More: ARGV the key ids of a page of records). Returns how many it marked.
   */
  adoptRecords: {
    keys: ['left'],
    args: ['now', 'prefix'],
    restates: ['leftAtAfterWrite'],
    lua: `local n = 0
for i = 3, #ARGV do
  local id = ARGV[i]
  local due = prefix .. 'due:' .. string.match(id, '/([^/]+)$') .. ':'
  if not (redis.call('ZSCORE', due .. 'hot', id) or redis.call('ZSCORE', due .. 'cold', id)) then
    n = n + redis.call('ZADD', left, 'NX', now, id)
  end
end
return n`,
  },

  /** The same for dead letters: each one without its indexes gets them (More: ARGV a page of dead-letter members). */
  adoptDeadLetters: {
    keys: ['dead', 'letters', 'deadAt', 'sinks'],
    args: ['sinkPrefix'],
    restates: [],
    uses: ['indexDeadLetter'],
    lua: `local n = 0
for i = 2, #ARGV do
  local member = ARGV[i]
  local seqNo = redis.call('ZSCORE', dead, member)
  local raw = redis.call('HGET', letters, member)
  if seqNo and raw and not redis.call('ZSCORE', deadAt, member) then
    index_dead_letter(deadAt, sinks, sinkPrefix, member, seqNo, tonumber(cjson.decode(raw).deadAt) or 0)
    n = n + 1
  end
end
return n`,
  },
} as const satisfies Record<string, Script>;
