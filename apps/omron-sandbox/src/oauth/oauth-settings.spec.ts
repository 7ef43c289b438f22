import { ConfigValidationError, loadSandboxConfig } from '@opendsp/config';
import { testSandboxEnv } from '../../../../test/support/test-environment.js';

describe('OAuth settings of the sandbox', () => {
  it('defaults to one-hour access tokens, rotation and reuse detection', () => {
    expect(loadSandboxConfig(testSandboxEnv()).oauth).toEqual({
      accessTokenTtlSeconds: 3600,
      refreshRotation: 'rotate',
      refreshReuseDetection: true,
      appsFile: undefined,
      // Answers as the spec's example by default: a Cognito-style pool issuer and an app client that is not ours.
      tokenProfile: 'spec-example',
      cognito: {
        poolId: 'us-west-2_SandboxPool',
        appClientId: '5andb0xapp0c1ient0000000000',
        issuer: 'http://127.0.0.1:3100/cognito-idp/us-west-2_SandboxPool',
      },
    });
    expect(loadSandboxConfig(testSandboxEnv()).adminToken).toBeUndefined();
  });

  it('reads every setting', () => {
    const config = loadSandboxConfig(
      testSandboxEnv({
        SANDBOX_ACCESS_TOKEN_TTL_SECONDS: '60',
        SANDBOX_REFRESH_ROTATION: 'keep',
        SANDBOX_REFRESH_REUSE_DETECTION: 'false',
        SANDBOX_APPS_FILE: 'apps.json',
        SANDBOX_ADMIN_TOKEN: 'an-admin-token-of-length',
      }),
    );
    expect(config.oauth).toEqual({
      accessTokenTtlSeconds: 60,
      refreshRotation: 'keep',
      refreshReuseDetection: false,
      appsFile: 'apps.json',
      tokenProfile: 'spec-example',
      cognito: expect.objectContaining({ poolId: 'us-west-2_SandboxPool' }),
    });
    expect(config.adminToken).toBe('an-admin-token-of-length');
  });

  it.each([
    ['SANDBOX_ACCESS_TOKEN_TTL_SECONDS', '0', 'SANDBOX_ACCESS_TOKEN_TTL_SECONDS: must be between 1 and 2592000'],
    ['SANDBOX_ACCESS_TOKEN_TTL_SECONDS', 'hour', 'SANDBOX_ACCESS_TOKEN_TTL_SECONDS: must be a whole number of seconds'],
    ['SANDBOX_REFRESH_ROTATION', 'sometimes', 'SANDBOX_REFRESH_ROTATION: must be one of rotate, keep'],
    ['SANDBOX_REFRESH_REUSE_DETECTION', 'yes', 'SANDBOX_REFRESH_REUSE_DETECTION: must be true or false'],
    ['SANDBOX_ADMIN_TOKEN', 'short', 'SANDBOX_ADMIN_TOKEN: must be at least 16 characters'],
  ])('rejects %s=%s with a clear message', (name, value, message) => {
    expect(() => loadSandboxConfig(testSandboxEnv({ [name]: value }))).toThrow(ConfigValidationError);
    expect(() => loadSandboxConfig(testSandboxEnv({ [name]: value }))).toThrow(message);
  });
});
