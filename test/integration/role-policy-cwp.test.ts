// The execution role's policy with CWP_API=cwp against what the functions really call on the emulator's cwp face:
// both functions built as SCF builds them (createRuntime, the real sinks), the api function starting collections of
// both kinds, the poll function sweeping until it has seen them end and read them. Under a full configuration the
// actions the emulator received are exactly the policy's; under the minimal one, the minimal policy's.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../../dev/emulator';
import { CWP_ACTIONS } from '../../dev/emulator/cwp';
import { EB_ACTIONS } from '../../dev/emulator/eb';
import { TDMQ_ACTIONS } from '../../dev/emulator/tdmq';
import { roleActions } from '../../lib/deploy/role-policy';
import { handleHttp } from '../../lib/http';
import { createRuntime, type Runtime } from '../../lib/runtime';
import { sinkFactory } from '../../lib/sinks';
import { runSweep } from '../../lib/sweep';
import { functionUrlEvent, parseResponse } from '../helpers/scf-events';
import { sweepFor } from '../helpers/sweep-harness';

const TOKEN = `tok-role-policy-cwp-${randomUUID()}`;
const SWEEPS_CEILING_MS = 30_000;

/** The service of each action a cwp deployment can call (the CAM prefix). */
const SERVICE_OF = new Map<string, string>([...CWP_ACTIONS.map((a) => [a, 'cwp'] as const), ...TDMQ_ACTIONS.map((a) => [a, 'tdmq'] as const), ...EB_ACTIONS.map((a) => [a, 'eb'] as const)]);

let emu: Emulator;
let dir: string;
const runtimes: Runtime[] = [];

beforeEach(async () => {
  emu = await startEmulator({ quiet: true, defaultCollectMs: 300 });
  dir = mkdtempSync(path.join(tmpdir(), 'cwp-role-policy-cwp-'));
});
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.close();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

const calledActions = () => [...new Set(emu.requests().map((r) => `${SERVICE_OF.get(r.action) ?? `unknown(${r.action})`}:${r.action}`))].sort();

async function runBothFunctions(features: Record<string, string>, agent: string, expected: string[]): Promise<string[]> {
  const env = {
    TENCENTCLOUD_SECRET_ID: EMULATOR_CREDENTIALS.secretId, TENCENTCLOUD_SECRET_KEY: EMULATOR_CREDENTIALS.secretKey,
    CWP_API: 'cwp', CWP_ENDPOINT: emu.url, TDMQ_ENDPOINT: emu.url, EB_ENDPOINT: emu.url, STATE_STORE: `file:${dir}`,
    API_TOKENS: TOKEN, WATCH_UUIDS: agent, POLL_COLLECTING_SECONDS: '1', ...features,
  };
  const quiet = () => undefined;
  const poll = await createRuntime('poll', env, { write: quiet, makeSinks: { kinds: sinkFactory.kinds, create: (config, deps) => sinkFactory.create(config, { ...deps, consoleWrite: quiet }) } });
  const api = await createRuntime('api', env, { write: quiet });
  runtimes.push(poll, api);
  const sweep = () => runSweep({ config: poll.config, store: poll.store, cwp: poll.cwp, sinks: poll.sinks, logger: poll.logger }, sweepFor(2500));
  await sweep();
  const started = parseResponse(await handleHttp(functionUrlEvent({ method: 'POST', path: `/v1/collections/${agent}`, headers: { authorization: `Bearer ${TOKEN}` } }), undefined, { config: api.config, store: api.store, cwp: api.cwp, logger: api.logger }));
  expect(started.status).toBe(202);
  const deadline = Date.now() + SWEEPS_CEILING_MS;
  do await sweep();
  while (!expected.every((a) => calledActions().includes(a)) && Date.now() < deadline);
  return calledActions();
}

function agentWithMachine(): string {
  const uuid = randomUUID();
  emu.addMachine({ uuid, name: 'web-01', ip: '10.0.0.5' });
  emu.setHost(uuid, { ports: [{ port: 22, pid: 100, processName: 'sshd' }], processes: [{ pid: 100, ppid: 1, processName: 'sshd', username: 'root', fullPath: '/usr/sbin/sshd' }] });
  return uuid;
}

describe('the actions the functions call on cwp, against the role policy for their configuration', () => {
  test('under a full configuration (discovery of every region, COLLECT_EVERY, CMQ, EventBridge) they are exactly the full policy', async () => {
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
