// What a signed chat link does once its page's button is pressed: the one interface the link route calls, and its
// implementation on the api function's store. Acknowledge reuses the acknowledge route's logic; silencing makes
// the silence POST /v1/silences would, on the incident's agent and type.
import { randomUUID } from 'node:crypto';
import type { Silence } from '../alerts/types';
import { acknowledgeByKey, readIncident } from '../http/incidents';
import type { RouteContext } from '../http/deps';
import { HttpError } from '../http/respond';
import { storeCall } from '../http/store-call';

/** What the page says after an action: one sentence a person reads. */
export interface LinkActionDone {
  message: string;
}

export interface LinkActions {
  /** Acknowledges the incident `key` (its repeats stop until it resolves). HttpError when it cannot (404, 409). */
  acknowledge(key: string, by: string): Promise<LinkActionDone>;
  /** Silences the incident's agent and type for `hours`. HttpError when it cannot (404, 409 when it is resolved). */
  silence(key: string, hours: number, by: string): Promise<LinkActionDone>;
}

/** The link actions of one request, on the api function's store. */
export function storeLinkActions(ctx: RouteContext): LinkActions {
  return {
    async acknowledge(key, by) {
      const { incident, acknowledged } = await acknowledgeByKey(ctx, key, by, 'acknowledged from a chat link');
      return acknowledged
        ? { message: `Incident ${key} is acknowledged by ${by}: no more repeats until it resolves.` }
        : { message: `Incident ${key} was already acknowledged${incident.acknowledgedBy ? ` by ${incident.acknowledgedBy}` : ''}; nothing changed.` };
    },
    async silence(key, hours, by) {
      const incident = await readIncident(ctx, key);
      if (incident.state === 'resolved') {
        throw new HttpError(409, 'not_firing', `Incident ${key} has resolved; there is nothing to silence, and nothing was changed.`);
      }
      const now = ctx.now();
      const endsAt = now + hours * 3_600_000;
      const silence: Silence = {
        id: randomUUID(),
        // Narrow by construction (one agent, one incident type): never too broad.
        matchers: [{ name: 'uuid', value: incident.agent.uuid, op: '=' }, { name: 'type', value: incident.type, op: '=' }],
        startsAt: now, endsAt, createdBy: by, comment: `silenced for ${hours} h from a chat link of incident ${key}`, createdAt: now,
      };
      await storeCall('putQuietRule', () => ctx.deps.store.putQuietRule('silence', silence));
      const who = incident.agent.machineName ?? incident.agent.uuid;
      return { message: `${incident.type} on ${who} is silenced until ${new Date(endsAt).toISOString()} (silence ${silence.id}); end it early with DELETE /v1/silences/${silence.id} or in the console.` };
    },
  };
}
