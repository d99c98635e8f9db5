// The one-click links of a chat message (CONSOLE_URL, LINK_SECRET): a message about a firing incident carries
// "Acknowledge" and "Silence 1 h", each a signed link (lib/links/signed-link.ts) to the api function's
// confirmation page, bound to the incident, the action and the store, for 24 hours. Only this function adds them;
// each vendor renders `message.links` in its own markup (MarkdownStyle.link).
import type { BridgeEvent, IncidentChangedEvent } from '../../events/types';
import type { LinkSettings } from '../../links/settings';
import { LINK_TTL_MS, linkUrl, signLink } from '../../links/signed-link';
import type { ChatLink, ChatMessage } from './message';

/** How long the Silence link silences. */
export const SILENCE_LINK_HOURS = 1;

/** What a robot signs links with: the settings, and the id of the store the incidents live in. */
export interface ChatLinkSigner {
  settings: LinkSettings;
  /** The store's id (StorePort.identity), read when a message needs links. */
  storeId(): Promise<string>;
}

/** A firing incident's notification (fired, or still firing and not acknowledged): the messages that carry links. */
export function isFiringIncident(e: BridgeEvent): e is IncidentChangedEvent {
  return e.type === 'com.tencentcloud.cwp.incident.changed' && e.data.state === 'firing' && (e.data.notification === 'firing' || e.data.notification === 'repeat');
}

/** The links of `e` (none unless it is a firing incident), signed now to expire in 24 hours. */
export function actionLinks(e: BridgeEvent, settings: LinkSettings, storeId: string, now: number): ChatLink[] {
  if (!isFiringIncident(e)) return [];
  const expiresAt = now + LINK_TTL_MS;
  const key = e.data.key;
  return [
    { label: 'Acknowledge', url: linkUrl(settings.consoleUrl, signLink(settings.secret, { action: 'ack', key, storeId, expiresAt })) },
    { label: `Silence ${SILENCE_LINK_HOURS} h`, url: linkUrl(settings.consoleUrl, signLink(settings.secret, { action: 'silence', key, storeId, expiresAt, hours: SILENCE_LINK_HOURS })) },
  ];
}

/** `message` of the single event `e`, with its links when links are on and it is a firing incident. */
export function withActionLinks(message: ChatMessage, e: BridgeEvent, settings: LinkSettings | null, storeId: string | null, now: number): ChatMessage {
  if (!settings || storeId === null) return message;
  const links = actionLinks(e, settings, storeId, now);
  return links.length > 0 ? { ...message, links } : message;
}
