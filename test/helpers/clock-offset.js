// Preloaded into a child process (node --require) to set its clock TEST_CLOCK_OFFSET_MS off the machine's: Date.now()
// and new Date() read the shifted time; dates built from a value are left as they are. A machine whose clock is
// wrong, as far as the code in that process can tell.
'use strict';
const offset = Number(process.env.TEST_CLOCK_OFFSET_MS || 0);
const RealDate = Date;
class OffsetDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offset);
    else super(...args);
  }
  static now() {
    return RealDate.now() + offset;
  }
}
globalThis.Date = OffsetDate;
