// A host's latest result of one kind, as the store keeps it, and its compact form. The compact form is what a
// backend stores: a string table (process names, paths and users repeat a lot), items as tuples of numbers,
// brotli-compressed, base64 (a Redis string, a JSON field of the file store). A host with 40 ports and 400
// processes takes a few KB for both kinds (bench P6 measures it).
import type * as Zlib from 'node:zlib';
import type { TaskKind } from '../types';
import type { SnapshotDiff } from './diff';
import type { PortItem, ProcessItem, ResultItem } from './items';

export interface Snapshot {
  uuid: string;
  kind: TaskKind;
  /** When the read finished (epoch ms). */
  takenAt: number;
  /** The key's version whose COMPLETE this snapshot reads: a newer COMPLETE makes a new read due. */
  forVersion: number;
  /** Tencent's RequestId of the read's last page. */
  requestId: string;
  /** Sorted by identity (items.ts sortItems). */
  items: ResultItem[];
}

/** What the store keeps per (uuid, kind): the latest snapshot and what changed against the one before. */
export interface SnapshotRecord {
  latest: Snapshot;
  previousTakenAt: number | null;
  /** Null for the first snapshot of the host (the baseline). */
  lastDiff: SnapshotDiff | null;
}

const FORMAT = 1;

/** node:zlib, loaded on the first snapshot: most invocations of the api function never read one (cold start). */
let zlibModule: typeof Zlib | null = null;
function zlib(): typeof Zlib {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (zlibModule ??= require('node:zlib') as typeof Zlib);
}

type Tuple = number[];

function pack(kind: TaskKind, items: readonly ResultItem[], strings: Map<string, number>): Tuple[] {
  const s = (v: string) => {
    let i = strings.get(v);
    if (i === undefined) strings.set(v, (i = strings.size));
    return i;
  };
  return items.map((item) => {
    if (kind === 'port') {
      const p = item as PortItem;
      // cwp's protocol and bind address ride at the end, only when known: a yunjing port stays three numbers.
      return p.proto !== undefined || p.bindIp !== undefined ? [p.port, p.pid, s(p.processName), s(p.proto ?? ''), s(p.bindIp ?? '')] : [p.port, p.pid, s(p.processName)];
    }
    const p = item as ProcessItem;
    return [p.pid, p.ppid, s(p.processName), s(p.username), s(p.fullPath)];
  });
}

function unpack(kind: TaskKind, tuples: Tuple[], strings: string[]): ResultItem[] {
  const s = (i: number | undefined) => strings[i ?? -1] ?? '';
  const optional = (i: number | undefined) => (i === undefined || s(i) === '' ? {} : null);
  return tuples.map((t) =>
    kind === 'port'
      ? { port: t[0] ?? 0, pid: t[1] ?? 0, processName: s(t[2]), ...(optional(t[3]) ?? { proto: s(t[3]) }), ...(optional(t[4]) ?? { bindIp: s(t[4]) }) }
      : { pid: t[0] ?? 0, ppid: t[1] ?? 0, processName: s(t[2]), username: s(t[3]), fullPath: s(t[4]) },
  );
}

export function encodeSnapshotRecord(r: SnapshotRecord): string {
  const strings = new Map<string, number>();
  const { latest } = r;
  const doc = {
    f: FORMAT,
    u: latest.uuid,
    k: latest.kind,
    t: latest.takenAt,
    v: latest.forVersion,
    q: latest.requestId,
    i: pack(latest.kind, latest.items, strings),
    p: r.previousTakenAt,
    d: r.lastDiff && {
      a: pack(latest.kind, r.lastDiff.added, strings),
      r: pack(latest.kind, r.lastDiff.removed, strings),
      ac: r.lastDiff.addedCount,
      rc: r.lastDiff.removedCount,
      x: r.lastDiff.truncated,
    },
    s: [...strings.keys()],
  };
  const json = Buffer.from(JSON.stringify(doc), 'utf8');
  const z = zlib();
  return z.brotliCompressSync(json, { params: { [z.constants.BROTLI_PARAM_QUALITY]: 9, [z.constants.BROTLI_PARAM_SIZE_HINT]: json.length } }).toString('base64');
}

interface Doc {
  f: number; u: string; k: TaskKind; t: number; v: number; q: string; i: Tuple[]; p: number | null;
  d: { a: Tuple[]; r: Tuple[]; ac: number; rc: number; x: boolean } | null;
  s: string[];
}

export function decodeSnapshotRecord(encoded: string): SnapshotRecord {
  const doc = JSON.parse(zlib().brotliDecompressSync(Buffer.from(encoded, 'base64')).toString('utf8')) as Doc;
  if (doc.f !== FORMAT) throw new Error(`snapshot record: format ${String(doc.f)} is not ${FORMAT}`);
  return {
    latest: { uuid: doc.u, kind: doc.k, takenAt: doc.t, forVersion: doc.v, requestId: doc.q, items: unpack(doc.k, doc.i, doc.s) },
    previousTakenAt: doc.p,
    lastDiff: doc.d && { added: unpack(doc.k, doc.d.a, doc.s), removed: unpack(doc.k, doc.d.r, doc.s), addedCount: doc.d.ac, removedCount: doc.d.rc, truncated: doc.d.x },
  };
}
