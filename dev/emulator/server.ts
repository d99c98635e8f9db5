// The HTTP front: API 3.0 requests (POST / with X-TC-* headers) for yunjing, cwp, tdmq, eb and scf on one port, and
// the control routes under /_emulator/. Every API answer is HTTP 200 with {"Response":{...,"RequestId"}} unless a
// fault says otherwise.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAuthorization } from '../../lib/tencent/sign';
import { verifyRequest, type EmulatorCredential } from './auth';
import { CWP_ACTIONS, CWP_VERSION, type CwpFace } from './cwp';
import { EB_ACTIONS, EB_VERSION, type EventBridge } from './eb';
import { ApiError, rateLimitMessage } from './errors';
import type { Faults, FaultSpec } from './faults';
import { MACHINE_ACTIONS, type Machines } from './machines';
import type { RateLimiter, RequestRecord } from './ratelimit';
import { SCF_ACTIONS, SCF_VERSION, type Scf } from './scf';
import { TDMQ_ACTIONS, TDMQ_VERSION, type Tdmq } from './tdmq';
import { handleYunjing, YUNJING_ACTIONS, YUNJING_VERSION, type Agents } from './yunjing';

/** The state the API front reads; startEmulator owns it. */
export interface ApiCore {
  agents: Agents;
  machines: Machines;
  /** The cwp face over the same agents and machines. */
  cwp: CwpFace;
  tdmq: Tdmq;
  eb: EventBridge;
  scf: Scf;
  faults: Faults;
  limiter: RateLimiter;
  credentials: Map<string, EmulatorCredential>;
  /** SecretIds whose permission was revoked: valid signature, but UnauthorizedOperation. */
  revoked: Set<string>;
  rateLimitPerSecond: number;
  now: () => number;
  quiet: boolean;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024; // the TC3 POST limit

const SERVICES = [
  { service: 'yunjing', version: YUNJING_VERSION, actions: [...YUNJING_ACTIONS, ...MACHINE_ACTIONS] },
  { service: 'cwp', version: CWP_VERSION, actions: CWP_ACTIONS },
  { service: 'tdmq', version: TDMQ_VERSION, actions: TDMQ_ACTIONS },
  { service: 'eb', version: EB_VERSION, actions: EB_ACTIONS },
  { service: 'scf', version: SCF_VERSION, actions: SCF_ACTIONS },
];

export function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The service of an action, checking X-TC-Version against it. An action two services share (DescribeMachines: yunjing
 * and cwp, both 2018-02-28) goes to the service the request names: its credential scope, else the first label of its
 * Host (`cwp.localhost`); a scope that names neither (the SDK's `127` for 127.0.0.1) gets the first listed, yunjing.
 */
function route(action: string | undefined, version: string | undefined, named: readonly string[]): string {
  if (!action) throw new ApiError('MissingParameter', 'The request is missing a required parameter `X-TC-Action`.');
  // yunjing and cwp are two hosts of one product: a request for one of them (its scope or host) asking for the
  // other's action (cwp dropped yunjing's tasks in 2021; yunjing never had cwp's scan) is InvalidAction there.
  const cwpFamily = SERVICES.filter((s) => s.service === 'yunjing' || s.service === 'cwp');
  const namedCwp = cwpFamily.find((s) => named.includes(s.service));
  if (namedCwp && !namedCwp.actions.includes(action) && cwpFamily.some((s) => s.actions.includes(action))) {
    throw new ApiError('InvalidAction', `The action \`${action}\` does not exist.`);
  }
  const candidates = SERVICES.filter((s) => s.actions.includes(action));
  const svc = candidates.find((s) => named.includes(s.service)) ?? candidates[0];
  if (!svc) throw new ApiError('InvalidAction', `The action \`${action}\` does not exist.`);
  if (version !== svc.version) throw new ApiError('NoSuchVersion', `The API version \`${version ?? ''}\` does not exist for \`${action}\`; use ${svc.version}.`);
  return svc.service;
}

function answerFault(res: ServerResponse, fault: FaultSpec, requestId: string): void {
  switch (fault.fault) {
    case 'reset':
      res.socket?.destroy();
      return;
    case 'http500': {
      const status = fault.status ?? 500;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(`emulated HTTP ${status}`);
      return;
    }
    case 'badBody':
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      return;
    case 'emptyBody':
      sendJson(res, 200, {});
      return;
    default: {
      const err = new ApiError(fault.code ?? 'InternalError', fault.message);
      sendJson(res, 200, { Response: { Error: { Code: err.code, Message: err.message }, RequestId: requestId } });
    }
  }
}

export async function handleApi(core: ApiCore, req: IncomingMessage, res: ServerResponse, body: string | null): Promise<void> {
  const action = header(req, 'x-tc-action') ?? '';
  const requestId = randomUUID();
  const uuid = requestUuid(body);
  const record = (outcome: RequestRecord['outcome'], code: string | null, at = core.now()) => {
    core.limiter.record({ at, action, outcome, code, ...(uuid ? { uuid } : {}) });
    if (!core.quiet) process.stderr.write(`[emulator] ${action || '-'} ${outcome}${code ? ' ' + code : ''}\n`);
  };

  const fault = core.faults.take(action);
  if (fault?.fault === 'latency') await new Promise((r) => setTimeout(r, fault.ms ?? 1000));
  else if (fault) {
    record('fault', fault.fault === 'error' ? (fault.code ?? 'InternalError') : fault.fault);
    answerFault(res, fault, requestId);
    return;
  }

  let admittedAt: number | null = null;
  try {
    if (req.method !== 'POST') throw new ApiError('InvalidParameter', 'Only POST with a JSON body (TC3-HMAC-SHA256) is emulated.');
    if (body === null) throw new ApiError('InvalidParameter', `The request body exceeds ${MAX_BODY_BYTES} bytes.`);
    const scope = parseAuthorization(header(req, 'authorization') ?? '')?.service;
    const hostLabel = (header(req, 'host') ?? '').split('.')[0]!.split(':')[0]!;
    const service = route(action, header(req, 'x-tc-version'), [...(scope ? [scope] : []), hostLabel]);
    const secretId = verifyRequest({ headers: req.headers, body, service, credentials: core.credentials, nowMs: core.now() });
    if (core.revoked.has(secretId)) throw new ApiError('UnauthorizedOperation');

    const at = core.now();
    // PutEvents has its own documented limit; every other action the common one. All are recorded in one log.
    const limit = service === 'eb' ? { limiter: core.eb.limiter, perSecond: core.eb.rateLimitPerSecond } : { limiter: core.limiter, perSecond: core.rateLimitPerSecond };
    const admitted = limit.limiter.admit(action, at);
    if (!admitted.ok) {
      record('throttled', 'RequestLimitExceeded', at);
      const err = new ApiError('RequestLimitExceeded', rateLimitMessage(admitted.count, limit.perSecond));
      sendJson(res, 200, { Response: { Error: { Code: err.code, Message: err.message }, RequestId: requestId } });
      return;
    }
    admittedAt = at;
    const fields =
      service === 'yunjing'
        ? MACHINE_ACTIONS.includes(action)
          ? core.machines.handle(body)
          : handleYunjing(core.agents, action, body)
        : service === 'cwp'
          ? core.cwp.handle(action, body)
          : service === 'scf'
            ? core.scf.handle(action, body, header(req, 'x-tc-region') ?? 'ap-guangzhou')
            : service === 'eb'
              ? core.eb.handle(action, body, requestId)
              : core.tdmq.handle(action, body);
    record('accepted', null, at);
    sendJson(res, 200, { Response: { ...fields, RequestId: requestId } });
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError('InternalError', e instanceof Error ? e.message : String(e));
    record(admittedAt === null ? 'rejected' : 'accepted', err.code, admittedAt ?? undefined);
    sendJson(res, 200, { Response: { Error: { Code: err.code, Message: err.message }, RequestId: requestId } });
  }
}

/** The request's `Uuid` parameter, when it has one (the per-agent actions): the request log names the agent. */
function requestUuid(body: string | null): string | null {
  if (body === null || body.length > 4096 || !body.includes('"Uuid"')) return null;
  try {
    const v = (JSON.parse(body) as { Uuid?: unknown }).Uuid;
    return typeof v === 'string' ? v.toLowerCase() : null;
  } catch {
    return null;
  }
}

export { sendJson };
