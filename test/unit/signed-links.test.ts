// Signed chat links (lib/links): a token verifies only with its secret, for its store, until it expires, and not
// once any character of it changed; CONSOLE_URL and LINK_SECRET are checked at start-up, and go together.
import { loadConfig } from '../../lib/config';
import { LINK_TTL_MS, linkUrl, signLink, verifyLink, type LinkClaims } from '../../lib/links/signed-link';
import { configProblems, TEST_CREDENTIALS } from '../helpers/config';

const SECRET = 'k'.repeat(40);
const STORE = 'store-1';
const NOW = Date.UTC(2026, 10, 24, 10);
const claims: LinkClaims = { action: 'ack', key: 'agent.offline.6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1.1', storeId: STORE, expiresAt: NOW + LINK_TTL_MS };

describe('sign and verify', () => {
  it('a link verifies with its secret and store before it expires, and gives back its claims', () => {
    const token = signLink(SECRET, claims);
    expect(verifyLink(SECRET, token, STORE, NOW)).toEqual({ ok: true, claims });
    expect(verifyLink(SECRET, token, STORE, claims.expiresAt)).toMatchObject({ ok: true });
  });

  it('a silence link carries its hours', () => {
    const token = signLink(SECRET, { ...claims, action: 'silence', hours: 1 });
    expect(verifyLink(SECRET, token, STORE, NOW)).toEqual({ ok: true, claims: { ...claims, action: 'silence', hours: 1 } });
  });

  it('expires 24 hours after it is made: past its expiry it is "expired"', () => {
    const token = signLink(SECRET, claims);
    expect(verifyLink(SECRET, token, STORE, NOW + LINK_TTL_MS + 1000)).toMatchObject({ ok: false, why: 'expired' });
  });

  it('is refused with another secret', () => {
    expect(verifyLink('o'.repeat(40), signLink(SECRET, claims), STORE, NOW)).toEqual({ ok: false, why: 'invalid' });
  });

  it('is refused for another store (another bridge, or the store before a reset)', () => {
    expect(verifyLink(SECRET, signLink(SECRET, claims), 'store-2', NOW)).toMatchObject({ ok: false, why: 'other_store' });
  });

  it('is refused once any one character of it is changed', () => {
    const token = signLink(SECRET, claims);
    for (let i = 0; i < token.length; i++) {
      const c = token[i] === 'A' ? 'B' : 'A';
      const tampered = token.slice(0, i) + c + token.slice(i + 1);
      expect(verifyLink(SECRET, tampered, STORE, NOW)).toEqual({ ok: false, why: 'invalid' });
    }
  });

  it('is refused when its payload is re-signed by someone without the secret (another key or action)', () => {
    const [, mac] = signLink(SECRET, claims).split('.');
    const forged = Buffer.from(JSON.stringify({ a: 'ack', k: 'port.opened.other', s: STORE, e: Math.floor(claims.expiresAt / 1000) })).toString('base64url');
    expect(verifyLink(SECRET, `${forged}.${mac}`, STORE, NOW)).toEqual({ ok: false, why: 'invalid' });
  });

  it.each([['empty', ''], ['a dot', '.'], ['no signature', 'abc'], ['three parts', 'a.b.c'], ['5000 characters', 'x'.repeat(5000)]])('refuses a malformed token: %s', (_what, token) => {
    expect(verifyLink(SECRET, token, STORE, NOW)).toEqual({ ok: false, why: 'invalid' });
  });

  it('a link is the Function URL, /v1/links/ and the token', () => {
    expect(linkUrl('https://fn.example.com', 'abc.def')).toBe('https://fn.example.com/v1/links/abc.def');
  });
});

describe('CONSOLE_URL and LINK_SECRET', () => {
  it('neither set: links are off', () => {
    expect(loadConfig(TEST_CREDENTIALS).links).toBeNull();
  });

  it('both set: links are on, the URL without its trailing slash', () => {
    expect(loadConfig({ ...TEST_CREDENTIALS, CONSOLE_URL: 'https://fn.example.com/release/', LINK_SECRET: SECRET }).links).toEqual({ consoleUrl: 'https://fn.example.com/release', secret: SECRET });
  });

  it('plain http is allowed to a loopback address only', () => {
    expect(configProblems({ CONSOLE_URL: 'http://127.0.0.1:8080', LINK_SECRET: SECRET })).toEqual([]);
    expect(configProblems({ CONSOLE_URL: 'http://localhost:8080', LINK_SECRET: SECRET })).toEqual([]);
    expect(configProblems({ CONSOLE_URL: 'http://fn.example.com', LINK_SECRET: SECRET })).toEqual([
      'CONSOLE_URL: must be https:// (plain http only to a loopback address such as http://127.0.0.1:8080); it was http',
    ]);
  });

  it('one without the other is a problem naming both', () => {
    for (const env of [{ CONSOLE_URL: 'https://fn.example.com' }, { LINK_SECRET: SECRET }] as Array<Record<string, string>>) {
      const problems = configProblems(env);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('CONSOLE_URL');
      expect(problems[0]).toContain('LINK_SECRET');
    }
  });

  it('a short secret and a bad URL are both listed, without the secret', () => {
    const problems = configProblems({ CONSOLE_URL: 'not a url', LINK_SECRET: 'short-secret' });
    expect(problems).toEqual([
      expect.stringMatching(/^CONSOLE_URL: is not a URL/),
      'LINK_SECRET: is 12 characters; use at least 32 random characters (e.g. openssl rand -base64 32)',
    ]);
    expect(problems.join('\n')).not.toContain('short-secret');
  });

  it('both functions read them: the api function refuses a bad pair too', () => {
    expect(() => loadConfig({ ...TEST_CREDENTIALS, API_TOKENS: 'a'.repeat(16), LINK_SECRET: SECRET }, { role: 'api' })).toThrow(/CONSOLE_URL/);
  });
});
