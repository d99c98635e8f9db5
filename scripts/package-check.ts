// The first step of `npm run package:scf` (scripts/package.sh), before anything is built:
//   1. the functions' environment as the shell would deploy it must work in SCF (lib/deploy/settings.ts
//      functionEnvironmentProblems): STATE_STORE redis:// or rediss:// (or ALLOW_FILE_STORE=true for a
//      single-instance trial), DEPLOY_CREDENTIALS role or env. Problems: exit 2, each naming its variable;
//   2. the execution role's documents for the configured features (lib/deploy/role-policy.ts), written to
//      .serverless/cam-role-policy.json (the policy) and .serverless/cam-trust-policy.json (the trust policy),
//      with the tccli commands of docs/deploy.md that create the role from them.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { enabledFeatures, rolePolicyDocument, roleTrustPolicyDocument } from '../lib/deploy/role-policy';
import { functionEnvironmentProblems } from '../lib/deploy/settings';

const ROLE_POLICY_FILE = path.join('.serverless', 'cam-role-policy.json');
const TRUST_POLICY_FILE = path.join('.serverless', 'cam-trust-policy.json');

const problems = functionEnvironmentProblems(process.env, { requireRole: false });
if (problems.length > 0) {
  process.stderr.write(`package.sh: FAILED: the functions' environment would not work in SCF:\n  ${problems.join('\n  ')}\n`);
  process.exit(2);
}

/** Written whole, then renamed, so a reader never sees half a file. */
function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

const policy = rolePolicyDocument(process.env);
writeJson(ROLE_POLICY_FILE, policy);
writeJson(TRUST_POLICY_FILE, roleTrustPolicyDocument());
process.stdout.write(`package.sh: execution role policy ${ROLE_POLICY_FILE} (${policy.statement[0]!.action.length} actions), trust policy ${TRUST_POLICY_FILE}\n`);
for (const f of enabledFeatures(process.env)) {
  process.stdout.write(`  ${f.actions.map((a) => `${f.service}:${a}`).join(', ')}: ${f.feature}${f.setting ? ` (${f.setting})` : ''}\n`);
}
