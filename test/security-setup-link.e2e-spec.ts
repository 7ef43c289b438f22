import { jest } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { MikroORM } from '@mikro-orm/postgresql';
import { issueSetupLink } from '@opendsp/admin-auth';
import { loadDspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './support/test-database.js';
import { testDspEnv } from './support/test-environment.js';

describe('the first-run setup link', () => {
  let database: TestDatabase;
  let printed: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    printed = [];
    jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void printed.push(parts.join(' ')));
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await database?.drop();
  });

  /** Starts and stops a web process in development (which prints links), as a restart would. */
  async function startWebProcess(): Promise<NestExpressApplication> {
    const config = loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, NODE_ENV: 'development', PROCESS_ROLE: 'web' }));
    const app = await createDspApp(config, { shutdownHooks: false });
    await app.init();
    return app;
  }
  const links = () => printed.flatMap((text) => [...text.matchAll(/https?:\/\/\S+\/setup\/[A-Za-z0-9_-]+/g)].map((match) => match[0]));

  it('is printed once, when it is made, not again by a restart or another web process', async () => {
    const first = await startWebProcess();
    expect(links()).toHaveLength(1);
    const [second, third] = [await startWebProcess(), await startWebProcess()];
    expect(links()).toHaveLength(1);
    const path = new URL(links()[0]).pathname;
    expect((await request(first.getHttpServer()).get(path)).status).toBe(200);
    for (const app of [first, second, third]) await app.close();
  });

  it('is replaced by admin:setup-link, which voids the old one', async () => {
    const app = await startWebProcess();
    const oldPath = new URL(links()[0]).pathname;
    const config = loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url }));
    const orm = await MikroORM.init(dspOrmConfig(config.database));
    try {
      const { link } = await issueSetupLink(orm.em, config);
      const server = app.getHttpServer();
      expect((await request(server).get(oldPath)).status).toBe(404);
      expect((await request(server).get(new URL(link).pathname)).status).toBe(200);
      const [{ count }] = await adminQuery<{ count: string }>(
        database.settings.url,
        `select count(*) from audit_event where action = 'admin.setup_link_issued'`,
      );
      expect(count).toBe('2');
    } finally {
      await orm.close(true);
      await app.close();
    }
  });
});
