// The execution role's policy (lib/deploy/role-policy.ts) against what the functions really call. Both functions
// are built as SCF builds them (lib/runtime createRuntime, the real sinks) and run against the emulator over real
// HTTP and signatures: the api function starts collections of both kinds (POST /v1/collections), the poll function
// sweeps, sees them end, reads what they found and publishes. Under a full configuration (discovery,
// COLLECT_EVERY, a CMQ topic and queue, EventBridge) the actions the emulator received are exactly the actions of
// the policy `npm run package:scf` writes for it; under the minimal one they stay inside its smaller policy.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../../dev/emulator';
import { EB_ACTIONS } from '../../dev/emulator/eb';
import { MACHINE_ACTIONS } from '../../dev/emulator/machines';
import { TDMQ_ACTIONS } from '../../dev/emulator/tdmq';
import { YUNJING_ACTIONS } from '../../dev/emulator/yunjing';
import { roleActions } from '../../lib/deploy/role-policy';
import { handleHttp } from '../../lib/http';
import { createRuntime, type Runtime } from '../../lib/runtime';
import { sinkFactory } from '../../lib/sinks';
import { runSweep } from '../../lib/sweep';
import { functionUrlEvent, parseResponse } from '../helpers/scf-events';
import { sweepFor } from '../helpers/sweep-harness';

const TOKEN = `tok-role-policy-${randomUUID()}`;
const TOPIC = 'cwp-task-events';
const QUEUE = 'cwp-task-queue';
const BUS = 'eb-rolepolicy';
const SWEEPS_CEILING_MS = 20_000;

/** The API 3.0 service of each action the emulator serves (the CAM prefix of the action). */
const SERVICE_OF = new Map<string, string>([
  ...[...YUNJING_ACTIONS, ...MACHINE_ACTIONS].map((a) => [a, 'yunjing'] as const),
  ...TDMQ_ACTIONS.map((a) => [a, 'tdmq'] as const),
  ...EB_ACTIONS.map((a) => [a, 'eb'] as const),
]);

let emu: Emulator;
let dir: string;
const runtimes: Runtime[] = [];

beforeEach(async () => {
  emu = await startEmulator({ quiet: true, defaultCollectMs: 300 });
  dir = mkdtempSync(path.join(tmpdir(), 'cwp-role-policy-'));
});

afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.close();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every `service:Action` the emulator was asked for, sorted. */
function calledActions(): string[] {
  return [...new Set(emu.requests().map((r) => `${SERVICE_OF.get(r.action) ?? `unknown(${r.action})`}:${r.action}`))].sort();
}

/**
 * Both functions under `features` plus the emulator's endpoints: a sweep, collections of both kinds started
 * through the API, then sweeps until every action of `expected` was called (at most SWEEPS_CEILING_MS: a loaded
 * machine may need more than one sweep to see the collections end and read them). Returns calledActions().
 */
async function runBothFunctions(features: Record<string, string>, agent: string, expected: string[]): Promise<string[]> {
  const env = {
    TENCENTCLOUD_SECRET_ID: EMULATOR_CREDENTIALS.secretId,
    TENCENTCLOUD_SECRET_KEY: EMULATOR_CREDENTIALS.secretKey,
    CWP_ENDPOINT: emu.url,
    TDMQ_ENDPOINT: emu.url,
    EB_ENDPOINT: emu.url,
    STATE_STORE: `file:${dir}`,
    API_TOKENS: TOKEN,
    WATCH_UUIDS: agent,
    POLL_COLLECTING_SECONDS: '1',
    ...features,
  };
  const quiet = () => undefined;
  const poll = await createRuntime('poll', env, { write: quiet, makeSinks: { kinds: sinkFactory.kinds, create: (config, deps) => sinkFactory.create(config, { ...deps, consoleWrite: quiet }) } });
  const api = await createRuntime('api', env, { write: quiet });
  runtimes.push(poll, api);
  const sweep = () => runSweep({ config: poll.config, store: poll.store, cwp: poll.cwp, sinks: poll.sinks, logger: poll.logger }, sweepFor(2500));

  await sweep();
  const started = parseResponse(
    await handleHttp(functionUrlEvent({ method: 'POST', path: `/v1/collections/${agent}`, headers: { authorization: `Bearer ${TOKEN}` } }), undefined, { config: api.config, store: api.store, cwp: api.cwp, logger: api.logger }),
  );
  expect(started.status).toBe(202);
  const deadline = Date.now() + SWEEPS_CEILING_MS;
  do await sweep();
  while (!expected.every((a) => calledActions().includes(a)) && Date.now() < deadline);
  return calledActions();
}

/** An agent with a machine in the listing, whose collections finish at once, with something on the host to read. */
function agentWithMachine(): string {
  const uuid = randomUUID();
  emu.addMachine({ uuid, name: 'web-01', ip: '10.0.0.5' });
  emu.setHost(uuid, { ports: [{ port: 22, pid: 100, processName: 'sshd' }], processes: [{ pid: 100, ppid: 1, processName: 'sshd', username: 'root', fullPath: '/usr/sbin/sshd' }] });
  return uuid;
}

describe('the actions the functions call, against the role policy for their configuration', () => {
  test('under a full configuration they are exactly the full policy: every action in it is needed, and nothing is missing', async () => {
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
