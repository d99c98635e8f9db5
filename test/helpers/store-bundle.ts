// Builds lib/state/local/file.ts into one CommonJS file, for the plain-JS child processes of the file-store tests.
import path from 'node:path';
import { buildSync } from 'esbuild';
import { tempDir } from './store-fixtures';

export function buildFileStoreBundle(): string {
  const outfile = path.join(tempDir('file-bundle'), 'file-store.js');
  buildSync({ entryPoints: [path.join(__dirname, '../../lib/state/local/file.ts')], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' });
  return outfile;
}
