// The quiet rules P1q loads before its sweep: silences, maintenance windows and expectations by the thousand, with
// the matchers people write (a uuid, a name glob, an IP range, a tag), a tenth of silences and windows taking one of
// the fleet's agents, every window open now (so each match also reads its zone's wall clock).
import type { Expectation, MaintenanceWindow, Matcher, Silence } from '../lib/alerts/types';
import { WEEKDAYS } from '../lib/alerts/types';
import type { QuietPort } from '../lib/state/store';

export interface QuietStoreRules {
  silences: number;
  windows: number;
  expectations: number;
}

export const THOUSAND_EACH: QuietStoreRules = { silences: 1_000, windows: 1_000, expectations: 1_000 };

const ZONES = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'UTC', 'Asia/Tokyo'];

/** The i-th rule's matchers: a tenth name a fleet agent by uuid, the rest hosts that do not exist. */
function matchersOf(i: number, fleet: readonly string[]): Matcher[] {
  if (i % 10 === 0) return [{ name: 'uuid', value: fleet[(i * 7) % fleet.length]!, op: '=' }];
  switch (i % 4) {
    case 0: return [{ name: 'machineName', value: `absent-${i}-*`, op: 'glob' }];
    case 1: return [{ name: 'machineIp', value: `172.${16 + (i % 16)}.${i % 256}.0/24`, op: 'cidr' }];
    case 2: return [{ name: 'tag', value: `team-${i}`, op: '=' }, { name: 'type', value: 'agent.offline', op: '=' }];
    default: return [{ name: 'uuid', value: `00000000-0000-4000-9000-${i.toString(16).padStart(12, '0')}`, op: '=' }];
  }
}

export async function putQuietRules(store: Pick<QuietPort, 'putQuietRule'>, fleet: readonly string[], counts: QuietStoreRules): Promise<void> {
  const now = Date.now();
  const who = { createdBy: 'bench', comment: 'P1q', createdAt: now };
  for (let i = 0; i < counts.silences; i++) {
    const s: Silence = { id: `silence-${i}`, matchers: matchersOf(i, fleet), startsAt: now - 60_000, endsAt: now + 3_600_000, ...who };
    await store.putQuietRule('silence', s);
  }
  for (let i = 0; i < counts.windows; i++) {
    const w: MaintenanceWindow = { id: `window-${i}`, matchers: matchersOf(i + 5, fleet), days: [...WEEKDAYS], start: '00:00', end: '00:00', timezone: ZONES[i % ZONES.length]!, origin: 'api', ...who };
    await store.putQuietRule('window', w);
  }
  for (let i = 0; i < counts.expectations; i++) {
    const e: Expectation = { id: `expectation-${i}`, matchers: matchersOf(i + 3, fleet), ports: [{ port: 6000 + (i % 100) }], processes: [{ processName: `daemon-${i}` }], ...who };
    await store.putQuietRule('expectation', e);
  }
}
