import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { DatabaseSettings } from '@opendsp/config';
import { DSP_ENTITIES } from './dsp-entities.js';
import { DSP_MIGRATIONS } from './migrations/index.js';

/** The platform's MikroORM configuration, shared by the app, `npm run migrate`, the MikroORM CLI and tests. */
export function dspOrmConfig(database: DatabaseSettings): Options {
  return defineConfig({
    clientUrl: database.url,
    pool: { min: 0, max: database.poolMax },
    entities: DSP_ENTITIES,
    extensions: [Migrator],
    migrations: {
      migrationsList: DSP_MIGRATIONS,
      // Only used by `migration:create` (developers); running migrations uses the list above.
      path: 'libs/database/src/migrations',
      pathTs: 'libs/database/src/migrations',
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
      emit: 'ts',
    },
    // The OMRON sandbox may share the database; its schema is not ours to diff or drop.
    schemaGenerator: { ignoreSchema: ['omron_sandbox'] },
    forceUtcTimezone: true,
    ignoreUndefinedInQuery: true,
    allowGlobalContext: false,
  });
}
