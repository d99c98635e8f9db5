// CWP_API: which CWP API the bridge calls, and the endpoint it defaults to; a value it does not know, or the other
// API's endpoint, is named with the fix before anything runs.
import { loadConfig } from '../../lib/config';
import { configProblems, TEST_CREDENTIALS } from '../helpers/config';

describe('CWP_API', () => {
  test('unset is yunjing, on yunjing\'s endpoint', () => {
    expect(loadConfig(TEST_CREDENTIALS).cwp).toMatchObject({ api: 'yunjing', endpoint: 'https://yunjing.tencentcloudapi.com' });
  });

  test('cwp is the current API, on cwp.tencentcloudapi.com unless CWP_ENDPOINT says otherwise', () => {
    expect(loadConfig({ ...TEST_CREDENTIALS, CWP_API: 'cwp' }).cwp).toMatchObject({ api: 'cwp', endpoint: 'https://cwp.tencentcloudapi.com' });
    expect(loadConfig({ ...TEST_CREDENTIALS, CWP_API: 'cwp', CWP_ENDPOINT: 'http://127.0.0.1:9000/' }).cwp.endpoint).toBe('http://127.0.0.1:9000');
  });

  test('another value is refused, naming both', () => {
    expect(configProblems({ CWP_API: 'cwp2' })).toEqual(['CWP_API: must be yunjing (the frozen API, the default) or cwp (the current one)']);
  });

  test('the other API\'s endpoint in CWP_ENDPOINT is refused with the endpoint to use', () => {
    expect(configProblems({ CWP_API: 'cwp', CWP_ENDPOINT: 'https://yunjing.tencentcloudapi.com' })).toEqual([
      'CWP_ENDPOINT: https://yunjing.tencentcloudapi.com is the yunjing endpoint but CWP_API is cwp; use https://cwp.tencentcloudapi.com (or unset CWP_ENDPOINT), or set CWP_API=yunjing',
    ]);
    expect(configProblems({ CWP_ENDPOINT: 'https://cwp.tencentcloudapi.com' })).toEqual([
      'CWP_ENDPOINT: https://cwp.tencentcloudapi.com is the cwp endpoint but CWP_API is yunjing; use https://yunjing.tencentcloudapi.com (or unset CWP_ENDPOINT), or set CWP_API=cwp',
    ]);
  });

  test('both functions read it: the api function answers live status through the same API', () => {
    expect(loadConfig({ ...TEST_CREDENTIALS, CWP_API: 'cwp', API_TOKENS: 'a-token-of-enough-length' }, { role: 'api' }).cwp.api).toBe('cwp');
  });
});
