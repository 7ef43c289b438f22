import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { DatabaseSettings } from '@opendsp/config';

/** What differs between the platform's and the sandbox's MikroORM setups. */
export interface OrmConfigParts {
  entities: NonNullable<Options['entities']>;
  migrationsList: NonNullable<NonNullable<Options['migrations']>['migrationsList']>;
  /** Source folder of the migrations, for `mikro-orm migration:create`; running them uses the list. */
  migrationsFolder: string;
  migrationsTable: string;
  /** Schemas owned by the other app sharing the database: never diffed or dropped. */
  foreignSchemas: string[];
}

/** One MikroORM configuration shape for both apps, their CLIs and tests. */
export function ormConfig(database: DatabaseSettings, parts: OrmConfigParts): Options {
  return defineConfig({
    clientUrl: database.url,
    pool: { min: 0, max: database.poolMax },
    entities: parts.entities,
    extensions: [Migrator],
    migrations: {
      migrationsList: parts.migrationsList,
      path: parts.migrationsFolder,
      pathTs: parts.migrationsFolder,
      tableName: parts.migrationsTable,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
      emit: 'ts',
    },
    schemaGenerator: { ignoreSchema: parts.foreignSchemas },
    forceUtcTimezone: true,
    ignoreUndefinedInQuery: true,
    allowGlobalContext: false,
  });
}
