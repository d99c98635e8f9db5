// GET /openapi.json: the document describes exactly the router's routes (both ways, with their scopes), is a valid
// OpenAPI 3.1 document by a maintained validator, and is served without a token, even with a broken configuration.
import { execFileSync } from 'node:child_process';
import { ConfigError } from '../../lib/config/core';
import { handleHttp } from '../../lib/http';
import { OPERATIONS, openApiDocument, pathParams, splitOperationKey } from '../../lib/http/openapi';
import { ROUTES, router } from '../../lib/http/routes';
import { isConsolePath } from '../../lib/console/serve';
import { harness, recordingLogger, reply, urlEvent } from './http-helpers';

const docScope = (r: (typeof ROUTES)[number]) => (r.public ? 'public' : r.scope);

describe('the OpenAPI document against the router', () => {
  it('documents every route of ROUTES with its method, path and scope', () => {
    const problems: string[] = [];
    for (const r of ROUTES) {
      const key = `${r.method} ${r.pattern}`;
      const doc = OPERATIONS[key];
      if (!doc) problems.push(`${key} (scope ${docScope(r)}) is a route in lib/http/routes.ts ROUTES but has no entry '${key}' in lib/http/openapi.ts OPERATIONS`);
      else if (doc.scope !== docScope(r)) problems.push(`${key}: ROUTES says scope ${docScope(r)}, OPERATIONS in lib/http/openapi.ts says ${doc.scope}`);
    }
    expect(problems).toEqual([]);
  });

  it('documents no route the router does not have (the console\'s files are answered before the router)', () => {
    const problems: string[] = [];
    for (const [key, doc] of Object.entries(OPERATIONS)) {
      const { method, pattern } = splitOperationKey(key);
      const concrete = pattern.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'kind' ? 'port' : name === 'uuid' ? '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1' : 'x'));
      if (doc.console) {
        if (!isConsolePath(concrete)) problems.push(`${key} is marked console in lib/http/openapi.ts OPERATIONS but is not a console path (/ui/...)`);
        continue;
      }
      const m = router.match(method, concrete);
      if (m.kind !== 'found' || m.route.pattern !== pattern) problems.push(`${key} is documented in lib/http/openapi.ts OPERATIONS but lib/http/routes.ts ROUTES has no such route`);
    }
    expect(problems).toEqual([]);
  });

  it('puts the scope of each operation in x-scope, a bearer requirement on every one that needs a token, and its path parameters', () => {
    const doc = openApiDocument() as any;
    for (const r of ROUTES) {
      const op = doc.paths[r.pattern][r.method.toLowerCase()];
      expect(op['x-scope']).toBe(docScope(r));
      expect(op.security).toEqual(r.public ? [] : [{ bearer: [] }]);
      expect((op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name)).toEqual(pathParams(r.pattern));
    }
  });

  it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)', () => {
    // The validator is an ES module: it runs in a child node process, the document on its standard input.
    const script = `
      import { Validator } from '@seriousme/openapi-schema-validator';
      let text = '';
      for await (const chunk of process.stdin) text += chunk;
      const validator = new Validator();
      const res = await validator.validate(JSON.parse(text));
      process.stdout.write(JSON.stringify({ valid: res.valid, version: validator.version, errors: res.errors ?? null }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { input: JSON.stringify(openApiDocument()), cwd: process.cwd(), encoding: 'utf8', timeout: 60_000 });
    const res = JSON.parse(out);
    expect(res.errors).toBeNull();
    expect(res).toMatchObject({ valid: true, version: '3.1' });
  });
});

describe('GET /openapi.json', () => {
  it('answers the document without a token', async () => {
    const h = harness();
    const r = await h.call(urlEvent('GET', '/openapi.json', { auth: false }));
    expect(r.statusCode).toBe(200);
    expect(r.headers!['content-type']).toMatch(/^application\/json/);
    expect(r.json.openapi).toBe('3.1.0');
    expect(Object.keys(r.json.paths)).toEqual(expect.arrayContaining(['/healthz', '/openapi.json', '/v1/incidents/{key}/ack']));
  });

  it('answers the document even when the configuration is invalid (it holds no data)', async () => {
    const { logger } = recordingLogger();
    const r = reply(await handleHttp(urlEvent('GET', '/openapi.json', { auth: false }), undefined, new ConfigError(['WATCH_UUIDS: "x" is not a Uuid']), { logger }));
    expect(r.statusCode).toBe(200);
    expect(r.json.openapi).toBe('3.1.0');
  });

  it('refuses other methods with 405', async () => {
    const h = harness();
    const r = await h.call(urlEvent('POST', '/openapi.json', { auth: false }));
    expect(r.statusCode).toBe(405);
    expect(r.headers!.allow).toBe('GET');
  });
});
