// The functions' execution role (SCF_ROLE): its CAM policy, for exactly the Tencent Cloud API actions the
// configured features call, and its trust policy, which lets SCF assume it. `npm run package:scf` writes both
// (scripts/package-check.ts) and docs/deploy.md gives the tccli commands that create the role with them.
//
// One table, feature -> actions, built from the constants the callers themselves use (lib/cwp/client.ts,
// lib/sinks/cmq.ts, lib/sinks/eventbridge.ts, lib/tencent/services.ts), so the policy cannot drift from what
// the functions call; test/integration/role-policy.test.ts runs both functions under a full configuration
// against the emulator and checks every action they called is in the policy, and nothing more.
//
// The table is the default CWP API's, yunjing; CWP_API=cwp takes CWP_API_ROLE_POLICY_FEATURES instead: cwp's own rows
// (service `cwp`, lib/cwp/cwp.ts) in place of yunjing's, and the same sink rows.
import { ASSET_TYPES_ACTION, CWP_MACHINES_ACTION, INVENTORY_ACTION, MACHINE_INFO_ACTION, MACHINE_REGIONS_ACTION, SCAN_ACTION, SCAN_STATE_ACTION } from '../cwp/cwp';
import { CREATE_ACTION, MACHINES_ACTION, RESULT_ACTION, STATUS_ACTION } from '../cwp/yunjing';
import { CMQ_QUEUE_ACTION, CMQ_TOPIC_ACTION } from '../sinks/cmq';
import { EB_PUT_EVENTS_ACTION } from '../sinks/eventbridge';
import { CWP_APIS, CWP_SERVICE, EB_SERVICE, TDMQ_SERVICE } from '../tencent/services';

type Env = Record<string, string | undefined>;

/** A variable's value, blank counting as unset (as lib/config and serverless.yml's empty defaults treat it). */
const setting = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v ? v : undefined;
};

export interface RolePolicyFeature {
  /** What the functions do with the actions (shown by `npm run package:scf` and in docs/deploy.md). */
  feature: string;
  /** The variable that turns the feature on; null when the functions always need it. */
  setting: string | null;
  when: (env: Env) => boolean;
  /** The API 3.0 service, which is also the CAM action prefix (`yunjing:DescribeMachines`). */
  service: string;
  actions: readonly string[];
}

const always = (): boolean => true;
const isSet = (name: string) => (env: Env) => setting(env, name) !== undefined;

const SINK_FEATURES: readonly RolePolicyFeature[] = [
  { feature: 'the CMQ topic sink', setting: 'CMQ_TOPIC', when: isSet('CMQ_TOPIC'), service: TDMQ_SERVICE, actions: [CMQ_TOPIC_ACTION] },
  { feature: 'the CMQ queue sink', setting: 'CMQ_QUEUE', when: isSet('CMQ_QUEUE'), service: TDMQ_SERVICE, actions: [CMQ_QUEUE_ACTION] },
  { feature: 'the EventBridge sink', setting: 'EB_EVENT_BUS_ID', when: isSet('EB_EVENT_BUS_ID'), service: EB_SERVICE, actions: [EB_PUT_EVENTS_ACTION] },
];

/** The features with the default CWP API, yunjing. */
export const ROLE_POLICY_FEATURES: readonly RolePolicyFeature[] = [
  { feature: 'the sweep and GET /v1/status: task status', setting: null, when: always, service: CWP_SERVICE, actions: Object.values(STATUS_ACTION) },
  { feature: 'reading what a finished collection found', setting: null, when: always, service: CWP_SERVICE, actions: Object.values(RESULT_ACTION) },
  // POST /v1/collections is always on the api function; COLLECT_EVERY uses the same two actions.
  { feature: 'starting collections (POST /v1/collections, COLLECT_EVERY)', setting: null, when: always, service: CWP_SERVICE, actions: Object.values(CREATE_ACTION) },
  { feature: 'discovery: the machine listing', setting: 'WATCH_DISCOVER', when: isSet('WATCH_DISCOVER'), service: CWP_SERVICE, actions: [MACHINES_ACTION] },
  ...SINK_FEATURES,
];

/** WATCH_DISCOVER asks for every region of a type (`all`, or a type's `all`): cwp asks DescribeMachineRegions which. */
const everyRegion = (env: Env): boolean => /(^|[:,;])\s*all\s*($|[,;])/.test(setting(env, 'WATCH_DISCOVER') ?? '');

/**
 * The features with CWP_API=cwp: the state is inferred from the account's scan, each host (its Quuid, online state)
 * and its inventory, which is also what a collection found and what the account-wide look pages.
 */
export const CWP_API_ROLE_POLICY_FEATURES: readonly RolePolicyFeature[] = [
  { feature: 'the sweep and GET /v1/status: the account\'s scan, each host, its inventory', setting: null, when: always, service: CWP_APIS.cwp.service, actions: [SCAN_STATE_ACTION, MACHINE_INFO_ACTION, ...Object.values(INVENTORY_ACTION)] },
  { feature: 'starting collections (POST /v1/collections, COLLECT_EVERY): one asset scan', setting: null, when: always, service: CWP_APIS.cwp.service, actions: [SCAN_ACTION, ASSET_TYPES_ACTION] },
  { feature: 'discovery: the machine listing', setting: 'WATCH_DISCOVER', when: isSet('WATCH_DISCOVER'), service: CWP_APIS.cwp.service, actions: [CWP_MACHINES_ACTION] },
  { feature: 'discovery of every region (WATCH_DISCOVER all)', setting: 'WATCH_DISCOVER', when: everyRegion, service: CWP_APIS.cwp.service, actions: [MACHINE_REGIONS_ACTION] },
  ...SINK_FEATURES,
];

/** A CAM policy document (CAM's "policy syntax": version 2.0, one statement here). */
export interface CamPolicyDocument {
  version: '2.0';
  statement: Array<{ effect: 'allow'; action: string[]; resource: string[] }>;
}

/** The role's trust policy: SCF (service principal scf.qcloud.com) may assume it for the functions. */
export interface CamTrustPolicyDocument {
  version: '2.0';
  statement: Array<{ effect: 'allow'; action: string; principal: { service: string[] } }>;
}

export const SCF_SERVICE_PRINCIPAL = 'scf.qcloud.com';

/** The features the environment turns on, in table order: the table of the CWP API it names (CWP_API). */
export function enabledFeatures(env: Env): RolePolicyFeature[] {
  const table = setting(env, 'CWP_API') === 'cwp' ? CWP_API_ROLE_POLICY_FEATURES : ROLE_POLICY_FEATURES;
  return table.filter((f) => f.when(env));
}

/** `service:Action` for every action the enabled features call, sorted, each once. */
export function roleActions(env: Env): string[] {
  const actions = new Set(enabledFeatures(env).flatMap((f) => f.actions.map((a) => `${f.service}:${a}`)));
  return [...actions].sort();
}

/**
 * The execution role's policy. Resource `*`: yunjing (or cwp), TDMQ for CMQ and EventBridge are granted per action here;
 * narrowing to a topic or bus needs their six-part resource names, which depend on the account (docs/deploy.md).
 */
export function rolePolicyDocument(env: Env): CamPolicyDocument {
  return { version: '2.0', statement: [{ effect: 'allow', action: roleActions(env), resource: ['*'] }] };
}

/** As CAM's CreateRole documents it: `name/sts:AssumeRole` for the service principal. */
export function roleTrustPolicyDocument(): CamTrustPolicyDocument {
  return { version: '2.0', statement: [{ effect: 'allow', action: 'name/sts:AssumeRole', principal: { service: [SCF_SERVICE_PRINCIPAL] } }] };
}
