// The execution role's CAM documents (lib/deploy/role-policy.ts): the policy lists exactly the actions of the
// features the environment turns on, each once, as `service:Action`; the trust policy lets SCF assume the role.
// That the functions call nothing outside the policy is test/integration/role-policy.test.ts's, against the emulator.
import { CREATE_ACTION, MACHINES_ACTION, RESULT_ACTION, STATUS_ACTION } from '../../lib/cwp/yunjing';
import { ROLE_POLICY_FEATURES, enabledFeatures, roleActions, rolePolicyDocument, roleTrustPolicyDocument } from '../../lib/deploy/role-policy';
import { CMQ_QUEUE_ACTION, CMQ_TOPIC_ACTION } from '../../lib/sinks/cmq';
import { EB_PUT_EVENTS_ACTION } from '../../lib/sinks/eventbridge';
import { CWP_SERVICE, EB_SERVICE, TDMQ_SERVICE } from '../../lib/tencent/services';

/** What every deployment needs: status, results and starting collections (POST /v1/collections is always served). */
const ALWAYS = [
  'yunjing:CreateOpenPortTask',
  'yunjing:CreateProcessTask',
  'yunjing:DescribeOpenPortTaskStatus',
  'yunjing:DescribeOpenPorts',
  'yunjing:DescribeProcessTaskStatus',
  'yunjing:DescribeProcesses',
];
const FULL_ENV = { WATCH_DISCOVER: 'CVM:ap-guangzhou', CMQ_TOPIC: 'cwp-task-events', CMQ_QUEUE: 'cwp-task-queue', EB_EVENT_BUS_ID: 'eb-abcd1234' };

describe('the execution role policy', () => {
  test('with no optional feature it allows the status, result and create actions of both kinds, and nothing else', () => {
    expect(roleActions({})).toEqual(ALWAYS);
  });

  test.each([
    ['WATCH_DISCOVER', 'CVM:ap-guangzhou', ['yunjing:DescribeMachines']],
    ['CMQ_TOPIC', 'cwp-task-events', ['tdmq:PublishCmqMsg']],
    ['CMQ_QUEUE', 'cwp-task-queue', ['tdmq:SendCmqMsg']],
    ['EB_EVENT_BUS_ID', 'eb-abcd1234', ['eb:PutEvents']],
  ])('%s adds exactly %s', (name, value, added) => {
    expect(roleActions({ [name]: value })).toEqual([...ALWAYS, ...added].sort());
  });

  test('a blank variable turns nothing on, as lib/config reads it', () => {
    expect(roleActions({ WATCH_DISCOVER: '  ', CMQ_TOPIC: '', EB_EVENT_BUS_ID: ' ' })).toEqual(ALWAYS);
  });

  test('COLLECT_EVERY adds nothing: the create actions are always in, for POST /v1/collections', () => {
    expect(roleActions({ COLLECT_EVERY: '24h' })).toEqual(ALWAYS);
  });

  test('the full policy is every action the callers define, once each, under its own service', () => {
    const callers = [
      ...[...Object.values(STATUS_ACTION), ...Object.values(RESULT_ACTION), ...Object.values(CREATE_ACTION), MACHINES_ACTION].map((a) => `${CWP_SERVICE}:${a}`),
      `${TDMQ_SERVICE}:${CMQ_TOPIC_ACTION}`,
      `${TDMQ_SERVICE}:${CMQ_QUEUE_ACTION}`,
      `${EB_SERVICE}:${EB_PUT_EVENTS_ACTION}`,
    ];
    expect(roleActions(FULL_ENV)).toEqual([...callers].sort());
    expect(enabledFeatures(FULL_ENV)).toEqual(ROLE_POLICY_FEATURES);
  });

  test('is a CAM policy document: version 2.0, one allow statement on every resource', () => {
    expect(rolePolicyDocument(FULL_ENV)).toEqual({ version: '2.0', statement: [{ effect: 'allow', action: roleActions(FULL_ENV), resource: ['*'] }] });
  });

  test('every row names the variable that turns it on, or none for what is always needed', () => {
    for (const f of ROLE_POLICY_FEATURES) {
      if (f.setting === null) expect(f.when({})).toBe(true);
      else {
        expect(f.when({})).toBe(false);
        expect(f.when({ [f.setting]: 'x' })).toBe(true);
      }
    }
  });
});

describe('the execution role trust policy', () => {
  test('lets SCF (scf.qcloud.com) assume the role, in the form CAM CreateRole documents', () => {
    expect(roleTrustPolicyDocument()).toEqual({ version: '2.0', statement: [{ effect: 'allow', action: 'name/sts:AssumeRole', principal: { service: ['scf.qcloud.com'] } }] });
  });
});
