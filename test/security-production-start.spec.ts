import { readFileSync } from 'node:fs';
import { ConfigValidationError, loadDspConfig, loadSandboxConfig } from '@opendsp/config';

/** .env.example as a deployment would start from it (NODE_ENV=production), with only the secrets it leaves blank filled in. */
function exampleEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(new URL('../.env.example', import.meta.url), 'utf8').split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]] = match[2];
  }
  return {
    ...env,
    OMRON_CLIENT_ID: 'acme-app',
    OMRON_CLIENT_SECRET: 'a-real-looking-secret-0123456789',
    ENCRYPTION_KEYS: 'k1:dGVzdC1rZXktMzItYnl0ZXMtbG9uZy0wMTIzNDU2Nzg=',
    ENCRYPTION_ACTIVE_KEY_ID: 'k1',
  };
}

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('a production start from .env.example', () => {
  it('refuses, naming every setting production needs, in one error', () => {
    const env = exampleEnvironment();
    expect(env.NODE_ENV).toBe('production');
    expect(problemsOf(() => loadDspConfig(env)).map((problem) => problem.split(':')[0])).toEqual([
      'NOTIFICATION_SHARED_SECRET or NOTIFICATION_ALLOWED_SOURCE_IPS',
      'SMTP_URL',
    ]);
    expect(problemsOf(() => loadSandboxConfig(env)).map((problem) => problem.split(':')[0])).toEqual(['SANDBOX_ADMIN_TOKEN']);
  });

  it('starts once they are set', () => {
    const env = {
      ...exampleEnvironment(),
      NOTIFICATION_SHARED_SECRET: 'notification-secret-0123456789',
      SMTP_URL: 'smtps://dsp:password@mail.example.com:465',
      SANDBOX_ADMIN_TOKEN: 'sandbox-admin-token-0123456789',
    };
    expect(loadDspConfig(env).nodeEnv).toBe('production');
    expect(loadSandboxConfig(env).adminToken).toBe('sandbox-admin-token-0123456789');
  });
});
