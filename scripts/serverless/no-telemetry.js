'use strict';
// A local Serverless Framework plugin, listed in serverless.yml BEFORE serverless-tencent-scf.
//
// serverless-tencent-scf@0.1.36 reports usage when it loads: TencentProvider's constructor (and getUserAuth at
// deploy) calls `new DataReport().report(...)` from serverless-tencent-tools (sdk/others/dataReport.js), which
// fires `request({ url: 'http://service-ocnymoks-....apigw.tencentcs.com/release/dataReport', ... })` with no
// callback. Without network the request emits an unhandled 'error' (getaddrinfo ENOTFOUND) and the whole CLI
// dies; no setting turns it off. The surrounding try/catch cannot help: the error is asynchronous.
//
// This module runs when the Framework loads the plugin list, before serverless-tencent-scf is required, and
// replaces DataReport.prototype.report with a no-op in the very module instance the tencent plugin will use
// (resolved from the plugin's own directory, so a nested copy of serverless-tencent-tools is found too). The
// provider destructures the class, not the method, so patching the prototype reaches every call site.
const path = require('path');

function patchDataReport(fromDir) {
  let modulePath;
  try {
    const toolsEntry = require.resolve('serverless-tencent-tools', { paths: [fromDir] });
    modulePath = path.join(path.dirname(toolsEntry), 'sdk', 'others', 'dataReport.js');
  } catch {
    return { patched: false, reason: 'serverless-tencent-tools not found' };
  }
  const mod = require(modulePath);
  const DataReport = mod && mod.DataReport;
  if (typeof DataReport !== 'function' || typeof DataReport.prototype.report !== 'function') {
    // Fail loudly: an upgraded plugin that reports differently must be looked at, not silently allowed to post.
    throw new Error(`no-telemetry: ${modulePath} no longer exports DataReport.prototype.report; re-check serverless-tencent-scf's load-time telemetry`);
  }
  if (!DataReport.prototype.report.__noTelemetry) {
    const noop = async function report() {
      return true;
    };
    noop.__noTelemetry = true;
    DataReport.prototype.report = noop;
  }
  return { patched: true, modulePath };
}

function pluginDir() {
  return path.dirname(require.resolve('serverless-tencent-scf/package.json', { paths: [process.cwd(), path.join(__dirname, '..', '..')] }));
}

// Patch at require time: the Framework requires every plugin module in list order before constructing any.
const result = patchDataReport(pluginDir());
if (!result.patched) throw new Error(`no-telemetry: ${result.reason}`);

class NoTelemetry {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {};
  }
}

module.exports = NoTelemetry;
module.exports.patchDataReport = patchDataReport;
module.exports.pluginDir = pluginDir;
