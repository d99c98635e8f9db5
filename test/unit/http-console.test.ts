// The web console's page and files (lib/console/serve.ts) as the api function answers them: public, with a strict
// CSP and the cache rules of hashed names, relative to wherever the page is mounted, and served even when the
// configuration is invalid. From source, the files are built with esbuild on the first request (as npm start does);
// test/integration/scf-bundle.test.ts checks the shipped bundle serves its packed copy.
import { ConfigError } from '../../lib/config';
import { handleHttp } from '../../lib/http';
import { CONSOLE_CSP } from '../../lib/console/serve';
import type { ScfHttpResponse } from '../../lib/scf/types';
import { harness, urlEvent, apigwEvent } from './http-helpers';

const get = (path: string, init: Parameters<typeof urlEvent>[2] = {}) => urlEvent('GET', path, { auth: false, ...init });

async function call(event: unknown, options = {}): Promise<ScfHttpResponse> {
  return handleHttp(event, { request_id: 'scf-req-1' }, harness().deps, options);
}

/** The names index.html gives its script, stylesheet and icon. */
function namesIn(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
}

const STRICT_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

describe('GET /ui/', () => {
  test('answers the page without a token, with the strict CSP, nosniff and no referrer', async () => {
    const r = await call(get('/ui/'));
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['content-security-policy']).toBe(STRICT_CSP);
    expect(CONSOLE_CSP).toBe(STRICT_CSP);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.body).toContain('<div id="app">');
  }, 60_000);

  test('the page is checked on every load (no-cache) and has an ETag; a match is 304 without a body', async () => {
    const first = await call(get('/ui/'));
    expect(first.headers['cache-control']).toBe('no-cache');
    expect(first.headers.etag).toMatch(/^"[0-9a-f]{20}"$/);
    const again = await call(get('/ui/', { headers: { 'if-none-match': first.headers.etag! } }));
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  test('the page has no inline script or style and names only files beside it, each by its content hash', async () => {
    const html = (await call(get('/ui/'))).body;
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const names = namesIn(html);
    expect(names).toHaveLength(3);
    for (const n of names) expect(n).toMatch(/^[a-z]+\.[0-9a-f]{10}\.(js|css|svg)$/);
  });

  test('each file the page names is served with its type, cached for good', async () => {
    const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
    for (const name of namesIn((await call(get('/ui/'))).body)) {
      const r = await call(get(`/ui/${name}`));
      expect([name, r.statusCode, r.headers['content-type'], r.headers['cache-control']]).toEqual([name, 200, types[name.split('.').pop()!], 'public, max-age=31536000, immutable']);
      expect(r.headers['content-security-policy']).toBe(STRICT_CSP);
      expect(r.body.length).toBeGreaterThan(100);
    }
  });

  test('/ui redirects to /ui/ relatively, so the page\'s relative names resolve wherever it is mounted', async () => {
    const r = await call(get('/ui'));
    expect(r.statusCode).toBe(308);
    expect(r.headers.location).toBe('ui/');
    expect(new URL(r.headers.location!, 'https://x.example/release/ui').pathname).toBe('/release/ui/');
  });

  test('under API_BASE_PATH (a gateway stage) the page is served at <base>/ui/', async () => {
    const r = await call(apigwEvent('GET', '/release/ui/', { auth: false }), { basePath: '/release' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('<div id="app">');
  });

  test('a file the console does not have is 404 naming it, still under the CSP', async () => {
    const r = await call(get('/ui/app.0000000000.js'));
    expect(r.statusCode).toBe(404);
    expect(JSON.parse(r.body).error).toMatchObject({ code: 'not_found', message: expect.stringContaining('app.0000000000.js') });
    expect(r.headers['content-security-policy']).toBe(STRICT_CSP);
  });

  test('HEAD answers the headers without the body; other methods are 405 with Allow', async () => {
    const head = await call(urlEvent('HEAD', '/ui/', { auth: false }));
    expect([head.statusCode, head.body, head.headers['content-type']]).toEqual([200, '', 'text/html; charset=utf-8']);
    const post = await call(urlEvent('POST', '/ui/', { auth: false, body: '{}' }));
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  test('is served even when the configuration is invalid: the page holds no data and can show what is wrong', async () => {
    const r = await handleHttp(get('/ui/'), { request_id: 'scf-req-1' }, new ConfigError(['API_TOKENS: is required']));
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('<div id="app">');
  });

  test('a path that only starts like the console (/uix) is not the console: without a token, 401', async () => {
    expect((await call(get('/uix'))).statusCode).toBe(401);
  });
});
