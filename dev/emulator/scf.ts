// SCF (Serverless Cloud Function) on API 3.0 (scf 2018-04-16), only what the deploy and rollback steps call, on
// in-memory functions: the triggers (ListTriggers, CreateTrigger, UpdateTrigger, UpdateTriggerStatus), the
// versions (GetFunction, PublishVersion, ListVersionByFunction) and the aliases (CreateAlias, UpdateAlias,
// GetAlias). Functions are made by the control API (addFunction); `serverless deploy` is not emulated, but
// updateFunctionCode does to $LATEST what it does (new code, a new ModTime).
//
// Parameters and shapes: tencentcloud-sdk-nodejs scf_models.d.ts (ListTriggersRequest/Response, TriggerInfo,
// CreateTriggerRequest/Response, Trigger, UpdateTriggerRequest, UpdateTriggerStatusRequest, GetFunctionRequest/
// Response, PublishVersionRequest/Response, ListVersionByFunctionRequest/Response, FunctionVersion,
// CreateAliasRequest, UpdateAliasRequest, GetAliasRequest/Response, RoutingConfig, VersionWeight, VersionMatch).
// Documented errors: GetAlias (ResourceNotFound.Alias), CreateAlias (ResourceInUse.Alias, InvalidParameterValue.Name,
// ResourceNotFound.FunctionVersion, InvalidParameter.RoutingConfig), PublishVersion (ResourceNotFound.Function) and
// CreateTrigger (ResourceNotFound.Qualifier) in tencentcloud-sdk-go client.go. Documented errors: CreateTrigger in
// tencentcloud-sdk-go tencentcloud/scf/v20180416/client.go (ResourceNotFound.Function, ResourceInUse.Trigger,
// InvalidParameterValue.TriggerDesc/.Type/.Enable/.TriggerName, LimitExceeded.Trigger, ...); the codes used for
// UpdateTriggerStatus and ListTriggers are from scf errors.go (ResourceNotFound.Trigger, ...). The http trigger
// is the Function URL: https://cloud.tencent.com/document/product/583/100227 ("使用 API 创建函数 URL").
import { createHash } from 'node:crypto';
import type {
  FunctionVersion,
  GetAliasResponse,
  GetFunctionResponse,
  PublishVersionResponse,
  RoutingConfig,
  Trigger,
  TriggerInfo,
  VersionMatch,
  VersionWeight,
} from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/v20180416/scf_models';
import { ApiError } from './errors';

export const SCF_VERSION = '2018-04-16';
export const SCF_ACTIONS: readonly string[] = [
  'ListTriggers', 'CreateTrigger', 'UpdateTrigger', 'UpdateTriggerStatus',
  'GetFunction', 'PublishVersion', 'ListVersionByFunction', 'CreateAlias', 'UpdateAlias', 'GetAlias',
];
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
/** UpdateTrigger: "目前只支持timer、ckafka、http三种类型"; the emulator creates timer and http only. */
const UPDATE_TYPES = ['timer', 'http'];
/** CreateAlias Name: "只能包含字母、数字、'_'和'-'，且必须以字母开头，长度限制为1-64". */
const ALIAS_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const DEFAULT_RUNTIME = 'Nodejs18.15';

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

/** A published version: a snapshot of $LATEST's code revision at PublishVersion. */
export interface ScfVersion {
  version: string;
  description: string;
  /** Which updateFunctionCode of $LATEST it was published from (0: the code the function was made with). */
  codeRevision: number;
  addTime: string;
  modTime: string;
}

export interface ScfAlias {
  name: string;
  functionVersion: string;
  /** The additional version and its weight (RoutingConfig.AdditionalVersionWeights), if any. */
  additionalVersionWeights: VersionWeight[];
  additionalVersionMatches: VersionMatch[];
  description: string;
  addTime: string;
  modTime: string;
}

interface ScfFunction {
  namespace: string;
  name: string;
  runtime: string;
  triggers: ScfTrigger[];
  addTime: string;
  /** $LATEST's ModTime: set by updateFunctionCode, as UpdateFunctionCode/UpdateFunctionConfiguration set it. */
  modTime: string;
  codeRevision: number;
  versions: ScfVersion[];
  aliases: ScfAlias[];
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
  addFunction(name: string, options: { namespace?: string; runtime?: string } = {}): void {
    const namespace = options.namespace ?? DEFAULT_NAMESPACE;
    const key = functionKey(namespace, name);
    const at = formatTime(this.now());
    if (!this.functions.has(key)) {
      this.functions.set(key, { namespace, name, runtime: options.runtime ?? DEFAULT_RUNTIME, triggers: [], addTime: at, modTime: at, codeRevision: 0, versions: [], aliases: [] });
    }
  }

  /** What `serverless deploy` does to an existing function: new code and configuration on $LATEST (a new ModTime). */
  updateFunctionCode(name: string, options: { namespace?: string } = {}): { codeRevision: number; modTime: string } {
    const fn = this.requireFunction(options.namespace ?? DEFAULT_NAMESPACE, name);
    fn.codeRevision += 1;
    fn.modTime = formatTime(this.now());
    return { codeRevision: fn.codeRevision, modTime: fn.modTime };
  }

  /** The function's published versions, oldest first, copied; [] for a function that does not exist. */
  versions(functionName: string, options: { namespace?: string } = {}): ScfVersion[] {
    const fn = this.functions.get(functionKey(options.namespace ?? DEFAULT_NAMESPACE, functionName));
    return (fn?.versions ?? []).map((v) => ({ ...v }));
  }

  /** The alias, copied, or null. */
  alias(functionName: string, aliasName: string, options: { namespace?: string } = {}): ScfAlias | null {
    const fn = this.functions.get(functionKey(options.namespace ?? DEFAULT_NAMESPACE, functionName));
    const a = fn?.aliases.find((x) => x.name === aliasName);
    return a ? { ...a, additionalVersionWeights: [...a.additionalVersionWeights], additionalVersionMatches: [...a.additionalVersionMatches] } : null;
  }

  /** Which code revision a qualifier ($LATEST, a version or an alias's main version) runs now. */
  codeRevisionOf(functionName: string, qualifier: string, options: { namespace?: string } = {}): number {
    const fn = this.requireFunction(options.namespace ?? DEFAULT_NAMESPACE, functionName);
    const alias = fn.aliases.find((a) => a.name === qualifier);
    const version = alias ? alias.functionVersion : qualifier;
    if (version === DEFAULT_QUALIFIER) return fn.codeRevision;
    const v = fn.versions.find((x) => x.version === version);
    if (!v) throw new ApiError('ResourceNotFound.Qualifier', `Function ${functionName} has no version or alias ${qualifier}.`);
    return v.codeRevision;
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
      case 'UpdateTrigger':
        return this.updateTrigger(params);
      case 'UpdateTriggerStatus':
        return this.updateTriggerStatus(params);
      case 'GetFunction':
        return this.getFunction(params);
      case 'PublishVersion':
        return this.publishVersion(params);
      case 'ListVersionByFunction':
        return this.listVersionByFunction(params);
      case 'CreateAlias':
        return this.createAlias(params);
      case 'UpdateAlias':
        return this.updateAlias(params);
      case 'GetAlias':
        return this.getAlias(params);
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
    return { TriggerInfo: triggerShape(created) };
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

  /** Changes a trigger's TriggerDesc (a timer's cron) and switch; the trigger is named by name, type and qualifier. */
  private updateTrigger(params: Record<string, unknown>): Record<string, unknown> {
    allowOnly(params, ['FunctionName', 'TriggerName', 'Type', 'Enable', 'Qualifier', 'Namespace', 'TriggerDesc', 'Description', 'CustomArgument']);
    const functionName = requireString(params, 'FunctionName');
    const name = requireString(params, 'TriggerName');
    const type = requireString(params, 'Type');
    if (!UPDATE_TYPES.includes(type)) throw new ApiError('InvalidParameterValue.Type', `The emulator updates triggers of type ${UPDATE_TYPES.join(' or ')}, not ${type}.`);
    const enable = optionalString(params, 'Enable');
    if (enable !== undefined && enable !== 'OPEN' && enable !== 'CLOSE') throw new ApiError('InvalidParameterValue.Enable', 'Enable must be OPEN or CLOSE.');
    const qualifier = optionalString(params, 'Qualifier') ?? DEFAULT_QUALIFIER;
    const fn = this.requireFunction(optionalString(params, 'Namespace') ?? DEFAULT_NAMESPACE, functionName);
    const trigger = fn.triggers.find((t) => t.name === name && t.type === type && t.qualifier === qualifier);
    if (!trigger) throw new ApiError('ResourceNotFound.Trigger', `The ${type} trigger ${name} (${qualifier}) of function ${functionName} does not exist.`);
    const desc = optionalString(params, 'TriggerDesc');
    if (desc !== undefined) {
      if (type === 'timer') trigger.desc = JSON.stringify({ cron: timerCron(desc) });
      else {
        // A Function URL keeps its URLs when its settings change.
        const http = parseHttpDesc(desc);
        const old = parseJsonObject(trigger.desc)?.NetConfig;
        const net: Record<string, unknown> = { ...http.NetConfig };
        if (http.NetConfig.EnableExtranet && isObject(old)) net.ExtranetUrl = old.ExtranetUrl;
        if (http.NetConfig.EnableIntranet && isObject(old)) net.IntranetUrl = old.IntranetUrl;
        trigger.desc = JSON.stringify({ ...http, NetConfig: net });
      }
    }
    if (enable !== undefined) trigger.enabled = enable === 'OPEN';
    const description = optionalString(params, 'Description');
    if (description !== undefined) trigger.description = description;
    const customArgument = optionalString(params, 'CustomArgument');
    if (customArgument !== undefined) trigger.customArgument = customArgument;
    trigger.modTime = formatTime(this.now());
    return {};
  }

  private getFunction(params: Record<string, unknown>): Record<string, unknown> {
    allowOnly(params, ['FunctionName', 'Qualifier', 'Namespace', 'ShowCode']);
    const fn = this.requireFunction(optionalString(params, 'Namespace') ?? DEFAULT_NAMESPACE, requireString(params, 'FunctionName'));
    const qualifier = optionalString(params, 'Qualifier') ?? DEFAULT_QUALIFIER;
    const showCode = optionalString(params, 'ShowCode');
    if (showCode !== undefined && showCode !== 'TRUE' && showCode !== 'FALSE') throw new ApiError('InvalidParameterValue.ShowCode', 'ShowCode must be TRUE or FALSE.');
    const version = qualifier === DEFAULT_QUALIFIER ? null : fn.versions.find((v) => v.version === qualifier);
    if (version === undefined) throw new ApiError('ResourceNotFound.Version', `Function ${fn.name} has no version ${qualifier}.`);
    const answer: GetFunctionResponse = {
      FunctionName: fn.name,
      Namespace: fn.namespace,
      FunctionVersion: qualifier,
      Qualifier: qualifier,
      Runtime: fn.runtime,
      Status: 'Active',
      AddTime: version ? version.addTime : fn.addTime,
      ModTime: version ? version.modTime : fn.modTime,
      Description: version ? version.description : '',
      Triggers: fn.triggers.filter((t) => t.qualifier === qualifier).map(triggerShape),
    };
    return { ...answer };
  }

  private publishVersion(params: Record<string, unknown>): Record<string, unknown> {
    allowOnly(params, ['FunctionName', 'Description', 'Namespace']);
    const fn = this.requireFunction(optionalString(params, 'Namespace') ?? DEFAULT_NAMESPACE, requireString(params, 'FunctionName'));
    const description = optionalString(params, 'Description') ?? '';
    const at = formatTime(this.now());
    const last = fn.versions[fn.versions.length - 1];
    const version: ScfVersion = { version: String(last ? Number(last.version) + 1 : 1), description, codeRevision: fn.codeRevision, addTime: at, modTime: at };
    fn.versions.push(version);
    const answer: PublishVersionResponse = { FunctionVersion: version.version, Description: description, Namespace: fn.namespace, Runtime: fn.runtime, MemorySize: 128, Timeout: 3, CodeSize: 0, Handler: '' };
    return { ...answer };
  }

  /** Every version with $LATEST first, as the console lists them; OrderBy AddTime or ModTime, Order ASC (default) or DESC. */
  private listVersionByFunction(params: Record<string, unknown>): Record<string, unknown> {
    allowOnly(params, ['FunctionName', 'Namespace', 'Offset', 'Limit', 'Order', 'OrderBy']);
    const fn = this.requireFunction(optionalString(params, 'Namespace') ?? DEFAULT_NAMESPACE, requireString(params, 'FunctionName'));
    const offset = optionalCount(params, 'Offset', 0);
    const limit = optionalCount(params, 'Limit', 20);
    if (limit < 1) throw new ApiError('InvalidParameterValue.Limit', 'Limit must be at least 1.');
    const order = optionalString(params, 'Order') ?? 'ASC';
    if (order !== 'ASC' && order !== 'DESC') throw new ApiError('InvalidParameterValue.Order', 'Order must be ASC or DESC.');
    const orderBy = optionalString(params, 'OrderBy') ?? 'AddTime';
    if (orderBy !== 'AddTime' && orderBy !== 'ModTime') throw new ApiError('InvalidParameterValue.OrderBy', 'OrderBy must be AddTime or ModTime.');
    const all: FunctionVersion[] = [
      { Version: DEFAULT_QUALIFIER, Description: '', AddTime: fn.addTime, ModTime: fn.modTime, Status: 'Active' },
      ...fn.versions.map((v) => ({ Version: v.version, Description: v.description, AddTime: v.addTime, ModTime: v.modTime, Status: 'Active' })),
    ];
    const key = orderBy === 'AddTime' ? 'AddTime' : 'ModTime';
    // Stable on creation order, so paging never skips or repeats a version of the same second.
    const sorted = all.map((v, index) => ({ v, index })).sort((a, b) => (a.v[key] === b.v[key] ? a.index - b.index : a.v[key]! < b.v[key]! ? -1 : 1) * (order === 'ASC' ? 1 : -1)).map(({ v }) => v);
    const page = sorted.slice(offset, offset + limit);
    return { FunctionVersion: page.map((v) => v.Version), Versions: page, TotalCount: all.length };
  }

  private createAlias(params: Record<string, unknown>): Record<string, unknown> {
    allowOnly(params, ['Name', 'FunctionName', 'FunctionVersion', 'Namespace', 'RoutingConfig', 'Description']);
    const name = requireString(params, 'Name');
    if (!ALIAS_NAME.test(name)) throw new ApiError('InvalidParameterValue.Name', 'Name must start with a letter and have 1 to 64 letters, digits, _ or -.');
    const fn = this.requireFunction(optionalString(params, 'Namespace') ?? DEFAULT_NAMESPACE, requireString(params, 'FunctionName'));
    const functionVersion = this.requireVersion(fn, requireString(params, 'FunctionVersion'));
    if (fn.aliases.some((a) => a.name === name)) throw new ApiError('ResourceInUse.Alias', `Function ${fn.name} already has an alias ${name}.`);
    const routing = this.parseRouting(fn, functionVersion, params.RoutingConfig);
    const at = formatTime(this.now());
    fn.aliases.push({ name, functionVersion, additionalVersionWeights: routing?.weights ?? [], additionalVersionMatches: routing?.matches ?? [], description: optionalString(params, 'Description') ?? '', addTime: at, modTime: at });
    return {};
  }

  /** Points the alias at FunctionVersion; RoutingConfig, when given, replaces the additional version (else it stays). */
  private updateAlias(params: Record<string, unknown>): Record<string, unknown> {
    allowOnly(params, ['FunctionName', 'Name', 'FunctionVersion', 'Namespace', 'RoutingConfig', 'Description']);
    const fn = this.requireFunction(optionalString(params, 'Namespace') ?? DEFAULT_NAMESPACE, requireString(params, 'FunctionName'));
    const name = requireString(params, 'Name');
    const alias = fn.aliases.find((a) => a.name === name);
    if (!alias) throw new ApiError('ResourceNotFound.Alias', `Function ${fn.name} has no alias ${name}.`);
    const functionVersion = this.requireVersion(fn, requireString(params, 'FunctionVersion'));
    const routing = this.parseRouting(fn, functionVersion, params.RoutingConfig);
    if (routing) {
      alias.additionalVersionWeights = routing.weights;
      alias.additionalVersionMatches = routing.matches;
    } else if ([...alias.additionalVersionWeights, ...alias.additionalVersionMatches].some((w) => w.Version === functionVersion)) {
      throw new ApiError('InvalidParameter.RoutingConfig', `Version ${functionVersion} is the alias's additional version; it cannot be its main version too.`);
    }
    alias.functionVersion = functionVersion;
    const description = optionalString(params, 'Description');
    if (description !== undefined) alias.description = description;
    alias.modTime = formatTime(this.now());
    return {};
  }

  private getAlias(params: Record<string, unknown>): Record<string, unknown> {
    allowOnly(params, ['FunctionName', 'Name', 'Namespace']);
    const fn = this.requireFunction(optionalString(params, 'Namespace') ?? DEFAULT_NAMESPACE, requireString(params, 'FunctionName'));
    const name = requireString(params, 'Name');
    const alias = fn.aliases.find((a) => a.name === name);
    if (!alias) throw new ApiError('ResourceNotFound.Alias', `Function ${fn.name} has no alias ${name}.`);
    const routing: RoutingConfig = { AdditionalVersionWeights: alias.additionalVersionWeights, AddtionVersionMatchs: alias.additionalVersionMatches };
    const answer: GetAliasResponse = { FunctionVersion: alias.functionVersion, Name: alias.name, RoutingConfig: routing, Description: alias.description, AddTime: alias.addTime, ModTime: alias.modTime };
    return { ...answer };
  }

  /** $LATEST or a published version. */
  private requireVersion(fn: ScfFunction, version: string): string {
    if (version === DEFAULT_QUALIFIER || fn.versions.some((v) => v.version === version)) return version;
    throw new ApiError('ResourceNotFound.FunctionVersion', `Function ${fn.name} has no version ${version}.`);
  }

  /**
   * RoutingConfig as CreateAlias documents it: at most one additional version, not the main one, either by weight
   * (AdditionalVersionWeights, a weight between 0 and 1) or by rule (AddtionVersionMatchs), not both. Undefined: none given.
   */
  private parseRouting(fn: ScfFunction, mainVersion: string, raw: unknown): { weights: VersionWeight[]; matches: VersionMatch[] } | undefined {
    if (raw === undefined) return undefined;
    const invalid = (why: string) => new ApiError('InvalidParameter.RoutingConfig', `RoutingConfig ${why}.`);
    if (!isObject(raw)) throw invalid('must be an object');
    const weightsRaw = raw.AdditionalVersionWeights ?? [];
    const matchesRaw = raw.AddtionVersionMatchs ?? [];
    if (!Array.isArray(weightsRaw) || !Array.isArray(matchesRaw)) throw invalid('has AdditionalVersionWeights or AddtionVersionMatchs that is not an array');
    if (weightsRaw.length > 0 && matchesRaw.length > 0) throw invalid('may route by weight or by rule, not both');
    if (weightsRaw.length + matchesRaw.length > 1) throw invalid('may name one additional version at most');
    const weights = weightsRaw.map((w: unknown): VersionWeight => {
      if (!isObject(w) || typeof w.Version !== 'string' || typeof w.Weight !== 'number' || !(w.Weight > 0 && w.Weight < 1)) {
        throw new ApiError('InvalidParameterValue.AdditionalVersionWeights', 'AdditionalVersionWeights takes {Version, Weight} with a weight between 0 and 1.');
      }
      return { Version: w.Version, Weight: w.Weight };
    });
    const matches = matchesRaw.map((m: unknown): VersionMatch => {
      if (!isObject(m) || typeof m.Version !== 'string' || typeof m.Key !== 'string' || (m.Method !== 'range' && m.Method !== 'exact') || typeof m.Expression !== 'string') {
        throw invalid('has an AddtionVersionMatchs entry that is not {Version, Key, Method: range|exact, Expression}');
      }
      return { Version: m.Version, Key: m.Key, Method: m.Method, Expression: m.Expression };
    });
    for (const extra of [...weights, ...matches]) {
      if (extra.Version === mainVersion) throw invalid(`names the main version ${mainVersion} as its additional version`);
      this.requireVersion(fn, extra.Version);
    }
    return { weights, matches };
  }

  private create(fn: ScfFunction, input: NewTrigger, region: string, extra: { description?: string; customArgument?: string } = {}): ScfTrigger {
    if (!TRIGGER_NAME.test(input.name)) throw new ApiError('InvalidParameterValue.TriggerName', 'TriggerName must be 1 to 100 letters, digits, dashes or underscores.');
    if (!CREATE_TYPES.includes(input.type)) throw new ApiError('InvalidParameterValue.Type', `The emulator creates triggers of type ${CREATE_TYPES.join(' or ')}, not ${input.type}.`);
    const qualifier = input.qualifier ?? DEFAULT_QUALIFIER;
    if (qualifier !== DEFAULT_QUALIFIER && !fn.versions.some((v) => v.version === qualifier) && !fn.aliases.some((a) => a.name === qualifier)) {
      throw new ApiError('ResourceNotFound.Qualifier', `Function ${fn.name} has no version or alias ${qualifier}.`);
    }
    if (fn.triggers.some((t) => t.name === input.name)) {
      throw new ApiError('ResourceInUse.Trigger', `A trigger named ${input.name} already exists on function ${fn.name}.`);
    }
    if (fn.triggers.filter((t) => t.type === input.type).length >= MAX_TRIGGERS_PER_TYPE) {
      throw new ApiError('LimitExceeded.Trigger', `Function ${fn.name} already has ${MAX_TRIGGERS_PER_TYPE} triggers of type ${input.type}.`);
    }

    let desc: string;
    if (input.type === 'timer') {
      desc = JSON.stringify({ cron: timerCron(input.desc ?? '') });
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

/** A trigger as CreateTrigger and GetFunction answer it (the `Trigger` shape). */
function triggerShape(t: ScfTrigger): Trigger {
  return {
    ModTime: t.modTime,
    Type: t.type,
    TriggerDesc: t.desc,
    TriggerName: t.name,
    AddTime: t.addTime,
    Enable: t.enabled ? 1 : 0,
    CustomArgument: t.customArgument,
    AvailableStatus: 'Available',
    Qualifier: t.qualifier,
    Description: t.description,
  };
}

/** A timer's TriggerDesc as CreateTrigger and UpdateTrigger take it. SCF cron has seven fields: second minute hour day month weekday year. */
function timerCron(raw: string): string {
  const cron = raw.trim();
  if (cron.split(/\s+/).length !== 7) throw new ApiError('InvalidParameterValue.TriggerDesc', `A timer's TriggerDesc must be a cron expression of 7 fields, got "${cron}".`);
  return cron;
}

function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return isObject(v) ? v : null;
  } catch {
    return null;
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
