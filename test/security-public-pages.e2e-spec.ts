import { jest } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { AuthService, PasswordHasher } from '@opendsp/admin-auth';
import { loadDspConfig } from '@opendsp/config';
import { DSP_MIGRATIONS } from '@opendsp/database';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { ParticipantSignInService } from '../libs/consent/src/participant-sign-in.service.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './support/test-database.js';
import { testDspEnv } from './support/test-environment.js';

describe('public pages under pressure', () => {
  let database: TestDatabase;
  const apps: NestExpressApplication[] = [];
  const sql = <R extends Record<string, unknown> = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    adminQuery<R>(database.settings.url, text, params);

  async function platform(env: Record<string, string> = {}): Promise<NestExpressApplication> {
    const app = await createDspApp(loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, PROCESS_ROLE: 'web', ...env })), {
      shutdownHooks: false,
    });
    await app.init();
    apps.push(app);
    return app;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await database?.drop();
  });
  afterEach(() => jest.restoreAllMocks());

  it('limits requests to /consent/… per address, across web processes', async () => {
    const [first, second] = [
      await platform({ CONSENT_RATE_LIMIT_PER_MINUTE: '10' }),
      await platform({ CONSENT_RATE_LIMIT_PER_MINUTE: '10' }),
    ];
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 14; i++) {
      const response = await request((i % 2 === 0 ? first : second).getHttpServer()).get('/consent/start?group_id=NOSUCHGROUP1');
      statuses.push(response.status);
      if (response.status === 429) retryAfter ??= response.headers['retry-after'];
    }
    expect(statuses.slice(0, 10).every((status) => status !== 429)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // The portal is not counted against it.
    expect((await request(first.getHttpServer()).get('/login')).status).toBe(200);
  });

  it('checks the lockout before running argon2, for admins and participants', async () => {
    const app = await platform();
    await sql(
      `insert into login_throttle (key, failures, window_started_at, locked_until)
       values ('login:locked-admin', 5, now(), now() + interval '1 hour'), ('login:participant:locked-participant', 5, now(), now() + interval '1 hour')`,
    );
    const verify = jest.spyOn(PasswordHasher, 'verify');
    expect(await app.get(AuthService).signIn('locked-admin', 'any password at all', '192.0.2.10')).toEqual({ kind: 'failed' });
    const participants = app.get(ParticipantSignInService, { strict: false });
    expect(await participants.signIn('locked-participant', 'any password at all', '192.0.2.10')).toEqual({ kind: 'failed' });
    expect(verify).not.toHaveBeenCalled();
    // Not locked: the password is checked as usual.
    await participants.signIn('free-participant', 'any password at all', '192.0.2.11');
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('audits failed participant sign-ins with throttling: no more rows once the login ID is locked', async () => {
    const app = await platform({ LOGIN_MAX_FAILURES: '3' });
    const participants = app.get(ParticipantSignInService, { strict: false });
    for (let i = 0; i < 12; i++) expect(await participants.signIn('sprayed-login', `guess ${i}`, '192.0.2.20')).toEqual({ kind: 'failed' });
    const rows = await sql<{ action: string; n: string }>(
      `select action, count(*) as n from audit_event where actor_login = 'sprayed-login' group by action order by action`,
    );
    expect(rows).toEqual([
      { action: 'participant.locked_out', n: '1' },
      { action: 'participant.login_failed', n: '3' },
    ]);
  });

  it('tells callers outside the allowlist only up or down from /health/ready, never why', async () => {
    const outside = await platform({ DSP_ALLOWED_SOURCE_IPS: '203.0.113.0/24' });
    const up = await request(outside.getHttpServer()).get('/health/ready');
    expect([up.status, up.body]).toEqual([200, { status: 'ok' }]);

    const latest = DSP_MIGRATIONS.at(-1)!.name;
    await sql(`delete from mikro_orm_migrations where name = $1`, [latest]);
    try {
      const down = await request(outside.getHttpServer()).get('/health/ready');
      expect([down.status, down.body]).toEqual([503, { status: 'error' }]);
      expect(down.text).not.toContain(latest);
      // The allowlisted operator still sees which check failed.
      const inside = await platform();
      const detailed = await request(inside.getHttpServer()).get('/health/ready');
      expect(detailed.status).toBe(503);
      expect(detailed.body.error.migrations.message).toContain(latest);
    } finally {
      await sql(`insert into mikro_orm_migrations (name, executed_at) values ($1, now())`, [latest]);
    }
  });
});
