// Captures what the functions write to stdout (their JSON log lines), so a test can read the lines and prove
// that no secret reached them. Jest reports on stderr, so stdout belongs to the code under test.
export interface StdoutCapture {
  /** Every complete line written since the capture began. */
  lines(): string[];
  /** Lines written since `mark` (a previous `lines().length`). */
  since(mark: number): string[];
  restore(): void;
}

export function captureStdout(options: { echo?: boolean } = {}): StdoutCapture {
  const original = process.stdout.write.bind(process.stdout);
  let buffer = '';
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    buffer += text;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
    if (options.echo) return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write);
  return {
    lines: () => [...lines, ...(buffer ? [buffer] : [])],
    since: (mark) => lines.slice(mark),
    restore: () => spy.mockRestore(),
  };
}

/** The lines that contain any of `needles` (empty needles are ignored). */
export function linesContaining(lines: readonly string[], needles: readonly string[]): string[] {
  const real = needles.filter((n) => n.length > 0);
  return lines.filter((l) => real.some((n) => l.includes(n)));
}
