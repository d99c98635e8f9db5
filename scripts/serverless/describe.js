#!/usr/bin/env node
'use strict';
// Prints, as JSON, what `serverless deploy` with serverless-tencent-scf@0.1.36 would send to SCF for this
// service, without any network:
//
//   node scripts/serverless/describe.js            # resolves serverless.yml through `serverless print`
//   node scripts/serverless/describe.js --config resolved.json
//
// The plugin builds its deployment description only inside `deploy`, so this runs the plugin's own code paths
// on the service as the Framework resolves it: TencentProvider.getServiceResource() (the resource document it
// uploads beside the code), then DeployFunction.deploy() for a function that does not exist yet and
// DeployTrigger.create() for its triggers, with each Tencent Cloud SDK client's transport (`doRequest`)
// replaced by a recorder. The recorded parameters are the exact flattened form the SDK would have signed and
// posted (`Environment.Variables.0.Key`, ...). Environment VALUES are never printed: a non-empty value shows
// as "<set>".
//
// `errors` lists what SCF would refuse (package.sh fails on them); `warnings` what would deploy but not work.
//
// Environment: HOME is where the Framework keeps its state (package.sh and the test point it inside the
// project or a temp dir); the Serverless telemetry, notification and update checks are turned off here.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const REDACTED = '<set>';
// SCF allows 4 KB of environment variables per function in all ("Maximum environment variable size per function:
// 4 KB", https://www.tencentcloud.com/document/product/583/11637). Counted here as the bytes of names and values.
const ENV_LIMIT_BYTES = 4096;
/** How many of the largest variables an over-limit error names. */
const LARGEST_SHOWN = 5;

function offlineEnv(base = process.env) {
  return {
    ...base,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_TRACKING_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_DISABLE_AUTO_UPDATE: '1',
    SLS_GEO_LOCATION: base.SLS_GEO_LOCATION || 'noncn',
  };
}

function resolvedConfig(args) {
  const i = args.indexOf('--config');
  if (i !== -1) return JSON.parse(fs.readFileSync(args[i + 1], 'utf8'));
  const bin = require.resolve('serverless/bin/serverless.js', { paths: [ROOT] });
  const out = execFileSync(process.execPath, [bin, 'print', '--format', 'json'], {
    cwd: ROOT,
    env: offlineEnv(),
    encoding: 'utf8',
    timeout: Number(process.env.SLS_DESCRIBE_TIMEOUT_MS || 120000),
    maxBuffer: 16 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const start = out.indexOf('{');
  if (start === -1) throw new Error(`serverless print returned no JSON:\n${out}`);
  return JSON.parse(out.slice(start));
}

/** Replaces an SDK client's transport with a recorder; `answer(action, params)` returns the Response body or throws. */
function record(client, service, calls, answer) {
  client.doRequest = async (action, req) => {
    const params = client.mergeData(req);
    calls.push({ service, action, params });
    return answer(action, params);
  };
  client.doRequestWithSign3 = async (action, req) => client.doRequest(action, req);
  return client;
}

function notFound(message, code) {
  const e = new Error(message);
  e.code = code;
  e.requestId = 'offline';
  return e;
}

function redactParams(params) {
  const out = {};
  for (const [k, v] of Object.entries(params)) {
    out[k] = /^Environment\.Variables\.\d+\.Value$/.test(k) && v !== '' ? REDACTED : v;
  }
  return out;
}

function zipEntries(file) {
  const { unzipSync } = require('fflate');
  const files = unzipSync(new Uint8Array(fs.readFileSync(file)));
  return Object.fromEntries(Object.entries(files).map(([name, data]) => [name, Buffer.from(data)]));
}

async function describe(config) {
  // The plugin's own modules, from the copy the Framework loads. Requiring no-telemetry first makes
  // DataReport.report a no-op before the provider module is loaded.
  require('./no-telemetry');
  const pluginDir = path.dirname(require.resolve('serverless-tencent-scf/package.json', { paths: [ROOT] }));
  const pluginVersion = require(path.join(pluginDir, 'package.json')).version;
  const TencentProvider = require(path.join(pluginDir, 'provider', 'tencentProvider'));
  const DeployFunction = require(path.join(pluginDir, 'deploy', 'lib', 'deployFunction'));
  const DeployTrigger = require(path.join(pluginDir, 'deploy', 'lib', 'deployTrigger'));
  const validate = require(path.join(pluginDir, 'shared', 'validate'));
  const utils = require(path.join(pluginDir, 'shared', 'utils'));
  utils.sleep = async () => {}; // the deploy code waits between CAM calls; nothing to wait for here

  const logs = [];
  const providers = {};
  const service = {
    service: config.service,
    provider: JSON.parse(JSON.stringify(config.provider || {})),
    functions: JSON.parse(JSON.stringify(config.functions || {})),
    package: config.package || {},
    getAllFunctions() {
      return Object.keys(this.functions);
    },
    getFunction(name) {
      return this.functions[name];
    },
  };
  const serverless = {
    service,
    config: { servicePath: ROOT },
    pluginManager: { cliCommands: ['deploy'] },
    cli: { log: (m) => logs.push(String(m)) },
    setProvider(name, p) {
      providers[name] = p;
    },
    getProvider(name) {
      return providers[name];
    },
  };
  const options = {
    stage: service.provider.stage || 'dev',
    region: service.provider.region || 'ap-guangzhou',
    // Preset so the provider does not read ~/credentials or call CAM for the AppId.
    credentials: { tencent_secret_id: 'offline', tencent_secret_key: 'offline', tencent_appid: '1250000000', tencent_owneruin: '100000000001' },
  };

  const provider = new TencentProvider(serverless, options);
  // What `before:deploy:deploy` runs: service path, service name, supported event types.
  validate.validate.call({ serverless, ...validate });
  options.stage = provider.getStage();
  options.region = provider.getRegion();

  const resources = provider.getServiceResource();
  const calls = [];
  const functions = {};
  for (const name of Object.keys(resources.Resources.default)) {
    if (name === 'Type') continue;
    const funcObject = JSON.parse(JSON.stringify(resources.Resources.default[name]));
    funcObject.Name = name;
    funcObject.FuncName = provider.getFunctionName(name);

    const first = calls.length;
    const func = new DeployFunction(options, serverless);
    record(func.scfClient, 'scf', calls, (action) => {
      if (action === 'GetFunction') throw notFound(`function ${funcObject.FuncName} not found (offline)`, 'ResourceNotFound.Function');
      return { RequestId: 'offline' };
    });
    record(func.camClient, 'cam', calls, (action) => (action === 'ListPolicies' ? { List: [], TotalNum: 0, RequestId: 'offline' } : { RequestId: 'offline' }));
    await func.deploy('default', funcObject); // a new function: GetFunction (not found), then CreateFunction

    const trigger = new DeployTrigger(options, serverless);
    record(trigger.scfClient, 'scf', calls, (action, params) => ({ RequestId: 'offline', TriggerInfo: { TriggerName: params.TriggerName, Type: params.Type } }));
    const failures = [];
    await trigger.create('default', null, funcObject, () => {}, (message) => failures.push(String(message)));

    const mine = calls.slice(first);
    const create = mine.find((c) => c.action === 'CreateFunction');
    if (!create) throw new Error(`the plugin sent no CreateFunction for ${name}`);
    const p = create.params;
    const env = [];
    for (let i = 0; `Environment.Variables.${i}.Key` in p; i++) env.push([p[`Environment.Variables.${i}.Key`], String(p[`Environment.Variables.${i}.Value`] ?? '')]);
    functions[name] = {
      functionName: p.FunctionName,
      namespace: p.Namespace,
      handler: p.Handler,
      runtime: p.Runtime,
      memorySize: p.MemorySize,
      timeout: p.Timeout,
      role: p.Role ?? null,
      vpc: p['VpcConfig.VpcId'] ? { vpcId: p['VpcConfig.VpcId'], subnetId: p['VpcConfig.SubnetId'] } : null,
      code: { cosBucket: p['Code.CosBucketName'], cosObject: p['Code.CosObjectName'] },
      environment: {
        names: env.map(([k]) => k),
        set: env.filter(([, v]) => v !== '').map(([k]) => k),
        bytes: env.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0),
        // Names and sizes only, never values.
        largest: env
          .map(([k, v]) => ({ name: k, bytes: Buffer.byteLength(k) + Buffer.byteLength(v) }))
          .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name))
          .slice(0, LARGEST_SHOWN),
      },
      triggers: mine
        .filter((c) => c.action === 'CreateTrigger')
        .map(({ params: t }) => {
          const out = { type: t.Type, name: t.TriggerName, enable: t.Enable };
          if (t.Type === 'timer') out.cron = t.TriggerDesc;
          else if (t.TriggerDesc) out.desc = JSON.parse(t.TriggerDesc);
          return out;
        }),
      triggerFailures: failures,
    };
  }

  // Checks of things the plugin does not check but SCF or the bundle will.
  const errors = [];
  const warnings = [];
  // The plugin drops a VPC with only one of the two ids without a word (getVPCConfig needs both).
  const vpcConfig = service.provider.vpcConfig || {};
  if (Boolean(vpcConfig.vpcId) !== Boolean(vpcConfig.subnetId)) {
    warnings.push(`provider.vpcConfig has ${vpcConfig.vpcId ? 'a vpcId (SCF_VPC_ID) but no subnetId (SCF_SUBNET_ID)' : 'a subnetId (SCF_SUBNET_ID) but no vpcId (SCF_VPC_ID)'}: the functions get no VPC and cannot reach a VPC-only Redis`);
  }
  const artifactPath = path.resolve(ROOT, (service.package && service.package.artifact) || '');
  let artifact = { path: path.relative(ROOT, artifactPath), exists: fs.existsSync(artifactPath) };
  let entries = {};
  if (artifact.exists) {
    entries = zipEntries(artifactPath);
    artifact = { ...artifact, bytes: fs.statSync(artifactPath).size, entries: Object.keys(entries).sort() };
  } else warnings.push(`artifact ${artifact.path} does not exist: run npm run build`);
  for (const [name, f] of Object.entries(functions)) {
    const file = `${f.handler.split('.')[0]}.js`;
    if (artifact.exists && !entries[file]) warnings.push(`${name}: handler ${f.handler} needs ${file} at the root of ${artifact.path}`);
    if (f.environment.bytes > ENV_LIMIT_BYTES) {
      const largest = f.environment.largest.map((v) => `${v.name} (${v.bytes} bytes)`).join(', ');
      errors.push(`${name}: environment is ${f.environment.bytes} bytes, over SCF's limit of ${ENV_LIMIT_BYTES} bytes for all variables together; largest: ${largest}`);
    }
    if (f.triggerFailures.length) warnings.push(`${name}: ${f.triggerFailures.join('; ')}`);
    // Node 18 lacks AbortSignal.any (Node >= 20.3): a bundle that calls it fails at run time, not at deploy.
    const m = /^Nodejs(\d+)\./.exec(f.runtime || '');
    if (m && Number(m[1]) < 20 && entries[file] && entries[file].includes('AbortSignal.any')) {
      warnings.push(`${name}: runtime ${f.runtime} has no AbortSignal.any, which ${file} calls (Node >= 20.3)`);
    }
  }

  return {
    service: resources.Service,
    stage: resources.Stage,
    region: options.region,
    plugin: { name: 'serverless-tencent-scf', version: pluginVersion },
    artifact,
    functions,
    requests: calls.map((c) => ({ service: c.service, action: c.action, params: redactParams(c.params) })),
    errors,
    warnings,
  };
}

module.exports = { describe, offlineEnv, resolvedConfig };

if (require.main === module) {
  (async () => {
    const config = resolvedConfig(process.argv.slice(2));
    const description = await describe(config);
    process.stdout.write(JSON.stringify(description, null, 2) + '\n');
  })().catch((e) => {
    process.stderr.write(`describe failed: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  });
}
