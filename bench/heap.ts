// For the bench children (p5-child, p6-child): a module with no imports of the bridge, so loading it does not
// change the memory they measure.
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';

/** The live heap in MB after a full GC. Call it only after the peak RSS is read: exposing gc changes nothing before it is called. */
export function liveHeapMbAfterGc(): number {
  v8.setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed / 2 ** 20;
}
