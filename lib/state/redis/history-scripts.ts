// The Lua of the event history and the counters (history.ts), a table of the same shape as scripts.ts, which
// merges it into its one registry. The history is written by the outbox append itself (scripts.ts's appendToOutbox
// fragment starts with HISTORY_LUA), so every script that appends an event keeps it in the history in the same
// step: it passes its ARGV `history`, `<retentionMs>|<max>|<p>:` (RedisHistoryStore.historyArg; '' for a replay,
// whose event is in the history already).
//
// Keys under `<p>:` (built from the prefix, as the incident scripts do: a hash tag in it keeps one slot):
//   hist                   zset (all scores 0)  place: every event, in the history's order (history.ts historyPlace,
//                          `<time>:<arrival>` zero-padded, so the lexical order is time then arrival and a cursor
//                          is exact); hist:t:<type>, hist:u:<uuid>, hist:ut:<uuid>:<type> the same per type, per
//                          agent, per both, so each search reads one index from the new end down
//   hist:ev                hash  place -> `<type>\t<uuid>\t<eventId>\t<event JSON>`
//   hist:id                hash  event id -> place (an event is kept once)
//   hist:seq, hist:newest  string the arrival counter; the newest event time seen (retention is measured from it)
//   counters               hash  counters.ts key -> value (CounterPort; events_published_total counted here too)
// Trimming takes the oldest places (ZRANGE by rank past HISTORY_MAX, ZRANGEBYLEX below the retention's cut) and
// removes each from every index it is in: the work is what the append pushes out, never a walk of the history.

/** The history's Lua, put before the outbox append that calls record_history. */
export const HISTORY_LUA = `local function iso_ms(s)
  if type(s) ~= 'string' then return 0 end
  local y, mo, d, h, mi, sec, frac = string.match(s, '^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)%.?(%d*)Z$')
  if not y then return 0 end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if mo <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((mo + 9) % 12) + 2) / 5) + d - 1
  local days = era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
  local ms = 0
  if frac ~= '' then ms = tonumber(string.sub(frac .. '00', 1, 3)) end
  return ((days * 24 + tonumber(h)) * 60 + tonumber(mi)) * 60000 + tonumber(sec) * 1000 + ms
end
local function drop_history(p, place)
  redis.call('ZREM', p .. 'hist', place)
  local v = redis.call('HGET', p .. 'hist:ev', place)
  if not v then return end
  local t1 = string.find(v, '\\t', 1, true)
  local t2 = string.find(v, '\\t', t1 + 1, true)
  local t3 = string.find(v, '\\t', t2 + 1, true)
  local etype, uuid, id = string.sub(v, 1, t1 - 1), string.sub(v, t1 + 1, t2 - 1), string.sub(v, t2 + 1, t3 - 1)
  redis.call('HDEL', p .. 'hist:ev', place)
  redis.call('HDEL', p .. 'hist:id', id)
  redis.call('ZREM', p .. 'hist:t:' .. etype, place)
  if uuid ~= '' then
    redis.call('ZREM', p .. 'hist:u:' .. uuid, place)
    redis.call('ZREM', p .. 'hist:ut:' .. uuid .. ':' .. etype, place)
  end
end
local function trim_history(p, max, before, limit)
  local all = p .. 'hist'
  local dropped = 0
  -- At most limit a call: a HISTORY_MAX lowered a lot is reached over the next appends and sweeps, not in one
  -- script that holds Redis while it drops 200,000 events.
  local over = math.min(redis.call('ZCARD', all) - max, limit)
  if over > 0 then
    for _, place in ipairs(redis.call('ZRANGE', all, 0, over - 1)) do drop_history(p, place) dropped = dropped + 1 end
  end
  if before > 0 and dropped < limit then
    local old = redis.call('ZRANGEBYLEX', all, '-', '(' .. string.format('%015.0f:', before), 'LIMIT', 0, limit - dropped)
    for _, place in ipairs(old) do drop_history(p, place) dropped = dropped + 1 end
  end
  return dropped
end
local function record_history(history, eventId, eventJson)
  if history == '' then return end
  local retention, max, p = string.match(history, '^(%d+)|(%d+)|(.*)$')
  local ev = cjson.decode(eventJson)
  redis.call('HINCRBY', p .. 'counters', 'cwp_bridge_events_published_total{type="' .. ev.type .. '"}', 1)
  if redis.call('HEXISTS', p .. 'hist:id', eventId) == 1 then return end
  local time = iso_ms(ev.time)
  local place = string.format('%015.0f:%015.0f', time, redis.call('INCR', p .. 'hist:seq'))
  local uuid = ''
  if type(ev.data) == 'table' and type(ev.data.uuid) == 'string' then uuid = ev.data.uuid end
  redis.call('HSET', p .. 'hist:id', eventId, place)
  redis.call('HSET', p .. 'hist:ev', place, ev.type .. '\\t' .. uuid .. '\\t' .. eventId .. '\\t' .. eventJson)
  redis.call('ZADD', p .. 'hist', 0, place)
  redis.call('ZADD', p .. 'hist:t:' .. ev.type, 0, place)
  if uuid ~= '' then
    redis.call('ZADD', p .. 'hist:u:' .. uuid, 0, place)
    redis.call('ZADD', p .. 'hist:ut:' .. uuid .. ':' .. ev.type, 0, place)
  end
  local newest = tonumber(redis.call('GET', p .. 'hist:newest') or '0')
  if time > newest then
    newest = time
    redis.call('SET', p .. 'hist:newest', string.format('%.0f', time))
  end
  trim_history(p, tonumber(max), newest - tonumber(retention), 1000) -- history-log.ts TRIM_PER_APPEND
end`;

export const HISTORY_SCRIPTS = {
  /** trimHistory: up to `limit` events older than `now` less the retention (and any past HISTORY_MAX); returns how many. */
  trimHistory: {
    keys: [],
    args: ['history', 'now', 'limit'],
    restates: [],
    uses: ['appendToOutbox'],
    lua: `local retention, max, p = string.match(history, '^(%d+)|(%d+)|(.*)$')
return trim_history(p, tonumber(max), tonumber(now) - tonumber(retention), tonumber(limit))`,
  },

  /** incrementCounters: HINCRBY of each counter. More: ARGV pairs of key and increment. */
  incrementCounters: {
    keys: ['counters'],
    args: [],
    restates: [],
    lua: `for i = 1, #ARGV, 2 do redis.call('HINCRBY', counters, ARGV[i], ARGV[i + 1]) end
return 1`,
  },
} as const;
