// Two poll processes on one file: store (child processes, the bundled poll function, as two SCF instances or two
// `npm start`s on one directory would be) against the emulator and a verifying webhook receiver. One sweeps at a
// time (the store's sweep lease); the other ends its run at once with outcome busy. Every scripted transition is
// published exactly once, in order per key: nothing is lost to two rate limiters or to picks neither saves.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../../dev/emulator';
import type { SweepSummary } from '../../lib/types';
import { buildPollBundle, startPollChild } from '../helpers/crash-poll';
import { statusData } from '../helpers/events';
import { uuidOf } from '../helpers/sweep-harness';
import { WebhookReceiver } from '../helpers/webhook-receiver';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const AGENTS = Array.from({ length: 12 }, (_, i) => uuidOf(0xf11e0 + i));
let dir: string;
let bundle: string;
let emulator: Emulator;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cwp-two-writers-'));
  bundle = buildPollBundle(dir);
  emulator = await startEmulator({ quiet: true });
});
afterAll(async () => {
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('two poll processes on one file store: one sweeps at a time, the other is busy; every scripted transition published exactly once', async () => {
  const receiver = await WebhookReceiver.start(SECRET);
  try {
    for (const uuid of AGENTS) emulator.script(uuid, 'process', [{ atMs: 0, state: 'COLLECTING' }]);
    const env = {
      TENCENTCLOUD_SECRET_ID: EMULATOR_CREDENTIALS.secretId, TENCENTCLOUD_SECRET_KEY: EMULATOR_CREDENTIALS.secretKey, CWP_ENDPOINT: emulator.url,
      STATE_STORE: `file:${path.join(dir, 'state')}`, WATCH_UUIDS: AGENTS.join(','), WATCH_KINDS: 'process',
      WEBHOOK_URLS: receiver.url, WEBHOOK_SECRET: SECRET, SWEEP_BUDGET_MS: '3000', POLL_COLLECTING_SECONDS: '1', LOG_LEVEL: 'warn',
    };
    const summaries: SweepSummary[] = [];
    const outputs: string[] = [];
    /** Rounds of two overlapping invocations until `done` holds (a generous ceiling: a loaded machine takes more rounds). */
    const roundsUntil = async (what: string, done: () => boolean, ceilingMs = 90_000) => {
      const ceiling = Date.now() + ceilingMs;
      while (!done()) {
        if (Date.now() > ceiling) throw new Error(`timed out waiting for ${what}:\n${outputs.slice(-2).join('\n')}`);
        const pair = [startPollChild(bundle, env, 10_000), startPollChild(bundle, env, 10_000)];
        for (const run of pair) {
          const { summary } = await run.exited;
          outputs.push(run.output());
          if (!summary) throw new Error(`a poll process printed no summary:\n${run.output()}`);
          summaries.push(summary);
        }
      }
    };
    const seen = (state: string) => AGENTS.every((uuid) => [...receiver.events.values()].some((e) => e.subject === `${uuid}/process` && statusData(e).state === state));

    // The ends are scripted once every start has been published, so no run can skip a COLLECTING.
    await roundsUntil('every agent COLLECTING', () => seen('COLLECTING'));
    AGENTS.forEach((uuid, i) => emulator.script(uuid, 'process', [{ atMs: 200 * i, state: i % 3 === 0 ? 'FAILED' : 'COMPLETE' }]));
    await roundsUntil('every collection ending', () => AGENTS.every((uuid, i) => [...receiver.events.values()].some((e) => e.subject === `${uuid}/process` && statusData(e).state === (i % 3 === 0 ? 'FAILED' : 'COMPLETE'))));

    expect(summaries.filter((s) => s.outcome === 'busy').length).toBeGreaterThan(0);
    expect(summaries.filter((s) => s.outcome !== 'busy' && s.outcome !== 'ok')).toEqual([]);
    const busy = outputs.flatMap((o) => o.split('\n')).filter((l) => l.startsWith('{') && l.includes('"outcome":"busy"')).map((l) => JSON.parse(l));
    expect(busy[0]).toMatchObject({ level: 'warn', holder: expect.stringMatching(/^pid \d+ on .+ since /), error: expect.stringContaining('use STATE_STORE=redis://') });
    // Exactly once, in order, nothing lost: two events per agent, both verified.
    for (const [i, uuid] of AGENTS.entries()) {
      const events = [...receiver.events.values()].filter((e) => e.subject === `${uuid}/process`).map((e) => `${statusData(e).previous}->${statusData(e).state}`);
      expect(events).toEqual(['null->COLLECTING', `COLLECTING->${i % 3 === 0 ? 'FAILED' : 'COMPLETE'}`]);
    }
    expect(receiver.uniqueCount).toBe(2 * AGENTS.length);
    expect(receiver.duplicates).toBe(0);
    expect(receiver.unverified).toBe(0);
    expect(summaries.reduce((n, s) => n + s.throttled, 0)).toBe(0);
  } finally {
    await receiver.close();
  }
}, 200_000);
