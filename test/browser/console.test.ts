// The web console in a real browser: Debian's Chromium driven by playwright-core, against the api function served
// over local HTTP (each request a Function URL event, as npm start does) with the emulator behind it and a real
// file store that the real poll function filled. Runs when a Chromium is found (CHROMIUM_PATH or
// /usr/bin/chromium); skipped with one line otherwise, except under CI=true, where a missing Chromium fails.
// UPDATE_SCREENSHOTS=1 writes the pages' screenshots to docs/console/ (never otherwise).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../../dev/emulator';
import { serveFunctionUrl, type FunctionUrlServer } from '../../dev/function-url-server';
import { ENV } from '../../lib/config';
import { findChromium, launchChromium, type Browser } from '../helpers/chromium';
import { waitFor } from '../helpers/wait';

const CHROMIUM = findChromium();
const ADMIN_TOKEN = `adm_${randomBytes(16).toString('hex')}`;
const VIEWER_TOKEN = `view_${randomBytes(16).toString('hex')}`;
const WEB = randomUUID(); // web-01: online, its ports read twice (a baseline, then redis-server added)
const DB = randomUUID(); // db-01: listed OFFLINE
const BATCH = randomUUID(); // batch-01: online, both kinds COMPLETE
/** What the dead webhook answers, so every dead letter's reason holds markup the console must show as text. */
const HOSTILE = '<img src=x onerror="window.__pwned=1">refused';
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(__dirname, '../../docs/console') : null;

if (!CHROMIUM) {
  if (process.env.CI === 'true') {
    test('a Chromium is installed: CI runs the browser tests (apt-get install chromium, or set CHROMIUM_PATH)', () => {
      throw new Error('no Chromium at CHROMIUM_PATH or /usr/bin/chromium; .ci/run installs Debian\'s chromium');
    });
  } else {
    process.stdout.write('browser tests skipped: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)\n');
  }
}

const suite = CHROMIUM ? describe : describe.skip;

suite('the console in Chromium', () => {
  let emu: Emulator;
  let deadHook: http.Server;
  let server: FunctionUrlServer;
  let browser: Browser;
  let stateDir: string;
  const savedEnv: Record<string, string | undefined> = {};
  /** Problems the pages reported: CSP refusals, uncaught errors. */
  const problems: string[] = [];

  async function poll(): Promise<void> {
    const { main_handler } = await import('../../functions/poll');
    const end = Date.now() + 8_000;
    await main_handler({ Type: 'Timer', TriggerName: 'test', Time: new Date().toISOString() }, { request_id: randomUUID(), getRemainingTimeInMillis: () => end - Date.now(), time_limit_in_ms: 8_000 });
  }

  beforeAll(async () => {
    emu = await startEmulator({ quiet: true, defaultCollectMs: 300 });
    emu.setHost(WEB, { ports: [{ port: 22, pid: 100, processName: 'sshd' }, { port: 80, pid: 200, processName: 'nginx' }], processes: [{ pid: 100, processName: 'sshd' }, { pid: 200, processName: 'nginx', username: 'www' }] });
    emu.addMachine({ uuid: WEB, name: 'web-01', ip: '10.0.1.11' });
    emu.addMachine({ uuid: BATCH, name: 'batch-01', ip: '10.0.1.13' });
    emu.addMachine({ uuid: DB, name: 'db-01', ip: '10.0.2.21' });
    emu.setMachineStatus(DB, 'OFFLINE');
    emu.script(BATCH, 'process', [{ atMs: 0, state: 'COMPLETE' }]);
    emu.script(BATCH, 'port', [{ atMs: 0, state: 'COMPLETE' }]);
    emu.startTask(WEB, 'port', { collectMs: 300 });

    deadHook = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(400, { 'content-type': 'text/plain' }).end(HOSTILE)));
    await new Promise<void>((r) => deadHook.listen(0, '127.0.0.1', r));

    stateDir = mkdtempSync(path.join(tmpdir(), 'cwp-console-'));
    for (const name of [...ENV, 'PORT']) {
      savedEnv[name] = process.env[name];
      delete process.env[name];
    }
    Object.assign(process.env, {
      TENCENTCLOUD_SECRET_ID: EMULATOR_CREDENTIALS.secretId,
      TENCENTCLOUD_SECRET_KEY: EMULATOR_CREDENTIALS.secretKey,
      CWP_ENDPOINT: emu.url,
      STATE_STORE: `file:${stateDir}`,
      WATCH_DISCOVER: 'CVM:ap-guangzhou',
      WEBHOOK_URLS: `http://127.0.0.1:${(deadHook.address() as AddressInfo).port}/hook`,
      WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
      API_TOKENS: `ops:admin:${ADMIN_TOKEN},viewer:read:${VIEWER_TOKEN}`,
      API_RATE_BURST: '500',
      SWEEP_BUDGET_MS: '3500',
      POLL_TERMINAL_SECONDS: '1',
      POLL_UNOBSERVED_SECONDS: '1',
      POLL_COLLECTING_SECONDS: '1',
      LOG_LEVEL: 'error',
    });
    // Two sweeps: the states, the listing and web-01's first port read (its baseline); then a new port and a
    // second read, so the agent page has a change to show. Every event dies at the webhook (HTTP 400).
    await poll();
    emu.openPort(WEB, { port: 6379, pid: 300, processName: 'redis-server' });
    emu.startTask(WEB, 'port', { collectMs: 1_500 });
    await poll();

    const { main_handler } = await import('../../functions/api');
    server = await serveFunctionUrl(main_handler);
    browser = await launchChromium(CHROMIUM!);
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((r) => deadHook?.close(r));
    await emu?.close();
    const { resetRuntimes } = await import('../../lib/runtime');
    await resetRuntimes();
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });

  async function open(hash = ''): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${server.url}/ui/${hash}`);
    return page;
  }

  async function login(page: Page, token: string): Promise<void> {
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1 }).filter({ hasNotText: 'console' }).waitFor();
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  test('/ui redirects to /ui/, which answers with the strict CSP', async () => {
    const r = await fetch(`${server.url}/ui`, { redirect: 'manual' });
    expect([r.status, r.headers.get('location')]).toEqual([308, 'ui/']);
    const page = await fetch(`${server.url}/ui/`);
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  });

  test('a wrong token is refused with the API\'s message; the right one logs in and shows its name and scopes', async () => {
    const page = await open();
    await shot(page, 'login');
    await page.getByLabel('API token').fill('not-a-valid-token-0000000000');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That token was refused: the bearer token is not valid' }).waitFor();
    await login(page, ADMIN_TOKEN);
    await page.getByText('Token ops').waitFor();
    expect(await page.getByRole('banner').textContent()).toContain('(admin)');
    expect(await page.evaluate(() => sessionStorage.getItem('cwp-console-token'))).toBe(ADMIN_TOKEN);
    await page.close();
  });

  test('the overview reads the last sweep, the agents by state, the dead letters per sink; incidents and the history say they are not there yet', async () => {
    const page = await open();
    await login(page, ADMIN_TOKEN);
    await page.getByText('3 agents watched').waitFor();
    await page.getByText('1 agent listed offline').waitFor();
    const counts = page.getByRole('list', { name: 'Agents by state' });
    await counts.getByText('offline').waitFor();
    expect(await counts.textContent()).toMatch(/1 agent offline/);
    const health = page.getByRole('region', { name: 'The bridge' });
    await health.getByText('Last sweep').waitFor();
    expect(await health.textContent()).toMatch(/Checked\d+ keys?/);
    expect(await health.textContent()).toContain('listing');
    await page.getByRole('region', { name: 'Dead letters per sink' }).getByText('webhook:http://127.0.0.1').waitFor();
    await page.getByText('Incidents: not available on this server yet.').waitFor();
    await page.getByText('The event history: not available on this server yet.').waitFor();
    // Times in the viewer's zone, UTC on hover.
    expect(await page.locator('time').first().getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    await shot(page, 'overview');
    await page.close();
  });

  test('an agent\'s page: its machine, each kind\'s state, its open ports and what the last read changed', async () => {
    const page = await open();
    await login(page, ADMIN_TOKEN);
    await page.getByRole('link', { name: 'web-01 (10.0.1.11)' }).click();
    await page.getByRole('heading', { level: 2, name: 'web-01 (10.0.1.11)' }).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Agent');
    const states = page.getByRole('region', { name: 'States by kind' });
    await states.getByText('COMPLETE').first().waitFor();
    const change = page.getByRole('region', { name: 'Open ports: last change' });
    await change.getByRole('row', { name: /added 6379 redis-server/ }).waitFor();
    await page.getByRole('region', { name: 'Open ports', exact: true }).getByRole('row', { name: /22 sshd/ }).waitFor();
    await page.getByText('No process collection of this agent has been read yet.').waitFor();
    await shot(page, 'agent');
    await page.close();
  });

  test('dead letters show their reasons as text (markup from a receiver is never HTML); replaying one sends it back', async () => {
    const page = await open('#/deliveries');
    await login(page, ADMIN_TOKEN);
    const lead = page.locator('p.lead').first();
    await lead.waitFor();
    const before = Number(/(\d+) dead letters?/.exec((await lead.textContent())!)![1]);
    expect(before).toBeGreaterThan(1);
    const table = page.getByRole('region', { name: 'Dead letter list' });
    await table.getByText(HOSTILE).first().waitFor();
    expect(await table.locator('td.reason img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await shot(page, 'deliveries');

    await table.getByRole('checkbox').first().check();
    await page.getByRole('button', { name: 'Replay 1 chosen letter' }).click();
    await page.getByRole('status').filter({ hasText: '1 dead letter sent back to the outbox' }).waitFor();
    await page.locator('p.lead').filter({ hasText: `${before - 1} dead letter` }).waitFor();
    await page.close();
  });

  test('a read-only token is offered no write action, and the API refuses the write anyway', async () => {
    const page = await open('#/deliveries');
    await login(page, VIEWER_TOKEN);
    await page.getByRole('region', { name: 'Dead letter list' }).waitFor();
    await page.getByText('replaying and discarding need the admin scope').waitFor();
    for (const name of [/Replay/, /Discard/]) expect(await page.getByRole('button', { name }).count()).toBe(0);
    expect(await page.getByRole('checkbox').count()).toBe(0);
    const refused = await page.evaluate(async () => {
      const r = await fetch('../v1/deliveries/replay', { method: 'POST', headers: { authorization: `Bearer ${sessionStorage.getItem('cwp-console-token')}` }, body: '{}' });
      return { status: r.status, body: await r.json() };
    });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'insufficient_scope', scope: 'admin' } } });
    await page.goto(`${server.url}/ui/#/agents/${WEB}`);
    await page.getByRole('heading', { level: 2, name: 'web-01 (10.0.1.11)' }).waitFor();
    expect(await page.getByRole('button', { name: 'Collect now' }).count()).toBe(0);
    await page.close();
  });

  test('a token refused mid-session returns to the login with the API\'s message; log out forgets the token', async () => {
    const page = await open();
    await login(page, ADMIN_TOKEN);
    await page.evaluate(() => sessionStorage.setItem('cwp-console-token', 'revoked-token-000000000000'));
    await page.reload();
    await page.getByRole('alert').filter({ hasText: 'That token was refused' }).waitFor();
    await login(page, ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('cwp-console-token'))).toBeNull();
    await page.close();
  });

  test('usable by keyboard alone: log in, tab to a page in the navigation, land on its heading, with a visible focus', async () => {
    const page = await open();
    // The login form takes the focus itself: no click needed.
    await waitFor('focus in the token field', () => page.evaluate(() => document.activeElement?.id === 'token'), 15_000);
    await page.keyboard.type(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByText('Token ops').waitFor();
    let found = false;
    for (let i = 0; i < 12 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await page.evaluate(() => document.activeElement?.textContent === 'Deliveries');
    }
    expect(found).toBe(true);
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');
    await page.keyboard.press('Enter');
    await waitFor('focus on the page heading', () => page.evaluate(() => document.activeElement?.tagName === 'H1' && document.activeElement.textContent === 'Dead letters'), 10_000);
    await page.close();
  });

  test('readable on a 390 px wide phone: nothing wider than the screen but the tables, which scroll inside', async () => {
    const page = await open();
    await page.setViewportSize({ width: 390, height: 844 });
    await login(page, ADMIN_TOKEN);
    await page.getByText('3 agents watched').waitFor();
    await page.getByRole('region', { name: 'Watched agents' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Deliveries' }).click();
    await page.getByRole('region', { name: 'Dead letter list' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-deliveries');
    await page.close();
  });

  test('incidents, their filters and the rules pages say their routes are not on this server yet, not an error', async () => {
    const page = await open('#/incidents?state=firing');
    await login(page, ADMIN_TOKEN);
    await page.getByText('Incidents: not available on this server yet.').waitFor();
    expect(await page.getByLabel('State').inputValue()).toBe('firing');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Silences & windows' }).click();
    for (const what of ['Silences', 'Maintenance windows', 'Expectations']) await page.getByText(`${what}: not available on this server yet.`).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.close();
  });

  test.todo('acknowledges an incident (once GET /v1/incidents and POST /v1/incidents/{key}/ack are on main)');
  test.todo('creates and ends a silence (once /v1/silences is on main)');
  test.todo('follows a signed chat link (once chat messages carry signed console links)');
});
