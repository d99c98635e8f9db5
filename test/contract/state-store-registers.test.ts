// The register port (lib/state/store.ts RegisterPort) on every store: a named value put by compare-and-set on its
// version together with its event, exactly once between racing writers, kept by retention and across a reopen.
// lib/sweep/scan.ts keeps the account's scan (cwp) in the `scan` register.
import { buildScanStatusChangedEvent } from '../../lib/events';
import type { BridgeEvent } from '../../lib/events/types';
import { FIXTURES, keyOf, type InspectableStore, type StoreFixture } from '../helpers/store-fixtures';
import { TEST_STORE_ID } from '../helpers/events';

const scanEvent = (taskId: number, state: 'SYNCING' | 'FINISHED'): BridgeEvent =>
  buildScanStatusChangedEvent({ storeId: TEST_STORE_ID, source: '/t', taskId, state, previous: null, startedAt: 1_000, endedAt: state === 'FINISHED' ? 2_000 : null, observedAt: 3_000, requestId: 'r' });

describe.each(FIXTURES)('RegisterPort: %s', (_name, makeFixture) => {
  let fixture: StoreFixture;
  let store: InspectableStore;

  beforeEach(async () => {
    fixture = makeFixture();
    store = await fixture.open();
  });
  afterEach(async () => {
    await fixture.cleanup();
  });

  test('a register never put is null; a put at version 0 stores the value at version 1 and appends its event', async () => {
    expect(await store.getRegister('scan')).toBeNull();
    const event = scanEvent(1, 'SYNCING');
    expect(await store.putRegister('scan', 0, '1 SYNCING', event)).toBe(true);
    expect(await store.getRegister('scan')).toEqual({ value: '1 SYNCING', version: 1 });
    expect((await store.listOutbox(10)).map((e) => e.event.id)).toEqual([event.id]);
  });

  test('a put on a version that is not the stored one writes nothing: neither the value nor the event', async () => {
    await store.putRegister('scan', 0, '1 SYNCING', scanEvent(1, 'SYNCING'));
    expect(await store.putRegister('scan', 0, '1 FINISHED', scanEvent(1, 'FINISHED'))).toBe(false);
    expect(await store.putRegister('scan', 2, '1 FINISHED', scanEvent(1, 'FINISHED'))).toBe(false);
    expect(await store.getRegister('scan')).toEqual({ value: '1 SYNCING', version: 1 });
    expect(await store.countOutbox()).toBe(1);
    expect(await store.putRegister('scan', 1, '1 FINISHED', scanEvent(1, 'FINISHED'))).toBe(true);
    expect(await store.getRegister('scan')).toEqual({ value: '1 FINISHED', version: 2 });
  });

  test('registers are apart from each other and from the records', async () => {
    await store.putRegister('scan', 0, 'a', scanEvent(1, 'SYNCING'));
    expect(await store.getRegister('other')).toBeNull();
    expect(await store.getRecord(keyOf(1))).toBeNull();
  });

  test('retention forgets no register, however old', async () => {
    await store.putRegister('scan', 0, '1 FINISHED', scanEvent(1, 'FINISHED'));
    await store.purgeUnwatched(Number.MAX_SAFE_INTEGER, 1_000);
    expect(await store.getRegister('scan')).toEqual({ value: '1 FINISHED', version: 1 });
  });

  // The memory store is one object for its life: only the stores that keep their state can be reopened.
  if (_name !== 'memory') {
    test('a store reopened sees the register', async () => {
      await store.putRegister('scan', 0, '1 FINISHED', scanEvent(1, 'FINISHED'));
      const again = await fixture.open();
      expect(await again.getRegister('scan')).toEqual({ value: '1 FINISHED', version: 1 });
    });
  }

  test('two writers racing on one version: exactly one put applies', async () => {
    const other = fixture.persistent ? await fixture.open() : store;
    const results = await Promise.all([store.putRegister('scan', 0, '1 SYNCING', scanEvent(1, 'SYNCING')), other.putRegister('scan', 0, '1 SYNCING', scanEvent(1, 'SYNCING'))]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.countOutbox()).toBe(1);
  });
});
