// The web console in a real browser: Debian's Chromium driven by playwright-core, against the api function served
// over local HTTP (each request a Function URL event, as npm start does) with the emulator behind it and a real
// file store that the real poll function filled, its incidents also sent to a local WeCom robot with signed links.
// Runs when a Chromium is found (CHROMIUM_PATH or
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
import { ChatRobotReceiver } from '../helpers/chat-receivers';
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
  let robot: ChatRobotReceiver;
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
    robot = await ChatRobotReceiver.start('wecom');
    // The api function listens first: its address is CONSOLE_URL, which the chat links point at.
    const { main_handler } = await import('../../functions/api');
    server = await serveFunctionUrl(main_handler);

    Object.assign(process.env, {
      TENCENTCLOUD_SECRET_ID: EMULATOR_CREDENTIALS.secretId,
      TENCENTCLOUD_SECRET_KEY: EMULATOR_CREDENTIALS.secretKey,
      CWP_ENDPOINT: emu.url,
      STATE_STORE: `file:${stateDir}`,
      WATCH_DISCOVER: 'CVM:ap-guangzhou',
      WEBHOOK_URLS: `http://127.0.0.1:${(deadHook.address() as AddressInfo).port}/hook`,
      WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
      WECOM_WEBHOOK_URLS: robot.url,
      CONSOLE_URL: server.url,
      LINK_SECRET: randomBytes(32).toString('base64'),
      API_TOKENS: `ops:admin:${ADMIN_TOKEN},viewer:read:${VIEWER_TOKEN}`,
      API_RATE_BURST: '500',
      SWEEP_BUDGET_MS: '3500',
      POLL_TERMINAL_SECONDS: '1',
      POLL_UNOBSERVED_SECONDS: '1',
      POLL_COLLECTING_SECONDS: '1',
      LOG_LEVEL: 'error',
    });
    // Two sweeps: the states, the listing and web-01's first port read (its baseline); then a new port and a
    // second read, so the agent page has a change to show and port 6379 opens an incident. Every event dies at the
    // webhook (HTTP 400); the incidents also reach the WeCom robot, with their signed links.
    await poll();
    emu.openPort(WEB, { port: 6379, pid: 300, processName: 'redis-server' });
    emu.startTask(WEB, 'port', { collectMs: 1_500 });
    await poll();

    browser = await launchChromium(CHROMIUM!);
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((r) => deadHook?.close(r));
    await robot?.close();
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

  test('the overview reads the last sweep, the agents by state, the incidents firing, the dead letters per sink and the history\'s charts', async () => {
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
    // web-01's new port 6379 opened an incident at the second sweep; db-01 is offline for less than ALERT_OFFLINE_FOR.
    await page.getByRole('region', { name: 'Incidents firing' }).getByText('port 6379 (redis-server) opened on web-01 (10.0.1.11)').waitFor();
    const history = page.getByRole('region', { name: 'History' });
    await history.getByText('Events per hour, last 24 h').waitFor();
    // Two sweeps' events, counted by the server from the history.
    expect(Number(/([\d,]+) events? in all/.exec((await history.locator('#events-per-hour-last-24-h-summary').textContent())!)![1]!.replace(/,/g, ''))).toBeGreaterThan(3);
    // Times in the viewer's zone, UTC on hover.
    expect(await page.locator('time').first().getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    await shot(page, 'overview');
    await page.close();
  });

  test('an agent\'s page: its machine, each kind\'s state, its open ports and what the last read changed', async () => {
    const page = await open();
    await login(page, ADMIN_TOKEN);
    await page.getByRole('link', { name: 'web-01 (10.0.1.11)', exact: true }).click();
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

  test('readable on a 390 px wide phone: nothing wider than the screen but the tables, which scroll inside, forms included', async () => {
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
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Incidents' }).click();
    await page.getByRole('region', { name: 'Incidents' }).getByRole('row').nth(1).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Silences & windows' }).click();
    for (const part of ['silence', 'window', 'expectation']) await page.getByText(`New ${part}`, { exact: true }).click();
    await page.getByRole('button', { name: 'Create the expectation' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-rules');
    await page.close();
  });

  /** The page of the firing incident whose summary is `summary`, reached from the Incidents list. */
  async function incidentPage(page: Page, summary: string): Promise<void> {
    await page.getByRole('region', { name: 'Incidents' }).getByRole('link', { name: summary }).click();
    await page.getByRole('heading', { level: 2, name: summary }).waitFor();
  }

  test('incidents filtered by state and type; an incident\'s page shows its facts and timeline', async () => {
    const page = await open('#/incidents?state=firing');
    await login(page, ADMIN_TOKEN);
    await page.getByRole('region', { name: 'Incidents' }).getByText('port 6379 (redis-server) opened on web-01 (10.0.1.11)').waitFor();
    expect(await page.getByLabel('State').inputValue()).toBe('firing');
    await page.getByLabel('Type').selectOption('agent.offline');
    await page.getByText('No incidents match these filters.').waitFor();
    await page.getByLabel('State').selectOption('pending');
    await page.getByRole('region', { name: 'Incidents' }).getByText('db-01 (10.0.2.21) offline').waitFor();
    await shot(page, 'incidents');
    await page.getByLabel('Type').selectOption('port.opened');
    await page.getByLabel('State').selectOption('firing');
    await incidentPage(page, 'port 6379 (redis-server) opened on web-01 (10.0.1.11)');
    await page.getByRole('region', { name: 'Timeline' }).getByRole('row', { name: /fired/ }).waitFor();
    // A firing port incident: all three actions are offered to an admin.
    for (const name of ['Acknowledge', 'Accept as expected', 'Silence']) await page.getByRole('button', { name, exact: true }).waitFor();
    await shot(page, 'incident');
    await page.close();
  });

  test('the history searches the events by type and agent, newest first', async () => {
    const page = await open('#/history');
    await login(page, ADMIN_TOKEN);
    const events = page.getByRole('region', { name: 'Events' });
    await events.getByRole('row').nth(1).waitFor();
    await page.getByLabel('Type').selectOption('com.tencentcloud.cwp.ports.changed');
    await page.getByLabel('Agent Uuid').fill(WEB);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('ports +1 −0 (3 in all)').waitFor();
    const types = await events.locator('tbody tr td:nth-child(3)').allTextContents();
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(['ports.changed']));
    await shot(page, 'history');
    await page.close();
  });

  test('acknowledges a firing incident from the list: it shows acknowledged and the button goes', async () => {
    const summary = 'port 6379 (redis-server) opened on web-01 (10.0.1.11)';
    const page = await open('#/incidents?state=firing&type=port.opened');
    await login(page, ADMIN_TOKEN);
    const row = page.getByRole('region', { name: 'Incidents' }).getByRole('row', { name: new RegExp(summary.replace(/[()]/g, '\\$&')) });
    await row.getByRole('button', { name: `Acknowledge: ${summary}` }).click();
    await page.getByRole('status').filter({ hasText: `Acknowledged: ${summary}.` }).waitFor();
    await row.getByText('acknowledged').waitFor();
    expect(await row.getByRole('button').count()).toBe(0);
    await incidentPage(page, summary);
    await page.getByText('acknowledged by ops').waitFor();
    await page.getByRole('region', { name: 'Timeline' }).getByRole('row', { name: /acknowledged.*ops/ }).waitFor();
    await page.close();
  });

  test('creates a silence of an agent\'s offline incidents with a comment, lists it active, and ends it', async () => {
    const page = await open('#/rules');
    await login(page, ADMIN_TOKEN);
    const silences = page.getByRole('region', { name: 'Silences', exact: true });
    await silences.getByText('New silence').click();
    await silences.getByLabel('Agent Uuid').fill(DB);
    await silences.getByLabel('Incident type').selectOption('agent.offline');
    await silences.getByLabel('4 h').check();
    await silences.getByLabel('Comment').fill('db-01 is being moved (CHG-42)');
    await silences.getByRole('button', { name: 'Create the silence' }).click();
    await silences.getByRole('status').filter({ hasText: 'The silence was created.' }).waitFor();
    const row = silences.getByRole('row', { name: new RegExp(`uuid = ${DB}, type = agent.offline`) });
    await row.getByText('active').waitFor();
    expect(await row.textContent()).toContain('db-01 is being moved (CHG-42)by ops');
    await shot(page, 'rules');
    await row.getByRole('button', { name: 'End' }).click();
    await row.getByRole('button', { name: 'Confirm' }).click();
    await silences.getByRole('status').filter({ hasText: 'The silence ended' }).waitFor();
    await row.getByText('expired').waitFor();
    await row.getByText('ended by ops').waitFor();
    expect(await row.getByRole('button', { name: 'End' }).count()).toBe(0);
    const listed = await page.evaluate(async () => (await fetch('../v1/silences', { headers: { authorization: `Bearer ${sessionStorage.getItem('cwp-console-token')}` } })).json());
    expect(listed.silences).toEqual(expect.arrayContaining([expect.objectContaining({ state: 'expired', createdBy: 'ops', comment: 'db-01 is being moved (CHG-42)', endedBy: 'ops' })]));
    await page.close();
  });

  test('follows a signed chat link: the robot\'s message links to a confirmation page whose button acknowledges the incident', async () => {
    // A new port on web-01, read by a sweep: its incident fires, and the robot gets a message with the links.
    emu.openPort(WEB, { port: 3306, pid: 400, processName: 'mysqld' });
    emu.startTask(WEB, 'port', { collectMs: 1_500 });
    await poll();
    const about3306 = () => robot.accepted.find((m) => m.text.includes('3306') && m.text.includes('[Acknowledge]('));
    await waitFor('the robot\'s message about port 3306 with its links', () => about3306() !== undefined, 15_000);
    const link = /\[Acknowledge\]\(([^)\s]+)\)/.exec(about3306()!.text)![1]!;
    expect(link.startsWith(`${server.url}/v1/links/`)).toBe(true);

    const page = await browser.context.newPage();
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(link);
    await page.getByRole('heading', { name: 'Acknowledge this incident?' }).waitFor();
    await page.getByText('port 3306 (mysqld) opened on web-01 (10.0.1.11)').first().waitFor();
    await shot(page, 'link-confirm');
    await page.getByLabel('Your name').fill('oncall-anna');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByRole('heading', { name: 'Acknowledged' }).waitFor();

    await page.goto(`${server.url}/ui/#/incidents?type=port.opened&state=firing`);
    await login(page, VIEWER_TOKEN);
    const row = page.getByRole('region', { name: 'Incidents' }).getByRole('row', { name: /port 3306 \(mysqld\)/ });
    await row.getByText('acknowledged').waitFor();
    await incidentPage(page, 'port 3306 (mysqld) opened on web-01 (10.0.1.11)');
    await page.getByText('acknowledged by oncall-anna').waitFor();
    await page.close();
  });

  test('a read-only token is offered no action on incidents, silences, windows or expectations', async () => {
    // A silence in force, made by an admin, that the viewer may read but not end.
    const made = await fetch(`${server.url}/v1/silences`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ matchers: [{ name: 'uuid', op: '=', value: BATCH }], endsAt: new Date(Date.now() + 3_600_000).toISOString(), createdBy: 'ops', comment: 'batch-01 reinstall' }),
    });
    expect(made.status).toBe(201);
    const page = await open('#/incidents?state=firing');
    await login(page, VIEWER_TOKEN);
    const list = page.getByRole('region', { name: 'Incidents' });
    await list.getByText('port 6379 (redis-server) opened on web-01 (10.0.1.11)').waitFor();
    expect(await list.getByRole('button').count()).toBe(0);
    expect(await list.getByRole('columnheader', { name: 'Actions' }).count()).toBe(0);
    await incidentPage(page, 'port 6379 (redis-server) opened on web-01 (10.0.1.11)');
    await page.getByRole('region', { name: 'Timeline' }).first().waitFor();
    expect(await page.getByRole('region', { name: 'Act on it' }).count()).toBe(0);
    expect(await page.locator('main').getByRole('button').count()).toBe(0);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Silences & windows' }).click();
    for (const name of ['Silences', 'Maintenance windows', 'Expectations']) await page.getByRole('heading', { level: 2, name, exact: true }).waitFor();
    await page.getByRole('region', { name: 'Silences', exact: true }).getByText('batch-01 reinstall').waitFor();
    expect(await page.locator('main').getByRole('button').count()).toBe(0);
    expect(await page.getByText(/^New (silence|window|expectation)$/).count()).toBe(0);
    await page.close();
  });

  test('accepts a port incident as expected with a comment: it resolves, and the expectation is listed', async () => {
    const summary = 'port 6379 (redis-server) opened on web-01 (10.0.1.11)';
    const page = await open('#/incidents?state=firing&type=port.opened');
    await login(page, ADMIN_TOKEN);
    await incidentPage(page, summary);
    // Accepting says why: without a comment the console asks for one and sends nothing.
    await page.getByRole('button', { name: 'Accept as expected' }).click();
    await page.getByRole('alert').filter({ hasText: 'Write a comment first: why it is expected' }).waitFor();
    await page.getByLabel(/^Comment/).fill('redis is part of the new cache tier');
    await page.getByRole('button', { name: 'Accept as expected' }).click();
    await page.getByRole('status').filter({ hasText: 'Accepted: it resolved' }).waitFor();
    await page.locator('dl.facts dd').filter({ hasText: '(accepted)' }).waitFor();
    expect(await page.getByRole('button', { name: 'Accept as expected' }).count()).toBe(0);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Silences & windows' }).click();
    const row = page.getByRole('region', { name: 'Expectations', exact: true }).getByRole('row', { name: /port 6379/ }).first();
    await row.getByText('redis is part of the new cache tier').waitFor();
    expect(await row.textContent()).toContain(`uuid = ${WEB}`);
    await page.close();
  });
});
