// A real webhook receiver for tests, on 127.0.0.1 and a random port. It verifies every delivery with the
// `standardwebhooks` library, dedupes by webhook-id the way a receiver should, and counts how many times each
// event was accepted (answered 2xx to a verified request), so a test can assert "exactly once".
// Each request can be scripted: a status (with Retry-After and a body), a delay beyond the sender's timeout,
// a connection reset. `down()` closes the server (connections refused) and `up()` reopens it on the same port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { CloudEvent } from '../../lib/events/types';

export interface Step {
  /** HTTP status to answer. Default 200. */
  status?: number;
  retryAfter?: string;
  body?: string;
  /** Wait this long before answering (beyond the sender's timeout = a timeout). */
  delayMs?: number;
  /** Reset the connection instead of answering. */
  reset?: boolean;
}

export interface ReceivedRequest {
  id: string | null;
  verified: boolean;
  contentType: string | null;
  /** What happened: the status answered, 'reset', or 'abandoned' (the sender hung up first). */
  outcome: number | 'reset' | 'abandoned';
}

export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Verified events by id, in first-accepted order. */
  readonly events = new Map<string, CloudEvent>();
  /** How many times each event id was accepted (2xx to a verified request). */
  readonly accepted = new Map<string, number>();
  private readonly steps: Step[] = [];
  private fallback: Step = { status: 200 };
  private readonly webhook: Webhook;
  private readonly sockets = new Set<Socket>();
  private server: Server;
  private port = 0;

  private constructor(secret: string) {
    this.webhook = new Webhook(secret);
    this.server = this.makeServer();
  }

  static async start(secret: string): Promise<WebhookReceiver> {
    const r = new WebhookReceiver(secret);
    await r.listen(0);
    return r;
  }

  /** The hook URL (loopback http, which the sink accepts without WEBHOOK_ALLOW_HTTP). */
  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Queues steps for the next requests, one each; after them the default step applies. */
  respond(...steps: Step[]): this {
    this.steps.push(...steps);
    return this;
  }

  /** The step for requests once the script is used up (initially: 200). */
  otherwise(step: Step): this {
    this.fallback = step;
    return this;
  }

  /** Unique events accepted. */
  get uniqueCount(): number {
    return this.accepted.size;
  }

  /** Acceptances beyond the first per event id (a duplicate delivery the receiver had to drop). */
  get duplicates(): number {
    let n = 0;
    for (const c of this.accepted.values()) n += c - 1;
    return n;
  }

  /** Requests whose signature did not verify. */
  get unverified(): number {
    return this.requests.filter((r) => !r.verified).length;
  }

  /** Closes the server and every connection: the sender now gets ECONNREFUSED. */
  async down(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
      this.server.closeAllConnections();
    });
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    this.server = this.makeServer();
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.down();
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private makeServer(): Server {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return server;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const id = header(req, 'webhook-id');
    let verified = false;
    let event: CloudEvent | null = null;
    try {
      event = this.webhook.verify(body, {
        'webhook-id': id ?? '',
        'webhook-timestamp': header(req, 'webhook-timestamp') ?? '',
        'webhook-signature': header(req, 'webhook-signature') ?? '',
      }) as CloudEvent;
      verified = event !== null && event.id === id;
    } catch {
      verified = false;
    }
    const record: ReceivedRequest = { id, verified, contentType: header(req, 'content-type'), outcome: 'abandoned' };
    this.requests.push(record);
    if (!verified) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('signature did not verify');
      record.outcome = 400;
      return;
    }

    const step = this.steps.shift() ?? this.fallback;
    if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    if (step.reset) {
      record.outcome = 'reset';
      req.socket.resetAndDestroy();
      return;
    }
    if (res.destroyed || req.socket.destroyed) return; // the sender gave up (timeout): not accepted
    const status = step.status ?? 200;
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    if (step.retryAfter !== undefined) headers['retry-after'] = step.retryAfter;
    res.writeHead(status, headers).end(step.body ?? '');
    record.outcome = status;
    if (status >= 200 && status < 300 && event && id) {
      this.accepted.set(id, (this.accepted.get(id) ?? 0) + 1);
      if (!this.events.has(id)) this.events.set(id, event);
    }
  }
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}
