// Both functions built as SCF builds them (lib/runtime createRuntime, the real sinks) against the emulator, for
// the role-policy tests: the api function starts collections of both kinds (POST /v1/collections), the poll function
// sweeps until it has seen them end and read them. What the tests compare with the policy: every `service:Action`
// the emulator was asked for.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../../dev/emulator';
import { handleHttp } from '../../lib/http';
import { createRuntime, type Runtime } from '../../lib/runtime';
import { sinkFactory } from '../../lib/sinks';
import { runSweep } from '../../lib/sweep';
import { functionUrlEvent, parseResponse } from './scf-events';
import { sweepFor } from './sweep-harness';

export interface RolePolicyRunOptions {
  /** The temp directory's prefix (the file store). */
  label: string;
  /** The API 3.0 service of each action the emulator serves (the CAM prefix of the action). */
  serviceOf: ReadonlyMap<string, string>;
  /** Settings every run has beside the emulator's endpoints (CWP_API=cwp). */
  env?: Record<string, string>;
  /** How long to sweep at most for the expected actions: a loaded machine may need more than one sweep. */
  sweepsCeilingMs: number;
}

export interface RolePolicyRun {
  readonly emu: Emulator;
  /** Every `service:Action` the emulator was asked for, sorted. */
  calledActions(): string[];
  /**
   * Both functions under `features` plus the emulator's endpoints: a sweep, collections of both kinds started
   * through the API, then sweeps until every action of `expected` was called (at most sweepsCeilingMs). Returns
   * calledActions().
   */
  runBothFunctions(features: Record<string, string>, agent: string, expected: string[]): Promise<string[]>;
  /** An agent with a machine in the listing, whose collections finish at once, with something on the host to read. */
  agentWithMachine(): string;
}

/** A fresh emulator and file store for each test of the calling file (beforeEach / afterEach). */
export function useRolePolicyRun(options: RolePolicyRunOptions): RolePolicyRun {
  const token = `tok-${options.label}-${randomUUID()}`;
  let emu: Emulator;
  let dir: string;
  const runtimes: Runtime[] = [];

  beforeEach(async () => {
    emu = await startEmulator({ quiet: true, defaultCollectMs: 300 });
    dir = mkdtempSync(path.join(tmpdir(), `cwp-${options.label}-`));
  });
  afterEach(async () => {
    for (const r of runtimes.splice(0)) await r.close();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const calledActions = () => [...new Set(emu.requests().map((r) => `${options.serviceOf.get(r.action) ?? `unknown(${r.action})`}:${r.action}`))].sort();

  return {
    get emu() {
      return emu;
    },
    calledActions,
    async runBothFunctions(features, agent, expected) {
      const env = {
        TENCENTCLOUD_SECRET_ID: EMULATOR_CREDENTIALS.secretId,
        TENCENTCLOUD_SECRET_KEY: EMULATOR_CREDENTIALS.secretKey,
        CWP_ENDPOINT: emu.url,
        TDMQ_ENDPOINT: emu.url,
        EB_ENDPOINT: emu.url,
        STATE_STORE: `file:${dir}`,
        API_TOKENS: token,
        WATCH_UUIDS: agent,
        POLL_COLLECTING_SECONDS: '1',
        ...options.env,
        ...features,
      };
      const quiet = () => undefined;
      const poll = await createRuntime('poll', env, { write: quiet, makeSinks: { kinds: sinkFactory.kinds, create: (config, deps) => sinkFactory.create(config, { ...deps, consoleWrite: quiet }) } });
      const api = await createRuntime('api', env, { write: quiet });
      runtimes.push(poll, api);
      const sweep = () => runSweep({ config: poll.config, store: poll.store, cwp: poll.cwp, sinks: poll.sinks, logger: poll.logger }, sweepFor(2500));
      await sweep();
      const started = parseResponse(
        await handleHttp(functionUrlEvent({ method: 'POST', path: `/v1/collections/${agent}`, headers: { authorization: `Bearer ${token}` } }), undefined, { config: api.config, store: api.store, cwp: api.cwp, logger: api.logger }),
      );
      expect(started.status).toBe(202);
      const deadline = Date.now() + options.sweepsCeilingMs;
      do await sweep();
      while (!expected.every((a) => calledActions().includes(a)) && Date.now() < deadline);
      return calledActions();
    },
    agentWithMachine() {
      const uuid = randomUUID();
      emu.addMachine({ uuid, name: 'web-01', ip: '10.0.0.5' });
      emu.setHost(uuid, { ports: [{ port: 22, pid: 100, processName: 'sshd' }], processes: [{ pid: 100, ppid: 1, processName: 'sshd', username: 'root', fullPath: '/usr/sbin/sshd' }] });
      return uuid;
    },
  };
}
