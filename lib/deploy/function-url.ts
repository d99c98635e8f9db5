// The deploy step after `serverless deploy`: what serverless-tencent-scf@0.1.36 cannot declare or does not keep.
//   - the api function's Function URL: an SCF trigger of type `http` (the plugin knows no such event type, and
//     API Gateway triggers went offline on 2025-06-30);
//   - the poll function's timer is enabled (someone may have switched it off in the console).
// Both are bound to the target's qualifier: the alias `live` (lib/deploy/versions.ts) by default, or $LATEST with
// SCF_VERSIONS=off. The plugin can only make triggers on $LATEST, so on an alias the poll function gets its own
// timer (cwp-task-bridge-poll-live, with the cron of serverless.yml's timer) and serverless.yml's timer on
// $LATEST is switched off; `serverless deploy` switches it on again each time (it always recreates it), and the
// next step switches it off: for those seconds both may fire, which overlapping sweeps allow.
// Idempotent: it lists the triggers first and calls CreateTrigger / UpdateTrigger / UpdateTriggerStatus only for
// what is missing, different or off, so a second run changes nothing. It talks to SCF API 3.0 through a
// TencentCaller (a TencentClient in scripts/deploy.ts, the emulator's endpoint in tests) and returns what it
// found and did; printing is the CLI's.
import type {
  CreateTriggerRequest,
  CreateTriggerResponse,
  ListTriggersRequest,
  ListTriggersResponse,
  TriggerInfo,
  UpdateTriggerRequest,
  UpdateTriggerStatusRequest,
} from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/v20180416/scf_models';
import { isTencentError, type TencentError } from '../errors';
import type { TencentCaller } from '../tencent/types';

export const SCF_SERVICE = 'scf';
export const SCF_VERSION = '2018-04-16';
export const SCF_DEFAULT_ENDPOINT = 'https://scf.tencentcloudapi.com';

/** serverless.yml's `service:`; the plugin names functions `<service>-<stage>-<function>`. */
export const SERVICE_NAME = 'cwp-task-bridge';
/** serverless.yml's timer event name on the poll function. */
export const POLL_TIMER_TRIGGER_NAME = 'cwp-task-bridge-poll';
/** The poll function's timer on an alias (the plugin's is on $LATEST). */
export const ALIAS_TIMER_TRIGGER_NAME = 'cwp-task-bridge-poll-live';
export const FUNCTION_URL_TRIGGER_NAME = 'cwp-task-bridge-url';

/**
 * The TriggerDesc of the Function URL we create. Tencent documents the http trigger ("创建函数 URL", section
 * "使用 API 创建函数 URL": https://cloud.tencent.com/document/product/583/100227) as CreateTrigger with Type `http`
 * and a TriggerDesc of AuthType (`CAM` or `NONE`), NetConfig {EnableIntranet, EnableExtranet} (both required) and
 * an optional CorsConfig, e.g. `{"AuthType":"NONE","NetConfig":{"EnableIntranet":false,"EnableExtranet":true}}`.
 * AuthType NONE because the API checks its own bearer tokens (API_TOKENS); a CAM-signed URL would lock out every
 * client that is not a Tencent Cloud SDK. Public access only. No CorsConfig: no browser calls this API. There is
 * no method list in a Function URL: GET, POST, PUT, DELETE, ... all reach the handler, which routes itself.
 */
export const FUNCTION_URL_TRIGGER_DESC = { AuthType: 'NONE', NetConfig: { EnableIntranet: false, EnableExtranet: true } } as const;

/** ListTriggers' documented default page (its maximum is not documented); a function has few triggers anyway. */
const LIST_PAGE_SIZE = 20;

export interface DeployTarget {
  region: string;
  namespace: string;
  apiFunction: string;
  pollFunction: string;
  /** The version or alias the triggers bind to: the alias `live`, or `$LATEST` (where the plugin deploys) with SCF_VERSIONS=off. */
  qualifier: string;
}

export function deployTarget(stage: string, region: string, qualifier = '$LATEST'): DeployTarget {
  return {
    region,
    namespace: 'default',
    apiFunction: `${SERVICE_NAME}-${stage}-api`,
    pollFunction: `${SERVICE_NAME}-${stage}-poll`,
    qualifier,
  };
}

export interface FunctionUrlResult {
  functionName: string;
  /** created: we made it; unchanged: ours was there; kept: one with other settings was there and is left alone. */
  action: 'created' | 'unchanged' | 'kept';
  triggerName: string;
  qualifier: string;
  /** The public URL (NetConfig.ExtranetUrl), or null while SCF has not published one. */
  url: string | null;
  intranetUrl: string | null;
  /** How an existing Function URL differs from FUNCTION_URL_TRIGGER_DESC; [] when it matches. */
  differences: string[];
}

export interface TimerResult {
  functionName: string;
  triggerName: string;
  /**
   * enabled: it was off and UpdateTriggerStatus turned it on; unchanged: it was on; created: the alias's timer was
   * made; updated: the alias's timer had another cron than serverless.yml's and now has that one.
   */
  action: 'enabled' | 'unchanged' | 'created' | 'updated';
  cron: string | null;
  /** The version or alias the timer fires. */
  qualifier: string;
  /** On an alias, serverless.yml's timer on $LATEST: switched off by this run, or found off; null on $LATEST. */
  latestTimer: 'switched-off' | 'off' | null;
}

/** A failure of the deploy step, with a message that says what to do; `cause` is the TencentError, if any. */
export class DeployStepError extends Error {
  override readonly name: string = 'DeployStepError';
}

export interface EnsureFunctionUrlOptions {
  /** After CreateTrigger, how often to look for the URL if SCF has not filled it in yet. Default 10 x 1000 ms. */
  urlAttempts?: number;
  urlDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Every trigger of a function (ListTriggers, paged). */
export async function listTriggers(scf: TencentCaller, target: DeployTarget, functionName: string): Promise<TriggerInfo[]> {
  const all: TriggerInfo[] = [];
  for (let offset = 0; ; offset += LIST_PAGE_SIZE) {
    const request: ListTriggersRequest = { FunctionName: functionName, Namespace: target.namespace, Offset: offset, Limit: LIST_PAGE_SIZE };
    const { response } = await callScf<ListTriggersResponse>(scf, target, 'ListTriggers', { ...request }, functionName);
    const page = response.Triggers ?? [];
    all.push(...page);
    if (page.length < LIST_PAGE_SIZE || all.length >= (response.TotalCount ?? 0)) return all;
  }
}

/** Creates the api function's Function URL unless it has one. */
export async function ensureFunctionUrl(scf: TencentCaller, target: DeployTarget, options: EnsureFunctionUrlOptions = {}): Promise<FunctionUrlResult> {
  const functionName = target.apiFunction;
  const existing = pickHttpTrigger(await listTriggers(scf, target, functionName), target.qualifier);
  if (existing) return describeExisting(functionName, existing, target.qualifier);

  const request: CreateTriggerRequest = {
    FunctionName: functionName,
    TriggerName: FUNCTION_URL_TRIGGER_NAME,
    Type: 'http',
    TriggerDesc: JSON.stringify(FUNCTION_URL_TRIGGER_DESC),
    Namespace: target.namespace,
    Qualifier: target.qualifier,
    Enable: 'OPEN',
    Description: 'cwp-task-bridge HTTP API',
  };
  let created: CreateTriggerResponse;
  try {
    created = (await scf.call<CreateTriggerResponse>('CreateTrigger', { ...request })).response;
  } catch (e) {
    // A concurrent deploy, or a retry of ours whose first answer was lost, may have created it meanwhile.
    if (isTencentError(e) && e.code.startsWith('ResourceInUse')) {
      const now = pickHttpTrigger(await listTriggers(scf, target, functionName), target.qualifier);
      if (now) return describeExisting(functionName, now, target.qualifier);
    }
    throw explainScfError(e, target, 'CreateTrigger', functionName);
  }

  let urls = functionUrls(created.TriggerInfo?.TriggerDesc);
  // SCF may publish the URL a moment after CreateTrigger answers: look again for a while.
  const attempts = options.urlAttempts ?? 10;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let i = 0; urls.url === null && urls.intranetUrl === null && i < attempts; i++) {
    await sleep(options.urlDelayMs ?? 1000);
    const now = pickHttpTrigger(await listTriggers(scf, target, functionName), target.qualifier);
    if (now) urls = functionUrls(now.TriggerDesc);
  }
  return { functionName, action: 'created', triggerName: FUNCTION_URL_TRIGGER_NAME, qualifier: target.qualifier, ...urls, differences: [] };
}

/**
 * On $LATEST: turns serverless.yml's timer on if it is off. On an alias: makes sure the alias has its own timer,
 * with serverless.yml's cron and switched on, then switches serverless.yml's timer on $LATEST off. The timer on
 * $LATEST is serverless.yml's to create, and is where the cron comes from.
 */
export async function ensurePollTimer(scf: TencentCaller, target: DeployTarget): Promise<TimerResult> {
  const functionName = target.pollFunction;
  const triggers = await listTriggers(scf, target, functionName);
  const timer = triggers.find((t) => t.Type === 'timer' && t.TriggerName === POLL_TIMER_TRIGGER_NAME);
  if (!timer) {
    const others = triggers.filter((t) => t.Type === 'timer').map((t) => t.TriggerName);
    throw new DeployStepError(
      `${functionName} has no timer trigger ${POLL_TIMER_TRIGGER_NAME}${others.length ? ` (it has ${others.join(', ')})` : ''}: ` +
        '`serverless deploy` creates it from serverless.yml; run `npm run deploy` without --skip-serverless',
    );
  }
  const cron = timerCron(timer.TriggerDesc);
  const timerQualifier = timer.Qualifier || '$LATEST';
  if (target.qualifier === '$LATEST') {
    const result = { functionName, triggerName: POLL_TIMER_TRIGGER_NAME, cron, qualifier: timerQualifier, latestTimer: null };
    if (isEnabled(timer.Enable)) return { ...result, action: 'unchanged' };
    await setTimerSwitch(scf, target, functionName, POLL_TIMER_TRIGGER_NAME, timerQualifier, 'OPEN');
    return { ...result, action: 'enabled' };
  }

  if (cron === null) throw new DeployStepError(`${functionName}: the cron of timer ${POLL_TIMER_TRIGGER_NAME} cannot be read from its TriggerDesc ${JSON.stringify(timer.TriggerDesc ?? '')}; check it in the SCF console`);
  const onAlias = triggers.find((t) => t.Type === 'timer' && t.TriggerName === ALIAS_TIMER_TRIGGER_NAME && (t.Qualifier || '$LATEST') === target.qualifier);
  let action: TimerResult['action'];
  if (!onAlias) {
    const request: CreateTriggerRequest = {
      FunctionName: functionName,
      TriggerName: ALIAS_TIMER_TRIGGER_NAME,
      Type: 'timer',
      TriggerDesc: cron,
      Namespace: target.namespace,
      Qualifier: target.qualifier,
      Enable: 'OPEN',
      Description: `cwp-task-bridge sweep on ${target.qualifier}`,
    };
    await callScf(scf, target, 'CreateTrigger', { ...request }, functionName);
    action = 'created';
  } else if (timerCron(onAlias.TriggerDesc) !== cron) {
    const request: UpdateTriggerRequest = { FunctionName: functionName, TriggerName: ALIAS_TIMER_TRIGGER_NAME, Type: 'timer', Qualifier: target.qualifier, Namespace: target.namespace, TriggerDesc: cron, Enable: 'OPEN' };
    await callScf(scf, target, 'UpdateTrigger', { ...request }, functionName);
    action = 'updated';
  } else if (!isEnabled(onAlias.Enable)) {
    await setTimerSwitch(scf, target, functionName, ALIAS_TIMER_TRIGGER_NAME, target.qualifier, 'OPEN');
    action = 'enabled';
  } else action = 'unchanged';

  // Only now, so the sweep never stops: the alias's timer is on before the one on $LATEST goes off.
  let latestTimer: TimerResult['latestTimer'] = 'off';
  if (isEnabled(timer.Enable)) {
    await setTimerSwitch(scf, target, functionName, POLL_TIMER_TRIGGER_NAME, timerQualifier, 'CLOSE');
    latestTimer = 'switched-off';
  }
  return { functionName, triggerName: ALIAS_TIMER_TRIGGER_NAME, action, cron, qualifier: target.qualifier, latestTimer };
}

async function setTimerSwitch(scf: TencentCaller, target: DeployTarget, functionName: string, triggerName: string, qualifier: string, enable: 'OPEN' | 'CLOSE'): Promise<void> {
  const request: UpdateTriggerStatusRequest = { Enable: enable, FunctionName: functionName, TriggerName: triggerName, Type: 'timer', Qualifier: qualifier, Namespace: target.namespace };
  await callScf(scf, target, 'UpdateTriggerStatus', { ...request }, functionName);
}

/** The http trigger bound to `qualifier`, else any http trigger (a Function URL made on an alias). */
function pickHttpTrigger(triggers: TriggerInfo[], qualifier: string): TriggerInfo | undefined {
  const http = triggers.filter((t) => t.Type === 'http');
  return http.find((t) => (t.Qualifier || '$LATEST') === qualifier) ?? http[0];
}

function describeExisting(functionName: string, trigger: TriggerInfo, qualifier: string): FunctionUrlResult {
  const desc = parseJson(trigger.TriggerDesc);
  const net = isObject(desc?.NetConfig) ? desc.NetConfig : {};
  const differences: string[] = [];
  if (desc?.AuthType !== FUNCTION_URL_TRIGGER_DESC.AuthType) {
    differences.push(`auth type is ${String(desc?.AuthType ?? 'unknown')}, not NONE: clients with only an API token are refused`);
  }
  if (net.EnableExtranet !== true) differences.push('public (extranet) access is off');
  if (!isEnabled(trigger.Enable)) differences.push('the trigger is disabled');
  const boundTo = trigger.Qualifier || '$LATEST';
  if (boundTo !== qualifier) differences.push(`it is bound to ${boundTo}, not ${qualifier}`);
  return {
    functionName,
    action: differences.length === 0 ? 'unchanged' : 'kept',
    triggerName: trigger.TriggerName ?? '',
    qualifier: boundTo,
    ...functionUrls(trigger.TriggerDesc),
    differences,
  };
}

/** The URLs in an http trigger's TriggerDesc as SCF answers it: NetConfig.ExtranetUrl / IntranetUrl. */
function functionUrls(triggerDesc: string | undefined): { url: string | null; intranetUrl: string | null } {
  const net = parseJson(triggerDesc)?.NetConfig;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return isObject(net) ? { url: text(net.ExtranetUrl), intranetUrl: text(net.IntranetUrl) } : { url: null, intranetUrl: null };
}

/** A timer's TriggerDesc is answered as `{"cron": "..."}` (the plugin parses it so); a bare cron is accepted too. */
function timerCron(triggerDesc: string | undefined): string | null {
  const desc = parseJson(triggerDesc);
  if (desc && typeof desc.cron === 'string') return desc.cron;
  return triggerDesc && !triggerDesc.trim().startsWith('{') ? triggerDesc : null;
}

/** TriggerInfo.Enable is a number (1 on, 0 off); accept the OPEN/CLOSE spelling too. */
function isEnabled(enable: unknown): boolean {
  return enable === 1 || enable === '1' || enable === 'OPEN' || enable === true;
}

/** One SCF call; a failure becomes a DeployStepError that names the action and function and says what to do. */
export async function callScf<T = Record<string, unknown>>(scf: TencentCaller, target: DeployTarget, action: string, payload: Record<string, unknown>, functionName: string) {
  try {
    return await scf.call<T>(action, payload);
  } catch (e) {
    throw explainScfError(e, target, action, functionName);
  }
}

/** A DeployStepError saying what failed and what to do, from the error table's kind of the TencentError. */
export function explainScfError(e: unknown, target: DeployTarget, action: string, functionName: string): unknown {
  if (!isTencentError(e)) return e;
  const where = `${functionName} (namespace ${target.namespace}, region ${target.region})`;
  const what = `${action} on ${where} failed with ${e.code}: ${e.message}`;
  const ref = e.requestId ? ` [RequestId ${e.requestId}]` : '';
  return new DeployStepError(`${what}. ${advice(e, action)}${ref}`, { cause: e });
}

function advice(e: TencentError, action: string): string {
  // The error table knows CWP's bare ResourceNotFound; SCF's sub-codes fall to its unknown row, so they are read here.
  if (e.code === 'ResourceNotFound.Function' || e.code === 'ResourceNotFound.FunctionName' || e.code === 'ResourceNotFound.Namespace') {
    return 'Deploy the functions first (`npm run deploy` without --skip-serverless) and check SCF_STAGE and TENCENTCLOUD_REGION';
  }
  switch (e.row.kind) {
    case 'auth':
      return `Check the credentials (TENCENTCLOUD_SECRET_ID/KEY or ~/credentials) and that their CAM policy allows scf:${action} (docs/deploy.md lists the actions)`;
    case 'throttled':
      return 'SCF throttled the call even after backing off: wait a minute and run again';
    case 'retryable':
      return 'SCF or the network failed even after retries: run again (the step is idempotent); SCF_ENDPOINT overrides the endpoint';
    case 'invalid':
      return 'SCF refused the request: the SCF API may have changed, please report it with this message';
    default:
      return 'Run again after fixing the cause; the step is idempotent';
  }
}

function parseJson(text: string | undefined): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const v: unknown = JSON.parse(text);
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
