// GET /metrics (scope metrics): the Prometheus text format of lib/metrics, read from the store at each scrape. lib/metrics
// is loaded on the first such request (a deferred module of the api bundle: scripts/build.mjs).
import type { ScfHttpResponse } from '../scf/types';
import type { RouteContext } from './deps';
import { storeCall } from './store-call';

export async function metrics(ctx: RouteContext): Promise<ScfHttpResponse> {
  const { collectMetrics, PROMETHEUS_CONTENT_TYPE, renderMetrics } = await import('../metrics/index');
  const families = await storeCall('metrics', () => collectMetrics(ctx.deps.store, ctx.deps.config.watch, ctx.now()));
  return {
    isBase64Encoded: false,
    statusCode: 200,
    headers: { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store', 'x-request-id': ctx.req.requestId },
    body: renderMetrics(families),
  };
}
