// SCF timer trigger: one sweep per tick. Thin on purpose: parse the event, run lib/sweep, shape the result.
import { randomUUID } from 'node:crypto';
import { ConfigError, getRuntime } from '../../lib/runtime';
import { sinkFactory } from '../../lib/sinks';
import { timerTriggerName } from '../../lib/scf/timer-event';
import { runSweep, sweepWindow } from '../../lib/sweep';
import type { SweepSummary } from '../../lib/types';
import type { ScfContext } from '../../lib/scf/types';

export async function main_handler(event: unknown, context?: ScfContext): Promise<SweepSummary> {
  const requestId = context?.request_id ?? randomUUID();
  const now = Date.now();
  let runtime;
  try {
    runtime = await getRuntime('poll', sinkFactory);
  } catch (e) {
    // One JSON line that names every bad variable; SCF marks the invocation failed.
    const problems = e instanceof ConfigError ? e.problems : [e instanceof Error ? e.message : String(e)];
    process.stdout.write(JSON.stringify({ level: 'error', time: new Date().toISOString(), msg: 'poll cannot start', requestId, problems }) + '\n');
    throw new Error(`poll cannot start: ${problems.join('; ')}`);
  }
  runtime.logger.debug('timer fired', { requestId, trigger: timerTriggerName(event) });
  return runSweep(
    { config: runtime.config, store: runtime.store, cwp: runtime.cwp, sinks: runtime.sinks, logger: runtime.logger, identityWatch: runtime.identityWatch, clock: runtime.clock, requests: runtime.requests },
    sweepWindow(runtime.config.sweep, context, requestId, now),
  );
}
