import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM } from '@mikro-orm/postgresql';
import { AdminAccount, AdminAccountsService, PasswordHasher } from '@opendsp/admin-auth';
import { loadDspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { EXPIRED_LINK_BODY, Mailer } from '@opendsp/mail';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './support/test-database.js';
import { testDspEnv } from './support/test-environment.js';

describe('the mail outbox', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createDspApp(loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, PROCESS_ROLE: 'web' })), {
      shutdownHooks: false,
    });
    await app.init();
    const orm = await MikroORM.init(dspOrmConfig(database.settings));
    const admin = Object.assign(new AdminAccount('forgets-often', 'Forgets Often', 'forgets@example.test', 'viewer'), {
      passwordHash: await PasswordHasher.hash('an old passphrase here'),
    });
    await orm.em.fork().persist(admin).flush();
    await orm.close(true);
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('keeps a one-time link no longer than the link works', async () => {
    await app.get(AdminAccountsService).requestPasswordReset('forgets-often', '127.0.0.1');
    const [mail] = await adminQuery<{ text_body: string; link_expires_at: Date }>(
      database.settings.url,
      `select text_body, link_expires_at from mail_outbox`,
    );
    const [token] = await adminQuery<{ expires_at: Date }>(
      database.settings.url,
      `select expires_at from admin_token where purpose = 'reset'`,
    );
    expect(mail.text_body).toMatch(/\/password-reset\/[A-Za-z0-9_-]{20,}/);
    // The outbox forgets the link exactly when the link stops working.
    expect(mail.link_expires_at).toEqual(token.expires_at);

    const mailer = app.get(Mailer);
    expect(await mailer.purgeExpiredLinks(new Date(token.expires_at.getTime() - 1))).toBe(0);
    expect(await mailer.purgeExpiredLinks(token.expires_at)).toBe(1);
    const [after] = await adminQuery<{ text_body: string; link_expires_at: Date | null }>(
      database.settings.url,
      `select text_body, link_expires_at from mail_outbox`,
    );
    expect(after).toEqual({ text_body: EXPIRED_LINK_BODY, link_expires_at: null });
  });
});
