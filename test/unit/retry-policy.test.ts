// The retry policy of delivery (lib/sinks/retry-policy.ts nextDelivery) as a table: what each send result does
// to a delivery, with the attempt count, the backoff and Retry-After, the last attempt, and our own deadline.
import { nextDelivery, type DeliveryDecision, type SendOutcome } from '../../lib/sinks/retry-policy';
import type { SendResult } from '../../lib/sinks/sink';
import type { Delivery } from '../../lib/types';

const T = 1_000_000;
const pending = (attempts: number, nextAttemptAt = T - 1): Delivery => ({ status: 'pending', attempts, nextAttemptAt, lastError: 'earlier', finishedAt: null });
const ok: SendResult = { ok: true };
const retry = (retryAfterMs?: number): SendResult => ({ ok: false, retry: true, reason: 'HTTP 503', ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
const refuse: SendResult = { ok: false, retry: false, reason: 'HTTP 400: bad' };
const gone: SendResult = { ok: false, retry: false, reason: 'HTTP 410', disable: true };
const deferred = (retryAfterMs: number): SendResult => ({ ok: false, retry: true, deferred: true, reason: 'no room in the rate limit', retryAfterMs });

type Row = [name: string, input: Partial<SendOutcome> & { result: SendResult }, expected: DeliveryDecision];

const rows: Row[] = [
  ['a first send that succeeds is delivered after 1 attempt', { result: ok },
    { kind: 'delivered', delivery: { status: 'delivered', attempts: 1, nextAttemptAt: T, lastError: null, finishedAt: T } }],
  ['a success after 3 failures is delivered after 4 attempts', { previous: pending(3), result: ok },
    { kind: 'delivered', delivery: { status: 'delivered', attempts: 4, nextAttemptAt: T, lastError: null, finishedAt: T } }],
  ['a first retryable failure waits the first backoff (75% of 10 s with random 0)', { result: retry() },
    { kind: 'retry', delivery: { status: 'pending', attempts: 1, nextAttemptAt: T + 7_500, lastError: 'HTTP 503', finishedAt: null } }],
  ['the third failure waits 75% of 40 s', { previous: pending(2), result: retry() },
    { kind: 'retry', delivery: { status: 'pending', attempts: 3, nextAttemptAt: T + 30_000, lastError: 'HTTP 503', finishedAt: null } }],
  ['a Retry-After longer than the backoff wins', { result: retry(60_000) },
    { kind: 'retry', delivery: { status: 'pending', attempts: 1, nextAttemptAt: T + 60_000, lastError: 'HTTP 503', finishedAt: null } }],
  ['a Retry-After shorter than the backoff does not shorten it', { result: retry(1_000) },
    { kind: 'retry', delivery: { status: 'pending', attempts: 1, nextAttemptAt: T + 7_500, lastError: 'HTTP 503', finishedAt: null } }],
  ['the last allowed attempt that fails is a dead letter that says it gave up', { previous: pending(11), result: retry() },
    { kind: 'dead', delivery: { status: 'dead', attempts: 12, nextAttemptAt: T, lastError: 'gave up after 12 attempts; last: HTTP 503', finishedAt: T }, reason: 'gave up after 12 attempts; last: HTTP 503', disable: false }],
  ['with one attempt allowed, the first failure is dead ("1 attempt")', { result: retry(), maxAttempts: 1 },
    { kind: 'dead', delivery: { status: 'dead', attempts: 1, nextAttemptAt: T, lastError: 'gave up after 1 attempt; last: HTTP 503', finishedAt: T }, reason: 'gave up after 1 attempt; last: HTTP 503', disable: false }],
  ['a permanent refusal is dead at once with the sink\'s reason', { previous: pending(2), result: refuse },
    { kind: 'dead', delivery: { status: 'dead', attempts: 3, nextAttemptAt: T, lastError: 'HTTP 400: bad', finishedAt: T }, reason: 'HTTP 400: bad', disable: false }],
  ['410 Gone is dead and disables the sink', { result: gone },
    { kind: 'dead', delivery: { status: 'dead', attempts: 1, nextAttemptAt: T, lastError: 'HTTP 410', finishedAt: T }, reason: 'HTTP 410', disable: true }],
  ['a retryable failure our deadline caused is released, not counted: a first try stays untried', { result: retry(), abortedByUs: true },
    { kind: 'released', delivery: { status: 'pending', attempts: 0, nextAttemptAt: T, lastError: null, finishedAt: null } }],
  ['a released retry keeps the earlier attempt count and due time', { previous: pending(4, T - 50), result: retry(), abortedByUs: true },
    { kind: 'released', delivery: { status: 'pending', attempts: 4, nextAttemptAt: T - 50, lastError: 'earlier', finishedAt: null } }],
  ['a released send on its last attempt is still released, not dead', { previous: pending(11), result: retry(), abortedByUs: true },
    { kind: 'released', delivery: { status: 'pending', attempts: 11, nextAttemptAt: T - 1, lastError: 'earlier', finishedAt: null } }],
  ['a permanent refusal during our deadline is still dead (the sink answered)', { result: refuse, abortedByUs: true },
    { kind: 'dead', delivery: { status: 'dead', attempts: 1, nextAttemptAt: T, lastError: 'HTTP 400: bad', finishedAt: T }, reason: 'HTTP 400: bad', disable: false }],
  ['a deferred first send is not an attempt: 0 attempts, due after retryAfterMs, no error', { result: deferred(250) },
    { kind: 'deferred', delivery: { status: 'pending', attempts: 0, nextAttemptAt: T + 250, lastError: null, finishedAt: null } }],
  ['a deferred retry keeps its attempts and last error; only the due time moves', { previous: pending(3), result: deferred(1_000) },
    { kind: 'deferred', delivery: { status: 'pending', attempts: 3, nextAttemptAt: T + 1_000, lastError: 'earlier', finishedAt: null } }],
  ['a deferral on the last attempt is not a dead letter', { previous: pending(11), result: deferred(100) },
    { kind: 'deferred', delivery: { status: 'pending', attempts: 11, nextAttemptAt: T + 100, lastError: 'earlier', finishedAt: null } }],
];

describe('nextDelivery: what a send result does to a delivery', () => {
  test.each(rows)('%s', (_name, input, expected) => {
    expect(nextDelivery({ previous: undefined, now: T, maxAttempts: 12, abortedByUs: false, random: () => 0, ...input })).toEqual(expected);
  });
});

const NOT_COUNTED = 'HTTP 400: bad (retried, not counted: this machine\'s clock may be off, and the receiver checks timestamps)';
const clockRows: Row[] = [
  ['a refusal by a sink that checks timestamps, while the clock is suspect, is retried and not counted', { result: refuse, clockSuspect: true },
    { kind: 'retry', delivery: { status: 'pending', attempts: 0, nextAttemptAt: T + 7_500, lastError: NOT_COUNTED, finishedAt: null } }],
  ['on its last attempt too: a suspect clock never makes a dead letter of a refusal', { previous: pending(11), result: refuse, clockSuspect: true },
    { kind: 'retry', delivery: { status: 'pending', attempts: 11, nextAttemptAt: T + 675_000, lastError: NOT_COUNTED, finishedAt: null } }],
  ['410 Gone is not the clock\'s doing: dead and disabled, suspect clock or not', { result: gone, clockSuspect: true },
    { kind: 'dead', delivery: { status: 'dead', attempts: 1, nextAttemptAt: T, lastError: 'HTTP 410', finishedAt: T }, reason: 'HTTP 410', disable: true }],
  ['a retryable failure while the clock is suspect is counted as ever', { previous: pending(2), result: retry(), clockSuspect: true },
    { kind: 'retry', delivery: { status: 'pending', attempts: 3, nextAttemptAt: T + 30_000, lastError: 'HTTP 503', finishedAt: null } }],
  ['with the clock right, a refusal is dead at once, as ever', { result: refuse, clockSuspect: false },
    { kind: 'dead', delivery: { status: 'dead', attempts: 1, nextAttemptAt: T, lastError: 'HTTP 400: bad', finishedAt: T }, reason: 'HTTP 400: bad', disable: false }],
];

describe('nextDelivery with the clock\'s verdict passed in', () => {
  test.each(clockRows)('%s', (_name, input, expected) => {
    expect(nextDelivery({ previous: undefined, now: T, maxAttempts: 12, abortedByUs: false, random: () => 0, ...input })).toEqual(expected);
  });
});
