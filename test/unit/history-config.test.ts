// HISTORY_RETENTION and HISTORY_MAX: what the event history keeps, read with the one duration rule, both shared by
// the two functions (each appends events), every bad value named at start-up.
import { loadConfig, loadConfigWith } from '../../lib/config';
import { configProblems, TEST_CREDENTIALS } from '../helpers/config';

describe('HISTORY_RETENTION and HISTORY_MAX', () => {
  test('default to 7 days and 200,000 events', () => {
    expect(loadConfig(TEST_CREDENTIALS).history).toEqual({ retentionMs: 7 * 86_400_000, max: 200_000 });
  });

  test('are read in s, m, h, d and whole events', () => {
    expect(loadConfig({ ...TEST_CREDENTIALS, HISTORY_RETENTION: '36h', HISTORY_MAX: '20000' }).history).toEqual({ retentionMs: 36 * 3_600_000, max: 20_000 });
  });

  test('bad values are each named with what they must be, together', () => {
    expect(configProblems({ HISTORY_RETENTION: '30s', HISTORY_MAX: '0' })).toEqual([
      expect.stringMatching(/^HISTORY_RETENTION: must be a duration of at least 1m such as 7d/),
      expect.stringMatching(/^HISTORY_MAX: /),
    ]);
    expect(configProblems({ HISTORY_RETENTION: 'a week' })).toEqual([expect.stringMatching(/^HISTORY_RETENTION: must be a duration/)]);
  });

  test('both functions read them: a bad value stops the api function too', () => {
    expect(() => loadConfigWith({ ...TEST_CREDENTIALS, API_TOKENS: 'tok-aaaaaaaaaaaaaaaaaaaaaaaa', HISTORY_MAX: 'lots' }, [], { role: 'api' })).toThrow(/HISTORY_MAX/);
  });
});
