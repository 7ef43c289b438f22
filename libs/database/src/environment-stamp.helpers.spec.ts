import { MikroORM } from '@mikro-orm/postgresql';
import { assertEnvironmentStamp, dspOrmConfig, EnvironmentMismatchError, EnvironmentStamp, migrateDspDatabase } from '@opendsp/database';
import { createTestDatabase, TEST_ENVIRONMENT, type TestDatabase } from '../../../test/support/test-database.js';

describe('environment stamp', () => {
  let database: TestDatabase;
  let orm: MikroORM;

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false });
  });
  afterAll(async () => {
    await orm?.close(true);
    await database.drop();
  });

  it('is written by the first migration with the environment type and ID', async () => {
    await migrateDspDatabase(database.settings, { type: 'production', id: 'acme-prod' });
    orm = await MikroORM.init(dspOrmConfig(database.settings));
    const stamp = await orm.em.fork().findOneOrFail(EnvironmentStamp, { id: 1 });
    expect(stamp).toMatchObject({ environmentType: 'production', environmentId: 'acme-prod' });
    await expect(assertEnvironmentStamp(orm.em, { type: 'production', id: 'acme-prod' })).resolves.toBeUndefined();
  });

  it.each([
    ['another type', { type: 'staging', id: 'acme-prod' }],
    ['another ID', { type: 'production', id: 'acme-prod-2' }],
  ])('refuses a process configured with %s', async (_, identity) => {
    await expect(assertEnvironmentStamp(orm.em, identity)).rejects.toThrow(EnvironmentMismatchError);
    await expect(assertEnvironmentStamp(orm.em, identity)).rejects.toThrow(/belongs to the production environment "acme-prod"/);
  });

  it('refuses to migrate a database of another environment, and keeps its stamp', async () => {
    await expect(migrateDspDatabase(database.settings, TEST_ENVIRONMENT)).rejects.toThrow(EnvironmentMismatchError);
    const stamp = await orm.em.fork().findOneOrFail(EnvironmentStamp, { id: 1 });
    expect(stamp.environmentId).toBe('acme-prod');
  });

  it('allows only one stamp row', async () => {
    await expect(orm.em.getConnection().execute(`insert into environment_stamp values (2, 'staging', 'other', now())`)).rejects.toThrow(
      /check constraint/,
    );
  });
});
