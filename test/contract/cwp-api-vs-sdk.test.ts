// The official SDK's cwp client (tencentcloud-sdk-nodejs cwp v20180228 Client) as the oracle of the cwp face and of
// our cwp backend: pointed at the emulator (as cwp.localhost, so it signs for cwp as it would for
// cwp.tencentcloudapi.com), it accepts every answer of the actions the bridge calls, each with only the fields of its
// model; it reads the same errors; our backend reads the same answers the same way; and, against a capture server,
// our requests carry what the SDK sends for the same parameters.
import { Agent } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Client as SdkCwpClient } from 'tencentcloud-sdk-nodejs/tencentcloud/services/cwp/v20180228/cwp_client';
import { startEmulator, type Emulator } from '../../dev/emulator';
import { CwpClient } from '../../lib/cwp/cwp';
import { JSON_CONTENT_TYPE, TencentClient } from '../../lib/tencent';
import { loadFixture } from '../helpers/fixtures';
import { apiSuccess, startCaptureServer, type CaptureServer } from '../helpers/tencent-capture-server';
import { loopbackLookup } from '../helpers/tencent-sdk';

interface CwpFixture {
  actions: Record<string, { responseFields: string[]; itemFields?: string[] }>;
}
const fixture = loadFixture<CwpFixture>('cwp-api-responses.json');

let emu: Emulator;
let capture: CaptureServer;
beforeAll(async () => {
  emu = await startEmulator({ quiet: true, scanMs: 300 });
  capture = await startCaptureServer();
});
afterAll(async () => {
  await emu.close();
  await capture.close();
});

/** The SDK's own cwp client for `host:port` (cwp.localhost resolves to loopback), its Content-Type as ours. */
function sdk(endpointHost: string, credentials = emu.credentials): SdkCwpClient {
  return new SdkCwpClient({
    credential: { secretId: credentials.secretId, secretKey: credentials.secretKey },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: endpointHost, protocol: 'http://', reqTimeout: 5, headers: { 'Content-Type': JSON_CONTENT_TYPE }, agent: new Agent({ lookup: loopbackLookup }) } },
  });
}
const sdkOnEmulator = () => sdk(`cwp.localhost:${emu.port}`);
const ours = (origin: string, service = 'cwp', credentials = emu.credentials) =>
  new CwpClient(new TencentClient({ endpoint: origin, service, version: '2018-02-28', region: 'ap-guangzhou', credentials: { ...credentials, token: null }, timeoutMs: 2_000, maxAttempts: 1, random: () => 0 }));

/** The fields of a Response other than RequestId are all the model's. */
function onlyModelFields(action: string, response: object): void {
  const extra = Object.keys(response).filter((k) => k !== 'RequestId' && !fixture.actions[action]!.responseFields.includes(k));
  expect([action, extra]).toEqual([action, []]);
}

async function collectedHost(): Promise<string> {
  const uuid = randomUUID();
  emu.setHost(uuid, { ports: [{ port: 22, pid: 100, processName: 'sshd' }, { port: 53, pid: 100, processName: 'sshd', proto: 'udp' }], processes: [{ pid: 100, processName: 'sshd' }] });
  emu.addMachine({ uuid, region: 'ap-guangzhou', name: `host-${uuid.slice(0, 4)}` });
  const client = sdkOnEmulator();
  while ((await client.SyncAssetScan({ Sync: false })).State === 'SYNCING') await new Promise((r) => setTimeout(r, 100));
  await client.ScanAsset({ Quuids: [emu.quuidOf(uuid)] });
  while ((await client.SyncAssetScan({ Sync: false })).State === 'SYNCING') await new Promise((r) => setTimeout(r, 100));
  return uuid;
}

describe('the SDK\'s cwp client against the emulator', () => {
  test('it accepts the answer of every action the bridge calls, each with only its model\'s fields', async () => {
    const uuid = await collectedHost();
    const client = sdkOnEmulator();
    const answers: Array<[string, object]> = [
      ['SyncAssetScan', await client.SyncAssetScan({ Sync: false })],
      ['DescribeAssetTypes', await client.DescribeAssetTypes()],
      ['DescribeAssetPortInfoList', await client.DescribeAssetPortInfoList({ Quuid: emu.quuidOf(uuid), Limit: 100, Offset: 0, By: 'FirstTime', Order: 'asc' })],
      ['DescribeAssetProcessInfoList', await client.DescribeAssetProcessInfoList({ Limit: 100, Offset: 0, By: 'FirstTime', Order: 'desc' })],
      ['DescribeMachines', await client.DescribeMachines({ MachineType: 'CVM', MachineRegion: 'ap-guangzhou', Limit: 100, Offset: 0, Filters: [{ Name: 'AgentStatus', Values: ['ONLINE'] }] })],
      ['DescribeMachineRegions', await client.DescribeMachineRegions()],
      ['DescribeMachineInfo', await client.DescribeMachineInfo({ Uuid: uuid })],
      ['ScanAsset', await client.ScanAsset({ Quuids: [emu.quuidOf(uuid)], AssetTypeIds: [2] })],
    ];
    const running = await client.SyncAssetScan({ Sync: false });
    answers.push(['StopAssetScan', await client.StopAssetScan({ TaskId: running.TaskId! })]);
    for (const [action, response] of answers) onlyModelFields(action, response);
    const ports = answers[2]![1] as { Ports: object[] };
    for (const p of ports.Ports) expect(Object.keys(p).filter((k) => !fixture.actions.DescribeAssetPortInfoList!.itemFields!.includes(k))).toEqual([]);
  });

  test('it reads the emulator\'s errors as Tencent\'s: code, message and RequestId', async () => {
    const client = sdkOnEmulator();
    const error = await client.DescribeMachineInfo({ Uuid: randomUUID() }).then(() => null, (e: { code?: string; requestId?: string; message?: string }) => e);
    expect(error).toMatchObject({ code: 'ResourceNotFound', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const stopped = await client.StopAssetScan({ TaskId: 999_999 }).then(() => null, (e: { code?: string }) => e);
    expect(stopped).toMatchObject({ code: 'FailedOperation' });
  });
});

describe('our cwp backend reads what the SDK reads', () => {
  test('the scan\'s state and task, the inventory page, and the machine listing', async () => {
    const uuid = await collectedHost();
    const client = sdkOnEmulator();
    const backend = ours(emu.url);

    const theirs = await client.SyncAssetScan({ Sync: false });
    const mine = await backend.scanState({ fresh: true });
    expect([mine.state, mine.taskId]).toEqual([theirs.State, theirs.TaskId]);

    const listed = await client.DescribeMachines({ MachineType: 'CVM', MachineRegion: 'ap-guangzhou', Limit: 100, Offset: 0 });
    const read = await backend.readMachines({ target: { machineType: 'CVM', machineRegion: 'ap-guangzhou' }, offset: 0 });
    expect(read.total).toBe(listed.TotalCount);
    expect(read.machines.map((m) => [m.uuid, m.quuid])).toEqual(listed.Machines!.filter((m) => m.Uuid !== '').map((m) => [m.Uuid!.toLowerCase(), m.Quuid!.toLowerCase()]));

    const inventory = await client.DescribeAssetPortInfoList({ Quuid: emu.quuidOf(uuid), Limit: 100, Offset: 0, By: 'FirstTime', Order: 'asc' });
    const results = await backend.readResults('port', uuid);
    expect(results.total).toBe(inventory.Total);
    expect(results.items).toEqual(inventory.Ports!.map((p) => ({ port: Number(p.Port), pid: Number(p.Pid), processName: p.ProcessName, proto: p.Proto, bindIp: p.BindIp })));
  });
});

describe('our requests carry what the SDK sends', () => {
  /** The SDK and we send one request each to the capture server; both bodies as they arrived. */
  async function bothSend(action: string, sdkCall: (c: SdkCwpClient) => Promise<unknown>, ourCall: (c: CwpClient) => Promise<unknown>, answer: Record<string, unknown>) {
    capture.answer(apiSuccess(answer));
    const before = capture.requests.length;
    await sdkCall(sdk(`127.0.0.1:${capture.port}`, { secretId: 'AKIDcwpcontract', secretKey: 'cwp-contract-key' }));
    await ourCall(ours(capture.origin, '127', { secretId: 'AKIDcwpcontract', secretKey: 'cwp-contract-key' })).catch(() => undefined);
    const [theirs, mine] = capture.requests.slice(before).filter((r) => r.headers['x-tc-action'] === action);
    return { sdkBody: JSON.parse(theirs!.body), ourBody: JSON.parse(mine!.body), sdkAuth: String(theirs!.headers.authorization), ourAuth: String(mine!.headers.authorization) };
  }

  test('SyncAssetScan {Sync: false}, the same version and scope', async () => {
    const r = await bothSend('SyncAssetScan', (c) => c.SyncAssetScan({ Sync: false }), (c) => c.scanState({ fresh: true }), { State: 'NOTASK', TaskId: 0 });
    expect(r.ourBody).toEqual(r.sdkBody);
    expect(r.ourAuth.split('Credential=')[1]!.split(',')[0]!.split('/').slice(2)).toEqual(r.sdkAuth.split('Credential=')[1]!.split(',')[0]!.split('/').slice(2));
  });

  test('a page of the account\'s inventory newest first', async () => {
    const r = await bothSend('DescribeAssetPortInfoList', (c) => c.DescribeAssetPortInfoList({ Limit: 100, Offset: 200, By: 'FirstTime', Order: 'desc' }), (c) => c.readNewestItems('port', 200), { Total: 0, Ports: [] });
    expect(r.ourBody).toEqual(r.sdkBody);
  });

  test('a page of cwp\'s machine listing with a filter', async () => {
    const r = await bothSend(
      'DescribeMachines',
      (c) => c.DescribeMachines({ MachineType: 'BM', MachineRegion: 'ap-shanghai', Limit: 100, Offset: 100, Filters: [{ Name: 'AgentStatus', Values: ['OFFLINE'] }] }),
      (c) => c.readMachines({ target: { machineType: 'BM', machineRegion: 'ap-shanghai' }, offset: 100, filters: [{ Name: 'Status', Values: ['OFFLINE'] }] }),
      { TotalCount: 0, Machines: [] },
    );
    expect(r.ourBody).toEqual(r.sdkBody);
  });
});
