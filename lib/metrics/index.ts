// What GET /metrics and GET /v1/overview load on their first use (lib/http/metrics.ts, overview.ts import this
// module dynamically): scripts/build.mjs ships it compressed as a deferred module, so the api function's cold start
// for every other route does not parse it. It throws only StoreError (recognised across that line); the routes
// turn that into their HTTP answers.
export { collectMetrics } from './collect';
export { PROMETHEUS_CONTENT_TYPE, renderMetrics } from './text-format';
export { collectOverview } from './overview';
