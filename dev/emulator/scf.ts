// SCF (Serverless Cloud Function) on API 3.0 (scf 2018-04-16), only what the deploy step calls: ListTriggers,
// CreateTrigger and UpdateTriggerStatus on in-memory functions. Functions are made by the control API
// (addFunction); `serverless deploy` is not emulated.
//
// Parameters and shapes: tencentcloud-sdk-nodejs scf_models.d.ts (ListTriggersRequest/Response, TriggerInfo,
// CreateTriggerRequest/Response, Trigger, UpdateTriggerStatusRequest). Documented errors: CreateTrigger in
// tencentcloud-sdk-go tencentcloud/scf/v20180416/client.go (ResourceNotFound.Function, ResourceInUse.Trigger,
// InvalidParameterValue.TriggerDesc/.Type/.Enable/.TriggerName, LimitExceeded.Trigger, ...); the codes used for
// UpdateTriggerStatus and ListTriggers are from scf errors.go (ResourceNotFound.Trigger, ...). The http trigger
// is the Function URL: https://cloud.tencent.com/document/product/583/100227 ("使用 API 创建函数 URL").
import { createHash } from 'node:crypto';
import type { Trigger, TriggerInfo } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/v20180416/scf_models';
import { ApiError } from './errors';

export const SCF_VERSION = '2018-04-16';
export const SCF_ACTIONS: readonly string[] = ['ListTriggers', 'CreateTrigger', 'UpdateTriggerStatus'];
/** The account's AppId in emulated Function URLs. */
export const EMULATOR_APP_ID = '1250000000';

const DEFAULT_NAMESPACE = 'default';
const DEFAULT_QUALIFIER = '$LATEST';
/** "Maximum number of same-type triggers per function: 10" (SCF quota limits, tencentcloud.com/document/product/583/11637). */
const MAX_TRIGGERS_PER_TYPE = 10;
/** CreateTrigger's TriggerName: up to 100 letters, digits, dashes and underscores (for timers; used for every type here). */
const TRIGGER_NAME = /^[A-Za-z0-9_-]{1,100}$/;
const CREATE_TYPES = ['timer', 'http'];
/** UpdateTriggerStatus: "目前只支持 timer、cos、ckafka 三种类型" (scf_models.d.ts). */
const STATUS_TYPES = ['timer', 'cos', 'ckafka'];

export interface ScfTrigger {
  name: string;
  type: string;
  /** TriggerDesc as ListTriggers answers it: `{"cron": ...}` for a timer, the Function URL's JSON for http. */
  desc: string;
  enabled: boolean;
  qualifier: string;
  description: string;
  customArgument: string;
  addTime: string;
  modTime: string;
}

export interface NewTrigger {
  type: string;
  name: string;
  /** As CreateTrigger takes it: the cron expression for a timer, the JSON for http. */
  desc?: string;
  enabled?: boolean;
  qualifier?: string;
}

interface ScfFunction {
  namespace: string;
  name: string;
  triggers: ScfTrigger[];
}

interface HttpTriggerDesc {
  AuthType: 'NONE' | 'CAM';
  NetConfig: { EnableIntranet: boolean; EnableExtranet: boolean };
  CorsConfig?: Record<string, unknown>;
}

export class Scf {
  private readonly functions = new Map<string, ScfFunction>();
  private urlSeq = 0;

  constructor(
    private readonly now: () => number,
    private readonly appId: string = EMULATOR_APP_ID,
  ) {}

  /** Creates the function if it is not there (what `serverless deploy` would have done). */
  addFunction(name: string, options: { namespace?: string } = {}): void {
    const namespace = options.namespace ?? DEFAULT_NAMESPACE;
    const key = functionKey(namespace, name);
    if (!this.functions.has(key)) this.functions.set(key, { namespace, name, triggers: [] });
  }

  /** Adds a trigger as CreateTrigger would, with its checks (e.g. a disabled timer, as a console user leaves it). */
  addTrigger(functionName: string, trigger: NewTrigger, options: { namespace?: string; region?: string } = {}): ScfTrigger {
    const fn = this.requireFunction(options.namespace ?? DEFAULT_NAMESPACE, functionName);
    return { ...this.create(fn, trigger, options.region ?? 'ap-guangzhou') };
  }

  /** The function's triggers, copied; [] for a function that does not exist. */
  triggers(functionName: string, options: { namespace?: string } = {}): ScfTrigger[] {
    const fn = this.functions.get(functionKey(options.namespace ?? DEFAULT_NAMESPACE, functionName));
    return (fn?.triggers ?? []).map((t) => ({ ...t }));
  }

  handle(action: string, body: string, region: string): Record<string, unknown> {
    const params = parseParams(body);
    switch (action) {
      case 'ListTriggers':
        return this.listTriggers(params);
      case 'CreateTrigger':
        return this.createTrigger(params, region);
      case 'UpdateTriggerStatus':
        return this.updateTriggerStatus(params);
      default:
        throw new ApiError('InvalidAction', `The action \`${action}\` does not exist.`);
    }
  }

  private listTriggers(params: Record<string, unknown>): Record<string, unknown> {
    allowOnly(params, ['FunctionName', 'Namespace', 'Offset', 'Limit', 'OrderBy', 'Order', 'Filters']);
    const fn = this.requireFunction(optionalString(params, 'Namespace') ?? DEFAULT_NAMESPACE, requireString(params, 'FunctionName'));
    const offset = optionalCount(params, 'Offset', 0);
    const limit = optionalCount(params, 'Limit', 20);
    // The maximum is not documented (the default is 20): any positive Limit is served.
    if (limit < 1) throw new ApiError('InvalidParameterValue.Limit', 'Limit must be at least 1.');
    const orderBy = optionalString(params, 'OrderBy') ?? 'mod_time';
    if (orderBy !== 'add_time' && orderBy !== 'mod_time') throw new ApiError('InvalidParameterValue.OrderBy', 'OrderBy must be add_time or mod_time.');
    const order = optionalString(params, 'Order') ?? 'DESC';
    if (order !== 'ASC' && order !== 'DESC') throw new ApiError('InvalidParameterValue.Order', 'Order must be ASC or DESC.');
    const filters = parseFilters(params.Filters);

    const key = orderBy === 'add_time' ? 'addTime' : 'modTime';
    const matching = fn.triggers
      .map((t, index) => ({ t, index }))
      .filter(({ t }) => filters.every((f) => f.values.includes(f.name === 'Qualifier' ? t.qualifier : f.name === 'TriggerName' ? t.name : t.description)))
      // Stable on creation order, so paging never skips or repeats a trigger of the same second.
      .sort((a, b) => (a.t[key] === b.t[key] ? a.index - b.index : a.t[key] < b.t[key] ? -1 : 1) * (order === 'ASC' ? 1 : -1))
      .map(({ t }) => t);
    const page = matching.slice(offset, offset + limit).map(triggerInfo);
    return { TotalCount: matching.length, Triggers: page };
  }

  private createTrigger(params: Record<string, unknown>, region: string): Record<string, unknown> {
    allowOnly(params, ['FunctionName', 'TriggerName', 'Type', 'TriggerDesc', 'Namespace', 'Qualifier', 'Enable', 'CustomArgument', 'Description']);
    const functionName = requireString(params, 'FunctionName');
    const name = requireString(params, 'TriggerName');
    const type = requireString(params, 'Type');
    const desc = optionalString(params, 'TriggerDesc');
    const qualifier = optionalString(params, 'Qualifier');
    const enable = optionalString(params, 'Enable');
    if (enable !== undefined && enable !== 'OPEN' && enable !== 'CLOSE') throw new ApiError('InvalidParameterValue.Enable', 'Enable must be OPEN or CLOSE.');
    const fn = this.requireFunction(optionalString(params, 'Namespace') ?? DEFAULT_NAMESPACE, functionName);
    const created = this.create(
      fn,
      {
        type,
        name,
        ...(desc !== undefined ? { desc } : {}),
        ...(qualifier !== undefined ? { qualifier } : {}),
        enabled: enable !== 'CLOSE',
      },
      region,
      { description: optionalString(params, 'Description') ?? '', customArgument: optionalString(params, 'CustomArgument') ?? '' },
    );
    const info: Trigger = {
      ModTime: created.modTime,
      Type: created.type,
      TriggerDesc: created.desc,
      TriggerName: created.name,
      AddTime: created.addTime,
      Enable: created.enabled ? 1 : 0,
      CustomArgument: created.customArgument,
      AvailableStatus: 'Available',
      Qualifier: created.qualifier,
      Description: created.description,
    };
    return { TriggerInfo: info };
  }

  private updateTriggerStatus(params: Record<string, unknown>): Record<string, unknown> {
    allowOnly(params, ['Enable', 'FunctionName', 'TriggerName', 'Type', 'Qualifier', 'Namespace', 'TriggerDesc']);
    const enable = requireString(params, 'Enable');
    const functionName = requireString(params, 'FunctionName');
    const name = requireString(params, 'TriggerName');
    const type = requireString(params, 'Type');
    if (enable !== 'OPEN' && enable !== 'CLOSE') throw new ApiError('InvalidParameterValue.Enable', 'Enable must be OPEN or CLOSE.');
    if (!STATUS_TYPES.includes(type)) throw new ApiError('InvalidParameterValue.Type', `UpdateTriggerStatus supports the types ${STATUS_TYPES.join(', ')}, not ${type}.`);
    const qualifier = optionalString(params, 'Qualifier') ?? DEFAULT_QUALIFIER;
    const fn = this.requireFunction(optionalString(params, 'Namespace') ?? DEFAULT_NAMESPACE, functionName);
    const trigger = fn.triggers.find((t) => t.name === name && t.type === type && t.qualifier === qualifier);
    if (!trigger) throw new ApiError('ResourceNotFound.Trigger', `The ${type} trigger ${name} (${qualifier}) of function ${functionName} does not exist.`);
    trigger.enabled = enable === 'OPEN';
    trigger.modTime = formatTime(this.now());
    return {};
  }

  private create(fn: ScfFunction, input: NewTrigger, region: string, extra: { description?: string; customArgument?: string } = {}): ScfTrigger {
    if (!TRIGGER_NAME.test(input.name)) throw new ApiError('InvalidParameterValue.TriggerName', 'TriggerName must be 1 to 100 letters, digits, dashes or underscores.');
    if (!CREATE_TYPES.includes(input.type)) throw new ApiError('InvalidParameterValue.Type', `The emulator creates triggers of type ${CREATE_TYPES.join(' or ')}, not ${input.type}.`);
    const qualifier = input.qualifier ?? DEFAULT_QUALIFIER;
    if (fn.triggers.some((t) => t.name === input.name)) {
      throw new ApiError('ResourceInUse.Trigger', `A trigger named ${input.name} already exists on function ${fn.name}.`);
    }
    if (fn.triggers.filter((t) => t.type === input.type).length >= MAX_TRIGGERS_PER_TYPE) {
      throw new ApiError('LimitExceeded.Trigger', `Function ${fn.name} already has ${MAX_TRIGGERS_PER_TYPE} triggers of type ${input.type}.`);
    }

    let desc: string;
    if (input.type === 'timer') {
      const cron = (input.desc ?? '').trim();
      // SCF cron has seven fields: second minute hour day month weekday year.
      if (cron.split(/\s+/).length !== 7) throw new ApiError('InvalidParameterValue.TriggerDesc', `A timer's TriggerDesc must be a cron expression of 7 fields, got "${cron}".`);
      desc = JSON.stringify({ cron });
    } else {
      // One Function URL per alias or version ("每一个别名或者版本仅允许创建一个 URL").
      if (fn.triggers.some((t) => t.type === 'http' && t.qualifier === qualifier)) {
        throw new ApiError('ResourceInUse.Trigger', `Function ${fn.name} already has a Function URL for ${qualifier}.`);
      }
      const http = parseHttpDesc(input.desc);
      const id = this.urlId(fn);
      const netConfig: Record<string, unknown> = { ...http.NetConfig };
      if (http.NetConfig.EnableExtranet) netConfig.ExtranetUrl = `https://${this.appId}-${id}.${region}.tencentscf.com`;
      if (http.NetConfig.EnableIntranet) netConfig.IntranetUrl = `https://${this.appId}-${id}.${region}.tencentscf.internal`;
      desc = JSON.stringify({ ...http, NetConfig: netConfig });
    }
    const at = formatTime(this.now());
    const trigger: ScfTrigger = {
      name: input.name,
      type: input.type,
      desc,
      enabled: input.enabled ?? true,
      qualifier,
      description: extra.description ?? '',
      customArgument: extra.customArgument ?? '',
      addTime: at,
      modTime: at,
    };
    fn.triggers.push(trigger);
    return trigger;
  }

  /** Ten lowercase letters and digits, like the real Function URL hosts; deterministic so tests can compare. */
  private urlId(fn: ScfFunction): string {
    const digest = createHash('sha256').update(`${fn.namespace}/${fn.name}/${++this.urlSeq}`).digest();
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    return Array.from(digest.subarray(0, 10), (b) => alphabet[b % alphabet.length]).join('');
  }

  private requireFunction(namespace: string, name: string): ScfFunction {
    const fn = this.functions.get(functionKey(namespace, name));
    if (fn) return fn;
    if (namespace !== DEFAULT_NAMESPACE && ![...this.functions.values()].some((f) => f.namespace === namespace)) {
      throw new ApiError('ResourceNotFound.Namespace', `The namespace ${namespace} does not exist.`);
    }
    throw new ApiError('ResourceNotFound.Function', `The function ${name} does not exist in namespace ${namespace}.`);
  }
}

function triggerInfo(t: ScfTrigger): TriggerInfo {
  return {
    Enable: t.enabled ? 1 : 0,
    Qualifier: t.qualifier,
    TriggerName: t.name,
    Type: t.type,
    TriggerDesc: t.desc,
    AvailableStatus: 'Available',
    CustomArgument: t.customArgument,
    AddTime: t.addTime,
    ModTime: t.modTime,
    Description: t.description,
  };
}

/** The documented http TriggerDesc: AuthType (CAM or NONE) and NetConfig (both booleans) required, CorsConfig optional. */
function parseHttpDesc(raw: string | undefined): HttpTriggerDesc {
  const invalid = (why: string) => new ApiError('InvalidParameterValue.TriggerDesc', `The Function URL's TriggerDesc ${why}.`);
  if (raw === undefined) throw invalid('is required');
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw invalid('is not JSON');
  }
  if (!isObject(v)) throw invalid('must be a JSON object');
  if (v.AuthType !== 'NONE' && v.AuthType !== 'CAM') throw invalid('needs AuthType NONE or CAM');
  const net = v.NetConfig;
  if (!isObject(net) || typeof net.EnableIntranet !== 'boolean' || typeof net.EnableExtranet !== 'boolean') {
    throw invalid('needs NetConfig {EnableIntranet: boolean, EnableExtranet: boolean}');
  }
  if (!net.EnableIntranet && !net.EnableExtranet) throw invalid('enables neither intranet nor extranet access');
  if (v.CorsConfig !== undefined && !isObject(v.CorsConfig)) throw invalid('has a CorsConfig that is not an object');
  return {
    AuthType: v.AuthType,
    NetConfig: { EnableIntranet: net.EnableIntranet, EnableExtranet: net.EnableExtranet },
    ...(v.CorsConfig !== undefined ? { CorsConfig: v.CorsConfig as Record<string, unknown> } : {}),
  };
}

function parseFilters(raw: unknown): { name: 'Qualifier' | 'TriggerName' | 'Description'; values: string[] }[] {
  if (raw === undefined) return [];
  const invalid = () => new ApiError('InvalidParameterValue.Filters', 'Filters must be [{Name: Qualifier|TriggerName|Description, Values: [string, ...]}].');
  if (!Array.isArray(raw)) throw invalid();
  return raw.map((f: unknown) => {
    if (!isObject(f) || (f.Name !== 'Qualifier' && f.Name !== 'TriggerName' && f.Name !== 'Description')) throw invalid();
    if (!Array.isArray(f.Values) || f.Values.some((x) => typeof x !== 'string')) throw invalid();
    return { name: f.Name, values: f.Values as string[] };
  });
}

function functionKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** SCF's time format, e.g. "2026-11-24 10:00:00". */
function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function parseParams(body: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(body);
    if (isObject(v)) return v;
  } catch {
    // answered below
  }
  throw new ApiError('InvalidParameter', 'The request body could not be parsed as a JSON object.');
}

function requireString(params: Record<string, unknown>, name: string): string {
  const v = params[name];
  if (v === undefined) throw new ApiError('MissingParameter', `The request is missing a required parameter \`${name}\`.`);
  if (typeof v !== 'string' || v === '') throw new ApiError(`InvalidParameterValue.${name}`, `${name} must be a non-empty string.`);
  return v;
}

function optionalString(params: Record<string, unknown>, name: string): string | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ApiError(`InvalidParameterValue.${name}`, `${name} must be a string.`);
  return v;
}

function optionalCount(params: Record<string, unknown>, name: string, fallback: number): number {
  const v = params[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ApiError(`InvalidParameterValue.${name}`, `${name} must be a non-negative integer.`);
  return v;
}

/** API 3.0 answers UnknownParameter for a parameter the action does not define. */
function allowOnly(params: Record<string, unknown>, names: string[]): void {
  const extra = Object.keys(params).filter((k) => !names.includes(k));
  if (extra.length > 0) throw new ApiError('UnknownParameter', `The parameter(s) ${extra.join(', ')} are not defined for this action.`);
}
