// A separate OS process for the file store's sweep-lease tests (test/contract/state-store-lifecycle.test.ts). Plain
// JavaScript: it requires a bundle of lib/state/local/file.ts that the test builds with esbuild.
// argv: <bundle> <dir> <keep|release>. Opens the store, tries its sweep lease, answers { kind, holder? } and, with
// `release`, gives the lease back before it exits; with `keep`, exits holding it (a process that died).
'use strict';
const [bundle, dir, mode] = process.argv.slice(2);
const { FileStateStore } = require(bundle);

async function main() {
  const store = await FileStateStore.open(dir);
  const lease = await store.acquireSweepLease();
  if (lease.kind === 'held' && mode === 'release') await lease.release();
  if (mode === 'release') await store.close();
  process.send(lease.kind === 'busy' ? { kind: 'busy', holder: lease.holder } : { kind: lease.kind }, () => process.exit(0));
}

main().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + '\n');
  process.exit(1);
});
