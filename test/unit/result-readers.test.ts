// The sweep's result readers (lib/sweep/results.ts) on a memory store and a scripted CWP: past the poll
// deadline they start nothing, and a read cut short by the deadline is due again at once, not counted as failed.
import { createLogger } from '../../lib/log';
import { TencentError, TRANSPORT_CODES } from '../../lib/errors';
import { MemoryStateStore } from '../../lib/state/local/memory';
import { readCompletion, readPendingResults, type ResultsContext } from '../../lib/sweep/results';
import { buildStatusChangedEvent } from '../../lib/events';
import { TEST_STORE_ID } from '../helpers/events';

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const T = 1_000_000;

async function storeWithPendingRead(): Promise<MemoryStateStore> {
  const store = new MemoryStateStore();
  const key = { uuid: UUID, kind: 'port' as const };
  await store.recordChange({ key, expectedVersion: 0, state: 'COMPLETE', requestId: 'r', observedAt: T, nextDue: T, event: buildStatusChangedEvent({ storeId: TEST_STORE_ID, source: 's', ...key, previous: null, state: 'COMPLETE', version: 1, observedAt: T, requestId: 'r' }) });
  return store;
}

function context(store: MemoryStateStore, now: number, pollUntil: number, readResults: ResultsContext['cwp']['readResults']): ResultsContext {
  return {
    storeId: TEST_STORE_ID, store, cwp: { readResults }, eventSource: 's', log: createLogger({ write: () => undefined }), now: () => now,
    signal: new AbortController().signal, pollUntil, keepPolling: false, counts: { read: 0, diffs: 0, failed: 0 }, onChange: () => undefined,
  };
}

test('past the poll deadline, readers claim nothing (the reads stay pending for the next run)', async () => {
  const store = await storeWithPendingRead();
  const calls: number[] = [];
  const ctx = context(store, T + 10, T + 5, async () => {
    calls.push(1);
    throw new Error('not reached');
  });
  await readPendingResults(ctx);
  expect(calls).toEqual([]);
  expect(await store.claimPendingReads(T + 10, 10, 1_000)).toHaveLength(1);
});

test('a read refused because the deadline passed is due again at once and not counted as failed', async () => {
  const store = await storeWithPendingRead();
  const ctx = context(store, T + 10, T + 10, async () => {
    throw new TencentError({ code: TRANSPORT_CODES.timeout, message: "the operation's deadline passed", action: 'DescribeOpenPorts' });
  });
  const [read] = await store.claimPendingReads(T + 10, 1, 60_000);
  await readCompletion(ctx, read!);
  expect(ctx.counts.failed).toBe(0);
  expect(await store.claimPendingReads(T + 10, 10, 1_000)).toHaveLength(1);
});

test('any other failure counts, stores nothing, and comes back in 30 s', async () => {
  const store = await storeWithPendingRead();
  const ctx = context(store, T + 10, T + 60_000, async () => {
    throw new TencentError({ code: 'InternalError', message: 'boom', action: 'DescribeOpenPorts' });
  });
  const [read] = await store.claimPendingReads(T + 10, 1, 60_000);
  await readCompletion(ctx, read!);
  expect(ctx.counts.failed).toBe(1);
  expect(await store.getSnapshot({ uuid: UUID, kind: 'port' })).toBeNull();
  expect(await store.claimPendingReads(T + 20_000, 10, 1_000)).toHaveLength(0);
  expect(await store.claimPendingReads(T + 30_010, 10, 1_000)).toHaveLength(1);
});
