// The event of the account's asset scan on the cwp API (CWP_API=cwp): one scan runs for the account at a time
// (ScanAsset starts it, SyncAssetScan tells its state), and each change of its state is published once, subject
// `scan`. The id is stable for the change (the task and its state), so racing sweeps build the same one.
import { eventId } from './ids';
import type { ScanState } from '../types';
import type { ScanStatusChangedEvent } from './types';

export const SCAN_STATUS_CHANGED = 'com.tencentcloud.cwp.scan.status.changed';

/** The subject of every scan event: the account's one scan. */
export const SCAN_SUBJECT = 'scan';

export interface ScanChangeInput {
  /** The store's id (StorePort.identity). */
  storeId: string;
  source: string;
  taskId: number;
  state: ScanState;
  /** The state last published (of this task or the one before); null on the first observation. */
  previous: ScanState | null;
  startedAt: number | null;
  endedAt: number | null;
  observedAt: number;
  requestId: string;
}

export function scanChangeId(c: Pick<ScanChangeInput, 'storeId' | 'taskId' | 'previous' | 'state'>): string {
  return eventId(c.storeId, ['scan', c.taskId, c.previous, c.state]);
}

export function buildScanStatusChangedEvent(c: ScanChangeInput): ScanStatusChangedEvent {
  const time = new Date(c.observedAt).toISOString();
  return {
    specversion: '1.0',
    type: SCAN_STATUS_CHANGED,
    source: c.source,
    id: scanChangeId(c),
    subject: SCAN_SUBJECT,
    time,
    datacontenttype: 'application/json',
    data: {
      taskId: c.taskId,
      state: c.state,
      previous: c.previous,
      severity: 'info',
      startedAt: c.startedAt === null ? null : new Date(c.startedAt).toISOString(),
      endedAt: c.endedAt === null ? null : new Date(c.endedAt).toISOString(),
      observedAt: time,
      requestId: c.requestId,
    },
  };
}
