// Local chat robots for tests, on 127.0.0.1 and a random port, one per vendor, each answering the way the vendor
// does (test/fixtures/chat-robots.json): WeCom, DingTalk and Feishu always HTTP 200 with an errcode/code, Slack
// statuses with Retry-After. Each one
//   - checks the robot's credential in the URL and, for DingTalk (query) and Feishu (body), the signature exactly,
//     with the vendor's 1-hour timestamp window;
//   - enforces the vendor's rate limit on the test's clock, over every window of the vendor's length (closed: a
//     request exactly one window after another still counts against it): WeCom 20/min (45009), DingTalk 20/min
//     then a 10-minute block (130101), Feishu 5/s and 100/min (11232), Slack 1/s (429, Retry-After: 1);
//   - checks the vendor's size limit (WeCom markdown 4096 bytes, Feishu body 20 KB);
//   - can be told to answer a configuration error or "gone" (the vendor's real shapes);
//   - records every accepted message's body.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RobotKind = 'wecom' | 'dingtalk' | 'feishu' | 'slack';

export interface Accepted {
  at: number;
  body: Record<string, unknown>;
  /** The markdown people read: WeCom/DingTalk's text, the card's lark_md blocks, Slack's section blocks (headers and fallbacks left out). */
  text: string;
}

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const TOKEN = 'tok3nSECRETvalue0123456789';
const HOUR_MS = 3_600_000;

/** Requests in the closed window [now - windowMs, now] among `times`. */
const inWindow = (times: number[], now: number, windowMs: number) => times.filter((t) => t >= now - windowMs).length;

export class ChatRobotReceiver {
  readonly accepted: Accepted[] = [];
  /** Throttling answers given (45009, 130101, 11232, 429). */
  throttled = 0;
  /** Requests refused for a bad signature, timestamp or credential. */
  badSignature = 0;
  /** Requests over the vendor's size limit. */
  oversize = 0;
  /** Every request that reached the rate check, by time. */
  private readonly hits: number[] = [];
  private blockedUntil = 0;
  private mode: 'ok' | 'config' | 'gone' = 'ok';
  private server: Server | null = null;
  private port = 0;

  private constructor(readonly kind: RobotKind, readonly secret: string | null, private readonly now: () => number) {}

  static async start(kind: RobotKind, options: { secret?: string; now?: () => number } = {}): Promise<ChatRobotReceiver> {
    const r = new ChatRobotReceiver(kind, options.secret ?? null, options.now ?? Date.now);
    r.server = createServer((req, res) => void r.handle(req, res));
    await new Promise<void>((resolve) => r.server!.listen(0, '127.0.0.1', resolve));
    r.port = (r.server.address() as AddressInfo).port;
    return r;
  }

  /** The robot's webhook address, shaped like the vendor's, with a credential in it. */
  get url(): string {
    const base = `http://127.0.0.1:${this.port}`;
    switch (this.kind) {
      case 'wecom':
        return `${base}/cgi-bin/webhook/send?key=${TOKEN}`;
      case 'dingtalk':
        return `${base}/robot/send?access_token=${TOKEN}`;
      case 'feishu':
        return `${base}/open-apis/bot/v2/hook/${TOKEN}`;
      case 'slack':
        return `${base}/services/T000/B000/${TOKEN}`;
    }
  }

  /** The credential in the URL, which must never appear in a reason or a log. */
  get token(): string {
    return TOKEN;
  }

  /** From now on, answer the vendor's configuration error (keyword / security settings / payload). */
  misconfigure(): this {
    this.mode = 'config';
    return this;
  }

  /** From now on, answer that the robot or channel is gone. */
  gone(): this {
    this.mode = 'gone';
    return this;
  }

  healthy(): this {
    this.mode = 'ok';
    return this;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    await new Promise<void>((resolve) => {
      this.server!.close(() => resolve());
      this.server!.closeAllConnections();
    });
    this.server = null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const a = this.answer(req.method ?? 'GET', url, raw);
    res.writeHead(a.status, { 'content-type': a.status === 200 && this.kind !== 'slack' ? 'application/json' : 'text/plain', ...a.headers });
    res.end(a.body);
  }

  private json(v: unknown): Answer {
    return { status: 200, body: JSON.stringify(v) };
  }

  private answer(method: string, url: URL, raw: Buffer): Answer {
    const now = this.now();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return this.kind === 'slack' ? { status: 400, body: 'invalid_payload' } : this.json(this.kind === 'feishu' ? { code: 9499, msg: 'Bad Request' } : { errcode: 40058, errmsg: 'invalid json' });
    }
    if (method !== 'POST') return { status: 405, body: 'method not allowed' };
    switch (this.kind) {
      case 'wecom':
        return this.wecom(url, body, now);
      case 'dingtalk':
        return this.dingtalk(url, body, now);
      case 'feishu':
        return this.feishu(url, body, now, raw.length);
      case 'slack':
        return this.slack(url, body, now);
    }
  }

  private accept(body: Record<string, unknown>, text: string, now: number): void {
    this.accepted.push({ at: now, body, text });
  }

  private wecom(url: URL, body: Record<string, unknown>, now: number): Answer {
    if (url.pathname !== '/cgi-bin/webhook/send' || url.searchParams.get('key') !== TOKEN) {
      this.badSignature++;
      return this.json({ errcode: 93000, errmsg: 'invalid webhook url, hint: [1764669600_1_abcdef], from ip: 127.0.0.1' });
    }
    if (this.mode === 'gone') return this.json({ errcode: 93000, errmsg: `invalid webhook url, key ${TOKEN} not found` });
    this.hits.push(now);
    if (inWindow(this.hits, now, 60_000) > 20) {
      this.throttled++;
      return this.json({ errcode: 45009, errmsg: 'api freq out of limit' });
    }
    if (this.mode === 'config') return this.json({ errcode: 40058, errmsg: 'markdown.content exceed max length or invalid Parameter' });
    const content = (body.markdown as { content?: unknown } | undefined)?.content;
    if (body.msgtype !== 'markdown' || typeof content !== 'string' || content.length === 0) return this.json({ errcode: 40008, errmsg: 'invalid message type' });
    if (Buffer.byteLength(content, 'utf8') > 4096) {
      this.oversize++;
      return this.json({ errcode: 40058, errmsg: 'markdown.content exceed max length 4096' });
    }
    this.accept(body, content, now);
    return this.json({ errcode: 0, errmsg: 'ok' });
  }

  private dingtalk(url: URL, body: Record<string, unknown>, now: number): Answer {
    if (url.pathname !== '/robot/send' || url.searchParams.get('access_token') !== TOKEN) return this.json({ errcode: 300001, errmsg: 'token is not exist' });
    if (this.secret !== null) {
      const ts = Number(url.searchParams.get('timestamp'));
      const sign = url.searchParams.get('sign');
      const expected = createHmac('sha256', this.secret).update(`${ts}\n${this.secret}`).digest('base64');
      if (!Number.isFinite(ts) || Math.abs(now - ts) > HOUR_MS) {
        this.badSignature++;
        return this.json({ errcode: 310000, errmsg: 'invalid timestamp' });
      }
      if (sign !== expected) {
        this.badSignature++;
        return this.json({ errcode: 310000, errmsg: 'sign not match' });
      }
    }
    if (this.mode === 'gone') return this.json({ errcode: 300001, errmsg: 'token is not exist' });
    if (now < this.blockedUntil) {
      this.throttled++;
      return this.json({ errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' });
    }
    this.hits.push(now);
    if (inWindow(this.hits, now, 60_000) > 20) {
      this.throttled++;
      this.blockedUntil = now + 600_000;
      return this.json({ errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' });
    }
    if (this.mode === 'config') return this.json({ errcode: 310000, errmsg: 'keywords not in content, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]' });
    const md = body.markdown as { title?: unknown; text?: unknown } | undefined;
    if (body.msgtype !== 'markdown' || typeof md?.title !== 'string' || typeof md.text !== 'string') return this.json({ errcode: 40035, errmsg: 'missing parameter' });
    this.accept(body, md.text, now);
    return this.json({ errcode: 0, errmsg: 'ok' });
  }

  private feishu(url: URL, body: Record<string, unknown>, now: number, bytes: number): Answer {
    if (url.pathname !== `/open-apis/bot/v2/hook/${TOKEN}`) return this.json({ code: 19001, msg: 'param invalid: incoming webhook access token invalid' });
    if (this.secret !== null) {
      const ts = body.timestamp;
      const expected = typeof ts === 'string' ? createHmac('sha256', `${ts}\n${this.secret}`).update('').digest('base64') : null;
      if (typeof ts !== 'string' || Math.abs(now - Number(ts) * 1000) > HOUR_MS || body.sign !== expected) {
        this.badSignature++;
        return this.json({ code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' });
      }
    }
    this.hits.push(now);
    if (inWindow(this.hits, now, 1_000) > 5 || inWindow(this.hits, now, 60_000) > 100) {
      this.throttled++;
      return this.json({ code: 11232, msg: 'frequency limited' });
    }
    if (this.mode === 'config') return this.json({ code: 19024, msg: 'Key Words Not Found' });
    if (this.mode === 'gone') return this.json({ code: 19001, msg: 'param invalid: incoming webhook access token invalid' });
    if (bytes > 20 * 1024) {
      this.oversize++;
      return this.json({ code: 9499, msg: 'Bad Request: body over 20 KB' });
    }
    if (body.msg_type !== 'interactive' || typeof body.card !== 'object') return this.json({ code: 9499, msg: 'Bad Request' });
    const elements = ((body.card as { elements?: Array<{ text?: { content?: string } }> }).elements ?? []);
    this.accept(body, elements.map((e) => e.text?.content ?? '').filter(Boolean).join('\n'), now);
    return this.json({ code: 0, data: {}, msg: 'success' });
  }

  private slack(url: URL, body: Record<string, unknown>, now: number): Answer {
    if (url.pathname !== `/services/T000/B000/${TOKEN}`) return { status: 403, body: 'invalid_token' };
    if (this.mode === 'gone') return { status: 410, body: 'channel_is_archived' };
    this.hits.push(now);
    if (inWindow(this.hits, now, 1_000) > 1) {
      this.throttled++;
      return { status: 429, body: 'rate limited', headers: { 'retry-after': '1' } };
    }
    if (this.mode === 'config') return { status: 403, body: 'action_prohibited' };
    if (typeof body.text !== 'string' || !Array.isArray(body.blocks)) return { status: 400, body: 'invalid_payload' };
    const sections = (body.blocks as Array<{ type?: string; text?: { text?: string } }>).filter((b) => b.type === 'section');
    this.accept(body, sections.map((b) => b.text?.text ?? '').join('\n'), now);
    return { status: 200, body: 'ok' };
  }
}
