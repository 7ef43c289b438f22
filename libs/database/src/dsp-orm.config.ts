import type { Options } from '@mikro-orm/postgresql';
import type { DatabaseSettings } from '@opendsp/config';
import { DSP_ENTITIES } from './dsp.entities.js';
import { DSP_MIGRATIONS } from './migrations/index.js';
import { ormConfig } from './orm-config.helpers.js';

/** The platform's MikroORM configuration, shared by the app, `npm run migrate`, the MikroORM CLI and tests. */
export function dspOrmConfig(database: DatabaseSettings): Options {
  return ormConfig(database, {
    entities: DSP_ENTITIES,
    migrationsList: DSP_MIGRATIONS,
    migrationsFolder: 'libs/database/src/migrations',
    migrationsTable: 'mikro_orm_migrations',
    // The OMRON sandbox may share the database; its schema is not ours to diff or drop. Nor is pg-boss's
    // job queue schema, which pg-boss creates and migrates itself (libs/sync).
    foreignSchemas: ['omron_sandbox', 'pgboss'],
  });
}
