// The Redis store's delivery ports (OutboxPort, DeadLetterPort): the outbox, each (event, sink) delivery, and the
// dead letters. A link in the chain connection.ts -> delivery.ts -> store.ts (RedisStateStore).
import type { ChainableCommander } from 'ioredis';
import type { DeadLetter, Delivery, OutboxEntry } from '../../types';
import { deadLetterId, type DeadLetterFilter } from '../rules';
import type { DeadLetterPort, OutboxPort } from '../store';
import { RedisConnection } from './connection';

export abstract class RedisDeliveryStore extends RedisConnection implements OutboxPort, DeadLetterPort {
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
          ...(h.silenced === '1' ? { silenced: true } : {}),
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
      await this.script('updateDelivery', { entry: this.k('outbox', eventId) }, { sinkId, deliveryJson: JSON.stringify(delivery) });
    });
  }

  claimDelivery(eventId: string, sinkId: string, now: number, leaseMs: number): Promise<boolean> {
    return this.run('claimDelivery', async () => Number(await this.script('claimDelivery', { entry: this.k('outbox', eventId) }, { sinkId, now, leaseMs })) === 1);
  }

  removeFromOutbox(eventId: string): Promise<void> {
    return this.run('removeFromOutbox', async () => {
      await this.exec(this.redis.multi().zrem(this.k('outbox'), eventId).del(this.k('outbox', eventId)));
    });
  }

  addDeadLetter(letter: DeadLetter): Promise<void> {
    return this.run('addDeadLetter', async () => {
      await this.script('addDeadLetter', { ...this.deadLetterKeys(), seq: this.k('seq') }, {
        member: deadLetterId(letter.event.id, letter.sinkId), letterJson: JSON.stringify(letter), deadAtMs: letter.deadAt, sinkPrefix: this.deadSinkPrefix(),
      });
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
      const p: ChainableCommander = this.redis.pipeline();
      let queued = 0;
      members.forEach((member, i) => {
        const v = values[i];
        if (!v) return;
        const { event, sinkId } = JSON.parse(v) as DeadLetter;
        this.queueScript(p, 'replay', {
          ...this.deadLetterKeys(), outbox: this.k('outbox'), entry: this.k('outbox', event.id), seq: this.k('seq'),
        }, { member, sinkId, eventJson: JSON.stringify(event), now, eventId: event.id, sinkPrefix: this.deadSinkPrefix() });
        queued++;
      });
      if (queued === 0) return 0;
      return ((await this.exec(p)) as number[]).reduce((a, b) => a + Number(b), 0);
    });
  }

  discardDeadLetters(filter: DeadLetterFilter): Promise<number> {
    return this.run('discardDeadLetters', async () => {
      const [mode, args] = filter === null ? ['all', []] : 'eventIds' in filter ? ['events', [...filter.eventIds]] : ['sinks', [...filter.sinkIds]];
      if (mode !== 'all' && args.length === 0) return 0;
      return Number(await this.script('discardDeadLetters', this.deadLetterKeys(), { mode, sinkPrefix: this.deadSinkPrefix() }, { keys: [], args }));
    });
  }

  deadLetterSinks(): Promise<string[]> {
    return this.run('deadLetterSinks', async () => (await this.redis.smembers(this.k('dead', 'sinks'))).sort());
  }
}
