// The file store's event history on disk. state.json is rewritten whole on every change, so the history (up to
// HISTORY_MAX events) cannot live in it: it is appended to segment files, <dir>/history/<first seq>.jsonl, one
// line per event, and state.json holds only where they end (HistoryDocument: each segment's committed length).
// A save appends the new lines before state.json is renamed into place, so the rename commits both at once: lines
// past a segment's committed length (a save that failed) are ignored at load and overwritten by the next save. The
// segments are not fsynced (one more fsync per save, for a record that is not the delivery's): after a power loss
// the last lines may be missing or torn, and a load keeps what it can read. The outbox, in state.json, is fsynced as before: no event is lost, only
// its line in the history. A segment none of whose events is kept any more is deleted after the save that drops it; the trim
// itself is in memory (history-log.ts), recorded as the watermark, so a load skips what was trimmed.
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { historyPlace } from '../history';
import type { HistoryEntry } from './history-log';
import type { HistoryDocument, LocalState } from './state';

export const HISTORY_DIR = 'history';
/** Events per segment: small enough that a dropped segment frees memory soon, large enough to be few files. */
export const SEGMENT_EVENTS = 5_000;

const lineOf = (e: HistoryEntry): string => `${e.seq}\t${e.time}\t${e.type}\t${e.uuid ?? ''}\t${e.id}\t${e.json}\n`;
const segmentName = (seq: number): string => `${String(seq).padStart(15, '0')}.jsonl`;

/** Loads the history a document names into `state` (its segments up to their committed lengths). */
export async function loadHistory(dir: string, doc: HistoryDocument | undefined, state: LocalState): Promise<void> {
  const h = state.history;
  if (!doc) return;
  h.seq = doc.seq;
  h.watermark = doc.watermark;
  state.historySegments = doc.segments.map(([name, bytes, count]) => [name, bytes, count]);
  for (const segment of state.historySegments) await readSegment(dir, segment, 0, state);
}

/**
 * Brings the history `previous` held (what this process last loaded or saved) up to a newer document another
 * process saved, reading only what it appended, and answers true; false when the document does not continue it
 * (a segment shorter than read, or events dropped that the watermark does not cover): then load it whole.
 */
export async function continueHistory(dir: string, previous: LocalState, doc: HistoryDocument | undefined, state: LocalState): Promise<boolean> {
  if (!doc) return previous.history.size === 0 && previous.historySegments.length === 0;
  const read = new Map(previous.historySegments.map(([name, bytes]) => [name, bytes]));
  const kept = new Set(doc.segments.map(([name]) => name));
  for (const [name, bytes] of doc.segments) if ((read.get(name) ?? 0) > bytes) return false;
  const h = previous.history;
  h.trimTo(doc.watermark);
  for (const name of read.keys()) if (!kept.has(name) && (h.liveBySegment.get(name) ?? 0) > 0) return false;
  for (const name of [...h.liveBySegment.keys()]) if (!kept.has(name)) h.liveBySegment.delete(name);
  state.history = h;
  h.seq = doc.seq;
  h.unsaved = [];
  state.historySegments = doc.segments.map(([name, bytes, count]) => [name, bytes, count]);
  for (const segment of state.historySegments) await readSegment(dir, segment, read.get(segment[0]) ?? 0, state);
  return true;
}

/**
 * Restores the whole lines of a segment from byte `from` to its committed length; what follows the last whole line
 * (torn by a power loss, or never written) is left to the next save to write over: the segment's length becomes it.
 */
async function readSegment(dir: string, segment: [string, number, number], from: number, state: LocalState): Promise<void> {
  const [name, bytes] = segment;
  if (bytes <= from) return;
  let buf: Buffer;
  try {
    const fh = await fsp.open(path.join(dir, HISTORY_DIR, name), 'r');
    try {
      buf = Buffer.alloc(bytes - from);
      const { bytesRead } = await fh.read(buf, 0, buf.length, from);
      buf = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    buf = Buffer.alloc(0); // lost with a power loss: its events' lines only
  }
  const h = state.history;
  let start = 0;
  for (let end = buf.indexOf(10); end !== -1; start = end + 1, end = buf.indexOf(10, start)) {
    const line = buf.toString('utf8', start, end);
    const f: string[] = [];
    let at = 0;
    for (let i = 0; i < 5 && at !== -1; i++) {
      const tab = line.indexOf('\t', at);
      f.push(tab === -1 ? '' : line.slice(at, tab));
      at = tab === -1 ? -1 : tab + 1;
    }
    const seq = Number(f[0]);
    const time = Number(f[1]);
    // A line a power loss tore (the segments are not fsynced): skipped.
    if (at === -1 || !Number.isSafeInteger(seq) || !Number.isFinite(time) || line.charCodeAt(at) !== 123 || line.charCodeAt(line.length - 1) !== 125) continue;
    h.restore({ place: historyPlace(time, seq), time, seq, type: f[2]!, uuid: f[3] === '' ? null : f[3]!, id: f[4]!, json: line.slice(at), segment: name });
  }
  segment[1] = from + start;
}

/**
 * Writes the events appended since the last save to the segments (fsynced), and answers the document to save
 * with state.json and the segments that document no longer names (delete them once it is saved).
 */
export async function writeHistory(dir: string, state: LocalState): Promise<{ doc: HistoryDocument; obsolete: string[] }> {
  const h = state.history;
  const obsolete: string[] = [];
  const segments: Array<[string, number, number]> = [];
  for (const seg of state.historySegments) {
    if ((h.liveBySegment.get(seg[0]) ?? 0) > 0) segments.push([seg[0], seg[1], seg[2]]);
    else obsolete.push(seg[0]);
  }
  const fresh = h.unsaved.filter((e) => !e.trimmed);
  if (fresh.length > 0) await fsp.mkdir(path.join(dir, HISTORY_DIR), { recursive: true });
  for (let i = 0; i < fresh.length;) {
    let current = segments[segments.length - 1];
    if (!current || current[2] >= SEGMENT_EVENTS) segments.push((current = [segmentName(fresh[i]!.seq), 0, 0]));
    const take = fresh.slice(i, i + SEGMENT_EVENTS - current[2]);
    const buf = Buffer.from(take.map(lineOf).join(''), 'utf8');
    const fh = await fsp.open(path.join(dir, HISTORY_DIR, current[0]), constants.O_RDWR | constants.O_CREAT, 0o600);
    try {
      // At the committed length: whatever a failed save left past it is overwritten, then cut off.
      await fh.write(buf, 0, buf.length, current[1]);
      await fh.truncate(current[1] + buf.length);
    } finally {
      await fh.close();
    }
    for (const e of take) h.written(e, current[0]);
    current[1] += buf.length;
    current[2] += take.length;
    i += take.length;
  }
  return { doc: { seq: h.seq, watermark: h.watermark, segments }, obsolete };
}

/** After the save that committed `doc`: the state is now that document, and the obsolete segments go. */
export async function historySaved(dir: string, state: LocalState, saved: { doc: HistoryDocument; obsolete: string[] }): Promise<void> {
  state.historySegments = saved.doc.segments;
  state.history.unsaved = [];
  for (const name of saved.obsolete) {
    state.history.liveBySegment.delete(name);
    await fsp.unlink(path.join(dir, HISTORY_DIR, name)).catch(() => undefined);
  }
}
