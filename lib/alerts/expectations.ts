// Expectations: what is meant to run where. A port.opened or process.suspicious incident that an expectation covers
// (its matchers take the agent, and one of its ports or processes is the incident's) is not opened at all.
import type { Expectation, Incident } from './types';

/** Whether one of the expectation's ports or processes is what the incident is about (matchers aside). */
export function expectationCovers(e: Pick<Expectation, 'ports' | 'processes'>, i: Pick<Incident, 'type' | 'port' | 'processName' | 'fullPath'>): boolean {
  if (i.type === 'port.opened') {
    return e.ports.some((p) => p.port === i.port && (p.processName === undefined || p.processName === i.processName));
  }
  if (i.type === 'process.suspicious') {
    return e.processes.some((p) => p.processName === i.processName && (p.fullPath === undefined || p.fullPath === i.fullPath));
  }
  return false;
}

/** The expectation `POST /v1/incidents/{key}/accept` makes for a reviewed incident: its port or process on its agent. */
export function expectationForIncident(i: Incident, id: string, by: string, comment: string, at: number): Expectation {
  const base = { id, matchers: [{ name: 'uuid' as const, value: i.agent.uuid, op: '=' as const }], createdBy: by, comment, createdAt: at };
  if (i.type === 'port.opened') return { ...base, ports: [{ port: i.port!, ...(i.processName ? { processName: i.processName } : {}) }], processes: [] };
  return { ...base, ports: [], processes: [{ processName: i.processName!, ...(i.fullPath ? { fullPath: i.fullPath } : {}) }] };
}
