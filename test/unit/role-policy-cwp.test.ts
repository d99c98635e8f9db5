// The execution role's policy with CWP_API=cwp (lib/deploy/role-policy.ts CWP_API_ROLE_POLICY_FEATURES): cwp's own
// actions in place of yunjing's, discovery's listing and regions as WATCH_DISCOVER asks, the same sink actions.
import { CWP_API_ROLE_POLICY_FEATURES, enabledFeatures, roleActions } from '../../lib/deploy/role-policy';

/** What every cwp deployment needs: the scan's state, each host, its inventory, and starting one scan. */
const CWP_ALWAYS = [
  'cwp:DescribeAssetPortInfoList',
  'cwp:DescribeAssetProcessInfoList',
  'cwp:DescribeAssetTypes',
  'cwp:DescribeMachineInfo',
  'cwp:ScanAsset',
  'cwp:SyncAssetScan',
];

describe('the execution role policy with CWP_API=cwp', () => {
  test('lists cwp\'s actions and no yunjing action', () => {
    expect(roleActions({ CWP_API: 'cwp' })).toEqual(CWP_ALWAYS);
  });

  test('WATCH_DISCOVER adds cwp:DescribeMachines; a type\'s `all` adds cwp:DescribeMachineRegions too', () => {
    expect(roleActions({ CWP_API: 'cwp', WATCH_DISCOVER: 'CVM:ap-guangzhou' })).toEqual([...CWP_ALWAYS, 'cwp:DescribeMachines'].sort());
    for (const spec of ['all', 'CVM:all', 'BM:ap-guangzhou;CVM:ap-shanghai,all']) expect(roleActions({ CWP_API: 'cwp', WATCH_DISCOVER: spec })).toEqual([...CWP_ALWAYS, 'cwp:DescribeMachineRegions', 'cwp:DescribeMachines'].sort());
  });

  test('the sinks\' actions are the same as with yunjing', () => {
    expect(roleActions({ CWP_API: 'cwp', CMQ_TOPIC: 't', EB_EVENT_BUS_ID: 'eb-1' })).toEqual([...CWP_ALWAYS, 'eb:PutEvents', 'tdmq:PublishCmqMsg'].sort());
  });

  test('every cwp feature is on under a full configuration', () => {
    expect(enabledFeatures({ CWP_API: 'cwp', WATCH_DISCOVER: 'all', CMQ_TOPIC: 't', CMQ_QUEUE: 'q', EB_EVENT_BUS_ID: 'eb-1' })).toEqual(CWP_API_ROLE_POLICY_FEATURES);
  });
});
