// The Lua of the incident port group (incidents.ts), a table of the same shape as scripts.ts, which merges it into
// its one registry: the fragment that checks and makes incident writes (recordChange and recordSnapshot use it
// too, so an incident changes in the same step as what caused it), and the scripts of the port's own steps. The
// claim of due incidents is scripts.ts's claimDue on the incidents' due zset.
//
// An incident write reaches Lua as one element of the JSON array ARGV `incidents` (RedisIncidentStore.incidentArgs):
// {key, subject, uuid, state, expectedRevision, revision, json, openedAt, resolvedAt, dueAt, eventId, eventJson,
// createdAt, silenced ('1': held back by a silence, the outbox entry's `silenced`)}, numbers as strings, '' for none. Its keys are built from `prefix` (`<p>:`), as claimIdle reads records
// under recPrefix: with Redis Cluster the prefix's hash tag keeps them in one slot.

export const INCIDENT_FRAGMENTS = {
  /**
   * rules.incidentWriteApplies over every write of a step (none is made unless all apply), and the writes: each
   * incident, its indexes (by state, all, by agent, open by subject, open of an agent, agents with open ones, due,
   * resolved) and its event appended to the outbox.
   */
  incidents: `local function incident_writes_apply(p, writes)
  for _, w in ipairs(writes) do
    local rev = tonumber(redis.call('HGET', p .. 'incident:' .. w.key, 'rev') or '0')
    if rev ~= tonumber(w.expectedRevision) then return false end
    if tonumber(w.expectedRevision) == 0 and redis.call('HEXISTS', p .. 'inc:open', w.subject) == 1 then return false end
  end
  return true
end
local function apply_incident_writes(p, writes, outbox, seq, history)
  for _, w in ipairs(writes) do
    local rec = p .. 'incident:' .. w.key
    local was = redis.call('HGET', rec, 'state')
    redis.call('HSET', rec, 'rev', w.revision, 'json', w.json, 'uuid', w.uuid, 'state', w.state)
    if was and was ~= w.state then redis.call('ZREM', p .. 'inc:state:' .. was, w.key) end
    redis.call('ZADD', p .. 'inc:state:' .. w.state, w.openedAt, w.key)
    redis.call('ZADD', p .. 'inc:all', w.openedAt, w.key)
    redis.call('ZADD', p .. 'inc:agent:' .. w.uuid, w.openedAt, w.key)
    local openOf = p .. 'inc:open:' .. w.uuid
    if w.state == 'resolved' then
      if redis.call('HGET', p .. 'inc:open', w.subject) == w.key then redis.call('HDEL', p .. 'inc:open', w.subject) end
      redis.call('SREM', openOf, w.key)
      redis.call('ZADD', p .. 'inc:resolved', w.resolvedAt, w.key)
    else
      redis.call('HSET', p .. 'inc:open', w.subject, w.key)
      redis.call('SADD', openOf, w.key)
    end
    if redis.call('SCARD', openOf) == 0 then redis.call('ZREM', p .. 'inc:agents', w.uuid) else redis.call('ZADD', p .. 'inc:agents', 0, w.uuid) end
    if w.dueAt == '' then redis.call('ZREM', p .. 'inc:due', w.key) else redis.call('ZADD', p .. 'inc:due', w.dueAt, w.key) end
    if w.eventId ~= '' and append_to_outbox(outbox, p .. 'outbox:' .. w.eventId, seq, w.eventId, w.eventJson, w.createdAt, history) and w.silenced == '1' then
      redis.call('HSET', p .. 'outbox:' .. w.eventId, 'silenced', '1')
    end
  end
end`,
};

export const INCIDENT_SCRIPTS = {
  /** applyIncidents: every write with its event, if each applies. 1 = applied. */
  applyIncidents: {
    keys: ['outbox', 'seq'],
    args: ['prefix', 'incidents', 'history'],
    restates: ['incidentWriteApplies', 'incidentDueAt'],
    uses: ['appendToOutbox', 'incidents'],
    lua: `local writes = cjson.decode(incidents)
if not incident_writes_apply(prefix, writes) then return 0 end
apply_incident_writes(prefix, writes, outbox, seq, history)
return 1`,
  },

  /** purgeResolvedIncidents: up to `limit` incidents resolved at or before `before`, earliest first, out of every index. */
  purgeIncidents: {
    keys: ['resolved', 'all', 'stateResolved', 'due'],
    args: ['prefix', 'before', 'limit'],
    restates: [],
    lua: `local keys = redis.call('ZRANGEBYSCORE', resolved, '-inf', before, 'LIMIT', 0, tonumber(limit))
for _, key in ipairs(keys) do
  local rec = prefix .. 'incident:' .. key
  local uuid = redis.call('HGET', rec, 'uuid')
  redis.call('DEL', rec)
  redis.call('ZREM', resolved, key)
  redis.call('ZREM', all, key)
  redis.call('ZREM', stateResolved, key)
  redis.call('ZREM', due, key)
  if uuid then redis.call('ZREM', prefix .. 'inc:agent:' .. uuid, key) end
end
return #keys`,
  },
} as const;
