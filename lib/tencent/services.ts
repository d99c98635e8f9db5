// The Tencent Cloud API 3.0 services the bridge calls, each defined once: the service name (the host's first
// label and the credential scope) and the API version the calls are typed and tested against.

/** Cloud Workload Protection, the frozen `yunjing` service (docs from 2020; `cwp` dropped these actions in 2021). */
export const CWP_SERVICE = 'yunjing';
export const CWP_VERSION = '2018-02-28';

/**
 * The two CWP APIs a deployment chooses between (CWP_API): the frozen yunjing service (the default: nothing says it
 * is off) and the current cwp service, whose asset scan replaced yunjing's per-host tasks in its release of 2021-07-23.
 */
export const CWP_APIS = {
  yunjing: { service: CWP_SERVICE, version: CWP_VERSION, endpoint: 'https://yunjing.tencentcloudapi.com' },
  cwp: { service: 'cwp', version: '2018-02-28', endpoint: 'https://cwp.tencentcloudapi.com' },
} as const;
export type CwpApi = keyof typeof CWP_APIS;

/** TDMQ for CMQ on API 3.0 (the legacy CMQ API is retired). */
export const TDMQ_SERVICE = 'tdmq';
export const TDMQ_VERSION = '2020-02-17';

/** EventBridge (event bus), PutEvents. */
export const EB_SERVICE = 'eb';
export const EB_VERSION = '2021-04-16';
