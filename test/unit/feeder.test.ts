// The feeder's order (lib/sweep/feeder.ts) on a real memory store and a controlled clock: due keys first, then
// spare budget for the keys checked longest ago, paced to CWP_IDLE_RATE, with few in flight, never a parked key.
import { DueKeyFeeder, IDLE_MAX_IN_FLIGHT } from '../../lib/sweep/feeder';
import { MemoryStateStore } from '../../lib/state/local/memory';
import type { KeyRecord } from '../../lib/types';

const uuidOf = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const T0 = 1_000_000;

async function storeWith(n: number, checkedAt: (i: number) => number, nextDue = T0 + 600_000): Promise<MemoryStateStore> {
  const store = new MemoryStateStore();
  const keys = Array.from({ length: n }, (_, i) => ({ uuid: uuidOf(i + 1), kind: 'process' as const }));
  await store.syncSchedule(keys, 0);
  for (const [i, key] of keys.entries()) await store.recordCheck({ key, observedAt: checkedAt(i), nextDue });
  return store;
}

describe('the feeder', () => {
  test('a due key comes before any spare-budget key', async () => {
    const store = await storeWith(3, (i) => T0 - 100_000 + i);
    await store.recordCheck({ key: { uuid: uuidOf(3), kind: 'process' }, observedAt: T0 - 1, nextDue: T0 - 1 });
    const feeder = new DueKeyFeeder(store, () => T0, { ratePerSecond: 20 });
    expect((await feeder.next('process'))?.uuid).toBe(uuidOf(3));
    expect((await feeder.next('process'))?.uuid).toBe(uuidOf(1));
  });

  test('spare budget hands out the keys checked longest ago, then none while every key was checked within the gap', async () => {
    let now = T0;
    const store = await storeWith(2, (i) => T0 - 10_000 + i);
    const feeder = new DueKeyFeeder(store, () => now, { ratePerSecond: 1000 });
    const a = (await feeder.next('process'))!;
    now += 5;
    const b = (await feeder.next('process'))!;
    expect([a.uuid, b.uuid]).toEqual([uuidOf(1), uuidOf(2)]);
    for (const r of [a, b]) {
      await store.recordCheck({ key: r, observedAt: now, nextDue: now + 600_000 });
      feeder.done(r);
    }
    now += 300; // past the empty-refill pause, within the 1 s gap
    expect(await feeder.next('process')).toBeNull();
  });

  test('spare checks are paced to CWP_IDLE_RATE per kind', async () => {
    let now = T0;
    const store = await storeWith(10, (i) => T0 - 10_000 + i);
    const feeder = new DueKeyFeeder(store, () => now, { ratePerSecond: 2 });
    const first = (await feeder.next('process'))!;
    feeder.done(first);
    expect(await feeder.next('process')).toBeNull(); // the next is 500 ms away
    expect(feeder.idleReadyAt('process')).toBe(T0 + 500);
    now = T0 + 500;
    expect(await feeder.next('process')).not.toBeNull();
  });

  test(`at most ${IDLE_MAX_IN_FLIGHT} spare checks of a kind are in flight`, async () => {
    let now = T0;
    const store = await storeWith(20, (i) => T0 - 10_000 + i);
    const feeder = new DueKeyFeeder(store, () => now, { ratePerSecond: 1000 });
    const taken: KeyRecord[] = [];
    for (let i = 0; i < IDLE_MAX_IN_FLIGHT + 2; i++) {
      now += 2;
      const r = await feeder.next('process');
      if (r) taken.push(r);
    }
    expect(taken).toHaveLength(IDLE_MAX_IN_FLIGHT);
    feeder.done(taken[0]!);
    now += 2;
    expect(await feeder.next('process')).not.toBeNull();
  });

  test('no spare checks when off (CWP_IDLE_RATE=0), and never of a parked key', async () => {
    const store = await storeWith(2, (i) => T0 - 10_000 + i);
    expect(await new DueKeyFeeder(store, () => T0, { ratePerSecond: 0 }).next('process')).toBeNull();
    await store.recordCheck({ key: { uuid: uuidOf(1), kind: 'process' }, observedAt: T0 - 20_000, nextDue: T0 + 900_000, parked: true });
    const feeder = new DueKeyFeeder(store, () => T0, { ratePerSecond: 1000 });
    expect((await feeder.next('process'))?.uuid).toBe(uuidOf(2));
  });
});
