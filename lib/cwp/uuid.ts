// A CWP agent Uuid is a canonical 8-4-4-4-12 hex UUID (e.g. 6b6cd843-6bc1-4011-a74c-dc3fd26a7dd1). We check
// it before any call so a typo costs a 400, not a request from the shared 20/s budget.
const AGENT_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isAgentUuid(value: string): boolean {
  return AGENT_UUID.test(value);
}

/** Lower-case, so `ABC…` and `abc…` are one agent in the store. */
export function normalizeUuid(value: string): string {
  return value.trim().toLowerCase();
}
