// GET /v1/overview (scope read): the console's overview page in one answer (lib/metrics/overview.ts); incidents
// and the last sweep shown as the other routes show them. lib/metrics is loaded on first use (a deferred module).
import type { ScfHttpResponse } from '../scf/types';
import type { RouteContext } from './deps';
import { incidentView } from './incidents';
import { jsonResponse, safeMessage } from './respond';
import { storeCall } from './store-call';
import { iso } from './validate';

export async function overview(ctx: RouteContext): Promise<ScfHttpResponse> {
  const { collectOverview } = await import('../metrics/index');
  const o = await storeCall('overview', () => collectOverview(ctx.deps.store, ctx.deps.config.watch, ctx.now()));
  const d = o.discovery;
  return jsonResponse(200, {
    ...o,
    incidentsFiring: o.incidentsFiring.map((i) => incidentView(i, false)),
    lastSweep: o.lastSweep && { ...o.lastSweep, error: o.lastSweep.error === null ? null : safeMessage(o.lastSweep.error) },
    discovery: d && { listing: d.listing, inProgress: d.startedAt !== null, lastCompletedAt: iso(d.lastCompletedAt), skippedNoUuid: d.lastSkippedNoUuid },
  }, ctx.req.requestId);
}
