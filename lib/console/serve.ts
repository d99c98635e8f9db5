// GET /ui/ and its files: the web console (console/). Public: the page and its scripts hold no data; every data
// call the page makes needs a token. Served before authentication and whatever the configuration, so a console
// can still show what /healthz says is wrong. The files are loaded (built from source, or unpacked from the
// bundle: assets.ts) on the first request here only, so the cold start of an API route carries none of it.
import type { HttpRequest } from '../http/request';
import { HttpError, errorResponse } from '../http/respond';
import type { ScfHttpResponse } from '../scf/types';
import type { ConsoleAsset } from './asset';

export const CONSOLE_PATH = '/ui';

/**
 * No inline script or style, nothing from another origin, no <base>, no framing: the page runs only the files
 * served beside it and talks only to this function.
 */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}

let assets: Promise<Map<string, ConsoleAsset>> | null = null;

function consoleAssets(): Promise<Map<string, ConsoleAsset>> {
  assets ??= import('./assets').then(async (m) => new Map((await m.loadConsoleAssets()).map((a) => [a.name, a]))).catch((e: unknown) => {
    assets = null;
    throw e;
  });
  return assets;
}

function answer(status: number, headers: Record<string, string>, body: string, requestId: string): ScfHttpResponse {
  return { isBase64Encoded: false, statusCode: status, headers: { ...SECURITY_HEADERS, ...headers, 'x-request-id': requestId }, body };
}

/** The answer to a request whose path is /ui or under it (isConsolePath). */
export async function serveConsole(req: HttpRequest): Promise<ScfHttpResponse> {
  const withHeaders = (r: ScfHttpResponse): ScfHttpResponse => ({ ...r, headers: { ...r.headers, ...SECURITY_HEADERS } });
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return withHeaders(errorResponse(new HttpError(405, 'method_not_allowed', `${req.method.slice(0, 20)} is not allowed on the console; allowed: GET, HEAD`, { headers: { allow: 'GET, HEAD' } }), req.requestId));
  }
  // The page names its files relative to itself, so it must be served at /ui/ (wherever the gateway mounts it).
  if (req.path === CONSOLE_PATH && !req.trailingSlash) {
    return answer(308, { location: 'ui/', 'cache-control': 'no-cache' }, '', req.requestId);
  }
  const name = req.path === CONSOLE_PATH ? 'index.html' : req.path.slice(CONSOLE_PATH.length + 1);
  const file = (await consoleAssets()).get(name);
  if (!file) {
    return withHeaders(errorResponse(new HttpError(404, 'not_found', `the console has no file ${name.slice(0, 100)}; open ${CONSOLE_PATH}/`), req.requestId));
  }
  const headers = {
    'content-type': file.contentType,
    // Hashed names change with their content: cache them for good. The page is checked every time.
    'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag: file.etag,
  };
  if (req.headers['if-none-match']?.split(/\s*,\s*/).includes(file.etag)) return answer(304, headers, '', req.requestId);
  return answer(200, headers, req.method === 'HEAD' ? '' : file.body, req.requestId);
}
