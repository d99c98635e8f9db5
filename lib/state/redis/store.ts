// The Redis StateStore (`redis://host:port/db`, `rediss://` for TLS): production, shared by every SCF instance.
// Each port method is one method: plain commands where one command (or a pipeline of reads) is atomic enough,
// else one Lua script of scripts.ts, run by name. Port groups sit in a chain of classes, one file each: the
// connection, the key layout and the failure behaviour (connection.ts), the delivery ports (delivery.ts: outbox,
// deliveries, dead letters), the lifecycle ports (lifecycle.ts: identity, retention), the incidents (incidents.ts), the history and
// counters (history.ts), then this
// file, the rest. A new port group is one more class in the chain.
import { TASK_KINDS, type DiscoveryCursor, type KeyRecord, type MachineInfo, type SweepSummary, type TaskKey, type TaskKind, type Watch } from '../../types';
import type { BridgeEvent, CloudEvent } from '../../events/types';
import type { IncidentWrite } from '../../alerts/types';
import { compareWatches, keyId, laneOf, parseKeyId, putWatchRecord, readPendingAfter } from '../rules';
import type { ChangeToRecord, CheckToRecord, DueFilter, KeyClaim, PendingRead, Register, StateStore, StoredSnapshot } from '../store';
import { DEFAULT_PREFIX, describeRedisUrl, newRedisClient, type RedisStateStoreOptions } from './connection';
import { RedisQuietStore } from './quiet';

export { DEFAULT_PREFIX, describeRedisUrl, type RedisStateStoreOptions } from './connection';

/** Pairs of a flat [member, value, ...] answer. */
function pairs(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

export class RedisStateStore extends RedisQuietStore implements StateStore {
  /** Connects (failing after connectTimeoutMs with a message naming the server) and returns the store. */
  static async open(url: string, options: RedisStateStoreOptions = {}): Promise<RedisStateStore> {
    const store = new RedisStateStore(newRedisClient(url, options), describeRedisUrl(url), options.prefix ?? DEFAULT_PREFIX);
    if (options.history) store.historyLimits = options.history;
    await store.connect(options.connectTimeoutMs ?? 1_500);
    return store;
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
      const ids = keys.map(keyId);
      return (await this.recordHashes(ids)).map((h, i) => (Object.keys(h).length === 0 ? null : this.toRecord(ids[i]!, h)));
    });
  }

  getRecordsForAgent(uuid: string): Promise<KeyRecord[]> {
    return this.run('getRecordsForAgent', async () => {
      const ids = TASK_KINDS.map((kind) => keyId({ uuid, kind }));
      const hashes = await this.recordHashes(ids);
      return ids.flatMap((id, i) => (Object.keys(hashes[i]!).length === 0 ? [] : [this.toRecord(id, hashes[i]!)]));
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
      // Unscheduled keys are marked as left now (RetentionPort forgets them FORGET_AFTER later).
      const removeChunk = async () => {
        const p = this.redis.pipeline();
        for (const z of [...all, ...idle]) p.zrem(z, ...chunk);
        p.zadd(this.k('left'), ...chunk.flatMap((id) => [now, id]));
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
      // Adds, one script call per chunk of one kind: per key its record (KEYS) and its uuid and id (ARGV).
      let added = 0;
      const pending = new Map<TaskKind, { keys: string[]; args: string[] }>();
      const flush = async (kind: TaskKind) => {
        const batch = pending.get(kind);
        if (!batch || batch.keys.length === 0) return;
        pending.delete(kind);
        added += Number(await this.script('addKeys', { ...this.lanesOf(kind), idle: this.idleKey(kind), left: this.k('left') }, { kind, now }, batch));
      };
      for (const key of keys) {
        const id = keyId(key);
        if (scheduled.has(id)) continue;
        scheduled.add(id); // a key listed twice is added once
        let batch = pending.get(key.kind);
        if (!batch) pending.set(key.kind, (batch = { keys: [], args: [] }));
        batch.keys.push(this.k('rec', id));
        batch.args.push(key.uuid, id);
        if (batch.keys.length >= CHUNK) await flush(key.kind);
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
      for (const flat of (await this.exec(read)) as string[][]) for (const [id, score] of pairs(flat)) due.push({ id, due: Number(score) });
      if (zsets.length > 1) due.sort((a, b) => a.due - b.due || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const picked = due.slice(0, limit);
      return this.recordsOf(picked.map((d) => d.id), picked.map((d) => d.due));
    });
  }

  claimDueKeys(now: number, limit: number, filter: Required<DueFilter>, leaseMs: number): Promise<KeyRecord[]> {
    return this.run('claimDueKeys', async () => {
      if (limit <= 0) return [];
      const taken = pairs((await this.script('claimDue', { due: this.dueKey(filter.kind, filter.lane) }, { now, limit, claimedUntil: now + leaseMs })) as string[]);
      return this.recordsOf(taken.map(([id]) => id), taken.map(([, due]) => Number(due)));
    });
  }

  releaseClaims(claims: KeyClaim[]): Promise<void> {
    return this.run('releaseClaims', async () => {
      if (claims.length === 0) return;
      // The key may have moved lanes since the claim (a change by another sweep): then its score differs anyway.
      const keys = claims.map((c) => this.dueKey(c.record.kind, laneOf(c.record.state)));
      const args = claims.flatMap((c) => [keyId(c.record), c.claimedUntil, c.record.nextDue]);
      await this.script('release', {}, {}, { keys, args });
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

  claimIdleKeys(now: number, limit: number, kind: TaskKind, checkedBefore: number): Promise<KeyRecord[]> {
    return this.run('claimIdleKeys', async () => {
      if (limit <= 0) return [];
      const ids = (await this.script('claimIdle', { idle: this.idleKey(kind), ...this.lanesOf(kind) }, { now, limit, checkedBefore, recPrefix: `${this.k('rec')}:` })) as string[];
      return this.recordsOf(ids);
    });
  }

  recordCheck(check: CheckToRecord): Promise<void> {
    return this.run('recordCheck', async () => {
      const { key } = check;
      const id = keyId(key);
      await this.script('check', { rec: this.k('rec', id), ...this.lanesOf(key.kind), idle: this.idleKey(key.kind), left: this.k('left') }, {
        uuid: key.uuid, kind: key.kind, observedAt: check.observedAt, nextDue: check.nextDue, id, parked: check.parked ? '1' : '0',
      });
    });
  }

  recordChange(change: ChangeToRecord): Promise<boolean> {
    return this.run('recordChange', async () => {
      const { key, event } = change;
      const id = keyId(key);
      const r = await this.script('change', {
        rec: this.k('rec', id), ...this.lanesOf(key.kind), idle: this.idleKey(key.kind),
        outbox: this.k('outbox'), entry: this.k('outbox', event.id), seq: this.k('seq'), reads: this.k('reads', key.kind), readsV: this.k('reads', 'v'), left: this.k('left'),
      }, {
        expectedVersion: change.expectedVersion, uuid: key.uuid, kind: key.kind, state: change.state, requestId: change.requestId,
        observedAt: change.observedAt, nextDue: change.nextDue, id, eventId: event.id, eventJson: JSON.stringify(event),
        readPending: readPendingAfter(change.state) ? '1' : '0', parked: change.parked ? '1' : '0', prefix: this.keyPrefix, incidents: this.incidentArgs(change.incidents), history: this.historyArg,
      });
      return Number(r) === 1;
    });
  }

  // --- registers ---

  getRegister(name: string): Promise<Register | null> {
    return this.run('getRegister', async () => {
      const h = await this.redis.hgetall(this.k('register', name));
      return h.version === undefined ? null : { value: h.value ?? '', version: Number(h.version) };
    });
  }

  putRegister(name: string, expectedVersion: number, value: string, event: BridgeEvent): Promise<boolean> {
    return this.run('putRegister', async () => {
      const r = await this.script('putRegister', { register: this.k('register', name), outbox: this.k('outbox'), entry: this.k('outbox', event.id), seq: this.k('seq') }, {
        expectedVersion, value, eventId: event.id, eventJson: JSON.stringify(event), at: Date.now(), history: this.historyArg,
      });
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

  // --- result reads and snapshots ---

  claimPendingReads(now: number, limit: number, leaseMs: number, kind?: TaskKind): Promise<PendingRead[]> {
    return this.run('claimPendingReads', async () => {
      const out: PendingRead[] = [];
      for (const k of kind === undefined ? TASK_KINDS : [kind]) {
        if (out.length >= limit) break;
        const flat = (await this.script('claimReads', { reads: this.k('reads', k), readsV: this.k('reads', 'v') }, { now, limit: limit - out.length, claimedUntil: now + leaseMs })) as string[];
        for (const [id, forVersion] of pairs(flat)) out.push({ key: parseKeyId(id), forVersion: Number(forVersion) });
      }
      return out;
    });
  }

  releasePendingRead(read: PendingRead, retryAt: number): Promise<void> {
    return this.run('releasePendingRead', async () => {
      await this.script('releaseRead', { reads: this.k('reads', read.key.kind), readsV: this.k('reads', 'v') }, { id: keyId(read.key), forVersion: read.forVersion, retryAt });
    });
  }

  getSnapshot(key: TaskKey): Promise<StoredSnapshot | null> {
    return this.run('getSnapshot', async () => {
      const [enc, takenAt] = await this.redis.hmget(this.k('snap', keyId(key)), 'enc', 'takenAt');
      return enc && takenAt ? { encoded: enc, takenAt: Number(takenAt) } : null;
    });
  }

  recordSnapshot(key: TaskKey, expectedTakenAt: number | null, snapshot: StoredSnapshot, forVersion: number, event: CloudEvent | null, incidents?: IncidentWrite[]): Promise<boolean> {
    return this.run('recordSnapshot', async () => {
      const id = keyId(key);
      const r = await this.script('recordSnapshot', {
        snap: this.k('snap', id), reads: this.k('reads', key.kind), readsV: this.k('reads', 'v'), outbox: this.k('outbox'), entry: this.k('outbox', event?.id ?? '-'), seq: this.k('seq'),
        ...this.lanesOf(key.kind), left: this.k('left'),
      }, {
        expectedTakenAt: expectedTakenAt === null ? '' : String(expectedTakenAt), enc: snapshot.encoded, takenAt: String(snapshot.takenAt), id, forVersion,
        eventId: event?.id ?? '', eventJson: event ? JSON.stringify(event) : '', prefix: this.keyPrefix, incidents: this.incidentArgs(incidents), history: this.historyArg,
      });
      return Number(r) === 1;
    });
  }

  // --- the fleet (discovery) ---

  claimDiscovery(now: number, leaseMs: number): Promise<{ cursor: DiscoveryCursor | null } | 'busy'> {
    return this.run('claimDiscovery', async () => {
      const r = (await this.script('claimDiscovery', { discovery: this.k('discovery') }, { now, leaseMs })) as [string] | null;
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

  listMachines(): Promise<MachineInfo[]> {
    return this.run('listMachines', async () => {
      const [all, first] = await Promise.all([this.redis.hgetall(this.k('machines')), this.redis.hgetall(this.k('machines', 'first'))]);
      return Object.entries(all).map(([uuid, json]) => this.toMachine(json, first[uuid])).sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
    });
  }

  getMachine(uuid: string): Promise<MachineInfo | null> {
    return this.run('getMachine', async () => {
      const [json, first] = await Promise.all([this.redis.hget(this.k('machines'), uuid), this.redis.hget(this.k('machines', 'first'), uuid)]);
      return json ? this.toMachine(json, first) : null;
    });
  }

  forgetMachine(uuid: string, lastListing: number, event: CloudEvent | null): Promise<boolean> {
    return this.run('forgetMachine', async () => {
      const r = await this.script('forgetMachine', {
        machines: this.k('machines'), first: this.k('machines', 'first'), outbox: this.k('outbox'), entry: this.k('outbox', event?.id ?? '-'), seq: this.k('seq'),
      }, { uuid, lastListing, eventId: event?.id ?? '', eventJson: event ? JSON.stringify(event) : '', createdAt: event ? Date.parse(event.time) : 0, history: this.historyArg });
      return Number(r) === 1;
    });
  }

  // --- health ---

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
}
