import { ConfigError, loadConfig } from '../../lib/config';

const CREDS = { TENCENTCLOUD_SECRET_ID: 'AKIDtest', TENCENTCLOUD_SECRET_KEY: 'secret-key-value' };
const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';

function problemsOf(env: Record<string, string>, options = {}): string[] {
  try {
    loadConfig(env, options);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  test('the embedded defaults need only credentials', () => {
    const c = loadConfig(CREDS);
    expect(c.region).toBe('ap-guangzhou');
    expect(c.cwp.endpoint).toBe('https://yunjing.tencentcloudapi.com');
    expect(c.tdmq.endpoint).toBe('https://tdmq.tencentcloudapi.com');
    expect(c.cwp.rateLimit).toBe(20);
    expect(c.stateStore).toEqual({ type: 'file', dir: '.state' });
    expect(c.watch.kinds).toEqual(['process', 'port']);
    expect(c.eventSource).toBe('/cwp-task-bridge/ap-guangzhou');
  });

  test('the SCF execution-role spelling of the credentials is accepted', () => {
    const c = loadConfig({ TENCENTCLOUD_SECRETID: 'AKIDrole', TENCENTCLOUD_SECRETKEY: 'k', TENCENTCLOUD_SESSIONTOKEN: 'tok' });
    expect(c.credentials).toEqual({ secretId: 'AKIDrole', secretKey: 'k', token: 'tok' });
  });

  test('every problem is reported at once, each naming its variable', () => {
    const problems = problemsOf({ CWP_RATE_LIMIT: 'fast', STATE_STORE: 'mysql://x', WATCH_UUIDS: 'not-a-uuid', WATCH_KINDS: 'process,files', WEBHOOK_URLS: 'http://example.com/hook' });
    const named = problems.map((p) => p.split(':')[0]);
    expect(named).toEqual(expect.arrayContaining(['CWP_RATE_LIMIT', 'STATE_STORE', 'WATCH_UUIDS', 'WATCH_KINDS', 'WEBHOOK_URLS', 'WEBHOOK_SECRET', 'TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY']));
  });

  test('a problem message says how to fix it', () => {
    const [problem] = problemsOf({ ...CREDS, WATCH_UUIDS: 'abc' });
    expect(problem).toMatch(/WATCH_UUIDS: "abc" is not an agent Uuid; use the 8-4-4-4-12 hex form/);
  });

  test('a webhook URL problem names the entry and origin, never the path or credentials', () => {
    const problems = problemsOf({ ...CREDS, WEBHOOK_URLS: 'https://ok.example.com/a,http://user:s3cret@hooks.example.com/T0KEN/x', WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
    expect(problems).toEqual(['WEBHOOK_URLS: entry 2 (http://hooks.example.com/…) is plain http to a non-loopback host; use https://, or set WEBHOOK_ALLOW_HTTP=true to accept it']);
    expect(problemsOf({ ...CREDS, WEBHOOK_URLS: 'not a url/T0KEN', WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })[0]).toBe('WEBHOOK_URLS: entry 1 is not a URL; use https://host/path');
  });

  test('the error message never contains a secret value', () => {
    try {
      loadConfig({ TENCENTCLOUD_SECRET_ID: 'AKIDx', TENCENTCLOUD_SECRET_KEY: 'super-secret-key', WEBHOOK_SECRET: 'whsec_short', API_TOKENS: 'tiny-token' });
    } catch (e) {
      expect(String(e)).not.toMatch(/super-secret-key|whsec_short|tiny-token/);
      return;
    }
    throw new Error('expected a ConfigError');
  });

  test('watch uuids are normalised to lower case and deduplicated', () => {
    const c = loadConfig({ ...CREDS, WATCH_UUIDS: `${UUID.toUpperCase()}, ${UUID}` });
    expect(c.watch.uuids).toEqual([UUID]);
  });

  test('plain http webhooks are refused unless loopback or explicitly allowed', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    expect(problemsOf({ ...CREDS, WEBHOOK_URLS: 'http://hooks.example.com/x', WEBHOOK_SECRET: secret })[0]).toMatch(/WEBHOOK_ALLOW_HTTP/);
    expect(loadConfig({ ...CREDS, WEBHOOK_URLS: 'http://127.0.0.1:8080/x', WEBHOOK_SECRET: secret }).webhook.urls).toEqual(['http://127.0.0.1:8080/x']);
    expect(loadConfig({ ...CREDS, WEBHOOK_URLS: 'http://hooks.example.com/x', WEBHOOK_SECRET: secret, WEBHOOK_ALLOW_HTTP: 'true' }).webhook.urls).toHaveLength(1);
  });

  test('the api function requires bearer tokens of a safe length', () => {
    expect(problemsOf(CREDS, { requireApiTokens: true })[0]).toMatch(/^API_TOKENS: is required/);
    expect(problemsOf({ ...CREDS, API_TOKENS: 'short' })[0]).toMatch(/^API_TOKENS: a token of 5 characters is too short/);
    expect(loadConfig({ ...CREDS, API_TOKENS: 'a'.repeat(16) + ',' + 'b'.repeat(20) }, { requireApiTokens: true }).api.tokens).toHaveLength(2);
  });

  test('state store urls parse into their type', () => {
    expect(loadConfig({ ...CREDS, STATE_STORE: 'memory:' }).stateStore).toEqual({ type: 'memory' });
    expect(loadConfig({ ...CREDS, STATE_STORE: 'redis://127.0.0.1:6379/2' }).stateStore).toEqual({ type: 'redis', url: 'redis://127.0.0.1:6379/2' });
    expect(loadConfig({ ...CREDS, STATE_STORE: 'file:/tmp/x' }).stateStore).toEqual({ type: 'file', dir: '/tmp/x' });
  });

  test('blank variables count as unset', () => {
    expect(loadConfig({ ...CREDS, CWP_RATE_LIMIT: '', TENCENTCLOUD_REGION: ' ' }).cwp.rateLimit).toBe(20);
  });

  test('an endpoint with a path is refused', () => {
    expect(problemsOf({ ...CREDS, CWP_ENDPOINT: 'https://yunjing.tencentcloudapi.com/v3' })[0]).toMatch(/^CWP_ENDPOINT: must be an http\(s\) origin/);
  });
});

describe('configuration per function', () => {
  test('the poll function ignores the api-only API_TOKENS', () => {
    expect(() => loadConfig({ ...CREDS, API_TOKENS: 'short' }, { role: 'poll' })).not.toThrow();
    expect(problemsOf({ ...CREDS, API_TOKENS: 'short' })).toEqual([expect.stringMatching(/^API_TOKENS: /)]);
  });

  test('the api function ignores poll-only sink and sweep settings, and requires API_TOKENS', () => {
    const env = { ...CREDS, WEBHOOK_URLS: 'not a url', WEBHOOK_SECRET: 'nope', CMQ_TOPIC: '1bad', POLL_TERMINAL_SECONDS: 'x', DELIVERY_MAX_ATTEMPTS: '0' };
    expect(problemsOf(env, { role: 'api' })).toEqual([expect.stringMatching(/^API_TOKENS: is required/)]);
    const c = loadConfig({ ...env, API_TOKENS: 'a-token-of-enough-length' }, { role: 'api' });
    expect(c.webhook.urls).toEqual([]);
    expect(c.sweep.intervals.terminal).toBe(600);
  });

  test('shared settings stop both functions, every problem listed', () => {
    const env = { CWP_ENDPOINT: 'ftp://x', STATE_STORE: 'mysql://db', WATCH_UUIDS: 'nope', API_TOKENS: 'a-token-of-enough-length' };
    for (const role of ['poll', 'api'] as const) {
      expect(problemsOf(env, { role }).map((p) => p.split(':')[0]).sort()).toEqual(['CWP_ENDPOINT', 'STATE_STORE', 'TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY', 'WATCH_UUIDS']);
    }
  });

  test('a WEBHOOK_SECRET that is not whsec_ is named, with or without WEBHOOK_URLS', () => {
    expect(problemsOf({ ...CREDS, WEBHOOK_SECRET: 'plain-secret' }, { role: 'poll' })).toEqual([expect.stringMatching(/^WEBHOOK_SECRET: must be whsec_/)]);
  });
});

describe('a redis:// STATE_STORE is checked before anything connects', () => {
  test.each([
    ['an unencoded # in the password', 'redis://:pa#ssw0rd@10.0.0.5:6379/0', /unencoded #/],
    ['no host', 'redis://:secretpw@/0', /not a valid URL|no host/],
    ['a path that is not a db number', 'redis://:secretpw@10.0.0.5:6379/x/y', /only \/<db number>/],
  ])('%s is a problem naming STATE_STORE and never the password', (_what, url, why) => {
    const problems = problemsOf({ ...CREDS, STATE_STORE: url });
    expect(problems).toEqual([expect.stringMatching(/^STATE_STORE: /)]);
    expect(problems[0]).toMatch(why);
    expect(problems.join('\n')).not.toMatch(/pa#ssw0rd|secretpw|ssw0rd/);
  });

  test('a percent-encoded password is fine', () => {
    expect(loadConfig({ ...CREDS, STATE_STORE: 'redis://:pa%23ss@10.0.0.5:6379/2' }).stateStore).toEqual({ type: 'redis', url: 'redis://:pa%23ss@10.0.0.5:6379/2' });
  });
});

describe('API limits', () => {
  test('MAX_WATCHES, API_RATE_LIMIT and API_RATE_BURST default to 1000, 10 and 50', () => {
    expect(loadConfig(CREDS).api).toMatchObject({ maxWatches: 1000, rateLimit: 10, rateBurst: 50 });
  });

  test('they are the api function\'s: a bad value does not stop the poll function', () => {
    expect(() => loadConfig({ ...CREDS, MAX_WATCHES: 'lots', API_RATE_LIMIT: '0' }, { role: 'poll' })).not.toThrow();
    expect(problemsOf({ ...CREDS, MAX_WATCHES: 'lots', API_RATE_LIMIT: '0', API_TOKENS: 'a-token-of-enough-length' }, { role: 'api' }).map((p) => p.split(':')[0]).sort()).toEqual(['API_RATE_LIMIT', 'MAX_WATCHES']);
  });
});

describe('configuration of the fleet (WATCH_DISCOVER, CWP_IDLE_RATE)', () => {
  test('discovery is off by default, and spare budget is the whole rate limit', () => {
    const c = loadConfig(CREDS);
    expect(c.watch.discover).toBeNull();
    expect(c.cwp.idleRate).toBe(20);
  });

  test('WATCH_DISCOVER lists each (type, region) once, in order, with filters and DISCOVER_EVERY', () => {
    const c = loadConfig({ ...CREDS, WATCH_DISCOVER: 'CVM:ap-guangzhou, ap-shanghai;BM:ap-guangzhou;CVM:ap-guangzhou', WATCH_DISCOVER_FILTERS: 'Keywords=web;Version=PRO_VERSION', DISCOVER_EVERY: '30m' });
    expect(c.watch.discover).toMatchObject({
      targets: [
        { machineType: 'CVM', machineRegion: 'ap-guangzhou' },
        { machineType: 'CVM', machineRegion: 'ap-shanghai' },
        { machineType: 'BM', machineRegion: 'ap-guangzhou' },
      ],
      filters: [{ Name: 'Keywords', Values: ['web'] }, { Name: 'Version', Values: ['PRO_VERSION'] }],
      everyMs: 1_800_000,
    });
  });

  test('WATCH_DISCOVER=all lists CVM and BM in every region of the documented list', () => {
    const c = loadConfig({ ...CREDS, WATCH_DISCOVER: 'all' });
    expect(c.watch.discover!.targets.length).toBe(2 * 21);
    expect(c.watch.discover!.everyMs).toBe(600_000);
  });

  test('a different target list or filter is a different discovery key (a stored cursor of others starts over)', () => {
    const a = loadConfig({ ...CREDS, WATCH_DISCOVER: 'CVM:ap-guangzhou' }).watch.discover!.key;
    const b = loadConfig({ ...CREDS, WATCH_DISCOVER: 'CVM:ap-guangzhou', WATCH_DISCOVER_FILTERS: 'Keywords=db' }).watch.discover!.key;
    expect(a).not.toBe(b);
  });

  test('every bad discovery setting is named with its fix', () => {
    const problems = problemsOf({ ...CREDS, WATCH_DISCOVER: 'VM:ap-guangzhou;CVM:Guangzhou;ap-shanghai', WATCH_DISCOVER_FILTERS: 'Status=GONE;Colour=red;Keywords', DISCOVER_EVERY: '5s', CWP_IDLE_RATE: '30' });
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^WATCH_DISCOVER: "VM" is not a machine type; use CVM, BM/),
      expect.stringMatching(/^WATCH_DISCOVER: "Guangzhou" is not a region/),
      expect.stringMatching(/^WATCH_DISCOVER: "ap-shanghai" has no machine type/),
      expect.stringMatching(/^WATCH_DISCOVER_FILTERS: Status=GONE is not allowed; use one of ONLINE, OFFLINE, UNINSTALLED/),
      expect.stringMatching(/^WATCH_DISCOVER_FILTERS: "Colour" is not a DescribeMachines filter/),
      expect.stringMatching(/^WATCH_DISCOVER_FILTERS: Keywords has no value/),
      expect.stringMatching(/^DISCOVER_EVERY: must be a period of at least 10s/),
      expect.stringMatching(/^CWP_IDLE_RATE: 30 is above CWP_RATE_LIMIT \(20\)/),
    ]));
  });

  test('filters without WATCH_DISCOVER are a mistake, named', () => {
    expect(problemsOf({ ...CREDS, WATCH_DISCOVER_FILTERS: 'Keywords=web' })).toEqual([expect.stringMatching(/^WATCH_DISCOVER_FILTERS: is set but WATCH_DISCOVER is not/)]);
  });

  test('CWP_IDLE_RATE=0 turns spare budget off', () => {
    expect(loadConfig({ ...CREDS, CWP_IDLE_RATE: '0' }).cwp.idleRate).toBe(0);
  });
});

describe('retention (FORGET_AFTER, DEAD_LETTER_RETENTION, DEAD_LETTER_MAX)', () => {
  test('default to 7 days, 14 days and 10,000 dead letters per sink', () => {
    expect(loadConfig(CREDS).retention).toEqual({ forgetAfterMs: 7 * 86_400_000, deadLetterRetentionMs: 14 * 86_400_000, deadLetterMax: 10_000 });
  });

  test('take durations written 30s, 10m, 4h, 7d; FORGET_AFTER=0 forgets at once', () => {
    expect(loadConfig({ ...CREDS, FORGET_AFTER: '30s', DEAD_LETTER_RETENTION: '4h', DEAD_LETTER_MAX: '50' }).retention).toEqual({ forgetAfterMs: 30_000, deadLetterRetentionMs: 4 * 3_600_000, deadLetterMax: 50 });
    expect(loadConfig({ ...CREDS, FORGET_AFTER: '0', DEAD_LETTER_RETENTION: '10m' }).retention).toMatchObject({ forgetAfterMs: 0, deadLetterRetentionMs: 600_000 });
  });

  test('a bad value names the variable, the form and an example', () => {
    const problems = problemsOf({ ...CREDS, FORGET_AFTER: '7 days', DEAD_LETTER_RETENTION: '0', DEAD_LETTER_MAX: '0' });
    expect(problems).toEqual([
      expect.stringMatching(/^FORGET_AFTER: must be a duration such as 7d \(a whole number with s, m, h or d: 30s, 10m, 4h, 7d\), or 0 to forget at once$/),
      expect.stringMatching(/^DEAD_LETTER_RETENTION: must be a duration such as 14d/),
      expect.stringMatching(/^DEAD_LETTER_MAX: must be a whole number of dead letters per sink from 1 to 1000000/),
    ]);
  });

  test('they are the poll function\'s: a bad value does not stop the api function', () => {
    expect(() => loadConfig({ ...CREDS, API_TOKENS: 'tok-aaaaaaaaaaaaaaaaaaaaaaaa', FORGET_AFTER: 'soon' }, { role: 'api' })).not.toThrow();
    expect(problemsOf({ ...CREDS, FORGET_AFTER: 'soon' }, { role: 'poll' })).toEqual([expect.stringMatching(/^FORGET_AFTER:/)]);
  });
});
