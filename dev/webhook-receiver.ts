// A local webhook receiver for `npm start`: verifies each delivery with the standardwebhooks library (as a
// real receiver must), drops duplicates by webhook-id, and prints one line per event.
import http from 'node:http';
import { Webhook } from 'standardwebhooks';
import type { BridgeEvent } from '../lib/events/types';

export interface LocalReceiver {
  url: string;
  received: BridgeEvent[];
  close(): Promise<void>;
}

export async function startLocalReceiver(options: { secret: string; port?: number; print?: (line: string) => void }): Promise<LocalReceiver> {
  let verifier: Webhook;
  try {
    verifier = new Webhook(options.secret);
  } catch (e) {
    // The library's own message ("Base64Coder: incorrect characters for decoding") names neither the setting nor the fix.
    throw new Error(`the receiver's secret (WEBHOOK_SECRET) must be whsec_ followed by base64: ${e instanceof Error ? e.message : String(e)}`);
  }
  const seen = new Set<string>();
  const received: BridgeEvent[] = [];
  const print = options.print ?? ((line: string) => process.stdout.write(line + '\n'));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let event: BridgeEvent;
      try {
        event = verifier.verify(body, {
          'webhook-id': String(req.headers['webhook-id'] ?? ''),
          'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
          'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
        }) as BridgeEvent;
      } catch (e) {
        print(`[receiver] REJECTED a delivery: ${e instanceof Error ? e.message : String(e)}`);
        res.writeHead(400).end();
        return;
      }
      const id = String(req.headers['webhook-id']);
      if (!seen.has(id)) {
        seen.add(id);
        received.push(event);
        print(`[receiver] verified ${describeEvent(event)}`);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks/cwp`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** One line per event, as a person reads it. */
export function describeEvent(event: BridgeEvent): string {
  const level = event.data.severity === 'warning' ? 'WARN' : 'info';
  if (event.type === 'com.tencentcloud.cwp.task.status.changed') {
    const d = event.data;
    return `${level} ${d.uuid}${d.machineName ? ` ${d.machineName}` : ''} ${d.kind.padEnd(7)} ${String(d.previous ?? '(first)').padEnd(13)} -> ${d.state}${d.next ? `  (next: ${d.next})` : ''}`;
  }
  if (event.type === 'com.tencentcloud.cwp.scan.status.changed') {
    const d = event.data;
    return `${level} asset scan ${d.taskId} ${String(d.previous ?? '(first)').padEnd(13)} -> ${d.state}`;
  }
  if (event.type === 'com.tencentcloud.cwp.agent.unwatched') {
    const d = event.data;
    return `${level} ${d.uuid} unwatched: the machine listing no longer has it${d.machineName ? ` (${d.machineName}${d.machineIp ? `, ${d.machineIp}` : ''})` : ''}`;
  }
  if (event.type === 'com.tencentcloud.cwp.incident.changed') {
    const d = event.data;
    return `${level} incident ${d.notification.padEnd(12)} ${d.summary}  [${d.key}]`;
  }
  if (event.type === 'com.tencentcloud.cwp.notice.silence.ended') return `${level} silence ${event.data.silenceId} ended: held back ${event.data.heldBack}`;
  const d = event.data;
  const name = (i: { processName: string; port?: number }) => (i.port !== undefined ? `${i.port} (${i.processName})` : i.processName);
  const list = (items: Array<{ processName: string; port?: number }>, count: number) => items.map(name).join(', ') + (count > items.length ? `, +${count - items.length} more` : '');
  const parts = [d.addedCount ? `added ${list(d.added, d.addedCount)}` : '', d.removedCount ? `removed ${list(d.removed, d.removedCount)}` : ''].filter(Boolean);
  return `${level} ${d.uuid} ${d.kind.padEnd(7)} ${d.kind === 'port' ? 'ports' : 'processes'} changed: ${parts.join('; ')}`;
}
