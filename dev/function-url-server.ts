// Serves an api function's handler over local HTTP as SCF's Function URL would call it: each request becomes a
// Function URL event (method, path, lower-case headers, query, body) and the integrated response is written back.
// Used by `npm start` and the browser tests (test/browser).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ScfContext, ScfHttpResponse } from '../lib/scf/types';

export type FunctionUrlHandler = (event: unknown, context: ScfContext) => Promise<ScfHttpResponse>;

export interface FunctionUrlServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function serveFunctionUrl(handler: FunctionUrlHandler, port = 0, host = '127.0.0.1'): Promise<FunctionUrlServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const event = {
        httpMethod: req.method ?? 'GET',
        path: url.pathname,
        headers,
        queryString: Object.fromEntries(url.searchParams),
        body: chunks.length ? Buffer.concat(chunks).toString('utf8') : '',
        isBase64Encoded: false,
      };
      handler(event, { request_id: randomUUID() }).then(
        (r) => {
          res.writeHead(r.statusCode, r.headers);
          res.end(r.isBase64Encoded ? Buffer.from(r.body, 'base64') : r.body);
        },
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
