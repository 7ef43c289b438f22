import { MikroORM } from '@mikro-orm/postgresql';
import type { DatabaseSettings } from '@opendsp/config';
import { dspOrmConfig } from './dsp-orm.config.js';
import { assertNotForeignEnvironment, stampEnvironment, type EnvironmentIdentity } from './environment-stamp.helpers.js';

/**
 * Brings the platform's schema up to date and stamps the database with its environment on the first
 * run. A database stamped for another environment is refused before any migration touches it.
 * @returns the names of the migrations applied now.
 */
export async function migrateDspDatabase(database: DatabaseSettings, identity: EnvironmentIdentity): Promise<string[]> {
  const orm = await MikroORM.init(dspOrmConfig(database));
  try {
    await assertNotForeignEnvironment(orm.em, identity);
    const applied = await orm.migrator.up();
    await stampEnvironment(orm.em, identity);
    return applied.map((migration) => migration.name);
  } finally {
    await orm.close(true);
  }
}
