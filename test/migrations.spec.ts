import { MikroORM } from '@mikro-orm/postgresql';
import { dspOrmConfig, migrateDspDatabase, DSP_MIGRATIONS } from '@opendsp/database';
import { SANDBOX_MIGRATIONS } from '../apps/omron-sandbox/src/database/migrations/index.js';
import { migrateSandboxDatabase, sandboxOrmConfig } from '../apps/omron-sandbox/src/database/sandbox-orm.config.js';
import { createTestDatabase, TEST_ENVIRONMENT, type TestDatabase } from './support/test-database.js';

async function tablesIn(orm: MikroORM, schema: string): Promise<string[]> {
  const rows = await orm.em
    .getConnection()
    .execute<{ table_name: string }[]>(`select table_name from information_schema.tables where table_schema = ? order by table_name`, [
      schema,
    ]);
  return rows.map((row) => row.table_name);
}

describe('migrations', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false });
  });
  afterAll(() => database.drop());

  it('run up from an empty database, match the entities exactly, and run down again', async () => {
    const applied = await migrateDspDatabase(database.settings, TEST_ENVIRONMENT);
    expect(applied).toEqual(DSP_MIGRATIONS.map((migration) => migration.name));
    expect(await migrateSandboxDatabase(database.settings)).toEqual(SANDBOX_MIGRATIONS.map((migration) => migration.name));

    const dsp = await MikroORM.init(dspOrmConfig(database.settings));
    const sandbox = await MikroORM.init(sandboxOrmConfig(database.settings));
    try {
      // The hand-written SQL and the entity metadata describe the same schema.
      expect(await dsp.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
      expect(await sandbox.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
      expect(await tablesIn(dsp, 'public')).toEqual(
        expect.arrayContaining([
          'admin_account',
          'admin_session',
          'admin_token',
          'audit_event',
          'environment_stamp',
          'group_admin_membership',
          'group_redirect_url',
          'login_throttle',
          'mail_outbox',
          'omron_connection',
          'omron_connection_event',
          'program_group',
        ]),
      );
      expect(await tablesIn(dsp, 'omron_sandbox')).toEqual(
        expect.arrayContaining([
          'measurement',
          'mikro_orm_migrations',
          'notification',
          'oauth_authorization_code',
          'oauth_grant',
          'oauth_signing_key',
          'oauth_token',
          'registered_app',
          'sandbox_user',
          'sandbox_user_preference',
          'staging_tool_session',
        ]),
      );

      expect(await dsp.migrator.getPending()).toEqual([]);
      await dsp.migrator.down({ to: 0 });
      await sandbox.migrator.down({ to: 0 });
      expect(await tablesIn(dsp, 'public')).toEqual(['mikro_orm_migrations']);
      expect(await tablesIn(dsp, 'omron_sandbox')).toEqual(['mikro_orm_migrations']);
      expect(await dsp.migrator.getPending()).toHaveLength(DSP_MIGRATIONS.length);
    } finally {
      await dsp.close(true);
      await sandbox.close(true);
    }
  });
});
