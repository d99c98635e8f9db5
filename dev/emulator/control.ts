// The control API over HTTP: the same calls as the in-process Emulator, as JSON under /_emulator/, for the local
// demo (curl) and for tests that run the emulator in another process. Answers 200 JSON, 400 {error} on a bad
// request, 404 on an unknown route. `times: "Infinity"` (or -1) makes a fault permanent.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TaskKind } from '../../lib/types';
import type { FaultSpec } from './faults';
import { sendJson } from './server';
import type { Emulator } from './index';

type Query = URLSearchParams;
type Handler = (emulator: Emulator, body: Record<string, any>, query: Query) => unknown;

const kindOf = (v: unknown): TaskKind | undefined => (v === undefined || v === null || v === '' ? undefined : (v as TaskKind));
const str = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || v === '') throw new Error(`${name} is required`);
  return v;
};

export const CONTROL_ROUTES: Record<string, Handler> = {
  'GET /_emulator/health': (e) => ({ ok: true, url: e.url }),
  'GET /_emulator/stats': (e) => e.stats(),
  'DELETE /_emulator/stats': (e) => (e.resetStats(), { ok: true }),
  'GET /_emulator/requests': (e) => e.requests(),

  'POST /_emulator/agents': (e, b) => (e.addAgent(str(b.uuid, 'uuid'), { online: b.online }), { ok: true }),
  'POST /_emulator/online': (e, b) => (e.setOnline(str(b.uuid, 'uuid'), b.online !== false), { ok: true }),
  'POST /_emulator/tasks': (e, b) => (e.startTask(str(b.uuid, 'uuid'), b.kind, { collectMs: b.collectMs, outcome: b.outcome }), { ok: true }),
  'POST /_emulator/script': (e, b) => (e.script(str(b.uuid, 'uuid'), b.kind, b.steps ?? []), { ok: true }),
  'POST /_emulator/fleet': (e, b) => ({ uuids: e.addFleet(Number(b.count), b) }),
  'POST /_emulator/demo': (e, b) => ({ uuids: e.demo({ scans: b.scans === true }) }),
  'GET /_emulator/state': (e, _b, q) => {
    const uuid = str(q.get('uuid'), 'uuid');
    return { uuid, process: e.state(uuid, 'process'), port: e.state(uuid, 'port') };
  },
  'GET /_emulator/transitions': (e, _b, q) => e.transitions(q.get('uuid') ?? undefined, kindOf(q.get('kind'))),

  'POST /_emulator/machines': (e, b) => ({ quuid: e.addMachine(b) }),
  'GET /_emulator/machines': (e) => e.machines(),
  'DELETE /_emulator/machines': (e, b, q) => (e.removeMachine(str(b.uuid ?? q.get('uuid'), 'uuid')), { ok: true }),
  'POST /_emulator/machines/status': (e, b) => (e.setMachineStatus(str(b.uuid, 'uuid'), b.status), { ok: true }),

  'POST /_emulator/host': (e, b) => {
    const { uuid, ...spec } = b;
    e.setHost(str(uuid, 'uuid'), spec);
    return e.hostOf(uuid);
  },
  'GET /_emulator/host': (e, _b, q) => e.hostOf(str(q.get('uuid'), 'uuid')),
  'POST /_emulator/host/open-port': (e, b) => (e.openPort(str(b.uuid, 'uuid'), { port: b.port, pid: b.pid, processName: b.processName }), { ok: true }),
  'POST /_emulator/host/close-port': (e, b) => (e.closePort(str(b.uuid, 'uuid'), b.port), { ok: true }),
  'POST /_emulator/host/start-process': (e, b) => {
    const { uuid, ...process } = b;
    return { pid: e.startProcess(str(uuid, 'uuid'), { ...process, processName: str(process.processName, 'processName') }) };
  },
  'POST /_emulator/host/stop-process': (e, b) => (e.stopProcess(str(b.uuid, 'uuid'), b.pid), { ok: true }),
  'GET /_emulator/results': (e, _b, q) => {
    const kind = q.get('kind');
    if (kind !== 'process' && kind !== 'port') throw new Error('kind must be process or port');
    return e.results(str(q.get('uuid'), 'uuid'), kind);
  },

  'POST /_emulator/cwp/scans': (e, b) => e.startScan({ quuids: b.quuids, kinds: b.kinds, scanMs: b.scanMs }),
  'GET /_emulator/cwp/scans': (e) => e.scans(),
  'GET /_emulator/cwp/scan': (e) => e.scanState(),
  'POST /_emulator/cwp/skip': (e, b) => (e.skipInNextScan(str(b.uuid, 'uuid')), { ok: true }),
  'GET /_emulator/cwp/inventory': (e, _b, q) => {
    const kind = q.get('kind');
    if (kind !== 'process' && kind !== 'port') throw new Error('kind must be process or port');
    return e.inventory(str(q.get('uuid'), 'uuid'), kind);
  },

  'GET /_emulator/faults': (e) => e.faults(),
  'POST /_emulator/faults': (e, b) => {
    const times = b.times === 'Infinity' || b.times === -1 ? Infinity : b.times;
    return { id: e.inject({ ...(b as FaultSpec), times }) };
  },
  'DELETE /_emulator/faults': (e) => (e.clearFaults(), { ok: true }),

  'POST /_emulator/revoke': (e, b) => (e.revoke(str(b.secretId, 'secretId')), { ok: true }),
  'POST /_emulator/restore': (e, b) => (e.restore(str(b.secretId, 'secretId')), { ok: true }),

  'POST /_emulator/tdmq/topics': (e, b) => (e.createTopic(str(b.name, 'name'), { maxMsgSize: b.maxMsgSize }), { ok: true }),
  'POST /_emulator/tdmq/queues': (e, b) => (e.createQueue(str(b.name, 'name'), { maxMsgSize: b.maxMsgSize }), { ok: true }),
  'GET /_emulator/tdmq/messages': (e, _b, q) => {
    const topic = q.get('topic');
    const queue = q.get('queue');
    if (topic) return e.messages({ topic });
    if (queue) return e.messages({ queue });
    throw new Error('topic or queue is required');
  },

  'POST /_emulator/eb/buses': (e, b) => (e.createEventBus(str(b.id, 'id')), { ok: true }),
  'GET /_emulator/eb/events': (e, _b, q) => e.busEvents(str(q.get('bus'), 'bus')),
  'DELETE /_emulator/eb/events': (e) => (e.resetEventBuses(), { ok: true }),

  'POST /_emulator/scf/functions': (e, b) => (e.addFunction(str(b.name, 'name'), { namespace: b.namespace, runtime: b.runtime }), { ok: true }),
  'POST /_emulator/scf/functions/update-code': (e, b) => e.updateFunctionCode(str(b.name, 'name'), { namespace: b.namespace }),
  'GET /_emulator/scf/versions': (e, _b, q) => e.versions(str(q.get('functionName'), 'functionName'), { namespace: q.get('namespace') ?? undefined }),
  'GET /_emulator/scf/alias': (e, _b, q) => e.alias(str(q.get('functionName'), 'functionName'), str(q.get('name'), 'name'), { namespace: q.get('namespace') ?? undefined }),
  'POST /_emulator/scf/triggers': (e, b) =>
    e.addTrigger(
      str(b.functionName, 'functionName'),
      { type: str(b.type, 'type'), name: str(b.name, 'name'), desc: b.desc, enabled: b.enabled, qualifier: b.qualifier },
      { namespace: b.namespace, region: b.region },
    ),
  'GET /_emulator/scf/triggers': (e, _b, q) => e.triggers(str(q.get('functionName'), 'functionName'), { namespace: q.get('namespace') ?? undefined }),
};

export function handleControl(emulator: Emulator, req: IncomingMessage, res: ServerResponse, body: string | null): void {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const handler = CONTROL_ROUTES[`${req.method} ${url.pathname.replace(/\/$/, '')}`];
  if (!handler) {
    sendJson(res, 404, { error: `no control route ${req.method} ${url.pathname}`, routes: Object.keys(CONTROL_ROUTES) });
    return;
  }
  try {
    const parsed: unknown = body ? JSON.parse(body) : {};
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the body must be a JSON object');
    sendJson(res, 200, handler(emulator, parsed as Record<string, any>, url.searchParams));
  } catch (e) {
    sendJson(res, 400, { error: e instanceof Error ? e.message : String(e) });
  }
}
