// npm run deploy [-- --no-build] [-- --skip-serverless]
//
// Deploys the service to Tencent Cloud SCF, in three steps:
//   1. npm run build (dist/scf.zip); --no-build reuses the one there;
//   2. serverless deploy (serverless@3 + serverless-tencent-scf, serverless.yml): the functions on $LATEST, the
//      poll timer, and with API_TRIGGER=apigw an API Gateway trigger. Needs network and ~/credentials;
//   3. the SCF step on our own TC3 client: a version of each function published and the alias `live` pointed at
//      it (lib/deploy/versions.ts; SCF_VERSIONS=off skips it and keeps the triggers on $LATEST); with
//      API_TRIGGER=url (default) the api function's Function URL on `live`, made once; the poll function's timer
//      on `live`, switched on (lib/deploy/function-url.ts). It prints the URL.
// --skip-serverless skips steps 1 and 2, for functions already deployed (and for tests, against the emulator).
// Every run is safe to repeat: step 3 changes only what is missing, changed or off. `npm run rollback` points
// `live` back (scripts/rollback.ts).
//
// Environment: what serverless.yml reads (SCF_STAGE, TENCENTCLOUD_REGION, API_TRIGGER, SCF_VPC_ID/SCF_SUBNET_ID,
// SCF_ROLE, DEPLOY_CREDENTIALS, ...), TENCENTCLOUD_SECRET_ID/KEY for step 3 (else ~/credentials, the plugin's
// file), SCF_VERSIONS, SCF_ENDPOINT to override https://scf.tencentcloudapi.com, SLS_TIMEOUT (seconds, default
// 900) to bound `serverless deploy`. Before step 2 the functions' environment is checked: STATE_STORE must be
// redis:// (or ALLOW_FILE_STORE=true), and SCF_ROLE set unless DEPLOY_CREDENTIALS=env.
// Exit: 0 done, 1 a step failed, 2 bad arguments or settings. See docs/deploy.md.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { DeployStepError, deployTarget, ensureFunctionUrl, ensurePollTimer } from '../lib/deploy/function-url';
import { formatDeployReport } from '../lib/deploy/report';
import { openScfClient } from '../lib/deploy/scf-client';
import { functionCredentialsNotice, readDeploySettings } from '../lib/deploy/settings';
import { LIVE_ALIAS, publishAndPointAlias, versionDescription } from '../lib/deploy/versions';

const USAGE = 'usage: npm run deploy [-- --no-build] [-- --skip-serverless]';

function fail(message: string, code = 1): never {
  process.stderr.write(`deploy: FAILED: ${message}\n`);
  process.exit(code);
}

/** Runs a step with inherited stdio from the current directory (npm runs scripts at the repository root). */
function step(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs?: number): void {
  process.stdout.write(`deploy: ${name}\n`);
  const run = spawnSync(command, args, { env, stdio: 'inherit', ...(timeoutMs ? { timeout: timeoutMs, killSignal: 'SIGKILL' as const } : {}) });
  if (run.error) fail(`${name}: ${run.error.message}`);
  if (run.status !== 0) fail(`${name} exited ${run.status ?? `on ${run.signal}`}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--no-build' && a !== '--skip-serverless');
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (unknown.length > 0) fail(`unknown argument(s) ${unknown.join(' ')}\n${USAGE}`, 2);
  const skipServerless = args.includes('--skip-serverless');

  // Everything that can be wrong in the shell is checked before minutes of building and uploading; the functions'
  // environment (state store, credentials) only when this run deploys it.
  const read = readDeploySettings(process.env, { deploysFunctions: !skipServerless });
  if (!read.settings) fail(`the settings are not valid:\n  ${read.problems.join('\n  ')}`, 2);
  const settings = read.settings;
  const client = openScfClient(settings, process.env);
  if ('problem' in client) fail(client.problem, 2);

  if (!skipServerless) {
    process.stdout.write(`${functionCredentialsNotice(settings)}\n`);
    if (!args.includes('--no-build')) step('npm run build', 'npm', ['run', 'build'], process.env);
    // The offline tweaks of scripts/package.sh, but HOME stays the user's: the plugin reads ~/credentials.
    const slsEnv = {
      ...process.env,
      SLS_TELEMETRY_DISABLED: '1',
      SLS_TRACKING_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      SLS_DISABLE_AUTO_UPDATE: '1',
      SLS_GEO_LOCATION: process.env.SLS_GEO_LOCATION || 'noncn',
      // serverless.yml looks it up by name; checked above, so never blank or padded here.
      DEPLOY_CREDENTIALS: settings.credentials,
    };
    const timeoutSeconds = Number(process.env.SLS_TIMEOUT || 900);
    step('serverless deploy', process.execPath, [path.join('node_modules', 'serverless', 'bin', 'serverless.js'), 'deploy'], slsEnv, timeoutSeconds * 1000);
  }

  const target = deployTarget(settings.stage, settings.region, settings.versions ? LIVE_ALIAS : '$LATEST');
  const { scf } = client;
  process.stdout.write(`deploy: SCF ${settings.versions ? 'versions and triggers' : 'triggers'} of ${target.apiFunction} and ${target.pollFunction} (credentials from ${client.source})\n`);
  // Versions first: the triggers are bound to the alias, which must exist.
  const description = versionDescription(new Date(), !skipServerless);
  const versions = settings.versions
    ? [
        await publishAndPointAlias(scf, target, target.apiFunction, { deployedCode: !skipServerless, description }),
        await publishAndPointAlias(scf, target, target.pollFunction, { deployedCode: !skipServerless, description }),
      ]
    : null;
  const functionUrl = settings.apiTrigger === 'url' ? await ensureFunctionUrl(scf, target) : null;
  const timer = await ensurePollTimer(scf, target);
  process.stdout.write(`${formatDeployReport({ target, apiTrigger: settings.apiTrigger, versions, functionUrl, timer })}\n`);
}

main().catch((e: unknown) => {
  if (e instanceof DeployStepError) fail(e.message);
  fail(e instanceof Error ? (e.stack ?? e.message) : String(e));
});
