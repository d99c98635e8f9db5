import { nextCronTime, parseScfCron } from '../../dev/cron';

describe('local runner cron (SCF 7-field)', () => {
  test('every minute fires at second 0 of the next minute', () => {
    const next = nextCronTime(parseScfCron('0 */1 * * * * *'), new Date(2026, 10, 25, 10, 0, 30));
    expect(next).toEqual(new Date(2026, 10, 25, 10, 1, 0));
  });

  test('every 10 seconds fires on the next multiple of 10', () => {
    expect(nextCronTime(parseScfCron('*/10 * * * * * *'), new Date(2026, 0, 1, 0, 0, 10)).getSeconds()).toBe(20);
  });

  test('lists and ranges are honoured', () => {
    const cron = parseScfCron('0 0 9-17 * * 1,2,3,4,5 *');
    const next = nextCronTime(cron, new Date(2026, 10, 28, 12, 0, 0)); // a Saturday
    expect([next.getDay(), next.getHours()]).toEqual([1, 9]);
  });

  test('a 5-field cron is refused with the expected form', () => {
    expect(() => parseScfCron('*/1 * * * *')).toThrow(/7-field SCF cron/);
  });
});
