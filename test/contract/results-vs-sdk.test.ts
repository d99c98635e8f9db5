// Our collection and result calls against the official SDK: for the same answer, CwpClient's readResultPage
// reads the same records, total and RequestId as the SDK's DescribeProcesses / DescribeOpenPorts, and our
// requests carry what the SDK sends for the same parameters. Where the SDK takes any body (it checks
// nothing), ours refuses one the bridge could not page through, as Bridge.BadResponseBody.
import { randomUUID } from 'node:crypto';
import { startEmulator, type Emulator } from '../../dev/emulator';
import { RESULT_ACTION, RESULT_PAGE_LIMIT, YunjingClient as CwpClient } from '../../lib/cwp/yunjing';
import { TRANSPORT_CODES } from '../../lib/errors';
import { TencentClient } from '../../lib/tencent';
import { apiSuccess, json, startCaptureServer, type CaptureServer, type ScriptedAnswer } from '../helpers/tencent-capture-server';
import { loadFixture } from '../helpers/fixtures';
import { sdkClient, sdkOutcome } from '../helpers/tencent-sdk';

type ResultAction = 'DescribeProcesses' | 'DescribeOpenPorts';
interface ResultFixture {
  actions: Record<ResultAction | 'CreateProcessTask' | 'CreateOpenPortTask', { success: { Response: Record<string, unknown> } }>;
}
const fixture = loadFixture<ResultFixture>('cwp-result-responses.json');

const UUID = '6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1';
const CREDENTIALS = { secretId: 'AKIDresults', secretKey: 'results-key', token: null };
const KIND_OF = { DescribeProcesses: 'process', DescribeOpenPorts: 'port' } as const;
const LIST_OF = { DescribeProcesses: 'Processes', DescribeOpenPorts: 'OpenPorts' } as const;

let server: CaptureServer;
beforeAll(async () => {
  server = await startCaptureServer();
});
afterAll(() => server.close());

const sdk = () => sdkClient({ endpointHost: `127.0.0.1:${server.port}`, version: '2018-02-28', region: 'ap-guangzhou', credentials: CREDENTIALS });
const ours = () =>
  new CwpClient(new TencentClient({ endpoint: server.origin, service: '127', version: '2018-02-28', region: 'ap-guangzhou', credentials: CREDENTIALS, timeoutMs: 2_000, maxAttempts: 1, random: () => 0 }));

/** The SDK and we read one answer for the same page request; each request as it arrived. */
async function bothRead(action: ResultAction, answer: ScriptedAnswer, offset = 0) {
  server.answer(answer);
  const before = server.requests.length;
  const theirs = await sdkOutcome(sdk(), action, { Uuid: UUID, Limit: RESULT_PAGE_LIMIT, Offset: offset });
  server.answer(answer);
  const mine = await ours().readResultPage(KIND_OF[action], UUID, offset).then(
    (page) => ({ page }),
    (error: unknown) => ({ error }),
  );
  const [sdkRequest, ourRequest] = server.requests.slice(before);
  return { theirs, mine, sdkBody: JSON.parse(sdkRequest!.body), ourBody: JSON.parse(ourRequest!.body), ourAction: ourRequest!.headers['x-tc-action'] };
}

describe.each(['DescribeProcesses', 'DescribeOpenPorts'] as const)('%s', (action) => {
  test('the documented answer: the same records, total and RequestId as the SDK; the same request body', async () => {
    const { theirs, mine, sdkBody, ourBody, ourAction } = await bothRead(action, json(fixture.actions[action].success), 300);
    if (!('ok' in theirs) || !('page' in mine)) throw new Error('both should resolve');
    expect(ourAction).toBe(RESULT_ACTION[KIND_OF[action]]);
    expect(ourBody).toEqual(sdkBody);
    expect(ourBody).toEqual({ Uuid: UUID, Limit: 100, Offset: 300 });
    expect(mine.page.items).toEqual(theirs.ok[LIST_OF[action]]);
    expect(mine.page.total).toBe(theirs.ok.TotalCount);
    expect(mine.page.requestId).toBe(theirs.ok.RequestId);
  });

  test('a body without TotalCount: the SDK resolves it as it is, ours is Bridge.BadResponseBody', async () => {
    const { theirs, mine } = await bothRead(action, apiSuccess({ [LIST_OF[action]]: [] }, 'req-no-total'));
    expect(theirs).toEqual({ ok: { [LIST_OF[action]]: [], RequestId: 'req-no-total' } });
    expect(mine).toMatchObject({ error: { code: TRANSPORT_CODES.badBody, requestId: 'req-no-total' } });
  });

  test('a record without its Pid: the SDK passes it on, ours is Bridge.BadResponseBody', async () => {
    const record = { ...(fixture.actions[action].success.Response[LIST_OF[action]] as Record<string, unknown>[])[0], Pid: undefined };
    const { theirs, mine } = await bothRead(action, apiSuccess({ TotalCount: 1, [LIST_OF[action]]: [record] }, 'req-no-pid'));
    expect('ok' in theirs).toBe(true);
    expect(mine).toMatchObject({ error: { code: TRANSPORT_CODES.badBody, message: expect.stringContaining('Pid') } });
  });
});

test.each([['process', 'CreateProcessTask'], ['port', 'CreateOpenPortTask']] as const)('createTask(%s): the same request body and RequestId as the SDK’s %s', async (kind, action) => {
  const answer = json(fixture.actions[action].success);
  server.answer(answer);
  const before = server.requests.length;
  const theirs = await sdkOutcome(sdk(), action, { Uuid: UUID });
  server.answer(answer);
  const mine = await ours().createTask(kind, UUID);
  const [sdkRequest, ourRequest] = server.requests.slice(before);
  if (!('ok' in theirs)) throw new Error('the SDK should resolve');
  expect(mine).toEqual({ requestId: theirs.ok.RequestId });
  expect(JSON.parse(ourRequest!.body)).toEqual(JSON.parse(sdkRequest!.body));
  expect(ourRequest!.headers['x-tc-action']).toBe(action);
});

describe('the emulator’s records through both clients', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ quiet: true }); // the SDK signs with the real clock
  });
  afterAll(() => emu.close());

  test.each(['DescribeProcesses', 'DescribeOpenPorts'] as const)('%s: every page of a big host reads the same through the SDK and through readResultPage', async (action) => {
    const [uuid] = emu.addFleet(1, { seed: 7, activeFraction: 0, offlineFraction: 0, processes: 250, ports: 120 });
    const kind = KIND_OF[action];
    const host = new URL(emu.url).host;
    const theirs = sdkClient({ endpointHost: host, version: '2018-02-28', region: 'ap-guangzhou', credentials: { ...emu.credentials, token: null } });
    const mine = new CwpClient(new TencentClient({ endpoint: emu.url, service: '127', version: '2018-02-28', region: 'ap-guangzhou', credentials: { ...emu.credentials, token: null }, timeoutMs: 2_000 }));
    const total = kind === 'process' ? 250 : 120;
    for (let offset = 0; offset < total; offset += RESULT_PAGE_LIMIT) {
      const sdkPage = await sdkOutcome(theirs, action, { Uuid: uuid, Limit: RESULT_PAGE_LIMIT, Offset: offset });
      const ourPage = await mine.readResultPage(kind, uuid!, offset);
      if (!('ok' in sdkPage)) throw new Error(`the SDK failed: ${JSON.stringify(sdkPage)}`);
      expect(ourPage.total).toBe(sdkPage.ok.TotalCount);
      expect(ourPage.items).toEqual(sdkPage.ok[LIST_OF[action]]);
    }
    expect(emu.results(uuid!, kind).items).toHaveLength(total);
  });

  test('an agent nobody collected: TotalCount 0 through both', async () => {
    const uuid = randomUUID();
    emu.addAgent(uuid);
    const credentials = { ...emu.credentials, token: null };
    const theirs = await sdkOutcome(sdkClient({ endpointHost: new URL(emu.url).host, version: '2018-02-28', region: 'ap-guangzhou', credentials }), 'DescribeProcesses', { Uuid: uuid, Limit: 100, Offset: 0 });
    expect(theirs).toEqual({ ok: { TotalCount: 0, Processes: [], RequestId: expect.any(String) } });
    const mine = new CwpClient(new TencentClient({ endpoint: emu.url, service: '127', version: '2018-02-28', region: 'ap-guangzhou', credentials, timeoutMs: 2_000 }));
    expect(await mine.readResultPage('process', uuid, 0)).toEqual({ kind: 'process', total: 0, items: [], requestId: expect.any(String) });
  });
});
