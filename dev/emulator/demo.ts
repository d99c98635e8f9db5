// The `npm start` preset: five agents whose tasks finish, fail and go offline within seconds, every cycle, so
// a new user sees every kind of event soon after starting. One timer re-scripts them each cycle.
import type { ScriptStep, Agents } from './yunjing';
import type { TaskKind } from '../../lib/types';

export const DEMO_CYCLE_MS = 15_000;

/** The demo agent whose open ports change between collections. */
export const DEMO_CHANGING_HOST = 'd1e4c0a2-3b5f-4c6d-8e7f-9a0b1c2d3e4f';

/**
 * Poll intervals (seconds, by POLL_* variable) that `npm start` sets for the demo when the user has not: the
 * defaults re-check a finished task every 10 minutes, while these agents start over every DEMO_CYCLE_MS, so the
 * demo went quiet after its first cycle. Most steps of a cycle last 2 s or more; under 60 s no spread is added
 * (lib/sweep/schedule.ts), so each key is re-checked exactly this often. COLLECTING keeps its 3 s default.
 */
export const DEMO_POLL_SECONDS = {
  POLL_TERMINAL_SECONDS: 2,
  POLL_OFFLINE_SECONDS: 2,
  POLL_UNKNOWN_AGENT_SECONDS: 2,
  POLL_UNOBSERVED_SECONDS: 2,
} as const;

const s = (atMs: number, state: ScriptStep['state']): ScriptStep => ({ atMs, state });

/** uuid -> kind -> one cycle. */
export const DEMO_AGENTS: Record<string, Partial<Record<TaskKind, ScriptStep[]>>> = {
  // Process collection completes; port collection fails.
  '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1': {
    process: [s(0, 'COLLECTING'), s(4000, 'COMPLETE')],
    port: [s(0, 'COLLECTING'), s(6000, 'FAILED')],
  },
  // Goes offline mid-collection and comes back.
  'd1e4c0a2-3b5f-4c6d-8e7f-9a0b1c2d3e4f': {
    process: [s(0, 'COLLECTING'), s(3000, 'AGENT_OFFLINE'), s(9000, 'COLLECTING'), s(11000, 'COMPLETE')],
    port: [s(0, 'COMPLETE'), s(3000, 'AGENT_OFFLINE'), s(9000, 'COMPLETE')],
  },
  // Has no task until one is created.
  '0f9e8d7c-6b5a-4948-8372-6150a4b3c2d1': {
    process: [s(0, 'NO_TASK'), s(2000, 'COLLECTING'), s(7000, 'COMPLETE')],
    port: [s(0, 'NO_TASK'), s(5000, 'COLLECTING'), s(10000, 'COMPLETE')],
  },
  // A slow collection that fails.
  '4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d': {
    process: [s(0, 'COLLECTING'), s(12000, 'FAILED')],
    port: [s(0, 'NO_TASK')],
  },
  // Gets uninstalled (unknown agent), then reinstalled.
  'a0b1c2d3-e4f5-4a6b-8c7d-8e9f0a1b2c3d': {
    process: [s(0, 'COMPLETE'), s(8000, 'UNKNOWN_AGENT'), s(13000, 'COMPLETE')],
    port: [s(0, 'COMPLETE'), s(8000, 'UNKNOWN_AGENT'), s(13000, 'COMPLETE')],
  },
};

/** When, in each cycle, the cwp face's demo scan starts (as if someone pressed the console's scan button), and how long it takes. */
export const DEMO_SCAN_AT_MS = 7_000;
export const DEMO_SCAN_MS = 3_000;

/**
 * Scripts one cycle now and every DEMO_CYCLE_MS; returns the uuids and a stop function. `scan`, when given, starts an
 * asset scan of the cwp face DEMO_SCAN_AT_MS into each cycle, so a cwp demo shows scans and what they find.
 */
export function startDemo(agents: Agents, scan?: () => void): { uuids: string[]; stop: () => void } {
  // One host opens a new port with every collection, so the full loop shows a ports.changed event each cycle
  // (after the first collection, the baseline).
  agents.setHost(DEMO_CHANGING_HOST, { churn: { portsAddedPerCollection: 1 } });
  const cycle = () => {
    for (const [uuid, kinds] of Object.entries(DEMO_AGENTS)) {
      for (const [kind, steps] of Object.entries(kinds)) agents.script(uuid, kind as TaskKind, steps);
    }
  };
  const timers: NodeJS.Timeout[] = [];
  const scanLater = () => {
    if (!scan) return;
    const t = setTimeout(() => {
      try {
        scan();
      } catch {
        // a scan still running (the bridge started one): this cycle goes without the demo's
      }
    }, DEMO_SCAN_AT_MS);
    t.unref();
    timers.push(t);
  };
  cycle();
  scanLater();
  const timer = setInterval(() => {
    cycle();
    scanLater();
  }, DEMO_CYCLE_MS);
  timer.unref();
  return {
    uuids: Object.keys(DEMO_AGENTS),
    stop: () => {
      clearInterval(timer);
      for (const t of timers) clearTimeout(t);
    },
  };
}
