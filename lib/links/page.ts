// The pages a signed chat link answers with: plain server-rendered HTML, no script and no inline style (the
// console's CSP holds), so a link preview that fetches it runs nothing, and the confirmation works without
// JavaScript: only its form's POST acts. Every value is escaped.
import type { Incident } from '../alerts/types';
import type { LinkClaims } from './signed-link';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)} · cwp-task-bridge</title>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

/** What pressing the button does, in words. */
export function actionWords(claims: Pick<LinkClaims, 'action' | 'hours'>): { title: string; button: string; effect: string } {
  if (claims.action === 'ack') {
    return { title: 'Acknowledge this incident?', button: 'Acknowledge', effect: 'The incident is marked acknowledged (by the name you give): its repeat messages stop until it resolves. It still resolves on its own.' };
  }
  const h = claims.hours ?? 1;
  const span = `${h} ${h === 1 ? 'hour' : 'hours'}`;
  return { title: `Silence this incident for ${span}?`, button: `Silence ${h} h`, effect: `No new notifications of this incident's type for its agent for ${span}; it is still recorded and shows in the console.` };
}

/** The confirmation page (GET): what the link would do, and the one button that does it. */
export function confirmationPage(claims: LinkClaims, incident: Incident | null): string {
  const w = actionWords(claims);
  const facts = [
    ['Incident', incident ? incident.summary : claims.key],
    ['Key', claims.key],
    ...(incident ? [['State', incident.acknowledged ? `${incident.state}, acknowledged${incident.acknowledgedBy ? ` by ${incident.acknowledgedBy}` : ''}` : incident.state], ['Agent', incident.agent.uuid]] : []),
    ['Link valid until', new Date(claims.expiresAt).toISOString()],
  ];
  return page(w.title, `<dl>
${facts.map(([k, v]) => `<dt>${escapeHtml(k!)}</dt><dd>${escapeHtml(v!)}</dd>`).join('\n')}
</dl>
<p>${escapeHtml(w.effect)}</p>
<form method="post">
<p><label for="by">Your name</label> <input id="by" name="by" type="text" maxlength="200" autocomplete="name" placeholder="chat link"></p>
<p><button type="submit">${escapeHtml(w.button)}</button></p>
</form>
<p>Opening this page changed nothing: only the button acts.</p>`);
}

/** The page after the button, or of a link that cannot act (bad, expired, off), with what to do. */
export function messagePage(title: string, message: string): string {
  return page(title, `<p>${escapeHtml(message)}</p>`);
}
