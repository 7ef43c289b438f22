import { TEST_ENVIRONMENT } from './test-database.js';

/** A complete, valid platform environment for tests; override single variables per test. */
export function testDspEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    PROCESS_ROLE: 'all',
    LOG_LEVEL: 'silent',
    PUBLIC_BASE_URL: 'http://127.0.0.1:3000',
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/unused',
    DSP_ENVIRONMENT_TYPE: TEST_ENVIRONMENT.type,
    DSP_ENVIRONMENT_ID: TEST_ENVIRONMENT.id,
    DSP_REGION: 'east-asia',
    DSP_COUNTRIES: 'JP,KR',
    DSP_LANGUAGE: 'ja',
    DSP_TIMEZONE: 'Asia/Tokyo',
    DSP_PARTNER_NAME: 'Test Partner',
    DSP_PARTNER_ADMIN_NAME: 'Test Admin',
    DSP_PARTNER_ADMIN_ID: 'test-admin',
    DSP_PARTNER_ADMIN_EMAIL: 'admin@example.test',
    DSP_ALLOWED_SOURCE_IPS: '127.0.0.1/32,203.0.113.0/24',
    DSP_DATA_TRANSFER_METHODS: 'api,csv',
    OMRON_CLIENT_ID: 'test-client',
    OMRON_CLIENT_SECRET: 'test-client-secret-0123456789abcdef',
    // A fixed test key; real keys come from `openssl rand -base64 32`.
    ENCRYPTION_KEYS: 'test-key:dGVzdC1rZXktMzItYnl0ZXMtbG9uZy0wMTIzNDU2Nzg=',
    ENCRYPTION_ACTIVE_KEY_ID: 'test-key',
    // A test file drives many consent flows from 127.0.0.1 within a minute; the limit has its own test.
    CONSENT_RATE_LIMIT_PER_MINUTE: '1000000',
    ...overrides,
  };
}

/** A complete, valid sandbox environment for tests. */
export function testSandboxEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SANDBOX_PUBLIC_URL: 'http://127.0.0.1:3100',
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/unused',
    ...overrides,
  };
}

/**
 * What a test that runs the platform with NODE_ENV=production adds, since production refuses to start without
 * an authenticated Notification URI and without SMTP (docs/security.md).
 */
export const TEST_PRODUCTION_SETTINGS: Record<string, string> = {
  NODE_ENV: 'production',
  NOTIFICATION_SHARED_SECRET: 'test-notification-secret-0123456789',
  MAIL_OUTBOX_ONLY: 'true',
};
