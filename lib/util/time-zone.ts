// One rule for "is this a time zone": CHAT_TIMEZONE and the maintenance windows' zones both ask it.

/** Whether this runtime knows `zone` (an IANA name such as Asia/Shanghai, or UTC). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
