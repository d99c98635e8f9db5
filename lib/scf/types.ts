// The SCF platform's shapes the bridge reads and answers: the invocation context, the timer event, the
// integrated HTTP response. Kept at the edge with their parsing (http-event.ts), apart from the domain types.
/** The parts of the SCF Node.js context object the bridge reads. All optional: local runs pass less. */
export interface ScfContext {
  request_id?: string;
  function_name?: string;
  /** Milliseconds left before SCF ends the invocation. */
  getRemainingTimeInMillis?: () => number;
  time_limit_in_ms?: number;
  memory_limit_in_mb?: number;
  tencentcloud_region?: string;
  callbackWaitsForEmptyEventLoop?: boolean;
}

/** The SCF timer trigger's event (test/fixtures/scf-timer-event.json). */
export interface ScfTimerEvent {
  Type: 'Timer';
  TriggerName: string;
  Time: string;
  Message?: string;
}

/** The SCF integrated response both HTTP triggers expect (test/fixtures/scf-integrated-response.json). */
export interface ScfHttpResponse {
  isBase64Encoded: boolean;
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}
