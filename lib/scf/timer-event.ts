// The SCF timer trigger's event (test/fixtures/scf-timer-event.json): only its trigger name is read, for the log.

/** The TriggerName of a timer event, or null for anything else (a manual test invocation, a local run). */
export function timerTriggerName(event: unknown): string | null {
  return event && typeof event === 'object' && 'TriggerName' in event ? String((event as { TriggerName: unknown }).TriggerName) : null;
}
