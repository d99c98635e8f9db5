// LocalRateLimiter: strict-spacing GCRA per action, on a fake clock (deterministic), and one check on the real
// clock that an aborted wait leaves no timer behind.
import { LocalRateLimiter } from '../../lib/ratelimit/local';
import { openStorage } from '../../lib/runtime/storage';
import { maxInWindow } from '../../dev/emulator/ratelimit';

/** A manual clock: sleeps resolve only when advance() passes their time. */
class FakeClock {
  t = 0;
  private timers: Array<{ at: number; resolve: () => void; reject: (e: unknown) => void; signal: AbortSignal; onAbort: () => void }> = [];

  now = (): number => this.t;

  sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timer = {
        at: this.t + Math.max(0, ms), resolve, reject, signal,
        onAbort: () => {
          this.timers = this.timers.filter((x) => x !== timer);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', timer.onAbort, { once: true });
      this.timers.push(timer);
    });

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by ms, firing due sleeps in time order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.t = next.at;
      this.timers = this.timers.filter((x) => x !== next);
      next.signal.removeEventListener('abort', next.onAbort);
      next.resolve();
    }
    this.t = target;
    await settle();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Starts n acquires of `action` and records the fake time each is granted. */
function acquireMany(limiter: LocalRateLimiter, clock: FakeClock, n: number, action = 'DescribeProcessTaskStatus'): number[] {
  const granted: number[] = [];
  for (let i = 0; i < n; i++) void limiter.acquire(action).then(() => granted.push(clock.t));
  return granted;
}


describe('LocalRateLimiter', () => {
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock();
  });

  test('grants the first request at once and spaces the next ones 1000/rate ms apart', async () => {
    const limiter = new LocalRateLimiter(10, clock);
    const granted = acquireMany(limiter, clock, 5);
    await clock.advance(1_000);
    expect(granted).toEqual([0, 100, 200, 300, 400]);
  });

  test('never grants more than the rate in any 1000 ms window, however many wait', async () => {
    const limiter = new LocalRateLimiter(20, clock);
    const granted = acquireMany(limiter, clock, 100);
    await clock.advance(10_000);
    expect(granted).toHaveLength(100);
    expect(maxInWindow(granted)).toBe(20);
  });

  test('saves up no burst while idle: after a quiet minute requests are still spaced', async () => {
    const limiter = new LocalRateLimiter(4, clock);
    await limiter.acquire('a');
    await clock.advance(60_000);
    const granted = acquireMany(limiter, clock, 3, 'a');
    await clock.advance(1_000);
    expect(granted).toEqual([60_000, 60_250, 60_500]);
  });

  test('spaces each action on its own', async () => {
    const limiter = new LocalRateLimiter(2, clock);
    const a = acquireMany(limiter, clock, 2, 'DescribeProcessTaskStatus');
    const b = acquireMany(limiter, clock, 2, 'DescribeOpenPortTaskStatus');
    await clock.advance(1_000);
    expect(a).toEqual([0, 500]);
    expect(b).toEqual([0, 500]);
  });

  test('pause pushes the next grant of that action to now + ms, for requests already waiting too', async () => {
    const limiter = new LocalRateLimiter(10, clock);
    const granted = acquireMany(limiter, clock, 3);
    await clock.advance(50);
    await limiter.pause('DescribeProcessTaskStatus', 2_000);
    await clock.advance(5_000);
    expect(granted).toEqual([0, 2_050, 2_150]);
  });

  test('pause leaves other actions alone', async () => {
    const limiter = new LocalRateLimiter(10, clock);
    await limiter.pause('DescribeProcessTaskStatus', 2_000);
    const other = acquireMany(limiter, clock, 1, 'DescribeOpenPortTaskStatus');
    await clock.advance(0);
    expect(other).toEqual([0]);
  });

  test('an aborted wait rejects with the signal reason at once, the next waiter keeps its turn, and no sleep is left', async () => {
    const limiter = new LocalRateLimiter(1, clock);
    await limiter.acquire('a');
    const ctl = new AbortController();
    const aborted = limiter.acquire('a', ctl.signal);
    const after = acquireMany(limiter, clock, 1, 'a');
    await clock.advance(100);
    const reason = new Error('sweep deadline reached');
    ctl.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    await clock.advance(900);
    expect(after).toEqual([1_000]);
    expect(clock.pendingTimers).toBe(0);
  });

  test('an abort that empties the queue stops the pending sleep', async () => {
    const limiter = new LocalRateLimiter(1, clock);
    await limiter.acquire('a');
    const ctl = new AbortController();
    const p = limiter.acquire('a', ctl.signal);
    await clock.advance(10);
    expect(clock.pendingTimers).toBe(1);
    ctl.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    await settle();
    expect(clock.pendingTimers).toBe(0);
  });

  test('an already aborted signal rejects without taking a grant', async () => {
    const limiter = new LocalRateLimiter(1, clock);
    await expect(limiter.acquire('a', AbortSignal.abort(new Error('late')))).rejects.toThrow('late');
    const granted = acquireMany(limiter, clock, 1, 'a');
    await clock.advance(0);
    expect(granted).toEqual([0]);
  });

  test('close rejects the requests still waiting', async () => {
    const limiter = new LocalRateLimiter(1, clock);
    await limiter.acquire('a');
    const waiting = limiter.acquire('a');
    await limiter.close();
    await expect(waiting).rejects.toThrow(/closed/);
    expect(clock.pendingTimers).toBe(0);
  });

  test('on the real clock, an aborted wait rejects promptly and leaves no timer running', async () => {
    const limiter = new LocalRateLimiter(1);
    await limiter.acquire('a');
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const ctl = new AbortController();
    const started = Date.now();
    const p = limiter.acquire('a', ctl.signal);
    setTimeout(() => ctl.abort(new Error('deadline')), 20);
    await expect(p).rejects.toThrow('deadline');
    expect(Date.now() - started).toBeLessThan(200);
    await settle();
    expect(timers()).toBe(before);
  });
});

describe('the runtime storage (lib/runtime/storage.ts)', () => {
  test('gives an in-process limiter for a store that is not Redis', async () => {
    expect((await openStorage({ type: 'memory' })).rateLimiter(20)).toBeInstanceOf(LocalRateLimiter);
  });
});
