// The logger: one JSON object per line, and fields that look like secrets never written as they are.
import { createLogger, NotSecret } from '../../lib/log';

function lines(fn: (log: ReturnType<typeof createLogger>) => void): Array<Record<string, unknown>> {
  const out: string[] = [];
  fn(createLogger({ write: (l) => out.push(l) }));
  return out.map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('a field named like a secret is redacted, however deep', () => {
  const [line] = lines((log) => log.info('x', { token: 'abc', nested: { secretKey: 'k', ok: 1 } }));
  expect(line).toMatchObject({ msg: 'x', token: '[redacted]', nested: { secretKey: '[redacted]', ok: 1 } });
});

test('a value marked NotSecret is written as its string, even under such a name (the audit line names the token)', () => {
  const [line] = lines((log) => log.info('audit', { token: new NotSecret('grafana') }));
  expect(line).toMatchObject({ msg: 'audit', token: 'grafana' });
});
