// A loopback HTTP server that records every request and answers from a script, for the Tencent client tests.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CapturedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw body, decoded as UTF-8. */
  body: string;
  /** Epoch ms when the request had arrived in full. */
  receivedAt: number;
}

/** What the server does with one request. */
export type ScriptedAnswer =
  | { status?: number; headers?: Record<string, string>; body: string }
  /** Close the connection without an answer (ECONNRESET on the client). */
  | { reset: true }
  /** Never answer (the client times out). */
  | { hang: true };

export interface CaptureServer {
  /** e.g. `http://127.0.0.1:40123` */
  origin: string;
  port: number;
  requests: CapturedRequest[];
  /** Answers are taken in order; the last one repeats. */
  answer(...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

export const json = (value: unknown, status = 200, headers: Record<string, string> = {}): ScriptedAnswer => ({
  status,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(value),
});

export const apiError = (code: string, message = `${code} happened`, requestId = 'req-error'): ScriptedAnswer =>
  json({ Response: { Error: { Code: code, Message: message }, RequestId: requestId } });

export const apiSuccess = (response: Record<string, unknown>, requestId = 'req-ok'): ScriptedAnswer =>
  json({ Response: { ...response, RequestId: requestId } });

export async function startCaptureServer(): Promise<CaptureServer> {
  const requests: CapturedRequest[] = [];
  let script: ScriptedAnswer[] = [apiSuccess({})];
  let next = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() });
      const answer = script[Math.min(next, script.length - 1)]!;
      next += 1;
      if ('reset' in answer) {
        req.socket.destroy();
        return;
      }
      if ('hang' in answer) return;
      res.writeHead(answer.status ?? 200, answer.headers ?? {});
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    answer(...answers) {
      script = answers;
      next = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
