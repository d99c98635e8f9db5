// Test helpers for the event union: the status data of an event the test knows is a status change.
import type { BridgeEvent, StatusChangeData } from '../../lib/events/types';

export function statusData(e: BridgeEvent): StatusChangeData {
  if (e.type !== 'com.tencentcloud.cwp.task.status.changed') throw new Error(`expected a status-changed event, got ${e.type}`);
  return e.data;
}

/** The store id of the events tests build by hand (a store's own comes from StorePort.identity). */
export const TEST_STORE_ID = 'test-store';
