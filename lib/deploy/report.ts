// The deploy step's summary for a person: what exists now, what this run changed, and the URL to call.
import type { ApiTrigger } from './settings';
import { FUNCTION_URL_TRIGGER_DESC, type DeployTarget, type FunctionUrlResult, type TimerResult } from './function-url';

export interface DeployReport {
  target: DeployTarget;
  apiTrigger: ApiTrigger;
  /** null when API_TRIGGER is not `url`: the deploy step leaves the api function's HTTP trigger alone. */
  functionUrl: FunctionUrlResult | null;
  timer: TimerResult;
}

export function formatDeployReport(report: DeployReport): string {
  const { target, functionUrl, timer } = report;
  const lines = [`SCF triggers in ${target.region}, namespace ${target.namespace}:`];

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

  const cron = timer.cron ? ` (${timer.cron})` : '';
  lines.push(
    timer.action === 'enabled'
      ? `  ${timer.functionName}: timer ${timer.triggerName}${cron} was disabled, enabled now`
      : `  ${timer.functionName}: timer ${timer.triggerName}${cron} enabled, unchanged`,
  );

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
  return lines.join('\n');
}
