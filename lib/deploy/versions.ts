// Versions and the alias `live` (SCF API 3.0, scf 2018-04-16): `npm run deploy` publishes what `serverless deploy`
// put on $LATEST as a numbered version and points `live` at it; the Function URL and the poll timer are bound to
// `live`, so `npm run rollback` is one UpdateAlias per function back to the version before, and a rollback brings
// back that version's code and environment together.
//
// When is a version published? SCF has no "publish only if changed", so the step decides: when this run ran
// `serverless deploy` (which always rewrites $LATEST's code and configuration), when the function has no
// version yet, or when $LATEST was modified after the newest version was published (a console edit, or a deploy
// whose publish step failed). Otherwise a repeated `npm run deploy -- --skip-serverless` changes nothing.
// Times are SCF's "YYYY-MM-DD HH:MM:SS", which compare as strings.
//
// Shapes: tencentcloud-sdk-nodejs scf_models.d.ts (GetFunction, PublishVersion, ListVersionByFunction,
// CreateAlias, UpdateAlias, GetAlias, RoutingConfig).
import type {
  CreateAliasRequest,
  FunctionVersion,
  GetAliasRequest,
  GetAliasResponse,
  GetFunctionRequest,
  GetFunctionResponse,
  ListVersionByFunctionRequest,
  ListVersionByFunctionResponse,
  PublishVersionRequest,
  PublishVersionResponse,
  UpdateAliasRequest,
} from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/v20180416/scf_models';
import { isTencentError } from '../errors';
import type { TencentCaller } from '../tencent/types';
import { callScf, DeployStepError, explainScfError, type DeployTarget } from './function-url';

/** The alias the triggers are bound to and the rollback moves. */
export const LIVE_ALIAS = 'live';
export const LATEST = '$LATEST';
/** ListVersionByFunction's documented default page. */
const VERSION_PAGE_SIZE = 20;

export interface PublishedVersion {
  version: string;
  addTime: string;
  description: string;
}

export interface VersionResult {
  functionName: string;
  /** The version this run published, or null when $LATEST had not changed since the newest one. */
  published: string | null;
  /** Why it was published. */
  reason: 'deployed' | 'first' | 'changed' | null;
  /** The newest published version, which `live` points at after the step. */
  newest: string;
  /** Where `live` pointed before (null: it did not exist and was created). */
  aliasBefore: string | null;
  /** The alias also sent part of its traffic to another version (RoutingConfig); the step routed it all to `newest`. */
  clearedRouting: string | null;
}

/** The rollback has nowhere to go (no alias, no previous version); nothing was changed. */
export class RollbackRefusedError extends DeployStepError {
  override readonly name: string = 'RollbackRefusedError';
}

export interface RollbackStep {
  functionName: string;
  from: string;
  to: string;
}

/** The function's published versions (not $LATEST), oldest first. */
export async function listVersions(scf: TencentCaller, target: DeployTarget, functionName: string): Promise<PublishedVersion[]> {
  const all: PublishedVersion[] = [];
  for (let offset = 0, seen = 0; ; offset += VERSION_PAGE_SIZE) {
    const request: ListVersionByFunctionRequest = { FunctionName: functionName, Namespace: target.namespace, Offset: offset, Limit: VERSION_PAGE_SIZE };
    const { response } = await callScf<ListVersionByFunctionResponse>(scf, target, 'ListVersionByFunction', { ...request }, functionName);
    // Versions carries the details; FunctionVersion is the bare list (older answers may have only that).
    const page: FunctionVersion[] = response.Versions ?? (response.FunctionVersion ?? []).map((v) => ({ Version: v }));
    seen += page.length;
    for (const v of page) {
      if (v.Version !== LATEST) all.push({ version: v.Version, addTime: v.AddTime ?? '', description: v.Description ?? '' });
    }
    if (page.length < VERSION_PAGE_SIZE || seen >= (response.TotalCount ?? 0)) break;
  }
  return all.sort((a, b) => Number(a.version) - Number(b.version));
}

/**
 * PublishVersion's Description, in the characters SCF documents for function descriptions (letters, digits,
 * spaces, commas, full stops): when and after what it was published, e.g. "Published by npm run deploy 20261124
 * 100000 UTC, after serverless deploy".
 */
export function versionDescription(at: Date, deployedCode: boolean): string {
  const stamp = at.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', ' ');
  return `Published by npm run deploy ${stamp} UTC${deployedCode ? ', after serverless deploy' : ''}`;
}

/** Publishes a version when $LATEST changed (see the header) and points `live` at the newest version. */
export async function publishAndPointAlias(scf: TencentCaller, target: DeployTarget, functionName: string, options: { deployedCode: boolean; description: string }): Promise<VersionResult> {
  const versions = await listVersions(scf, target, functionName);
  const latestRequest: GetFunctionRequest = { FunctionName: functionName, Namespace: target.namespace, Qualifier: LATEST };
  const { response: latest } = await callScf<GetFunctionResponse>(scf, target, 'GetFunction', { ...latestRequest }, functionName);
  const newestBefore = versions[versions.length - 1];

  const reason: VersionResult['reason'] = options.deployedCode
    ? 'deployed'
    : newestBefore === undefined
      ? 'first'
      : (latest.ModTime ?? '') > newestBefore.addTime
        ? 'changed'
        : null;
  let newest = newestBefore?.version ?? null;
  let published: string | null = null;
  if (reason !== null) {
    const request: PublishVersionRequest = { FunctionName: functionName, Namespace: target.namespace, Description: options.description };
    const { response } = await callScf<PublishVersionResponse>(scf, target, 'PublishVersion', { ...request }, functionName);
    if (!response.FunctionVersion) throw new DeployStepError(`PublishVersion on ${functionName} answered no FunctionVersion; look in the SCF console (function > Versions) and run again`);
    published = newest = response.FunctionVersion;
  }
  // Only for the type checker: with no version before, reason is 'first' and one was just published.
  if (newest === null) throw new DeployStepError(`${functionName} has no published version to point ${LIVE_ALIAS} at`);

  const alias = await getAlias(scf, target, functionName);
  let clearedRouting: string | null = null;
  if (alias === null) {
    const request: CreateAliasRequest = { Name: LIVE_ALIAS, FunctionName: functionName, FunctionVersion: newest, Namespace: target.namespace, Description: 'The version the Function URL and the timer run' };
    await callScf(scf, target, 'CreateAlias', { ...request }, functionName);
  } else {
    clearedRouting = describeRouting(alias);
    if (alias.FunctionVersion !== newest || clearedRouting !== null) await pointAlias(scf, target, functionName, newest);
  }
  return { functionName, published, reason, newest, aliasBefore: alias?.FunctionVersion ?? null, clearedRouting };
}

/**
 * Plans `live` one version back on every function, and changes nothing unless each one has a version before the
 * one `live` points at; then moves them. Refuses with a DeployStepError that says why.
 */
export async function rollbackAliases(scf: TencentCaller, target: DeployTarget, functionNames: readonly string[]): Promise<RollbackStep[]> {
  const steps: RollbackStep[] = [];
  const refusals: string[] = [];
  for (const functionName of functionNames) {
    const alias = await getAlias(scf, target, functionName);
    if (alias === null) {
      refusals.push(`${functionName} has no alias ${LIVE_ALIAS}: run \`npm run deploy\` first (it publishes a version and creates ${LIVE_ALIAS})`);
      continue;
    }
    const current = alias.FunctionVersion ?? '';
    if (!/^\d+$/.test(current)) {
      refusals.push(`${functionName}: ${LIVE_ALIAS} points at ${current || 'nothing'}, not a published version; run \`npm run deploy\` to point it at one`);
      continue;
    }
    const earlier = (await listVersions(scf, target, functionName)).filter((v) => Number(v.version) < Number(current));
    const previous = earlier[earlier.length - 1];
    if (previous === undefined) refusals.push(`${functionName}: ${LIVE_ALIAS} is at version ${current}, the first published version; there is no previous version to roll back to`);
    else steps.push({ functionName, from: current, to: previous.version });
  }
  if (refusals.length > 0) throw new RollbackRefusedError(`${refusals.join('; ')}. Nothing was changed.`);
  for (const step of steps) await pointAlias(scf, target, step.functionName, step.to);
  return steps;
}

/** The alias, or null when the function has none of that name (ResourceNotFound.Alias). */
async function getAlias(scf: TencentCaller, target: DeployTarget, functionName: string): Promise<GetAliasResponse | null> {
  const request: GetAliasRequest = { FunctionName: functionName, Name: LIVE_ALIAS, Namespace: target.namespace };
  try {
    return (await scf.call<GetAliasResponse>('GetAlias', { ...request })).response;
  } catch (e) {
    if (isTencentError(e) && e.code === 'ResourceNotFound.Alias') return null;
    throw explainScfError(e, target, 'GetAlias', functionName);
  }
}

/** Points `live` wholly at `version`: an empty RoutingConfig drops any additional version set in the console. */
async function pointAlias(scf: TencentCaller, target: DeployTarget, functionName: string, version: string): Promise<void> {
  const request: UpdateAliasRequest = {
    FunctionName: functionName,
    Name: LIVE_ALIAS,
    FunctionVersion: version,
    Namespace: target.namespace,
    RoutingConfig: { AdditionalVersionWeights: [], AddtionVersionMatchs: [] },
  };
  await callScf(scf, target, 'UpdateAlias', { ...request }, functionName);
}

/** "version 4 (weight 0.1)" when the alias routes part of its traffic elsewhere; null when it routes it all to one version. */
function describeRouting(alias: GetAliasResponse): string | null {
  const weights = alias.RoutingConfig?.AdditionalVersionWeights ?? [];
  const matches = alias.RoutingConfig?.AddtionVersionMatchs ?? [];
  const parts = [...weights.map((w) => `version ${w.Version} (weight ${w.Weight})`), ...matches.map((m) => `version ${m.Version} (rule on ${m.Key})`)];
  return parts.length > 0 ? parts.join(', ') : null;
}
