import type { Server } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM } from '@mikro-orm/postgresql';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { loadDspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { createDspApp } from '../../apps/dsp/src/bootstrap.js';
import { PortalTestClient } from '../../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './test-database.js';
import { testDspEnv } from './test-environment.js';

/** The platform on a database of its own, with a partner admin signed in through the portal (English pages). */
export interface SignedInPortal {
  database: TestDatabase;
  app: NestExpressApplication;
  server: Server;
  admin: PortalTestClient;
  sql(text: string, params?: unknown[]): Promise<unknown[]>;
  close(): Promise<void>;
}

/** `env` overrides single variables of the test environment (e.g. a setting under test). */
export async function startSignedInPortal(loginId: string, password: string, env: Record<string, string> = {}): Promise<SignedInPortal> {
  const database = await createTestDatabase();
  const app = await createDspApp(loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, DSP_LANGUAGE: 'en', ...env })));
  await app.init();
  const server = app.getHttpServer() as Server;
  const orm = await MikroORM.init(dspOrmConfig(database.settings));
  const account = new AdminAccount(loginId, `Admin ${loginId}`, `${loginId}@example.test`, 'partner-admin');
  account.passwordHash = await PasswordHasher.hash(password);
  await orm.em.fork().persist(account).flush();
  await orm.close(true);
  const admin = new PortalTestClient(server);
  const signIn = await admin.signIn(loginId, password);
  if (signIn.status !== 303) throw new Error(`sign-in of ${loginId} answered ${signIn.status}`);
  await admin.get('/');
  return {
    database,
    app,
    server,
    admin,
    sql: (text, params = []) => adminQuery(database.settings.url, text, params),
    async close() {
      await app.close();
      await database.drop();
    },
  };
}
