// The Tencent client's default transport: one POST on node:http / node:https with a keep-alive agent.
//
// Why not Node's fetch: undici's Request and Response register WeakRefs and FinalizationRegistry entries per
// request (the request's AbortController, the response body stream), and V8's scavenger treats those as strong,
// so every fetch's object graph (streams, headers, promises: ~25 KB) survives the young generation and is
// promoted to the old one, where it waits for the next full GC. At 40 checks/s that grew the poll function's
// heap by ~1.3 MB/s (P5, bench/p5-sweep-rss.ts); this transport allocates a few objects per call that die young.
//
// The node modules are loaded at the first call, not at import: the api function may never call Tencent, and
// node:https pulls in TLS.
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';

/** The part of a fetch Response that TencentClient reads. */
export interface PostAnswer {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface PostInit {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  /** Aborting it destroys the request; the call rejects with the signal's reason. */
  signal: AbortSignal;
}

/** What TencentClient needs of a fetch: Node's global fetch and test doubles fit it too. */
export type PostFn = (url: string, init: PostInit) => Promise<PostAnswer>;

/** Idle keep-alive sockets are closed after this long (undici's default keep-alive timeout is 4 s too). */
const IDLE_SOCKET_MS = 4_000;

interface Transport {
  request: typeof import('node:http').request;
  agent: HttpAgent;
}

const transports: Partial<Record<'http:' | 'https:', Transport>> = {};

function transportFor(protocol: string): Transport {
  if (protocol !== 'http:' && protocol !== 'https:') throw new TypeError(`unsupported protocol ${protocol}`);
  let t = transports[protocol];
  if (!t) {
    const mod = (protocol === 'https:' ? require('node:https') : require('node:http')) as typeof import('node:http');
    // `timeout` applies to sockets; the agent destroys a free (idle) socket when it fires. A request in flight
    // is bounded by the caller's signal, not by this.
    t = { request: mod.request, agent: new mod.Agent({ keepAlive: true, scheduling: 'lifo', timeout: IDLE_SOCKET_MS }) };
    transports[protocol] = t;
  }
  return t;
}

function headerGetter(res: IncomingMessage): PostAnswer['headers'] {
  return {
    get(name: string): string | null {
      const v = res.headers[name.toLowerCase()];
      if (v === undefined) return null;
      return Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

/** POSTs `init.body` to `url` and resolves once the whole answer has arrived. */
export const nodePost: PostFn = (url, init) =>
  new Promise<PostAnswer>((resolve, reject) => {
    const { signal } = init;
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const target = new URL(url);
    const { request, agent } = transportFor(target.protocol);
    const body = Buffer.from(init.body, 'utf8');
    let settled = false;
    const finish = (error: unknown, answer?: PostAnswer) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error !== undefined) reject(error);
      else resolve(answer!);
    };
    const req = request(target, { method: init.method, agent, headers: { ...init.headers, 'Content-Length': String(body.length) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('error', (e) => finish(e));
      res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: headerGetter(res), text: () => Promise.resolve(text) }));
      res.on('close', () => {
        if (!res.complete) finish(Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' }));
      });
    });
    function onAbort() {
      req.destroy();
      finish(signal.reason);
    }
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => finish(e));
    req.end(body);
  });
