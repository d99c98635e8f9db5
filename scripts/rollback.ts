// npm run rollback
//
// Points the alias `live` of both functions (cwp-task-bridge-<stage>-api and -poll) back at the version published
// before the one it points at now. The Function URL and the poll timer are bound to `live` (npm run deploy), so
// the previous code and environment serve at once; nothing is rebuilt or uploaded. It checks both functions
// first and changes nothing unless each has a previous version. Running it again goes back one more version;
// `npm run deploy` points `live` at the newest version again.
//
// Environment: SCF_STAGE, TENCENTCLOUD_REGION, SCF_ENDPOINT as for npm run deploy; the deploying user's keys
// (TENCENTCLOUD_SECRET_ID/KEY, else ~/credentials) with scf:GetAlias, scf:ListVersionByFunction, scf:UpdateAlias.
// Exit: 0 rolled back, 1 refused (no previous version, no alias) or a call failed, 2 bad arguments or settings.
import { DeployStepError, deployTarget } from '../lib/deploy/function-url';
import { formatRollbackReport } from '../lib/deploy/report';
import { openScfClient } from '../lib/deploy/scf-client';
import { readDeploySettings } from '../lib/deploy/settings';
import { LIVE_ALIAS, RollbackRefusedError, rollbackAliases } from '../lib/deploy/versions';

const USAGE = 'usage: npm run rollback';

function fail(message: string, code = 1): never {
  process.stderr.write(`rollback: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (args.length > 0) fail(`FAILED: unknown argument(s) ${args.join(' ')}\n${USAGE}`, 2);
  const read = readDeploySettings(process.env);
  if (!read.settings) fail(`FAILED: the settings are not valid:\n  ${read.problems.join('\n  ')}`, 2);
  const settings = read.settings;
  if (!settings.versions) fail(`REFUSED: SCF_VERSIONS=off: npm run deploy publishes no versions and binds the triggers to $LATEST, so there is no ${LIVE_ALIAS} to move. Nothing was changed.`, 2);
  const client = openScfClient(settings, process.env);
  if ('problem' in client) fail(`FAILED: ${client.problem}`, 2);

  const target = deployTarget(settings.stage, settings.region, LIVE_ALIAS);
  const steps = await rollbackAliases(client.scf, target, [target.apiFunction, target.pollFunction]);
  process.stdout.write(`${formatRollbackReport(target, steps)}\n`);
}

main().catch((e: unknown) => {
  if (e instanceof RollbackRefusedError) fail(`REFUSED: ${e.message}`);
  if (e instanceof DeployStepError) fail(`FAILED: ${e.message}`);
  fail(`FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
});
