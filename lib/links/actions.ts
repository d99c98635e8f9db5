// What a signed chat link does once its page's button is pressed: the one interface the link route calls, and its
// implementation on the api function's store. Acknowledge reuses the acknowledge route's logic; silencing needs
// the silences of the store (POST /v1/silences), wired here when they exist: until then it answers 501.
import { acknowledgeByKey } from '../http/incidents';
import type { RouteContext } from '../http/deps';
import { HttpError } from '../http/respond';

/** What the page says after an action: one sentence a person reads. */
export interface LinkActionDone {
  message: string;
}

export interface LinkActions {
  /** Acknowledges the incident `key` (its repeats stop until it resolves). HttpError when it cannot (404, 409). */
  acknowledge(key: string, by: string): Promise<LinkActionDone>;
  /** Silences the incident's agent and type for `hours`. HttpError when it cannot (404, 501 until wired). */
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
    async silence() {
      // Wired when the store has silences (QuietPort, POST /v1/silences): a silence on the incident's agent (uuid)
      // and type for `hours`, created by `by`.
      throw new HttpError(501, 'not_implemented', 'Silencing from a chat link is not available in this version of the bridge yet; nothing was changed. Acknowledge the incident instead, or silence it in the console.');
    },
  };
}
