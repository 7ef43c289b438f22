import type { NestExpressApplication } from '@nestjs/platform-express';
import { SchedulerRegistry } from '@nestjs/schedule';
import request from 'supertest';
import { loadDspConfig, loadSandboxConfig } from '@opendsp/config';
import { DSP_MIGRATIONS, EnvironmentMismatchError } from '@opendsp/database';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { createSandboxApp } from '../apps/omron-sandbox/src/bootstrap.js';
import { adminQuery, createTestDatabase, testServerUrl, type TestDatabase } from './support/test-database.js';
import { testDspEnv, testSandboxEnv } from './support/test-environment.js';

describe('platform and sandbox apps', () => {
  let database: TestDatabase;
  const apps: NestExpressApplication[] = [];

  const dsp = async (overrides: Record<string, string> = {}) => {
    const app = await createDspApp(loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, ...overrides })));
    apps.push(app);
    await app.init();
    return app;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  // Each test's apps close when it ends: the embedded database serves 40 connections, which a file's worth of
  // apps, each with its pools, would pass.
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });
  afterAll(() => database.drop());

  it('answer liveness and readiness on both apps', async () => {
    const platform = await dsp();
    const sandbox = await createSandboxApp(loadSandboxConfig(testSandboxEnv({ DATABASE_URL: database.settings.url })));
    apps.push(sandbox);
    await sandbox.init();
    for (const app of [platform, sandbox]) {
      await request(app.getHttpServer()).get('/health').expect(200, { status: 'ok', info: {}, error: {}, details: {} });
      const ready = await request(app.getHttpServer()).get('/health/ready').expect(200);
      expect(ready.body.info).toMatchObject({ database: { status: 'up' }, migrations: { status: 'up', pending: 0 } });
    }
  });

  it('sends the front page to sign-in, which shows the environment type, region and timezone', async () => {
    const server = (await dsp()).getHttpServer();
    await request(server).get('/').expect(303).expect('Location', '/login?next=%2F');
    const page = await request(server).get('/login').expect(200);
    expect(page.text).toContain('<strong>STAGING</strong>');
    expect(page.text).toContain('East Asia: Japan, Korea');
    expect(page.text).toContain('Asia/Tokyo');
    await request(server)
      .get('/static/portal.css')
      .expect(200)
      .expect('Content-Type', /text\/css/);
  });

  it('serves pages only in the web roles; a worker answers health probes only', async () => {
    const worker = await dsp({ PROCESS_ROLE: 'worker' });
    await request(worker.getHttpServer()).get('/login').expect(404);
    await request(worker.getHttpServer()).get('/health').expect(200);
    await request((await dsp({ PROCESS_ROLE: 'web' })).getHttpServer())
      .get('/login')
      .expect(200);
  });

  it('runs the token refresh job in worker roles only', async () => {
    const worker = await dsp({ PROCESS_ROLE: 'worker' });
    expect(worker.get(SchedulerRegistry).getIntervals()).toContain('token-refresh');
    const web = await dsp({ PROCESS_ROLE: 'web' });
    expect(() => web.get(SchedulerRegistry)).toThrow();
  });

  it('refuses to start against the database of another environment', async () => {
    await expect(dsp({ DSP_ENVIRONMENT_ID: 'someone-else' })).rejects.toThrow(EnvironmentMismatchError);
    await expect(dsp({ DSP_ENVIRONMENT_TYPE: 'production' })).rejects.toThrow(/belongs to the staging environment "test"/);
  });

  it('reports not ready while a migration is pending', async () => {
    const platform = await dsp();
    const latest = DSP_MIGRATIONS.at(-1)!.name;
    await adminQuery(database.settings.url, `delete from mikro_orm_migrations where name = $1`, [latest]);
    const ready = await request(platform.getHttpServer()).get('/health/ready').expect(503);
    expect(ready.body.error.migrations).toMatchObject({ status: 'down', message: expect.stringContaining(latest) });
    await adminQuery(database.settings.url, `insert into mikro_orm_migrations (name, executed_at) values ($1, now())`, [latest]);
    await request(platform.getHttpServer()).get('/health/ready').expect(200);
  });

  // PGlite serves every connection from one session, so on the embedded database there is no backend to
  // terminate and the claim could not fail: it runs against a PostgreSQL server only, and says so by its name.
  (testServerUrl() ? it : it.skip)('survives the database dropping its connections (PostgreSQL server only)', async () => {
    const platform = await dsp();
    await request(platform.getHttpServer()).get('/health/ready').expect(200);
    // What a database restart looks like to the pool: every server-side connection is gone.
    const terminated = await adminQuery<{ terminated: boolean }>(
      database.settings.url,
      `select pg_terminate_backend(pid) as terminated from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
    );
    expect(terminated.filter((row) => row.terminated).length).toBeGreaterThan(0);
    // The pool finds its dead connections one failed query at a time; it must recover, not stay broken.
    let status = 0;
    for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
      status = (await request(platform.getHttpServer()).get('/health/ready')).status;
    }
    expect(status).toBe(200);
  });
});
