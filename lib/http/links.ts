// GET and POST /v1/links/{token}: a signed chat link (lib/links). No bearer token: the link's signature is its
// authority, bound to one action on one incident of this store for 24 hours. GET only shows what the link would do
// (a chat app's link preview fetches it, and must change nothing); the page's button POSTs to the same URL, and
// only that acts, through LinkActions. Every answer is an HTML page under the console's CSP, errors included
// (403 bad link, 410 expired), and each POST leaves an audit line with the incident and `via: "link"`.
import { CONSOLE_CSP } from '../console/serve';
import { storeLinkActions } from '../links/actions';
import { confirmationPage, messagePage } from '../links/page';
import { verifyLink, type LinkCheck, type LinkClaims } from '../links/signed-link';
import type { ScfHttpResponse } from '../scf/types';
import type { RouteContext } from './deps';
import { readIncident } from './incidents';
import { HttpError } from './respond';
import { identityOf } from './store-call';

/** Who the acknowledgement names when the form's name is left blank. */
export const LINK_DEFAULT_BY = 'chat link';
const BY_MAX_CHARS = 200;

function html(ctx: RouteContext, status: number, body: string): ScfHttpResponse {
  return {
    isBase64Encoded: false,
    statusCode: status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': CONSOLE_CSP,
      'x-content-type-options': 'nosniff',
      // The link is a credential for a day: never sent on as a Referer.
      'referrer-policy': 'no-referrer',
      'x-robots-tag': 'noindex',
      'x-request-id': ctx.req.requestId,
    },
    body,
  };
}

const TITLES: Record<number, string> = {
  403: 'This link is not valid',
  404: 'Nothing to act on',
  409: 'Nothing to do',
  410: 'This link has expired',
  501: 'Not available yet',
  503: 'Try again in a moment',
};

function refused(check: Exclude<LinkCheck, { ok: true }>): HttpError {
  if (check.why === 'expired') {
    return new HttpError(410, 'link_expired', `This link expired at ${new Date(check.claims.expiresAt).toISOString()} (a chat link works for 24 hours); nothing was changed. Act on the incident in the console instead.`);
  }
  if (check.why === 'other_store') {
    return new HttpError(403, 'link_other_store', 'This link was made for another state store (another bridge, or this one before its store was reset); nothing was changed.');
  }
  return new HttpError(403, 'link_invalid', 'This link is not one this bridge signed, or it was cut or changed on the way; copy it whole from the chat message. Nothing was changed.');
}

/** The form's `by` (application/x-www-form-urlencoded): one line, at most 200 characters; blank is LINK_DEFAULT_BY. */
function byOf(body: string | null): string {
  const raw = body ? new URLSearchParams(body).get('by') ?? '' : '';
  // eslint-disable-next-line no-control-regex
  const one = raw.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, BY_MAX_CHARS);
  return one === '' ? LINK_DEFAULT_BY : one;
}

/** The link's claims, if it is good here and now; else the HttpError to answer (404 while links are off). */
function checkLink(ctx: RouteContext): LinkClaims {
  const settings = ctx.deps.config.links;
  if (!settings) throw new HttpError(404, 'links_off', 'Signed links are off on this bridge (CONSOLE_URL and LINK_SECRET are not set); nothing was changed.');
  const check = verifyLink(settings.secret, ctx.params.token ?? '', identityOf(ctx).storeId, ctx.now());
  if (!check.ok) throw refused(check);
  return check.claims;
}

/** GET: the confirmation page; changes nothing. */
export async function showLink(ctx: RouteContext): Promise<ScfHttpResponse> {
  try {
    const claims = checkLink(ctx);
    const incident = await readIncident(ctx, claims.key);
    return html(ctx, 200, confirmationPage(claims, incident));
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    return html(ctx, e.status, messagePage(TITLES[e.status] ?? 'This link cannot be used', e.message));
  }
}

/** POST (the confirmation page's button): the action, then a page saying what it did. */
export async function actOnLink(ctx: RouteContext): Promise<ScfHttpResponse> {
  let claims: LinkClaims | null = null;
  const by = byOf(ctx.req.body);
  let status = 500;
  try {
    claims = checkLink(ctx);
    const actions = storeLinkActions(ctx);
    const done = claims.action === 'ack' ? await actions.acknowledge(claims.key, by) : await actions.silence(claims.key, claims.hours ?? 1, by);
    status = 200;
    return html(ctx, 200, messagePage(claims.action === 'ack' ? 'Acknowledged' : 'Silenced', done.message));
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    status = e.status;
    return html(ctx, e.status, messagePage(TITLES[e.status] ?? 'This link cannot be used', e.message));
  } finally {
    // Who acted is the name typed on the page (the link carries no identity); the token itself is never logged.
    ctx.logger.info('audit', { via: 'link', action: claims?.action ?? null, incident: claims?.key ?? null, by, status, requestId: ctx.req.requestId });
  }
}
