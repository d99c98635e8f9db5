// The sink kinds, registered once (lib/sinks/kinds.ts): lib/config reads their settings and createSinks builds
// their sinks by looping over them; the poll runtime hands them to the config and gives each kind the Tencent
// caller it asks for; the api runtime hands none, so it reads no sink setting at all.
import { ConfigError, ENV, VARIABLE_OWNER } from '../../lib/config';
import { loadConfigWith, type SinkSettingsKind } from '../../lib/config/core';
import { silentLogger } from '../../lib/log';
import { createRuntime, type Runtime } from '../../lib/runtime';
import { createSinks, drainOutbox, sinkFactory, SINK_KINDS, SINK_PREFIXES } from '../../lib/sinks';
import { enqueue } from '../helpers/outbox-fixtures';
import { startCaptureServer, type CaptureServer } from '../helpers/tencent-capture-server';
import { TEST_CREDENTIALS } from '../helpers/config';

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const BASE = { ...TEST_CREDENTIALS, STATE_STORE: 'memory:' };

const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.close();
});

async function problemsOf(start: Promise<Runtime>): Promise<string[]> {
  try {
    runtimes.push(await start);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('the registry', () => {
  test('every sink variable is listed once in ENV, and is the poll function\'s', () => {
    const variables = SINK_KINDS.flatMap((k) => k.variables);
    expect(new Set(ENV).size).toBe(ENV.length);
    for (const name of variables) {
      expect(ENV).toContain(name);
      expect(VARIABLE_OWNER[name]).toBe('poll');
    }
  });

  test('the routing prefixes are the kinds\' prefixes, each belonging to one kind', () => {
    expect(SINK_PREFIXES).toEqual(SINK_KINDS.flatMap((k) => k.prefixes));
    expect(new Set(SINK_PREFIXES).size).toBe(SINK_PREFIXES.length);
  });

  test('a kind whose key is a core setting\'s is a wiring error, not an overwritten setting', () => {
    const clash: SinkSettingsKind = { key: 'region', prefixes: ['CLASH'], variables: [], settings: () => 'x' };
    expect(() => loadConfigWith(TEST_CREDENTIALS, [clash])).toThrow(/sink kind key "region" is taken/);
  });

  test('sinks cannot be built from a configuration loaded without the sink kinds', () => {
    const config = loadConfigWith(TEST_CREDENTIALS, []);
    expect(() => createSinks(config, { logger: silentLogger })).toThrow(/loaded without the WEBHOOK sink settings/);
  });
});

describe('each function reads the settings it uses', () => {
  test('the poll function lists a bad core setting and bad sink settings in one ConfigError', async () => {
    const problems = await problemsOf(createRuntime('poll', { ...BASE, CWP_RATE_LIMIT: 'fast', EB_REGION: 'Mars', WECOM_TEMPLATE: '{{nope}}', SLACK_KINDS: 'files' }, { makeSinks: sinkFactory, write: () => undefined }));
    expect([...new Set(problems.map((p) => p.split(':')[0]))].sort()).toEqual(['CWP_RATE_LIMIT', 'EB_REGION', 'SLACK_KINDS', 'WECOM_TEMPLATE']);
  });

  test('the api function reads no sink setting, and has no sinks', async () => {
    const env = { ...BASE, API_TOKENS: 'a-token-of-enough-length', WEBHOOK_URLS: 'not a url', CMQ_TOPIC: '1bad', EB_REGION: 'Mars', WECOM_TEMPLATE: '{{nope}}', SLACK_KINDS: 'files' };
    const runtime = await createRuntime('api', env, { write: () => undefined });
    runtimes.push(runtime);
    expect(runtime.sinks).toEqual([]);
    expect(runtime.config.routes).toEqual({});
    expect(runtime.config).not.toHaveProperty('webhook');
  });
});

describe('the poll runtime\'s Tencent callers', () => {
  let api: CaptureServer;
  beforeEach(async () => {
    api = await startCaptureServer();
  });
  afterEach(() => api.close());

  test('each Tencent sink kind gets a caller for its own service, version, endpoint and region', async () => {
    const runtime = await createRuntime('poll', {
      ...BASE,
      TENCENTCLOUD_REGION: 'ap-guangzhou',
      TDMQ_ENDPOINT: api.origin,
      CMQ_TOPIC: 'cwp-events',
      EB_EVENT_BUS_ID: 'eb-abcd1234',
      EB_REGION: 'ap-shanghai',
      EB_ENDPOINT: api.origin,
    }, { makeSinks: sinkFactory, write: () => undefined });
    runtimes.push(runtime);
    expect(runtime.sinks.map((s) => s.id)).toEqual(['cmq-topic:cwp-events', 'eb:ap-shanghai/eb-abcd1234']);
    await enqueue(runtime.store, UUID, 'process', ['COMPLETE']);

    const result = await drainOutbox(runtime.store, runtime.sinks, { maxAttempts: 3, logger: silentLogger });

    expect(result).toMatchObject({ published: 2, left: 0 });
    const calls = api.requests.map((r) => ({
      action: r.headers['x-tc-action'],
      version: r.headers['x-tc-version'],
      region: r.headers['x-tc-region'],
      scope: /Credential=[^/]+\/[\d-]+\/([a-z]+)\/tc3_request/.exec(String(r.headers.authorization))?.[1],
    }));
    expect(calls).toEqual(expect.arrayContaining([
      { action: 'PublishCmqMsg', version: '2020-02-17', region: 'ap-guangzhou', scope: 'tdmq' },
      { action: 'PutEvents', version: '2021-04-16', region: 'ap-shanghai', scope: 'eb' },
    ]));
    expect(calls).toHaveLength(2);
  });
});
