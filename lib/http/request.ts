// The request the HTTP core routes, whatever trigger carried it (lib/scf/http-event.ts builds it from SCF's events).
export interface HttpRequest {
  /** Upper case. */
  method: string;
  /** Without the base path, without trailing slashes, never empty ('/' at least), no query. */
  path: string;
  /** Whether the path as sent ended in '/' (`/ui` and `/ui/` route alike; the console redirects the first). */
  trailingSlash: boolean;
  /** Keys lower-cased; repeated headers joined with ', '. */
  headers: Record<string, string>;
  query: Record<string, string>;
  /** Decoded (base64 undone), UTF-8; null when the request had none. */
  body: string | null;
  /** requestContext.requestId, else the SCF context's request_id, else a random UUID. */
  requestId: string;
  trigger: 'apigw' | 'function-url';
}
