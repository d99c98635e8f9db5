// The official tencentcloud-sdk-nodejs as a test oracle, aimed at a loopback server. Test code only: the
// bridge itself never loads the SDK at run time.
import { Agent } from 'node:http';
import type { LookupFunction } from 'node:net';
import { AbstractClient } from 'tencentcloud-sdk-nodejs/tencentcloud/common/abstract_client';
import { JSON_CONTENT_TYPE } from '../../lib/tencent';
import type { TencentCredentials } from '../../lib/tencent';

/**
 * Resolves every name to 127.0.0.1, so that a hostname endpoint such as `yunjing.localhost` reaches the local
 * server. (`*.localhost` does not resolve through getaddrinfo here: /etc/nsswitch.conf is `files dns`.)
 */
export const loopbackLookup = ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
  if (options?.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
}) as unknown as LookupFunction;

export interface SdkTarget {
  /** `host:port` as the SDK takes it, e.g. `127.0.0.1:40123` or `yunjing.localhost:40123`. */
  endpointHost: string;
  version: string;
  region: string;
  credentials: TencentCredentials;
}

/**
 * The SDK's common client for one endpoint. Its default Content-Type is `application/json`; we give it ours
 * through httpProfile.headers (the SDK signs whatever Content-Type it sends), and an explicit agent so an
 * `http_proxy` in the environment can never send the request off the machine.
 */
export function sdkClient(target: SdkTarget): AbstractClient {
  return new AbstractClient(target.endpointHost, target.version, {
    credential: { secretId: target.credentials.secretId, secretKey: target.credentials.secretKey, token: target.credentials.token ?? undefined },
    region: target.region,
    profile: {
      httpProfile: {
        endpoint: target.endpointHost,
        protocol: 'http://',
        reqTimeout: 5,
        headers: { 'Content-Type': JSON_CONTENT_TYPE },
        agent: new Agent({ lookup: loopbackLookup }),
      },
    },
  });
}

/** What the SDK said: its resolved Response, or the error it threw, reduced to plain fields. */
export type SdkOutcome =
  | { ok: Record<string, unknown> }
  | { error: { constructorName: string; name: string; message: string; code: string | undefined; requestId: string | undefined; httpCode: number | undefined; type: string | undefined } };

export async function sdkOutcome(client: AbstractClient, action: string, payload: Record<string, unknown>): Promise<SdkOutcome> {
  try {
    return { ok: (await client.request(action, payload)) as Record<string, unknown> };
  } catch (e) {
    const error = e as Error & { code?: string; requestId?: string; httpCode?: number; type?: string };
    return {
      error: {
        constructorName: error.constructor.name,
        name: error.name,
        message: error.message,
        code: error.code,
        requestId: error.requestId,
        httpCode: error.httpCode,
        type: error.type,
      },
    };
  }
}
