// Standalone emulator: `node scripts/run-ts.mjs dev/emulator/main.ts [port] [--no-demo]`.
// Port from argv or EMULATOR_PORT (default 9000); EMULATOR_TOPICS / EMULATOR_QUEUES (comma separated) create
// CMQ topics and queues. Prints one JSON line: url, credentials, demo agents.
import { EMULATOR_CREDENTIALS, startEmulator } from './index';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const portArg = args.find((a) => /^\d+$/.test(a));
  const port = Number(portArg ?? process.env.EMULATOR_PORT ?? 9000);
  const emulator = await startEmulator({ port, quiet: process.env.EMULATOR_QUIET === '1' });
  const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of list(process.env.EMULATOR_TOPICS)) emulator.createTopic(name);
  for (const name of list(process.env.EMULATOR_QUEUES)) emulator.createQueue(name);
  const agents = args.includes('--no-demo') ? [] : emulator.demo();
  process.stdout.write(
    JSON.stringify({
      url: emulator.url,
      secretId: EMULATOR_CREDENTIALS.secretId,
      secretKey: EMULATOR_CREDENTIALS.secretKey,
      agents,
      topics: list(process.env.EMULATOR_TOPICS),
      queues: list(process.env.EMULATOR_QUEUES),
      control: `${emulator.url}/_emulator/health`,
    }) + '\n',
  );
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`emulator: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
