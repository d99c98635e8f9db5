// Runs under `ulimit -f` (test/integration/state-store-failures.test.ts): a write past the file size limit
// fails with EFBIG, as a full disk would fail it. argv: <bundle> <dir> <bytes of the oversized reason>.
// Prints one JSON line: { error } with the rejection message, or { error: null } if the write succeeded.
'use strict';
process.on('SIGXFSZ', () => undefined); // without a handler the signal kills the process instead of failing the write
const [bundle, dir, bytes] = process.argv.slice(2);
const { FileStateStore } = require(bundle);

async function main() {
  const store = await FileStateStore.open(dir);
  const event = { specversion: '1.0', type: 'com.tencentcloud.cwp.task.status.changed', source: '/t', id: 'ev-big', subject: 's', time: '', datacontenttype: 'application/json', data: {} };
  let error = null;
  try {
    await store.addDeadLetter({ event, sinkId: 'console', reason: 'x'.repeat(Number(bytes)), attempts: 1, deadAt: 1 });
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  process.stdout.write(JSON.stringify({ error }) + '\n');
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ error: 'unexpected: ' + String(e && e.stack || e) }) + '\n');
  process.exitCode = 1;
});
