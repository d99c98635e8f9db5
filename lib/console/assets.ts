// The console's files when the code runs from source (tests, npm start): built with esbuild (a devDependency) on
// the first request for /ui/, kept in memory. In the shipped api bundle, scripts/build.mjs replaces this module by
// the files it built, packed (brotli, base64 in one string) and unpacked on that first request: the bundle carries
// no esbuild and builds nothing.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ConsoleAsset } from './asset';

let built: Promise<ConsoleAsset[]> | null = null;

/** The repository's root: the folder holding console/index.html, above this file (or its bundled copy in .cache/). */
function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'console', 'index.html'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

export function loadConsoleAssets(): Promise<ConsoleAsset[]> {
  built ??= import('../../console/build').then((m) => m.buildConsole(repoRoot())).catch((e: unknown) => {
    built = null; // a broken source file: the next request tries again, after the fix
    throw e;
  });
  return built;
}
