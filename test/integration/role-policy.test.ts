// The execution role's policy (lib/deploy/role-policy.ts) against what the functions really call. Both functions
// are built as SCF builds them (lib/runtime createRuntime, the real sinks) and run against the emulator over real
// HTTP and signatures: the api function starts collections of both kinds (POST /v1/collections), the poll function
// sweeps, sees them end, reads what they found and publishes. Under a full configuration (discovery,
// COLLECT_EVERY, a CMQ topic and queue, EventBridge) the actions the emulator received are exactly the actions of
// the policy `npm run package:scf` writes for it; under the minimal one they stay inside its smaller policy.
import { randomUUID } from 'node:crypto';
import { EB_ACTIONS } from '../../dev/emulator/eb';
import { MACHINE_ACTIONS } from '../../dev/emulator/machines';
import { TDMQ_ACTIONS } from '../../dev/emulator/tdmq';
import { YUNJING_ACTIONS } from '../../dev/emulator/yunjing';
import { roleActions } from '../../lib/deploy/role-policy';
import { useRolePolicyRun } from '../helpers/role-policy-run';

const TOPIC = 'cwp-task-events';
const QUEUE = 'cwp-task-queue';
const BUS = 'eb-rolepolicy';

const run = useRolePolicyRun({
  label: 'role-policy',
  serviceOf: new Map<string, string>([
    ...[...YUNJING_ACTIONS, ...MACHINE_ACTIONS].map((a) => [a, 'yunjing'] as const),
    ...TDMQ_ACTIONS.map((a) => [a, 'tdmq'] as const),
    ...EB_ACTIONS.map((a) => [a, 'eb'] as const),
  ]),
  sweepsCeilingMs: 20_000,
});
const { runBothFunctions, agentWithMachine } = run;

describe('the actions the functions call, against the role policy for their configuration', () => {
  test('under a full configuration they are exactly the full policy: every action in it is needed, and nothing is missing', async () => {
    const emu = run.emu;
    emu.createTopic(TOPIC);
    emu.createQueue(QUEUE);
    emu.createEventBus(BUS);
    emu.addMachine({ uuid: randomUUID(), name: 'db-01' });
    const features = { WATCH_DISCOVER: 'CVM:ap-guangzhou', COLLECT_EVERY: '10m', CMQ_TOPIC: TOPIC, CMQ_QUEUE: QUEUE, EB_EVENT_BUS_ID: BUS };

    const called = await runBothFunctions(features, agentWithMachine(), roleActions(features));

    expect(called).toEqual(roleActions(features));
    // Every call was signed and routed as the real service wants it.
    expect(emu.requests().filter((r) => r.outcome === 'rejected')).toEqual([]);
    expect(emu.messages({ topic: TOPIC }).length).toBeGreaterThan(0);
    expect(emu.messages({ queue: QUEUE }).length).toBeGreaterThan(0);
    expect(emu.busEvents(BUS).length).toBeGreaterThan(0);
  }, 60_000);

  test('under the minimal configuration they stay inside the minimal policy, which has no discovery, TDMQ or EventBridge action', async () => {
    const minimal = roleActions({});
    const called = await runBothFunctions({}, agentWithMachine(), minimal);

    expect(called).toEqual(minimal);
    expect(minimal.filter((a) => a === 'yunjing:DescribeMachines' || a.startsWith('tdmq:') || a.startsWith('eb:'))).toEqual([]);
  }, 60_000);
});
