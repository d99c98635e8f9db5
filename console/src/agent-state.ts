// One word per agent from the states of its kinds, so the overview can count agents ("3 agents offline") rather
// than keys. The worst state wins: an agent with one kind offline is offline.
import type { TaskKind, TaskState, Watch } from '../../lib/types';

export type AgentCondition = 'offline' | 'unknown' | 'failed' | 'collecting' | 'ok' | 'unchecked';

/** The order the overview lists them in, worst first. */
export const CONDITIONS: readonly AgentCondition[] = ['offline', 'unknown', 'failed', 'collecting', 'ok', 'unchecked'];

export const CONDITION_LABEL: Record<AgentCondition, string> = {
  offline: 'offline',
  unknown: 'unknown to CWP',
  failed: 'with a failed collection',
  collecting: 'collecting',
  ok: 'fine',
  unchecked: 'not checked yet',
};

/** `states`: each kind's last known state (null: never observed). `listedOffline`: the machine listing says OFFLINE. */
export function conditionOf(states: Partial<Record<TaskKind, TaskState | null>>, listedOffline = false): AgentCondition {
  const all = Object.values(states);
  if (listedOffline || all.includes('AGENT_OFFLINE')) return 'offline';
  if (all.includes('UNKNOWN_AGENT')) return 'unknown';
  if (all.includes('FAILED')) return 'failed';
  if (all.includes('COLLECTING')) return 'collecting';
  if (all.length > 0 && all.every((s) => s !== null && s !== undefined)) return 'ok';
  return 'unchecked';
}

export function listedOffline(watch: Pick<Watch, 'machine'>): boolean {
  return watch.machine?.status === 'OFFLINE';
}
