// The events of what a collection found: `com.tencentcloud.cwp.ports.changed` and `….processes.changed`, one per
// agent and kind when a snapshot differs from the one before (lib/results). CloudEvents 1.0, structured JSON.
import { eventId } from './ids';
import { machineFields, type MachineLabel } from './status-changed';
import type { TaskKind } from '../types';
import type { PortItem, PortsChangedEvent, ProcessItem, ProcessesChangedEvent, Severity } from './types';

export const PORTS_CHANGED = 'com.tencentcloud.cwp.ports.changed';
export const PROCESSES_CHANGED = 'com.tencentcloud.cwp.processes.changed';

export interface ResultsChangeInput {
  /** The store's id (StorePort.identity). */
  storeId: string;
  source: string;
  uuid: string;
  kind: TaskKind;
  added: Array<PortItem | ProcessItem>;
  removed: Array<PortItem | ProcessItem>;
  addedCount: number;
  removedCount: number;
  total: number;
  truncated: boolean;
  takenAt: number;
  previousTakenAt: number;
  requestId: string;
  /** The key version whose COMPLETE the new snapshot reads: with the kind and uuid, the event's identity. */
  forVersion: number;
  /** The machine listing's name and IP of the agent (WATCH_DISCOVER), when known. */
  machine?: MachineLabel;
  /** A read of a host whose inventory changed without a new completion (cwp's account-wide look): see resultsChangeId. */
  again?: boolean;
}

/** A newly listening port is worth a look; everything else that changed is information. */
export function resultsSeverity(kind: TaskKind, addedCount: number): Severity {
  return kind === 'port' && addedCount > 0 ? 'warning' : 'info';
}

/**
 * Stable for one read of one completion in one store: a racing sweep that reads the same completion builds the same id.
 * A read without a new completion (cwp's look: one key version, several changes) also names the snapshot it was
 * compared with.
 */
export function resultsChangeId(storeId: string, uuid: string, kind: TaskKind, forVersion: number, againstTakenAt?: number): string {
  return eventId(storeId, againstTakenAt === undefined ? ['results', uuid, kind, forVersion] : ['results', uuid, kind, forVersion, againstTakenAt]);
}

export function buildResultsChangedEvent(r: ResultsChangeInput): PortsChangedEvent | ProcessesChangedEvent {
  const time = new Date(r.takenAt).toISOString();
  const common = {
    specversion: '1.0' as const,
    source: r.source,
    id: resultsChangeId(r.storeId, r.uuid, r.kind, r.forVersion, r.again ? r.previousTakenAt : undefined),
    subject: `${r.uuid}/${r.kind}`,
    time,
    datacontenttype: 'application/json' as const,
  };
  const data = {
    uuid: r.uuid,
    addedCount: r.addedCount,
    removedCount: r.removedCount,
    total: r.total,
    truncated: r.truncated,
    severity: resultsSeverity(r.kind, r.addedCount),
    takenAt: time,
    previousTakenAt: new Date(r.previousTakenAt).toISOString(),
    requestId: r.requestId,
    ...machineFields(r.machine),
  };
  if (r.kind === 'port') {
    return { ...common, type: PORTS_CHANGED, data: { ...data, kind: 'port', added: r.added as PortItem[], removed: r.removed as PortItem[] } };
  }
  return { ...common, type: PROCESSES_CHANGED, data: { ...data, kind: 'process', added: r.added as ProcessItem[], removed: r.removed as ProcessItem[] } };
}
