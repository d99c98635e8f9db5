// Which errors of a CWP backend stop the whole sweep (rejected credentials, a clock too far off, an API that is not
// there), worded with that backend's service, version and fix. Each backend calls it with its own words.
import { isTencentError, type TencentError } from '../errors';
import type { CwpStop } from './port';

export interface StopWording {
  service: string;
  version: string;
  /** Why the action of a `gone` stop with this code may be gone, and what to try instead: appended to its fix. */
  goneHint(code: string): string;
}

export function stopFor(error: unknown, wording: StopWording): CwpStop | null {
  return isTencentError(error) ? stopReason(error, wording) : null;
}

function stopReason(e: TencentError, { service, version, goneHint }: StopWording): CwpStop | null {
  const action = e.action ?? 'the CWP action';
  if (e.code === 'AuthFailure.SignatureExpire') {
    const fix = 'set this machine\'s clock right (NTP): TC3 signatures are valid for 5 minutes around Tencent Cloud\'s time';
    return { outcome: 'clock', log: 'the clock is more than 5 minutes off Tencent Cloud\'s (the signature expired even when signed again); stopping the sweep', fix, message: `${e.code} on ${action} after signing again: the clock is off; ${fix}` };
  }
  if (e.row.kind === 'auth') {
    const fix = `check TENCENTCLOUD_SECRET_ID/KEY or the execution role and its ${service} permissions`;
    return { outcome: 'auth', log: 'CWP rejected our credentials; stopping the sweep: every further call would fail the same way', fix, message: `${e.code}: ${e.message}` };
  }
  if (e.row.kind === 'gone') {
    const fix = `check CWP_ENDPOINT (the ${service} endpoint) and TENCENTCLOUD_REGION, and whether Tencent Cloud still offers ${action} (${service} ${version}) to this account; ${goneHint(e.code)}`;
    return {
      outcome: 'gone',
      log: `CWP does not offer ${action} any more (${e.code}); stopping the sweep: no check can succeed`,
      fix,
      message: `${e.code} on ${action} (${service} ${version}): ${e.row.meaning}; ${fix}`,
    };
  }
  return null;
}
