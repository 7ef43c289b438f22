import { ConfigValidationError, loadDspConfig, OMRON_HOSTS } from '@opendsp/config';
import { testDspEnv } from '../../../test/support/test-environment.js';

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadDspConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loadDspConfig', () => {
  it('builds the typed configuration from a valid environment', () => {
    const config = loadDspConfig(testDspEnv());
    expect(config.environment).toEqual({
      type: 'staging',
      id: 'test',
      region: { id: 'east-asia', name: 'East Asia' },
      countries: [
        { code: 'JP', name: 'Japan' },
        { code: 'KR', name: 'Korea' },
      ],
      language: 'ja',
      timezone: 'Asia/Tokyo',
      partnerName: 'Test Partner',
      partnerAdmin: { name: 'Test Admin', id: 'test-admin', email: 'admin@example.test' },
      allowedSourceIps: ['127.0.0.1/32', '203.0.113.0/24'],
      dataTransferMethods: ['api', 'csv'],
    });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 3000, publicBaseUrl: 'http://127.0.0.1:3000' });
    expect(config.processRole).toBe('all');
    expect(config.workerNice).toBe(0);
    expect(loadDspConfig(testDspEnv({ WORKER_NICE: '10' })).workerNice).toBe(10);
    expect(config.api).toEqual({ accessTokenTtlSeconds: 900, rateLimitPerMinute: 600 });
  });

  it('defaults the OMRON hosts to those of the environment type in the Partner API spec', () => {
    expect(loadDspConfig(testDspEnv()).omron).toMatchObject({
      websiteUrl: 'https://stg-oauth-website.ohiomron.com',
      apiUrl: 'https://stg-oauth.ohiomron.com/stg',
    });
    expect(loadDspConfig(testDspEnv({ DSP_ENVIRONMENT_TYPE: 'production' })).omron).toMatchObject({
      websiteUrl: OMRON_HOSTS.production.website,
      apiUrl: 'https://prd-oauth.ohiomron.com/prd',
    });
    expect(loadDspConfig(testDspEnv({ OMRON_OAUTH_API_URL: 'http://127.0.0.1:3100/stg/' })).omron.apiUrl).toBe('http://127.0.0.1:3100/stg');
  });

  it('verifies id_tokens against the API host unless told otherwise, and deletes data on withdrawal by default', () => {
    const config = loadDspConfig(testDspEnv({ OMRON_OAUTH_API_URL: 'http://127.0.0.1:3100/stg' }));
    expect(config.omron).toMatchObject({
      idTokenIssuer: 'http://127.0.0.1:3100/stg',
      jwksUrl: 'http://127.0.0.1:3100/stg/.well-known/jwks.json',
    });
    expect(config.withdrawal).toEqual({ keepsData: false });
    const custom = loadDspConfig(
      testDspEnv({
        OMRON_ID_TOKEN_ISSUER: 'https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example',
        OMRON_JWKS_URL: 'https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example/.well-known/jwks.json',
        WITHDRAWAL_KEEPS_DATA: 'true',
      }),
    );
    expect(custom.omron.idTokenIssuer).toBe('https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example');
    expect(custom.withdrawal.keepsData).toBe(true);
    expect(problemsOf(testDspEnv({ WITHDRAWAL_KEEPS_DATA: 'yes' }))).toEqual(['WITHDRAWAL_KEEPS_DATA: must be true or false']);
    expect(problemsOf(testDspEnv({ OMRON_JWKS_URL: 'ftp://x' }))).toEqual(['OMRON_JWKS_URL: must be an absolute http(s) URL']);
  });

  it.each([
    ['DSP_TIMEZONE', 'Mars/Olympus_Mons', 'DSP_TIMEZONE: "Mars/Olympus_Mons" is not an IANA time zone name'],
    ['DSP_TIMEZONE', '+09:00', 'is not an IANA time zone name'],
    ['DSP_COUNTRIES', 'JP,BR', 'DSP_COUNTRIES: BR not in region "east-asia"'],
    ['DSP_REGION', 'antarctica', 'DSP_REGION: must be one of latin-america, east-asia'],
    ['DSP_ALLOWED_SOURCE_IPS', '10.0.0.0/33', 'DSP_ALLOWED_SOURCE_IPS: not an IPv4 address or CIDR block'],
    [
      'DSP_ALLOWED_SOURCE_IPS',
      '10.0.0.1/8',
      'DSP_ALLOWED_SOURCE_IPS: not an IPv4 address or CIDR block with a clean network address: 10.0.0.1/8',
    ],
    ['DSP_ALLOWED_SOURCE_IPS', '2001:db8::/32', 'DSP_ALLOWED_SOURCE_IPS: not an IPv4 address'],
    ['DSP_ALLOWED_SOURCE_IPS', '256.1.1.1', 'DSP_ALLOWED_SOURCE_IPS'],
    ['DSP_ENVIRONMENT_TYPE', 'development', 'DSP_ENVIRONMENT_TYPE: must be one of staging, production'],
    ['DSP_ENVIRONMENT_ID', 'Prod_1', 'DSP_ENVIRONMENT_ID: 2-63 lower-case letters'],
    ['DSP_LANGUAGE', 'jp', 'DSP_LANGUAGE: must be one of ja, en'],
    ['DSP_DATA_TRANSFER_METHODS', 'api,ftp', 'DSP_DATA_TRANSFER_METHODS: must be one of api, sftp, csv'],
    ['DSP_PARTNER_ADMIN_EMAIL', 'not-an-address', 'DSP_PARTNER_ADMIN_EMAIL: must be an e-mail address'],
    ['PUBLIC_BASE_URL', 'example.com', 'PUBLIC_BASE_URL: must be an absolute http(s) URL'],
    ['PORT', '80a', 'PORT: must be a port number'],
    ['PROCESS_ROLE', 'scheduler', 'PROCESS_ROLE: must be one of web, worker, all'],
    ['WORKER_NICE', '-5', 'WORKER_NICE: must be a whole number from 0 (unchanged) to 19 (lowest CPU priority)'],
    ['WORKER_NICE', '20', 'WORKER_NICE: must be a whole number from 0 (unchanged) to 19 (lowest CPU priority)'],
    ['WORKER_NICE', 'low', 'WORKER_NICE: must be a whole number from 0 (unchanged) to 19 (lowest CPU priority)'],
    ['WORKER_NICE', '2.5', 'WORKER_NICE: must be a whole number from 0 (unchanged) to 19 (lowest CPU priority)'],
    ['OMRON_CLIENT_SECRET', 'short', 'OMRON_CLIENT_SECRET: too short to be a real secret'],
    ['DATABASE_URL', 'mysql://x', 'DATABASE_URL: must be a postgres:// or postgresql:// URL'],
    ['DATABASE_POOL_MAX', '0', 'DATABASE_POOL_MAX: must be between 1 and 100'],
    ['EMBEDDED_DB_PORT', '70000', 'EMBEDDED_DB_PORT: must be a port number'],
    ['NODE_ENV', 'staging', 'NODE_ENV: must be one of development, production, test'],
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL: must be one of fatal, error'],
    ['HOST', 'not a host!', 'HOST: must be an IP address or host name'],
    ['DSP_PARTNER_NAME', 'x'.repeat(201), 'DSP_PARTNER_NAME: at most 200 characters'],
    ['DSP_PARTNER_ADMIN_NAME', 'x'.repeat(201), 'DSP_PARTNER_ADMIN_NAME: at most 200 characters'],
    ['DSP_PARTNER_ADMIN_ID', 'a b', 'DSP_PARTNER_ADMIN_ID: 3-64 letters'],
    ['OMRON_OAUTH_WEBSITE_URL', 'ftp://omron', 'OMRON_OAUTH_WEBSITE_URL: must be an absolute http(s) URL'],
    ['OMRON_OAUTH_API_URL', '/stg', 'OMRON_OAUTH_API_URL: must be an absolute http(s) URL'],
    ['ENCRYPTION_KEYS', 'k1:c2hvcnQ=', 'ENCRYPTION_KEYS: entries "k1" are not id:base64 with a 32-byte key'],
    [
      'ENCRYPTION_KEYS',
      'test-key:dGVzdC1rZXktMzItYnl0ZXMtbG9uZy0wMTIzNDU2Nzg=,test-key:dGVzdC1rZXktMzItYnl0ZXMtbG9uZy0wMTIzNDU2Nzg=',
      'ENCRYPTION_KEYS: duplicate key IDs test-key',
    ],
    ['ENCRYPTION_ACTIVE_KEY_ID', 'k9', 'ENCRYPTION_ACTIVE_KEY_ID: "k9" is not one of the IDs in ENCRYPTION_KEYS (test-key)'],
    ['TOKEN_REFRESH_THRESHOLD_PERCENT', '95', 'TOKEN_REFRESH_THRESHOLD_PERCENT: must be between 1 and 90'],
    ['TOKEN_REFRESH_MIN_SECONDS', '-5', 'TOKEN_REFRESH_MIN_SECONDS: must be'],
    ['TOKEN_CLOCK_SKEW_SECONDS', '3600', 'TOKEN_CLOCK_SKEW_SECONDS: must be between 0 and 600'],
    ['TOKEN_REFRESHES_PER_MINUTE', '0', 'TOKEN_REFRESHES_PER_MINUTE: must be at least 1'],
    ['SESSION_IDLE_MINUTES', '2', 'SESSION_IDLE_MINUTES: must be between 5 and 1440'],
    ['SESSION_ABSOLUTE_HOURS', '200', 'SESSION_ABSOLUTE_HOURS: must be between 1 and 168'],
    ['LOGIN_MAX_FAILURES', '1', 'LOGIN_MAX_FAILURES: must be between 3 and 20'],
    ['LOGIN_LOCKOUT_MINUTES', '0', 'LOGIN_LOCKOUT_MINUTES: must be between 1 and 1440'],
    ['TRUST_PROXY', '10.0.0.0/40', 'TRUST_PROXY: not an IPv4 address or CIDR block'],
    ['SMTP_URL', 'http://mail', 'SMTP_URL: must be an smtp:// or smtps:// URL'],
    ['MAIL_FROM', 'nobody', 'MAIL_FROM: must be an e-mail address'],
    ['API_ACCESS_TOKEN_TTL_SECONDS', '30', 'API_ACCESS_TOKEN_TTL_SECONDS: must be between 60 and 86400'],
    ['API_RATE_LIMIT_PER_MINUTE', '0', 'API_RATE_LIMIT_PER_MINUTE: must be between 1 and 1000000'],
    ['SYNC_NOTIFICATION_BUDGET_SHARE', '0.95', 'SYNC_NOTIFICATION_BUDGET_SHARE: must be a number between 0 and 0.9'],
    ['SYNC_NOTIFICATION_BUDGET_SHARE', 'half', 'SYNC_NOTIFICATION_BUDGET_SHARE: must be a number between 0 and 0.9'],
  ])('rejects %s=%s with a clear message', (name, value, message) => {
    const problems = problemsOf(testDspEnv({ [name]: value }));
    expect(problems).toEqual([expect.stringContaining(message)]);
  });

  it('never echoes key material in its messages', () => {
    const problems = problemsOf(testDspEnv({ ENCRYPTION_KEYS: 'k1:c2VjcmV0LWtleS1tYXRlcmlhbA==' }));
    expect(problems.join('\n')).not.toContain('c2VjcmV0LWtleS1tYXRlcmlhbA');
  });

  it('refuses a production environment without its encryption keys', () => {
    const problems = problemsOf(testDspEnv({ DSP_ENVIRONMENT_TYPE: 'production', ENCRYPTION_KEYS: undefined }));
    expect(problems).toEqual([expect.stringContaining('ENCRYPTION_KEYS: required')]);
  });

  it('refuses a production environment without its OMRON secret, and never invents one', () => {
    const problems = problemsOf(testDspEnv({ DSP_ENVIRONMENT_TYPE: 'production', OMRON_CLIENT_SECRET: undefined }));
    expect(problems).toEqual([expect.stringContaining('OMRON_CLIENT_SECRET: required')]);
  });

  it.each([
    'DSP_ENVIRONMENT_TYPE',
    'DSP_ENVIRONMENT_ID',
    'DSP_REGION',
    'DSP_LANGUAGE',
    'DSP_PARTNER_NAME',
    'DSP_PARTNER_ADMIN_EMAIL',
    'DSP_ALLOWED_SOURCE_IPS',
    'DSP_DATA_TRANSFER_METHODS',
    'PUBLIC_BASE_URL',
    'OMRON_CLIENT_ID',
  ])('requires %s', (name) => {
    expect(problemsOf(testDspEnv({ [name]: undefined }))).toEqual([expect.stringMatching(new RegExp(`^${name}: `))]);
  });

  it('names a missing required variable', () => {
    expect(problemsOf(testDspEnv({ DSP_COUNTRIES: undefined }))).toEqual([expect.stringContaining('DSP_COUNTRIES: required')]);
    expect(problemsOf(testDspEnv({ DSP_TIMEZONE: undefined }))).toEqual([expect.stringContaining('DSP_TIMEZONE')]);
  });

  it('lists every bad variable in one error', () => {
    const problems = problemsOf(
      testDspEnv({ DSP_TIMEZONE: 'Nowhere', DSP_COUNTRIES: 'US', OMRON_CLIENT_ID: undefined, DATABASE_URL: undefined }),
    );
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'DATABASE_URL',
      'DSP_COUNTRIES',
      'DSP_TIMEZONE',
      'OMRON_CLIENT_ID',
    ]);
  });

  describe('in production (closed by default)', () => {
    /** A production environment that satisfies every production rule; each test takes one away. */
    const production = (overrides: Record<string, string | undefined> = {}) =>
      testDspEnv({
        NODE_ENV: 'production',
        PUBLIC_BASE_URL: 'https://dsp.example.com',
        NOTIFICATION_SHARED_SECRET: 'notification-secret-0123456789',
        SMTP_URL: 'smtps://user:password@mail.example.com:465',
        ...overrides,
      });

    it('starts with a secret or a sender allowlist for notifications, https addresses and SMTP', () => {
      expect(loadDspConfig(production()).notifications).toMatchObject({ explicitlyOpen: false });
      const fenced = loadDspConfig(
        production({ NOTIFICATION_SHARED_SECRET: undefined, NOTIFICATION_ALLOWED_SOURCE_IPS: '198.51.100.0/28' }),
      );
      expect(fenced.notifications.allowedSourceIps).toEqual(['198.51.100.0/28']);
    });

    it('refuses an unauthenticated Notification URI, naming the variables', () => {
      expect(problemsOf(production({ NOTIFICATION_SHARED_SECRET: undefined }))).toEqual([
        expect.stringMatching(/^NOTIFICATION_SHARED_SECRET or NOTIFICATION_ALLOWED_SOURCE_IPS: .*NOTIFICATION_AUTH=none/),
      ]);
    });

    it('accepts NOTIFICATION_AUTH=none as an explicit choice, and remembers it for the environment page', () => {
      const config = loadDspConfig(production({ NOTIFICATION_SHARED_SECRET: undefined, NOTIFICATION_AUTH: 'none' }));
      expect(config.notifications.explicitlyOpen).toBe(true);
      expect(problemsOf(testDspEnv({ NOTIFICATION_AUTH: 'off' }))).toEqual(['NOTIFICATION_AUTH: must be none, or unset']);
    });

    it.each([
      ['PUBLIC_BASE_URL', 'http://dsp.example.com'],
      ['OMRON_OAUTH_WEBSITE_URL', 'http://omron.example.com'],
      ['OMRON_OAUTH_API_URL', 'http://omron-sandbox:3100/stg'],
      ['OMRON_ID_TOKEN_ISSUER', 'http://issuer.example.com'],
      ['OMRON_JWKS_URL', 'http://issuer.example.com/jwks.json'],
    ])('refuses cleartext %s', (name, url) => {
      expect(problemsOf(production({ [name]: url }))).toEqual([`${name}: must be an https:// URL in production`]);
    });

    it('allows plain http to loopback addresses, for tests and a local sandbox', () => {
      const config = loadDspConfig(
        production({
          PUBLIC_BASE_URL: 'http://127.0.0.1:3000',
          OMRON_OAUTH_API_URL: 'http://localhost:3100/stg',
          OMRON_JWKS_URL: 'http://[::1]:3100/j',
        }),
      );
      expect(config.omron.apiUrl).toBe('http://localhost:3100/stg');
    });

    it('refuses to run without SMTP_URL unless MAIL_OUTBOX_ONLY=true', () => {
      expect(problemsOf(production({ SMTP_URL: undefined }))).toEqual([
        expect.stringMatching(/^SMTP_URL: required in production .*MAIL_OUTBOX_ONLY=true/),
      ]);
      expect(loadDspConfig(production({ SMTP_URL: undefined, MAIL_OUTBOX_ONLY: 'true' })).mail.outboxOnly).toBe(true);
    });

    it('refuses to serve SFTP retrieval without a host key file, and leaves the server off by default', () => {
      expect(loadDspConfig(production()).exports.retrieval.serverPort).toBeNull();
      expect(problemsOf(production({ SFTP_SERVER_PORT: '2222' }))).toEqual([
        expect.stringMatching(/^SFTP_SERVER_HOST_KEY_FILE: required in production/),
      ]);
      const config = loadDspConfig(production({ SFTP_SERVER_PORT: '2222', SFTP_SERVER_HOST_KEY_FILE: '/srv/opendsp/sftp_host_key' }));
      expect(config.exports.retrieval).toMatchObject({ serverPort: 2222, hostKeyFile: '/srv/opendsp/sftp_host_key', retentionDays: 30 });
      expect(problemsOf(testDspEnv({ SFTP_SERVER_PORT: '70000', EXPORT_RETRIEVAL_RETENTION_DAYS: '0' }))).toEqual([
        'SFTP_SERVER_PORT: must be between 1 and 65535',
        'EXPORT_RETRIEVAL_RETENTION_DAYS: must be between 1 and 3650',
      ]);
    });

    it('names every missing production setting in one error, beside other bad variables', () => {
      const problems = problemsOf(
        testDspEnv({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'http://dsp.example.com', DSP_TIMEZONE: 'Nowhere' }),
      );
      expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
        'DSP_TIMEZONE',
        'NOTIFICATION_SHARED_SECRET or NOTIFICATION_ALLOWED_SOURCE_IPS',
        'PUBLIC_BASE_URL',
        'SMTP_URL',
      ]);
    });

    it('is also what an unset NODE_ENV means', () => {
      expect(problemsOf(production({ NODE_ENV: undefined, SMTP_URL: undefined }))).toEqual([expect.stringMatching(/^SMTP_URL: /)]);
    });

    it('leaves development and tests open', () => {
      expect(loadDspConfig(testDspEnv({ NODE_ENV: 'development' })).notifications.sharedSecret).toBeUndefined();
    });
  });

  it('treats empty variables as unset, so blank lines in .env fall back to defaults', () => {
    expect(loadDspConfig(testDspEnv({ PORT: '', PROCESS_ROLE: '' })).http.port).toBe(3000);
  });
});
