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
  for (const segment of state.historySegments) {
    const [name, bytes] = segment;
    let buf: Buffer;
    try {
      buf = await fsp.readFile(path.join(dir, HISTORY_DIR, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      buf = Buffer.alloc(0); // lost with a power loss: its events' lines only
    }
    const text = buf.subarray(0, Math.min(bytes, buf.length));
    let start = 0;
    for (let end = text.indexOf(10); end !== -1; start = end + 1, end = text.indexOf(10, start)) {
      const line = text.toString('utf8', start, end);
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
    // What follows the last whole line is torn (or never written): the next save writes over it.
    segment[1] = start;
  }
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
