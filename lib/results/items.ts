// What a collection found on a host, normalised: the items the bridge keeps, compares and publishes, and the
// identity rule that decides whether two snapshots differ.
//
// Identity (what makes an item "the same" across collections):
// - a port is (port, processName): a restart of the listening process changes its pid, not the port's identity;
//   the same port taken over by another program is a change (the old one removed, the new one added).
// - a process is (processName, fullPath, username): pids and ppids change on every restart and are not part
//   of it; several instances of one program (8 nginx workers) are one identity, so a change in their number is
//   not reported, but a program that appears, disappears, runs from another path or as another user is.
// The order CWP lists items in never matters: snapshots are kept sorted by identity.
import type { TaskKind } from '../types';
import type { PortItem, ProcessItem } from '../events/types';

export type { PortItem, ProcessItem } from '../events/types';

export type ResultItem = PortItem | ProcessItem;

export function portIdentity(p: PortItem): string {
  return `${p.port}\u0000${p.processName}`;
}

export function processIdentity(p: ProcessItem): string {
  return `${p.processName}\u0000${p.fullPath}\u0000${p.username}`;
}

export function identityOf(kind: TaskKind, item: ResultItem): string {
  return kind === 'port' ? portIdentity(item as PortItem) : processIdentity(item as ProcessItem);
}

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const whole = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);

/** A port as the bridge keeps it, from CWP's OpenPort (extra fields dropped, text trimmed). */
export function portItem(raw: { Port?: unknown; Pid?: unknown; ProcessName?: unknown }): PortItem {
  return { port: whole(raw.Port), pid: whole(raw.Pid), processName: text(raw.ProcessName) };
}

/** Digits as a number (cwp sends Port, Pid and Ppid as strings); anything else 0. */
const wholeOfText = (v: unknown): number => (typeof v === 'string' && /^\d{1,10}$/.test(v) ? Number(v) : whole(v));

/** A port as the bridge keeps it, from cwp's AssetPortBaseInfo: numbers parsed, Proto and BindIp kept when given. */
export function cwpPortItem(raw: { Port?: unknown; Pid?: unknown; ProcessName?: unknown; Proto?: unknown; BindIp?: unknown }): PortItem {
  const proto = text(raw.Proto);
  const bindIp = text(raw.BindIp);
  return { port: wholeOfText(raw.Port), pid: wholeOfText(raw.Pid), processName: text(raw.ProcessName), ...(proto !== '' ? { proto } : {}), ...(bindIp !== '' ? { bindIp } : {}) };
}

/** A process as the bridge keeps it, from cwp's AssetProcessBaseInfo (Name, Path, User; numbers as strings). */
export function cwpProcessItem(raw: { Pid?: unknown; Ppid?: unknown; Name?: unknown; User?: unknown; Path?: unknown }): ProcessItem {
  return { pid: wholeOfText(raw.Pid), ppid: wholeOfText(raw.Ppid), processName: text(raw.Name), username: text(raw.User), fullPath: text(raw.Path) };
}

/** A process as the bridge keeps it, from CWP's Process. */
export function processItem(raw: { Pid?: unknown; Ppid?: unknown; ProcessName?: unknown; Username?: unknown; FullPath?: unknown }): ProcessItem {
  return { pid: whole(raw.Pid), ppid: whole(raw.Ppid), processName: text(raw.ProcessName), username: text(raw.Username), fullPath: text(raw.FullPath) };
}

/** Items sorted by identity (then pid, so equal snapshots compare equal item by item). */
export function sortItems<T extends ResultItem>(kind: TaskKind, items: T[]): T[] {
  return items
    .map((item) => ({ item, id: identityOf(kind, item) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.item.pid - b.item.pid))
    .map((x) => x.item);
}
