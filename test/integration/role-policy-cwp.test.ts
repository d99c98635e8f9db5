// The execution role's policy with CWP_API=cwp against what the functions really call on the emulator's cwp face:
// both functions built as SCF builds them (createRuntime, the real sinks), the api function starting collections of
// both kinds, the poll function sweeping until it has seen them end and read them. Under a full configuration the
// actions the emulator received are exactly the policy's; under the minimal one, the minimal policy's.
import { CWP_ACTIONS } from '../../dev/emulator/cwp';
import { EB_ACTIONS } from '../../dev/emulator/eb';
import { TDMQ_ACTIONS } from '../../dev/emulator/tdmq';
import { roleActions } from '../../lib/deploy/role-policy';
import { useRolePolicyRun } from '../helpers/role-policy-run';

const run = useRolePolicyRun({
  label: 'role-policy-cwp',
  serviceOf: new Map<string, string>([...CWP_ACTIONS.map((a) => [a, 'cwp'] as const), ...TDMQ_ACTIONS.map((a) => [a, 'tdmq'] as const), ...EB_ACTIONS.map((a) => [a, 'eb'] as const)]),
  env: { CWP_API: 'cwp' },
  sweepsCeilingMs: 30_000,
});
const { runBothFunctions, agentWithMachine } = run;

describe('the actions the functions call on cwp, against the role policy for their configuration', () => {
  test('under a full configuration (discovery of every region, COLLECT_EVERY, CMQ, EventBridge) they are exactly the full policy', async () => {
    const emu = run.emu;
    emu.createTopic('cwp-task-events');
    emu.createQueue('cwp-task-queue');
    emu.createEventBus('eb-rolepolicy');
    const features = { WATCH_DISCOVER: 'CVM:all', COLLECT_EVERY: '10m', CMQ_TOPIC: 'cwp-task-events', CMQ_QUEUE: 'cwp-task-queue', EB_EVENT_BUS_ID: 'eb-rolepolicy' };
    const policy = roleActions({ ...features, CWP_API: 'cwp' });
    const called = await runBothFunctions(features, agentWithMachine(), policy);
    expect(called).toEqual(policy);
    expect(emu.requests().filter((r) => r.outcome === 'rejected')).toEqual([]);
  }, 60_000);

  test('under the minimal configuration they stay inside the minimal policy', async () => {
    const minimal = roleActions({ CWP_API: 'cwp' });
    expect(await runBothFunctions({}, agentWithMachine(), minimal)).toEqual(minimal);
  }, 60_000);
});
