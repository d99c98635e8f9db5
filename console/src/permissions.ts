// What a token may be offered. One table: the scope each write action of the console needs, as the API's route
// table requires it (lib/http/routes.ts; README "HTTP API"). A token without it is not shown the action; the API
// refuses it anyway.
import { hasScope, type Scope } from '../../lib/config/tokens';
import type { Whoami } from './api';

export const ACTION_SCOPE = {
  replay: 'admin',
  discard: 'admin',
  acknowledgeStoreReset: 'admin',
  acknowledge: 'alerts',
  silence: 'alerts',
  accept: 'alerts',
  createRule: 'alerts',
  endRule: 'alerts',
  collect: 'write',
} as const satisfies Record<string, Scope>;

export type Action = keyof typeof ACTION_SCOPE;

export function may(who: Whoami | null, action: Action): boolean {
  return who !== null && hasScope(who, ACTION_SCOPE[action]);
}
