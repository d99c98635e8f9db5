#!/usr/bin/env bash
# npm run package:scf [-- --no-build] [-- --strict]
#
# Packages the service for Tencent Cloud SCF with the Serverless Framework, offline:
#   0. scripts/package-check.ts: fails (exit 2) when the functions' environment would not work in SCF, naming the
#      variable (STATE_STORE must be redis:// or rediss://, unless ALLOW_FILE_STORE=true); writes the execution
#      role's CAM policy for the configured features and its trust policy to .serverless/cam-*.json
#   1. npm run build (dist/poll.js, dist/api.js -> dist/scf.zip); --no-build skips it when dist/scf.zip exists
#   2. serverless package (serverless@3 + serverless-tencent-scf; no credentials, no network)
#   3. scripts/serverless/describe.js: what `serverless deploy` would send to SCF (functions, runtime, timeouts,
#      triggers, VPC, environment variable names), written to .serverless/scf-description.json. Its errors (what
#      SCF would refuse, e.g. a function's environment over SCF's 4 KB in all) fail the run, naming the largest
#      variables by name and size; its warnings are printed, and with --strict they fail the run too.
#
# Offline: the tencent plugin's load-time telemetry is stubbed by scripts/serverless/no-telemetry.js; the
# Framework's own telemetry, notifications and update checks are turned off below; HOME points at .home/
# (or $SLS_HOME) so the Framework's state stays inside the project. Each serverless step is bounded by
# $SLS_TIMEOUT seconds (default 180).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

build=1
strict=0
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    --strict) strict=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "package.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

fail() { echo "package.sh: FAILED: $*" >&2; exit 1; }

# Before minutes of building: it prints its own problems (exit 2).
node scripts/run-ts.mjs scripts/package-check.ts || exit $?
# serverless.yml looks DEPLOY_CREDENTIALS up by name: pass it trimmed, and unset when blank (the default, role).
credentials_mode="$(printf '%s' "${DEPLOY_CREDENTIALS:-}" | tr -d '[:space:]')"
if [[ -n $credentials_mode ]]; then export DEPLOY_CREDENTIALS=$credentials_mode; else unset DEPLOY_CREDENTIALS; fi

if [[ $build == 1 || ! -f dist/scf.zip ]]; then
  [[ $build == 0 ]] && echo "package.sh: dist/scf.zip is missing; building anyway" >&2
  npm run build || fail "npm run build"
fi
[[ -f dist/scf.zip ]] || fail "dist/scf.zip was not produced by npm run build"

export HOME="${SLS_HOME:-$ROOT/.home}"
mkdir -p "$HOME"
export SLS_TELEMETRY_DISABLED=1 SLS_TRACKING_DISABLED=1 SLS_NOTIFICATIONS_MODE=off SLS_DISABLE_AUTO_UPDATE=1
export SLS_GEO_LOCATION="${SLS_GEO_LOCATION:-noncn}"
limit="${SLS_TIMEOUT:-180}"
export SLS_DESCRIBE_TIMEOUT_MS=$((limit * 1000))

start=$(date +%s)
timeout --kill-after=10 "$limit" node node_modules/serverless/bin/serverless.js package \
  || fail "serverless package (exit $?; 124 means it ran over ${limit}s)"
packaged=$(date +%s)

mkdir -p .serverless
timeout --kill-after=10 "$limit" node scripts/serverless/describe.js > .serverless/scf-description.json.tmp \
  || fail "scripts/serverless/describe.js (exit $?)"
mv .serverless/scf-description.json.tmp .serverless/scf-description.json
done_at=$(date +%s)

node -e '
const d = require(process.argv[1]);
for (const [name, f] of Object.entries(d.functions)) {
  const t = f.triggers.map((t) => t.type + (t.cron ? ` "${t.cron}"` : "") + (t.desc && t.desc.api ? ` ${t.desc.api.requestConfig.method} ${t.desc.api.requestConfig.path}` : "") + ` ${t.enable}`).join(", ") || "no trigger";
  const vpc = f.vpc ? `; VPC ${f.vpc.vpcId}/${f.vpc.subnetId}` : "";
  console.log(`  ${f.functionName}: ${f.handler} ${f.runtime} ${f.memorySize} MB ${f.timeout} s; ${t}${vpc}; ${f.environment.names.length} env vars (${f.environment.set.length} set, ${f.environment.bytes} bytes)`);
}
console.log(`  artifact ${d.artifact.path} (${d.artifact.bytes} bytes: ${(d.artifact.entries || []).join(", ")}), region ${d.region}, stage ${d.stage}`);
for (const w of d.warnings) console.error(`package.sh: WARNING: ${w}`);
for (const e of d.errors) console.error(`package.sh: ERROR: ${e}`);
' "$ROOT/.serverless/scf-description.json"

echo "package.sh: packaged in $((packaged - start)) s, described in $((done_at - packaged)) s; description: .serverless/scf-description.json"
errors=$(node -p 'require(process.argv[1]).errors.length' "$ROOT/.serverless/scf-description.json")
[[ $errors == 0 ]] || fail "$errors error(s): SCF would refuse this deployment (see ERROR above)"
if [[ $strict == 1 ]]; then
  n=$(node -p 'require(process.argv[1]).warnings.length' "$ROOT/.serverless/scf-description.json")
  [[ $n == 0 ]] || fail "$n warning(s) with --strict"
fi
