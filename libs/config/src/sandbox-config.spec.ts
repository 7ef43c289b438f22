import { ConfigValidationError, loadSandboxConfig } from '@opendsp/config';
import { testSandboxEnv } from '../../../test/support/test-environment.js';

describe('loadSandboxConfig', () => {
  it('builds the sandbox configuration', () => {
    const config = loadSandboxConfig(testSandboxEnv({ SANDBOX_PUBLIC_URL: 'http://127.0.0.1:3100/' }));
    expect(config.http).toEqual({ host: '127.0.0.1', port: 3100, publicUrl: 'http://127.0.0.1:3100' });
  });

  it.each([
    ['SANDBOX_PUBLIC_URL', 'localhost:3100', 'SANDBOX_PUBLIC_URL: must be an absolute http(s) URL'],
    ['SANDBOX_PUBLIC_URL', undefined, 'SANDBOX_PUBLIC_URL: must be an absolute http(s) URL'],
    ['SANDBOX_PORT', '-1', 'SANDBOX_PORT: must be a port number'],
    ['SANDBOX_HOST', 'bad host', 'SANDBOX_HOST: must be an IP address or host name'],
    ['DATABASE_URL', undefined, 'DATABASE_URL: required'],
  ])('rejects %s=%s with a clear message', (name, value, message) => {
    expect(() => loadSandboxConfig(testSandboxEnv({ [name]: value }))).toThrow(ConfigValidationError);
    expect(() => loadSandboxConfig(testSandboxEnv({ [name]: value }))).toThrow(message);
  });
});
