import { anySignal } from '../../lib/util/abort';

describe('anySignal (AbortSignal.any for Node 18.15)', () => {
  test('aborts when any input aborts, with that input reason', () => {
    const a = new AbortController();
    const b = new AbortController();
    const combined = anySignal([a.signal, b.signal]);
    b.abort(new Error('b went first'));
    expect(combined.signal.aborted).toBe(true);
    expect((combined.signal.reason as Error).message).toBe('b went first');
  });

  test('is already aborted when an input already is', () => {
    const a = new AbortController();
    a.abort('done');
    expect(anySignal([a.signal, undefined]).signal.reason).toBe('done');
  });

  test('dispose removes its listener, so a long-lived signal does not collect them', () => {
    const long = new AbortController();
    const added = jest.spyOn(long.signal, 'addEventListener');
    const removed = jest.spyOn(long.signal, 'removeEventListener');
    for (let i = 0; i < 50; i++) anySignal([long.signal, AbortSignal.timeout(60_000)]).dispose();
    expect(removed).toHaveBeenCalledTimes(added.mock.calls.length);
  });

  test('ignores undefined inputs and never aborts without a cause', () => {
    expect(anySignal([undefined]).signal.aborted).toBe(false);
  });
});
