// A state store that fails part-way rejects with an error that says where and why, promptly, and loses
// nothing it had already recorded. (Tests run as root, so permissions cannot stop a write: the file store is
// failed by path conflicts and a file size limit; Redis by a closed port and a proxy that drops or hangs.)
import { execFile } from 'node:child_process';
import { mkdirSync, promises as fsp, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FileStateStore } from '../../lib/state/local/file';
import { RedisStateStore } from '../../lib/state/redis/store';
import { buildFileStoreBundle } from '../helpers/store-bundle';
import { REDIS_URL, changeOf, deleteRedisPrefix, keyOf, tempDir, uniquePrefix } from '../helpers/store-fixtures';
import { closedPort, startTcpProxy, type TcpProxy } from '../helpers/store-tcp-proxy';
import { testRedisPort } from '../helpers/redis';

const run = promisify(execFile);

/** How long a promise takes to settle, and how. */
async function timed<T>(p: Promise<T>): Promise<{ ms: number; error: Error | null }> {
  const started = Date.now();
  try {
    await p;
    return { ms: Date.now() - started, error: null };
  } catch (e) {
    return { ms: Date.now() - started, error: e as Error };
  }
}

/** An error as the kernel reports a write to a full disk. */
function noSpace(file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC', errno: -28, syscall: 'write', path: file });
}

/**
 * Makes the disk "full" for the files `full` picks: they can be created, but every write to them
 * fails with ENOSPC, whichever way the store writes (fs.promises.writeFile, or a FileHandle from
 * fs.promises.open). Returns the undo.
 */
function fullDiskFor(full: (file: string) => boolean): () => void {
  const realOpen = fsp.open.bind(fsp);
  const realWriteFile = fsp.writeFile.bind(fsp);
  const hit = (file: unknown) => typeof file === 'string' && full(file);
  const spies = [
    jest.spyOn(fsp, 'writeFile').mockImplementation((async (file: string, data: string, options?: { flag?: string; mode?: number }) => {
      if (!hit(file)) return realWriteFile(file, data, options);
      await (await realOpen(file, options?.flag ?? 'w', options?.mode)).close(); // created, as on a real full disk
      throw noSpace(file);
    }) as typeof fsp.writeFile),
    jest.spyOn(fsp, 'open').mockImplementation((async (file: string, flags?: string, mode?: number) => {
      const fh = await realOpen(file, flags, mode);
      if (hit(file) && flags !== undefined && flags !== 'r') {
        const fail = async () => {
          throw noSpace(file);
        };
        Object.assign(fh, { writeFile: fail, write: fail });
      }
      return fh;
    }) as typeof fsp.open),
  ];
  return () => spies.forEach((s) => s.mockRestore());
}

describe('file store failures', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = tempDir('file-fail');
    dir = path.join(root, 'state');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('when its directory is replaced by a file, a write rejects naming the path, and nothing recorded is lost', async () => {
    const store = await FileStateStore.open(dir);
    expect(await store.recordChange(changeOf(keyOf(1), 0, 'COLLECTING'))).toBe(true);
    renameSync(dir, `${dir}.moved`);
    writeFileSync(dir, 'not a directory');

    const failed = store.recordChange(changeOf(keyOf(1), 1, 'COMPLETE'));
    await expect(failed).rejects.toThrow(/^file state store: could not .*\/state\/state\.lock \(a path component is not a directory\)/);

    rmSync(dir);
    renameSync(`${dir}.moved`, dir);
    // The same instance did not keep the failed change in memory: version 1 is still the one to build on.
    expect(await store.getRecord(keyOf(1))).toMatchObject({ state: 'COLLECTING', version: 1 });
    const reopened = await FileStateStore.open(dir);
    expect(await reopened.getRecord(keyOf(1))).toMatchObject({ state: 'COLLECTING', version: 1 });
    expect(await reopened.countOutbox()).toBe(1);
  });

  test('when its directory is removed, writes and reads reject naming the directory', async () => {
    const store = await FileStateStore.open(dir);
    await store.putWatch('w', ['process'], 1);
    rmSync(dir, { recursive: true });
    await expect(store.putWatch('x', ['port'], 2)).rejects.toThrow(`could not create the lock ${path.join(dir, 'state.lock')} (the directory is gone)`);
    await expect(store.listWatches()).rejects.toThrow(`could not use the directory ${dir} (the directory is gone)`);
  });

  test('buffered checks that cannot be written make close() reject', async () => {
    const store = await FileStateStore.open(dir, { checkFlushMs: 60_000 });
    await store.syncSchedule([keyOf(1)], 0);
    await store.recordCheck({ key: keyOf(1), observedAt: 5, nextDue: 10 });
    rmSync(dir, { recursive: true });
    await expect(store.close()).rejects.toThrow(/file state store: could not/);
  });

  test('a write cut short (file size limit, as on a full disk) rejects and leaves the previous state.json intact', async () => {
    const store = await FileStateStore.open(dir);
    await store.recordChange(changeOf(keyOf(1), 0, 'COMPLETE'));
    await store.close();
    const before = readFileSync(path.join(dir, 'state.json'), 'utf8');
    const bundle = buildFileStoreBundle();
    const child = path.join(__dirname, '../helpers/store-file-limit-child.js');
    // bash's ulimit -f counts 1024-byte blocks: 16 KB holds the document now, not one with a 64 KB reason.
    const { stdout } = await run('bash', ['-c', `ulimit -f 16 && exec "${process.execPath}" "${child}" "${bundle}" "${dir}" 65536`]);
    const { error } = JSON.parse(stdout.trim()) as { error: string | null };
    expect(error).toMatch(new RegExp(`^file state store: could not write ${path.join(dir, 'state.json')} \\(the file size limit is reached\\)`));
    expect(readFileSync(path.join(dir, 'state.json'), 'utf8')).toBe(before);
    expect(readdirSync(dir).sort()).toEqual(['history', 'state.json']); // no temp file or lock left behind (history/: the event's line)
    const reopened = await FileStateStore.open(dir);
    expect(await reopened.getRecord(keyOf(1))).toMatchObject({ state: 'COMPLETE', version: 1 });
    expect(await reopened.countDeadLetters()).toBe(0);
  });

  test('a corrupt state.json makes open() fail and is never overwritten', async () => {
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'state.json'), '{"format":"cwp-task-bridge/state@1","nonce":"ab12", truncated');
    await expect(FileStateStore.open(dir)).rejects.toThrow(`file state store: ${path.join(dir, 'state.json')} is not valid JSON`);
    expect(readFileSync(path.join(dir, 'state.json'), 'utf8')).toContain('truncated');
  });

  test('a temp file left by a crashed writer is removed on open, and state.json is untouched', async () => {
    const store = await FileStateStore.open(dir);
    await store.putWatch('w', ['process'], 1);
    const leftover = path.join(dir, `state.json.${2 ** 22 + 12345}.0123abcd.tmp`);
    writeFileSync(leftover, '{"half written');
    const reopened = await FileStateStore.open(dir);
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(await reopened.listWatches()).toHaveLength(1);
  });

  test('a lock left by a process that is gone is broken, so writes go on', async () => {
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'state.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: require('node:os').hostname(), token: 'x', at: Date.now() }));
    const store = await FileStateStore.open(dir, { lockTimeoutMs: 1_000 });
    await expect(store.putWatch('w', ['process'], 1)).resolves.toMatchObject({ uuid: 'w' });
  });

  test('a full disk while writing the lock rejects saying so, leaves no lock, and the next write goes through at once', async () => {
    const store = await FileStateStore.open(dir);
    await store.putWatch('w', ['process'], 1);
    const lockPath = path.join(dir, 'state.lock');
    const spaceBack = fullDiskFor((file) => file.startsWith(lockPath)); // state.lock and any temp file beside it
    let failed: Awaited<ReturnType<typeof timed>>;
    try {
      failed = await timed(store.putWatch('x', ['port'], 2));
    } finally {
      spaceBack();
    }
    expect(failed.error?.name).toBe('StoreError');
    expect(failed.error?.message).toMatch(new RegExp(`^file state store: could not create the lock ${lockPath.replace(/[.]/g, '\\.')} \\(the disk is full\\)`));
    expect(readdirSync(dir).sort()).toEqual(['state.json']); // no state.lock, and no temp file either

    // Space is back: the next write neither waits for a lock nobody holds nor reports it "held by another process".
    const next = await timed(store.putWatch('y', ['port'], 3));
    expect(next.error).toBeNull();
    expect(next.ms).toBeLessThan(500);
    expect((await store.listWatches()).map((w) => w.uuid).sort()).toEqual(['w', 'y']);
  });

  test('a lock write cut short by the kernel (file size limit) leaves no lock behind for the next process', async () => {
    const store = await FileStateStore.open(dir);
    await store.putWatch('w', ['process'], 1);
    const bundle = buildFileStoreBundle();
    const child = path.join(__dirname, '../helpers/store-file-limit-child.js');
    // ulimit -f 0: any byte written to a file fails (EFBIG), the lock's first.
    const { stdout } = await run('bash', ['-c', `ulimit -f 0 && exec "${process.execPath}" "${child}" "${bundle}" "${dir}" 10`]);
    const { error } = JSON.parse(stdout.trim()) as { error: string | null };
    expect(error).toMatch(new RegExp(`^file state store: could not create the lock ${path.join(dir, 'state.lock')} \\(the file size limit is reached\\)`));
    expect(readdirSync(dir).sort()).toEqual(['state.json']);
    const next = await timed(store.putWatch('y', ['port'], 3));
    expect(next.error).toBeNull();
    expect(next.ms).toBeLessThan(500);
  });

  test.each([
    ['empty (an older version that created it, then hit a full disk)', ''],
    ['not JSON', 'garbage'],
    ['JSON, but not a lock', '{"pid":1}'],
  ])('a lock whose content is %s is broken within about a second, not waited on as "held by another process"', async (_what, content) => {
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'state.lock'), content);
    const store = await FileStateStore.open(dir); // default lockTimeoutMs (5 s) and staleLockMs (30 s)
    const r = await timed(store.putWatch('w', ['process'], 1));
    expect(r.error).toBeNull();
    expect(r.ms).toBeLessThan(2_500);
    expect(await store.listWatches()).toHaveLength(1); // queued behind the write's unlock
    expect(readdirSync(dir).sort()).toEqual(['state.json']);
  });

  test('on a filesystem without hard links the lock is created in place, and a full disk still leaves none', async () => {
    const noLinks = jest.spyOn(fsp, 'link').mockRejectedValue(Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' }));
    try {
      const store = await FileStateStore.open(dir);
      await store.putWatch('w', ['process'], 1);
      const lockPath = path.join(dir, 'state.lock');
      const spaceBack = fullDiskFor((file) => file === lockPath); // the temp copy is written; the in-place write fails
      let failed: Awaited<ReturnType<typeof timed>>;
      try {
        failed = await timed(store.putWatch('x', ['port'], 2));
      } finally {
        spaceBack();
      }
      expect(failed.error?.message).toMatch(/could not create the lock .*state\.lock \(the disk is full\)/);
      expect(readdirSync(dir).sort()).toEqual(['state.json']);
      const next = await timed(store.putWatch('y', ['port'], 3));
      expect(next).toMatchObject({ error: null });
      expect(next.ms).toBeLessThan(500);
      expect(noLinks).toHaveBeenCalled();
    } finally {
      noLinks.mockRestore();
    }
  });

  test('a lock held by a live process makes a write wait, then fail after lockTimeoutMs naming the holder', async () => {
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'state.lock'), JSON.stringify({ pid: process.ppid, host: require('node:os').hostname(), token: 'x', at: Date.now() }));
    const store = await FileStateStore.open(dir, { lockTimeoutMs: 300 });
    const r = await timed(store.putWatch('w', ['process'], 1));
    expect(r.error?.message).toMatch(new RegExp(`timed out after 300 ms waiting for the lock .*state\\.lock, held by pid ${process.ppid}`));
    expect(r.ms).toBeLessThan(1_500);
  });
});

describe('Redis store failures', () => {
  let prefix: string;
  let proxy: TcpProxy | null = null;
  const opened: RedisStateStore[] = [];
  const open = async (url: string) => {
    const s = await RedisStateStore.open(url, { prefix });
    opened.push(s);
    return s;
  };
  beforeEach(() => {
    prefix = uniquePrefix();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await proxy?.stop();
    proxy = null;
    await deleteRedisPrefix(prefix);
  });

  test('pointed at a closed port, open() fails fast with a message naming the address', async () => {
    const port = await closedPort();
    const r = await timed(RedisStateStore.open(`redis://:secret@127.0.0.1:${port}/0`, { prefix }));
    expect(r.ms).toBeLessThan(3_000);
    expect(r.error?.message).toMatch(new RegExp(`^redis state store redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/0: cannot connect: .*ECONNREFUSED`));
    expect(r.error?.message).not.toContain('secret');
  });

  test('pointed at a server that accepts but never answers, open() fails within about three seconds', async () => {
    proxy = await startTcpProxy(testRedisPort());
    proxy.blackhole();
    const r = await timed(RedisStateStore.open(`redis://127.0.0.1:${proxy.port}/0`, { prefix }));
    expect(r.error?.message).toMatch(/^redis state store redis:\/\/127\.0\.0\.1:\d+\/0: cannot connect: /);
    expect(r.ms).toBeLessThan(3_500);
  });

  test('when the server goes away mid-way, later calls reject at once, and everything recorded is there on reopening', async () => {
    proxy = await startTcpProxy(testRedisPort());
    const store = await open(`redis://127.0.0.1:${proxy.port}/0`);
    await store.syncSchedule([keyOf(1)], 100);
    expect(await store.recordChange(changeOf(keyOf(1), 0, 'COLLECTING'))).toBe(true);
    await proxy.stop();
    proxy = null;

    const change = await timed(store.recordChange(changeOf(keyOf(1), 1, 'COMPLETE')));
    expect(change.error?.message).toMatch(/^redis state store redis:\/\/127\.0\.0\.1:\d+\/0: recordChange failed: /);
    expect(change.ms).toBeLessThan(2_500);
    const read = await timed(store.getRecord(keyOf(1)));
    expect(read.error?.message).toMatch(/getRecord failed: not connected/);
    expect(read.ms).toBeLessThan(100);

    const direct = await open(REDIS_URL);
    expect(await direct.getRecord(keyOf(1))).toMatchObject({ state: 'COLLECTING', version: 1 });
    expect(await direct.countOutbox()).toBe(1);
    expect(await direct.countDue(100)).toBe(0);
  });

  test('when the connection stops answering, a call fails after the command timeout instead of hanging', async () => {
    proxy = await startTcpProxy(testRedisPort());
    const store = await open(`redis://127.0.0.1:${proxy.port}/0`);
    await store.putWatch('w', ['process'], 1);
    proxy.blackhole();
    const r = await timed(store.listWatches());
    expect(r.error?.message).toMatch(/^redis state store .*: listWatches failed: Command timed out/);
    expect(r.ms).toBeGreaterThanOrEqual(1_500);
    expect(r.ms).toBeLessThan(3_000);
    const direct = await open(REDIS_URL);
    expect((await direct.listWatches()).map((w) => w.uuid)).toEqual(['w']);
  });
});
