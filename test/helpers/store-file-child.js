// A separate OS process for the file-store race test (test/contract/state-store.test.ts). Plain JavaScript:
// it requires a bundle of lib/state/local/file.ts that the test builds with esbuild.
// argv: <bundle> <dir> <name> <keys>. Says 'ready', waits for 'go', tries recordChange(expectedVersion 0) on
// keys 0..keys-1 and answers { won: [key numbers it won] } (or { won: [], error }).
'use strict';
const [bundle, dir, name, keysArg] = process.argv.slice(2);
const { FileStateStore } = require(bundle);
const KEYS = Number(keysArg);
const uuidOf = (n) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

async function main() {
  const store = await FileStateStore.open(dir, { lockTimeoutMs: 10000 });
  process.send('ready');
  await new Promise((resolve) => process.once('message', resolve));
  const won = [];
  for (let i = 0; i < KEYS; i++) {
    const key = { uuid: uuidOf(i), kind: 'process' };
    const event = {
      specversion: '1.0', type: 'com.tencentcloud.cwp.task.status.changed', source: '/test', id: `ev-${i}-${name}`,
      subject: `${key.uuid}/process`, time: new Date(0).toISOString(), datacontenttype: 'application/json',
      data: { uuid: key.uuid, kind: 'process', previous: null, state: 'COMPLETE', severity: 'info', observedAt: new Date(0).toISOString(), requestId: name, next: null },
    };
    const ok = await store.recordChange({ key, expectedVersion: 0, state: 'COMPLETE', requestId: name, observedAt: 1000, nextDue: 2000, event });
    if (ok) won.push(i);
  }
  await store.close();
  process.send({ won }, () => process.exit(0));
}

main().catch((e) => process.send({ won: [], error: String(e && e.stack || e) }, () => process.exit(1)));
