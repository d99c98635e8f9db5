// AbortSignal.any arrived in Node 18.17 / 20.3; SCF's newest documented Node runtime is Nodejs18.15, so we
// combine signals ourselves. The caller disposes the combination when its operation ends, so a long-lived
// signal (a sweep's) does not collect one listener per request.
/** setTimeout as a promise that stops (rejecting with the reason) and clears its timer when the signal aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface CombinedSignal {
  signal: AbortSignal;
  dispose(): void;
}

export function anySignal(signals: ReadonlyArray<AbortSignal | undefined>): CombinedSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  const controller = new AbortController();
  const already = present.find((s) => s.aborted);
  if (already) {
    controller.abort(already.reason);
    return { signal: controller.signal, dispose: () => undefined };
  }
  const dispose = () => {
    for (const s of present) s.removeEventListener('abort', onAbort);
  };
  function onAbort(this: AbortSignal) {
    dispose();
    controller.abort(this.reason);
  }
  for (const s of present) s.addEventListener('abort', onAbort);
  return { signal: controller.signal, dispose };
}

/** Waits `ms`, or less if `signal` aborts first; resolves either way (a worker's idle wait, not an error). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
