// The deploy and rollback steps' summaries for a person: what exists now, what this run changed, and the URL to call.
import type { ApiTrigger } from './settings';
import { FUNCTION_URL_TRIGGER_DESC, POLL_TIMER_TRIGGER_NAME, type DeployTarget, type FunctionUrlResult, type TimerResult } from './function-url';
import { LIVE_ALIAS, type RollbackStep, type VersionResult } from './versions';

export interface DeployReport {
  target: DeployTarget;
  apiTrigger: ApiTrigger;
  /** One per function with SCF_VERSIONS on; null with it off (the triggers are on $LATEST). */
  versions: VersionResult[] | null;
  /** null when API_TRIGGER is not `url`: the deploy step leaves the api function's HTTP trigger alone. */
  functionUrl: FunctionUrlResult | null;
  timer: TimerResult;
}

export function formatDeployReport(report: DeployReport): string {
  const { target, functionUrl, timer } = report;
  const lines: string[] = [];
  if (report.versions) {
    lines.push(`SCF versions in ${target.region}, namespace ${target.namespace} (alias ${LIVE_ALIAS}):`);
    for (const v of report.versions) lines.push(`  ${v.functionName}: ${describeVersion(v)}`);
    for (const v of report.versions) {
      if (v.clearedRouting) lines.push(`    WARNING: ${LIVE_ALIAS} also routed traffic to ${v.clearedRouting}; it now sends all of it to version ${v.newest}`);
    }
  }
  lines.push(`SCF triggers in ${target.region}, namespace ${target.namespace}:`);

  if (functionUrl) {
    const auth = FUNCTION_URL_TRIGGER_DESC.AuthType;
    const what = {
      created: `Function URL created (trigger ${functionUrl.triggerName}, ${functionUrl.qualifier}, public, auth ${auth})`,
      unchanged: `Function URL already there (trigger ${functionUrl.triggerName}, ${functionUrl.qualifier}), unchanged`,
      kept: `Function URL already there (trigger ${functionUrl.triggerName}, ${functionUrl.qualifier}) with other settings, left as it is`,
    }[functionUrl.action];
    lines.push(`  ${functionUrl.functionName}: ${what}`);
    for (const d of functionUrl.differences) lines.push(`    WARNING: ${d}`);
  } else if (report.apiTrigger === 'apigw') {
    lines.push(`  ${target.apiFunction}: API_TRIGGER=apigw, the API Gateway trigger is serverless deploy's; no Function URL made`);
  } else {
    lines.push(`  ${target.apiFunction}: API_TRIGGER=none, no HTTP trigger made`);
  }

  lines.push(`  ${timer.functionName}: ${describeTimer(timer)}`);

  if (functionUrl) {
    lines.push('');
    if (functionUrl.url) {
      lines.push(`Function URL: ${functionUrl.url}`);
      lines.push(`  curl ${functionUrl.url}/healthz`);
      lines.push(`  curl -H "Authorization: Bearer <one of API_TOKENS>" ${functionUrl.url}/v1/status/<agent uuid>`);
    } else if (functionUrl.intranetUrl) {
      lines.push(`Function URL (VPC only, no public access): ${functionUrl.intranetUrl}`);
    } else {
      lines.push('Function URL: not published by SCF yet; run `npm run deploy -- --skip-serverless` again in a minute, or see the SCF console (function > Function URL)');
    }
  }
  if (report.versions) lines.push('', `Roll back: npm run rollback (points ${LIVE_ALIAS} of each function at its previous version)`);
  return lines.join('\n');
}

export function formatRollbackReport(target: DeployTarget, steps: readonly RollbackStep[]): string {
  return [
    `Alias ${LIVE_ALIAS} in ${target.region}, namespace ${target.namespace}, rolled back:`,
    ...steps.map((s) => `  ${s.functionName}: ${LIVE_ALIAS} ${s.from} -> ${s.to}`),
    `The Function URL and the poll timer follow ${LIVE_ALIAS}. \`npm run deploy\` points it at the newest version again.`,
  ].join('\n');
}

function describeVersion(v: VersionResult): string {
  const why = { deployed: 'the code serverless deploy uploaded', first: 'the first version', changed: '$LATEST changed since the newest version' };
  const published = v.published !== null ? `published version ${v.published} (${why[v.reason ?? 'deployed']})` : `$LATEST unchanged since version ${v.newest}, nothing published`;
  const alias =
    v.aliasBefore === null
      ? `alias ${LIVE_ALIAS} created at ${v.newest}`
      : v.aliasBefore === v.newest && !v.clearedRouting
        ? `${LIVE_ALIAS} at ${v.newest}, unchanged`
        : `${LIVE_ALIAS} ${v.aliasBefore} -> ${v.newest}`;
  return `${published}; ${alias}`;
}

function describeTimer(timer: TimerResult): string {
  const cron = timer.cron ? ` (${timer.cron})` : '';
  if (timer.latestTimer === null) {
    return timer.action === 'enabled' ? `timer ${timer.triggerName}${cron} was disabled, enabled now` : `timer ${timer.triggerName}${cron} enabled, unchanged`;
  }
  const what = {
    created: 'created',
    updated: 'set to the cron of serverless.yml',
    enabled: 'was disabled, enabled now',
    unchanged: 'enabled, unchanged',
  }[timer.action];
  const latest = timer.latestTimer === 'switched-off' ? `; serverless.yml's timer ${POLL_TIMER_TRIGGER_NAME} on $LATEST switched off` : '';
  return `timer ${timer.triggerName}${cron} on ${timer.qualifier} ${what}${latest}`;
}
