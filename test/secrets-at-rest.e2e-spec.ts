import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM } from '@mikro-orm/postgresql';
import { loadDspConfig } from '@opendsp/config';
import { OmronTokens } from '@opendsp/tokens';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { seedDemo } from '../apps/dsp/src/local/demo-seed.js';
import { sandboxOrmConfig } from '../apps/omron-sandbox/src/database/sandbox-orm.config.js';
import { ensureSandboxUser } from '../apps/omron-sandbox/src/users/sandbox-users.js';
import { adminQuery, createTestDatabase, testServerUrl, type TestDatabase } from './support/test-database.js';
import { testDspEnv } from './support/test-environment.js';

const CANARY = `CANARY${Date.now()}`;

/** Every row of every table the apps own, as text: what a dump of the data would contain. */
async function allRowsAsText(url: string): Promise<string> {
  const tables = await adminQuery<{ name: string }>(
    url,
    `select format('%I.%I', table_schema, table_name) as name from information_schema.tables
      where table_schema in ('public', 'omron_sandbox') and table_type = 'BASE TABLE'`,
  );
  let text = '';
  for (const { name } of tables) {
    const rows = await adminQuery<{ row: string }>(url, `select t::text as row from ${name} t`);
    text += rows.map((r) => r.row).join('\n');
  }
  return text;
}

describe('secrets at rest', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url }));
    app = await createDspApp(config);
    await app.init();
    await app.get(OmronTokens).connect({
      omronUserId: 'user-1',
      scopes: 'bloodpressure weight openid offline_access',
      redirectUri: 'http://127.0.0.1:3000/consent/callback',
      tokens: {
        accessToken: `${CANARY}-access`,
        refreshToken: `${CANARY}-refresh`,
        idToken: `${CANARY}-id`,
        expiresInSeconds: 3600,
        requestedAt: new Date(),
      },
    });
    await seedDemo(config, `${CANARY}-admin-password`);
    const sandbox = await MikroORM.init(sandboxOrmConfig(database.settings));
    await ensureSandboxUser(sandbox.em.fork(), 'canary@sandbox.test', `${CANARY}-sandbox-password`);
    await sandbox.close(true);
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('keeps tokens usable through the token store', async () => {
    const connection = await adminQuery<{ id: string }>(database.settings.url, `select id from omron_connection`);
    await expect(app.get(OmronTokens).accessToken(connection[0].id)).resolves.toBe(`${CANARY}-access`);
  });

  it('leaves no token or password in a dump of the database', async () => {
    // Against a PostgreSQL server, pg_dump itself; the embedded database is newer than the machine's pg_dump,
    // so there every row of every table is read out as text instead.
    const dump = testServerUrl()
      ? (await promisify(execFile)('pg_dump', ['--no-owner', database.settings.url], { maxBuffer: 64 * 1024 * 1024 })).stdout
      : await allRowsAsText(database.settings.url);
    expect(dump).toContain('user-1'); // the dump does contain the rows
    expect(dump).not.toContain(CANARY);
  });
});
