// Logs are one JSON object per line on stdout, each with the invocation's request id. Fields whose names look
// like secrets are replaced, so a careless `log.info('x', { config })` cannot leak a key or token.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /secret|token|password|authorization|signature|credential/i;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines also carry these fields (e.g. the request id). */
  child(fields: Record<string, unknown>): Logger;
}

export type LogWriter = (line: string) => void;

/**
 * A value that may be logged under a field name that looks like a secret: the audit line's `token` is the token's
 * name from API_TOKENS, never the token itself. Written as the plain string.
 */
export class NotSecret {
  constructor(readonly value: string) {}
}

function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof NotSecret) return value.value;
  if (depth > 6) return '[deep]';
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) && v !== null && v !== undefined && !(v instanceof NotSecret) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export function createLogger(options: { level?: LogLevel; base?: Record<string, unknown>; write?: LogWriter } = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const base = options.base ?? {};
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const record = redact({ level, time: new Date().toISOString(), msg, ...base, ...fields });
    write(JSON.stringify(record));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ level: options.level ?? 'info', base: { ...base, ...fields }, write }),
  };
}

/** For tests and benchmarks: a logger that writes nothing. */
export const silentLogger: Logger = createLogger({ write: () => undefined });
