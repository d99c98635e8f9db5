// The console sink: one JSON line per event on stdout. The local default when no other sink is configured, so
// `npm start` shows what a webhook or queue would receive.
import type { BridgeEvent } from '../events/types';
import type { SendResult, Sink } from './sink';

export type LineWriter = (line: string) => void;

export class ConsoleSink implements Sink {
  readonly id = 'console';
  readonly concurrency = 1;
  readonly #write: LineWriter;

  /** `write` receives the line without its newline; the default writes it and a newline to stdout. */
  constructor(write?: LineWriter) {
    this.#write = write ?? ((line) => void process.stdout.write(line + '\n'));
  }

  async send(event: BridgeEvent, _signal: AbortSignal): Promise<SendResult> {
    try {
      this.#write(JSON.stringify(event));
      return { ok: true };
    } catch (e) {
      // stdout closed (EPIPE) or a test writer that throws: try again later rather than lose the event.
      return { ok: false, retry: true, reason: `console: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
}
