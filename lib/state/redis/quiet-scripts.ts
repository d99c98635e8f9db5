// The Lua of the quiet-rule port group (quiet.ts), a table of the same shape as scripts.ts, which merges it into
// its one registry.

export const QUIET_SCRIPTS = {
  /**
   * addQuietHits: for each hit of a rule still stored, its count added and its last hit the later one. `hits` is a
   * JSON array of {kind, id, count, at}; `prefix` the store's key prefix with its colon.
   */
  addQuietHits: {
    keys: ['counts', 'last'],
    args: ['prefix', 'hits'],
    restates: [],
    lua: `for _, h in ipairs(cjson.decode(hits)) do
  if redis.call('HEXISTS', prefix .. 'quiet:' .. h.kind, h.id) == 1 then
    local field = h.kind .. '/' .. h.id
    redis.call('HINCRBY', counts, field, h.count)
    local was = tonumber(redis.call('HGET', last, field) or '0')
    if tonumber(h.at) > was then redis.call('HSET', last, field, h.at) end
  end
end
return 1`,
  },
  /**
   * noticeSilenceEnded: marks a stored silence's end as noticed (1 for the call that marked it, else 0) and, in the
   * same step, appends the notice (`eventId` '' for none) to the outbox: a notice is not a published event, so it is
   * not recorded in the history nor counted (history '').
   */
  noticeSilenceEnded: {
    keys: ['silences', 'noticed', 'outbox', 'entry', 'seq'],
    args: ['id', 'eventId', 'eventJson', 'at'],
    restates: [],
    uses: ['appendToOutbox'],
    lua: `if redis.call('HEXISTS', silences, id) == 0 then return 0 end
if redis.call('SADD', noticed, id) == 0 then return 0 end
if eventId ~= '' then append_to_outbox(outbox, entry, seq, eventId, eventJson, at, '') end
return 1`,
  },
} as const;
