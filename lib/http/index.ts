// The HTTP side of the bridge: functions/api calls handleHttp with deps built from the config.
export { handleHttp, isConfigError, configVariables, redactedProblems } from './handler';
export type { HttpDeps, HttpOptions, RouteContext } from './deps';
export type { HttpRequest } from './request';
export { authenticate, bearerToken, constantTimeEqual, matchesAnyToken } from './auth';
export { HttpError, errorBody, errorResponse, jsonResponse, safeMessage, JSON_CONTENT_TYPE, type HttpErrorOptions } from './respond';
export { Router, type Route, type RouteMatch } from './router';
export { ROUTES, HEALTHZ_PATH, DELIVERY_LIMIT } from './routes';
export { statusDeadlineMs, httpStatusOfState, STATUS_DEADLINE_MS, DEADLINE_MARGIN_MS } from './upstream';
export { parseUuid, parseKind, parseJsonBody, UUID_FORM } from './validate';
