// Builds the web console (console/src) into the files /ui/ serves: one minified script, one stylesheet and the
// icon, each named by its content's hash, and index.html naming them. esbuild bundles Preact and our code offline
// (no network, no CDN). Used twice: by scripts/build.mjs, which packs the result into the api bundle, and, when the
// code runs from source (tests, npm start), by lib/console/assets.ts on the first request for /ui/.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import type { ConsoleAsset } from '../lib/console/asset';

const hashOf = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

function asset(name: string, contentType: string, body: string, immutable: boolean): ConsoleAsset {
  return { name, contentType, body, immutable, etag: `"${hashOf(body).slice(0, 20)}"` };
}

/** `app.js` + its text -> `app.<10 hex of its hash>.js`. */
function hashedName(name: string, body: string): string {
  const dot = name.lastIndexOf('.');
  return `${name.slice(0, dot)}.${hashOf(body).slice(0, 10)}${name.slice(dot)}`;
}

/** The console's files, built from `<root>/console`. */
export async function buildConsole(root: string): Promise<ConsoleAsset[]> {
  const dir = path.join(root, 'console');
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: 'console/src/main.tsx', style: 'console/src/style.css' },
    outdir: 'console-out',
    write: false,
    bundle: true,
    minify: true,
    format: 'iife',
    // Browsers of the last few years; no polyfills.
    target: ['chrome109', 'firefox115', 'safari15.6'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const out = (ext: string): string => {
    const f = result.outputFiles.find((o) => o.path.endsWith(ext));
    if (!f) throw new Error(`the console build made no ${ext} file`);
    return f.text;
  };
  const app = out('.js');
  const style = out('.css');
  const icon = readFileSync(path.join(dir, 'icon.svg'), 'utf8');
  const names = { 'app.js': hashedName('app.js', app), 'style.css': hashedName('style.css', style), 'icon.svg': hashedName('icon.svg', icon) };
  let html = readFileSync(path.join(dir, 'index.html'), 'utf8');
  for (const [plain, hashed] of Object.entries(names)) html = html.split(`{{${plain}}}`).join(hashed);
  const left = /\{\{[^}]*\}\}/.exec(html);
  if (left) throw new Error(`console/index.html names ${left[0]}, which the build does not make`);
  return [
    asset('index.html', 'text/html; charset=utf-8', html, false),
    asset(names['app.js'], 'text/javascript; charset=utf-8', app, true),
    asset(names['style.css'], 'text/css; charset=utf-8', style, true),
    asset(names['icon.svg'], 'image/svg+xml', icon, true),
  ];
}
