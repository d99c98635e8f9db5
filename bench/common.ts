// What the benchmarks share: the emulator with its real limits, the real runtime wiring, a recording sink,
// and small statistics helpers. Every benchmark prints one JSON line of figures.
import { randomUUID } from 'node:crypto';
import type { Emulator } from '../dev/emulator';
import { createRuntime, type Runtime } from '../lib/runtime';
import { createSinks } from '../lib/sinks';
import type { SendResult, Sink } from '../lib/sinks/sink';
import type { CloudEvent } from '../lib/types';

export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15';

export class RecordingSink implements Sink {
  readonly id = 'bench-recorder';
  readonly concurrency = 64;
  readonly events: CloudEvent[] = [];
  async send(event: CloudEvent): Promise<SendResult> {
    this.events.push(event);
    return { ok: true };
  }
}

/** The poll runtime exactly as the function builds it, pointed at the emulator. */
export function benchRuntime(emulator: Emulator, env: Record<string, string> = {}): Promise<Runtime> {
  return createRuntime('poll', {
    TENCENTCLOUD_SECRET_ID: emulator.credentials.secretId,
    TENCENTCLOUD_SECRET_KEY: emulator.credentials.secretKey,
    CWP_ENDPOINT: emulator.url,
    TDMQ_ENDPOINT: emulator.url,
    STATE_STORE: 'memory:',
    LOG_LEVEL: 'error',
    ...env,
  }, { write: () => undefined, makeSinks: createSinks });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export function requestId(): string {
  return randomUUID();
}

export function report(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ bench: name, ...figures }) + '\n');
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
