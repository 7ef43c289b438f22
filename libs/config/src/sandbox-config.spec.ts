import { ConfigValidationError, loadSandboxConfig } from '@opendsp/config';
import { testSandboxEnv } from '../../../test/support/test-environment.js';

describe('loadSandboxConfig', () => {
  it('builds the sandbox configuration', () => {
    const config = loadSandboxConfig(testSandboxEnv({ SANDBOX_PUBLIC_URL: 'http://127.0.0.1:3100/' }));
    expect(config.http).toEqual({ host: '127.0.0.1', port: 3100, publicUrl: 'http://127.0.0.1:3100' });
  });

  it('reads the OAuth, rate-limit and notification settings', () => {
    const config = loadSandboxConfig(
      testSandboxEnv({
        SANDBOX_REFRESH_ROTATION: 'omit',
        SANDBOX_REFRESH_REUSE_DETECTION: 'false',
        SANDBOX_NOTIFICATION_RETRY_SECONDS: '5, 30',
      }),
    );
    expect(config.oauth).toMatchObject({ accessTokenTtlSeconds: 3600, refreshRotation: 'omit', refreshReuseDetection: false });
    expect(config.notifications.retryDelaysSeconds).toEqual([5, 30]);
    expect(config.rateLimit.requestsPerMinute).toBe(60);
  });

  it('refuses to start in production without SANDBOX_ADMIN_TOKEN, naming it, since an empty token opens the admin API', () => {
    expect(() => loadSandboxConfig(testSandboxEnv({ NODE_ENV: 'production' }))).toThrow(/SANDBOX_ADMIN_TOKEN: required in production/);
    expect(() => loadSandboxConfig(testSandboxEnv({ NODE_ENV: undefined }))).toThrow(/SANDBOX_ADMIN_TOKEN/);
    const config = loadSandboxConfig(testSandboxEnv({ NODE_ENV: 'production', SANDBOX_ADMIN_TOKEN: 'sandbox-admin-token-0123456789' }));
    expect(config.adminToken).toBe('sandbox-admin-token-0123456789');
    expect(loadSandboxConfig(testSandboxEnv({ NODE_ENV: 'development' })).adminToken).toBeUndefined();
  });

  it.each([
    ['SANDBOX_PUBLIC_URL', 'localhost:3100', 'SANDBOX_PUBLIC_URL: must be an absolute http(s) URL'],
    ['SANDBOX_PUBLIC_URL', undefined, 'SANDBOX_PUBLIC_URL: must be an absolute http(s) URL'],
    ['SANDBOX_PORT', '-1', 'SANDBOX_PORT: must be a port number'],
    ['SANDBOX_HOST', 'bad host', 'SANDBOX_HOST: must be an IP address or host name'],
    ['DATABASE_URL', undefined, 'DATABASE_URL: required'],
    ['SANDBOX_ACCESS_TOKEN_TTL_SECONDS', '0', 'SANDBOX_ACCESS_TOKEN_TTL_SECONDS: must be between 1 and 2592000'],
    ['SANDBOX_REFRESH_ROTATION', 'sometimes', 'SANDBOX_REFRESH_ROTATION: must be one of rotate, keep, omit'],
    ['SANDBOX_REFRESH_REUSE_DETECTION', 'yes', 'SANDBOX_REFRESH_REUSE_DETECTION: must be true or false'],
    ['SANDBOX_ADMIN_TOKEN', 'short', 'SANDBOX_ADMIN_TOKEN: must be at least 16 characters'],
    ['SANDBOX_RATE_LIMIT_PER_MINUTE', '0', 'SANDBOX_RATE_LIMIT_PER_MINUTE: must be between 1 and 1000000'],
    ['SANDBOX_NOTIFICATION_RETRY_SECONDS', '10,soon', 'SANDBOX_NOTIFICATION_RETRY_SECONDS: comma-separated whole numbers'],
  ])('rejects %s=%s with a clear message', (name, value, message) => {
    expect(() => loadSandboxConfig(testSandboxEnv({ [name]: value }))).toThrow(ConfigValidationError);
    expect(() => loadSandboxConfig(testSandboxEnv({ [name]: value }))).toThrow(message);
  });
});
