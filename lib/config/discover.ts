// WATCH_DISCOVER and its companions: which machine listings discovery pages through (lib/sweep/discovery.ts).
// Parsed by hand rather than by a zod schema because the value is a small grammar
// (`CVM:ap-guangzhou,ap-shanghai;BM:ap-guangzhou`, or `all`), and each problem names the entry and the fix.
import { createHash } from 'node:crypto';
import type { MachineFilter } from '../cwp/port';
import { commaList } from './fields';

/** The machine types the yunjing DescribeMachines doc names (CVM, BM), and the ones later CWP consoles list. */
export const DISCOVER_MACHINE_TYPES = ['CVM', 'BM', 'ECM', 'LH', 'Other'] as const;
/** What `all` lists: the two types the yunjing API documents. */
export const DISCOVER_ALL_TYPES = ['CVM', 'BM'] as const;
/**
 * What `all` (or a type's `all`) lists unless the CWP backend names the regions itself (lib/cwp/port.ts
 * machineRegions): the public Tencent Cloud regions where CWP was sold when the yunjing API was frozen. yunjing has
 * no region-listing action (DescribeMachineRegions belongs to the newer cwp API), so the list is ours; name regions
 * explicitly to list fewer (each empty region still costs one request per listing).
 */
export const DISCOVER_ALL_REGIONS = [
  'ap-guangzhou', 'ap-shanghai', 'ap-nanjing', 'ap-beijing', 'ap-chengdu', 'ap-chongqing', 'ap-hongkong',
  'ap-shanghai-fsi', 'ap-shenzhen-fsi', 'ap-beijing-fsi', 'ap-singapore', 'ap-jakarta', 'ap-seoul', 'ap-tokyo',
  'ap-mumbai', 'ap-bangkok', 'na-siliconvalley', 'na-ashburn', 'na-toronto', 'sa-saopaulo', 'eu-frankfurt',
] as const;

/** The documented DescribeMachines filters and their allowed values (null: any text). */
const FILTER_VALUES: Record<string, readonly string[] | null> = {
  Keywords: null,
  Status: ['ONLINE', 'OFFLINE', 'UNINSTALLED'],
  Version: ['PRO_VERSION', 'BASIC_VERSION'],
};

export interface DiscoverTarget {
  machineType: string;
  machineRegion: string;
}

export interface DiscoverConfig {
  /** Every (type, region) listing, in order, each `all` read as DISCOVER_ALL_REGIONS; a listing is one pass over all of them. */
  targets: DiscoverTarget[];
  /** WATCH_DISCOVER as given, and the machine types it asks every region of: discovery reads those from the backend. */
  spec: string;
  everyRegionOf: string[];
  filters: MachineFilter[];
  /** DISCOVER_EVERY: a new listing starts at most this often. */
  everyMs: number;
  /** Identifies targets + filters: the stored cursor of other settings is not resumed. */
  key: string;
}

const REGION = /^[a-z]{2,4}(-[a-z]+)+(-\d+)?$/;

/**
 * Parses WATCH_DISCOVER; pushes each problem (naming the variable, the entry and the fix) to `problems`. A type's
 * `all` is every region `regionsOf` gives for it.
 */
export function parseDiscoverTargets(raw: string, problems: string[], regionsOf: (machineType: string) => readonly string[] = () => DISCOVER_ALL_REGIONS): DiscoverTarget[] {
  const v = raw.trim();
  if (v === '' || v === 'off') return [];
  const targets: DiscoverTarget[] = [];
  const add = (machineType: string, machineRegion: string) => {
    if (!targets.some((t) => t.machineType === machineType && t.machineRegion === machineRegion)) targets.push({ machineType, machineRegion });
  };
  if (v === 'all') {
    for (const type of DISCOVER_ALL_TYPES) for (const region of regionsOf(type)) add(type, region);
    return targets;
  }
  const hint = 'use TYPE:region,region;TYPE:region (e.g. CVM:ap-guangzhou,ap-shanghai;BM:ap-guangzhou), or all';
  for (const part of v.split(';').map((p) => p.trim()).filter((p) => p !== '')) {
    const colon = part.indexOf(':');
    if (colon < 0) {
      problems.push(`WATCH_DISCOVER: "${part}" has no machine type; ${hint}`);
      continue;
    }
    const type = part.slice(0, colon).trim();
    if (!(DISCOVER_MACHINE_TYPES as readonly string[]).includes(type)) {
      problems.push(`WATCH_DISCOVER: "${type}" is not a machine type; use ${DISCOVER_MACHINE_TYPES.join(', ')}`);
      continue;
    }
    const regions = commaList(part.slice(colon + 1));
    if (regions.length === 0) problems.push(`WATCH_DISCOVER: ${type} names no region; ${hint}`);
    for (const region of regions) {
      if (region === 'all') for (const r of regionsOf(type)) add(type, r);
      else if (REGION.test(region)) add(type, region);
      else problems.push(`WATCH_DISCOVER: "${region}" is not a region; use a region such as ap-guangzhou, or all`);
    }
  }
  return targets;
}

/** Parses WATCH_DISCOVER_FILTERS (`Keywords=web;Version=PRO_VERSION`): the DescribeMachines Filters, one value each. */
export function parseDiscoverFilters(raw: string, problems: string[]): MachineFilter[] {
  const filters: MachineFilter[] = [];
  for (const part of raw.split(';').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq).trim();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!Object.hasOwn(FILTER_VALUES, name)) {
      problems.push(`WATCH_DISCOVER_FILTERS: "${name}" is not a DescribeMachines filter; use Keywords, Status or Version, as Name=value;Name=value`);
      continue;
    }
    if (value === '') {
      problems.push(`WATCH_DISCOVER_FILTERS: ${name} has no value; write ${name}=value (one value per filter: the API takes no OR)`);
      continue;
    }
    const allowed = FILTER_VALUES[name];
    if (allowed && !allowed.includes(value)) {
      problems.push(`WATCH_DISCOVER_FILTERS: ${name}=${value} is not allowed; use one of ${allowed.join(', ')}`);
      continue;
    }
    if (filters.some((f) => f.Name === name)) {
      problems.push(`WATCH_DISCOVER_FILTERS: ${name} is given twice; each filter takes one value`);
      continue;
    }
    filters.push({ Name: name, Values: [value] });
  }
  return filters;
}

/** The identity of a discovery setting: a stored cursor of other targets or filters starts over. */
export function discoverKey(targets: DiscoverTarget[], filters: MachineFilter[]): string {
  return createHash('sha256').update(JSON.stringify([targets, filters])).digest('hex').slice(0, 16);
}
