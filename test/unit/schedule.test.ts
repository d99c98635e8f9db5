import { loadConfig } from '../../lib/config';
import { intervalSeconds, nextDueAt } from '../../lib/sweep/schedule';
import { sweepWindow } from '../../lib/sweep/window';

const config = loadConfig({ TENCENTCLOUD_SECRET_ID: 'AKID', TENCENTCLOUD_SECRET_KEY: 'k' });
const { intervals } = config.sweep;

describe('schedule by state', () => {
  test('an active collection is due again in seconds, offline in a minute, terminal states in minutes', () => {
    expect(intervalSeconds('COLLECTING', intervals)).toBe(3);
    expect(intervalSeconds('AGENT_OFFLINE', intervals)).toBe(60);
    for (const s of ['COMPLETE', 'FAILED', 'NO_TASK'] as const) expect(intervalSeconds(s, intervals)).toBe(600);
    expect(intervalSeconds('UNKNOWN_AGENT', intervals)).toBe(1800);
  });

  test('the COLLECTING interval is exact; long intervals spread by at most 10%', () => {
    expect(nextDueAt('COLLECTING', 1000, intervals, () => 0.99)).toBe(4000);
    expect(nextDueAt('COMPLETE', 0, intervals, () => 0)).toBe(600_000);
    expect(nextDueAt('COMPLETE', 0, intervals, () => 0.999)).toBeLessThan(660_000);
  });
});

describe('sweep window', () => {
  test('uses the remaining time less the margin, keeping up to 2 s for the final publish', () => {
    const w = sweepWindow(config.sweep, { getRemainingTimeInMillis: () => 63_000 }, 'r', 0);
    expect(w.publishUntil).toBe(60_000);
    expect(w.pollUntil).toBe(58_000);
  });

  test('SWEEP_BUDGET_MS caps the window', () => {
    const w = sweepWindow({ ...config.sweep, budgetMs: 10_000 }, { getRemainingTimeInMillis: () => 900_000 }, 'r', 0);
    expect(w.publishUntil).toBe(10_000);
    expect(w.pollUntil).toBe(9_000);
  });

  test('a function with no time left gets an empty window, not a negative one', () => {
    const w = sweepWindow(config.sweep, { getRemainingTimeInMillis: () => 1000 }, 'r', 0);
    expect(w.pollUntil).toBe(0);
  });
});
