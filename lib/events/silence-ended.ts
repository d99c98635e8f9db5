// The notice that a silence which held something back ended (issue #20: "said once in the log, and to the chat
// robots as a digest line"). Not a published event type: it is in no schema nor EVENT_TYPES, the history does not
// keep it, and only the sinks that take notices (the chat robots) are sent it; the outbox carries it, so it is
// appended once, in the same store step that marks the silence's end noticed, and delivered like any event.
import type { QuietRules } from '../alerts/types';
import { eventId } from './ids';
import type { BridgeEvent, SilenceEndedNotice } from './types';

export const SILENCE_ENDED = 'com.tencentcloud.cwp.notice.silence.ended';

/** Whether an outbox event is a notice for the chat robots rather than a published event. */
export function isNotice(e: BridgeEvent): e is SilenceEndedNotice {
  return e.type === SILENCE_ENDED;
}

/**
 * The notice of `silence`'s end, at `at`: how many incidents it held back and how many of those were still firing
 * (notified by their released firings; null when the sweep could not tell). Its id is stable per silence in a store, so a racing sweep builds the same one.
 */
export function buildSilenceEndedNotice(storeId: string, source: string, silence: QuietRules['silences'][number], stillFiring: number | null, at: number): SilenceEndedNotice {
  return {
    specversion: '1.0',
    type: SILENCE_ENDED,
    source,
    id: eventId(storeId, [SILENCE_ENDED, silence.id]),
    subject: `silence:${silence.id}`,
    time: new Date(at).toISOString(),
    datacontenttype: 'application/json',
    data: {
      silenceId: silence.id,
      createdBy: silence.createdBy,
      comment: silence.comment,
      endedAt: new Date(silence.endsAt).toISOString(),
      ...(silence.endedBy !== undefined ? { endedBy: silence.endedBy } : {}),
      heldBack: silence.hits,
      stillFiring: stillFiring === null ? null : Math.min(stillFiring, silence.hits),
      // What it held back was a warning while it fired: the robots that take incidents' warnings take this too.
      severity: 'warning',
    },
  };
}
