// Test doubles for the Tencent client: a rate limiter that records what it was asked, a scripted caller, and a
// client factory.
import { TencentClient, type TencentClientOptions } from '../../lib/tencent';
import type { RateLimiter } from '../../lib/ratelimit/limiter';
import type { CallOptions, TencentCaller, TencentResult } from '../../lib/tencent/types';

export const TEST_CREDENTIALS = { secretId: 'AKIDunitTestSecretId', secretKey: 'unit-test-secret-key-do-not-leak', token: null };
export const TEST_TOKEN = 'unit-test-session-token-do-not-leak';

export class RecordingLimiter implements RateLimiter {
  readonly acquired: { action: string; signal: AbortSignal | undefined }[] = [];
  readonly paused: { action: string; ms: number }[] = [];
  /** When set, acquire waits for this promise (e.g. one that never settles). */
  acquireWaits: Promise<void> | null = null;

  async acquire(action: string, signal?: AbortSignal): Promise<void> {
    this.acquired.push({ action, signal });
    if (this.acquireWaits) await this.acquireWaits;
  }

  async pause(action: string, ms: number): Promise<void> {
    this.paused.push({ action, ms });
  }

  async close(): Promise<void> {}
}

/** A client for a loopback server with fast, deterministic defaults: no jitter wait unless a test asks. */
export function testClient(origin: string, overrides: Partial<TencentClientOptions> = {}): TencentClient {
  return new TencentClient({
    endpoint: origin,
    service: 'yunjing',
    version: '2018-02-28',
    region: 'ap-guangzhou',
    credentials: TEST_CREDENTIALS,
    timeoutMs: 1_000,
    random: () => 0,
    ...overrides,
  });
}

/** Answers each call with the next scripted result (or throws the next error), and records what it was asked. */
export class ScriptedCaller implements TencentCaller {
  readonly calls: { action: string; payload: Record<string, unknown>; options: CallOptions | undefined }[] = [];
  constructor(private readonly answers: Array<TencentResult<unknown> | Error>) {}
  async call<T>(action: string, payload: Record<string, unknown>, options?: CallOptions): Promise<TencentResult<T>> {
    this.calls.push({ action, payload, options });
    const answer = this.answers.shift();
    if (!answer) throw new Error('no answer scripted');
    if (answer instanceof Error) throw answer;
    return answer as TencentResult<T>;
  }
}
