// A bare API 3.0 caller for emulator tests: signs with lib/tencent/sign.ts and lets a test break any part of
// the request (scope, timestamp, headers, body). Not the bridge's client: that one is tested against this.
import { signTc3, JSON_CONTENT_TYPE } from '../../lib/tencent/sign';
import { EMULATOR_CREDENTIALS } from '../../dev/emulator';

export const SERVICE_OF: Record<string, { service: string; version: string }> = {
  DescribeProcessTaskStatus: { service: 'yunjing', version: '2018-02-28' },
  DescribeOpenPortTaskStatus: { service: 'yunjing', version: '2018-02-28' },
  CreateProcessTask: { service: 'yunjing', version: '2018-02-28' },
  CreateOpenPortTask: { service: 'yunjing', version: '2018-02-28' },
  PublishCmqMsg: { service: 'tdmq', version: '2020-02-17' },
  SendCmqMsg: { service: 'tdmq', version: '2020-02-17' },
};

export interface CallInput {
  action: string;
  /** An object is sent as JSON; a string is sent as is. */
  payload?: unknown;
  version?: string;
  /** The credential scope's service; default the action's service. */
  scopeService?: string;
  secretId?: string;
  secretKey?: string;
  token?: string;
  /** Seconds; default the given clock's now. */
  timestamp?: number;
  /** Replace (string) or drop (null) the Authorization header. */
  authorization?: string | null;
  /** Replace the signed scope date. */
  scopeDate?: string;
}

export interface CallResult {
  status: number;
  contentType: string | null;
  text: string;
  /** Parsed JSON, or undefined if the body is not JSON. */
  json: any;
}

export async function callApi(url: string, input: CallInput, nowMs: number = Date.now()): Promise<CallResult> {
  const meta = SERVICE_OF[input.action] ?? { service: 'yunjing', version: '2018-02-28' };
  const payload = typeof input.payload === 'string' ? input.payload : JSON.stringify(input.payload ?? {});
  const timestamp = input.timestamp ?? Math.floor(nowMs / 1000);
  const host = new URL(url).host;
  const secretId = input.secretId ?? EMULATOR_CREDENTIALS.secretId;
  let authorization = signTc3({
    secretId,
    secretKey: input.secretKey ?? EMULATOR_CREDENTIALS.secretKey,
    service: input.scopeService ?? meta.service,
    host,
    payload,
    timestamp,
  }).authorization;
  if (input.scopeDate) authorization = authorization.replace(/\/\d{4}-\d{2}-\d{2}\//, `/${input.scopeDate}/`);
  const headers: Record<string, string> = {
    'content-type': JSON_CONTENT_TYPE,
    'x-tc-action': input.action,
    'x-tc-version': input.version ?? meta.version,
    'x-tc-timestamp': String(timestamp),
    'x-tc-region': 'ap-guangzhou',
  };
  if (input.authorization !== null) headers.authorization = input.authorization ?? authorization;
  if (input.token !== undefined) headers['x-tc-token'] = input.token;
  const res = await fetch(url + '/', { method: 'POST', headers, body: payload });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type'), text, json };
}

/** The error code of an answer, or null for a success. */
export const errorCode = (r: CallResult): string | null => r.json?.Response?.Error?.Code ?? null;

/** JSON to/from a control route. */
export async function control(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}
