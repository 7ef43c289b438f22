import { MikroORM, type Options } from '@mikro-orm/postgresql';
import type { DatabaseSettings } from '@opendsp/config';
import { ormConfig } from '@opendsp/database';
import { AuthorizationCode } from '../oauth/authorization-code.entity.js';
import { OAuthGrant } from '../oauth/oauth-grant.entity.js';
import { OAuthToken } from '../oauth/oauth-token.entity.js';
import { SigningKey } from '../oauth/signing-key.entity.js';
import { RegisteredApp } from '../registered-apps/registered-app.entity.js';
import { Measurement } from '../measurements/measurement.entity.js';
import { UserPreferences } from '../measurements/user-preferences.entity.js';
import { Notification } from '../notifications/notification.entity.js';
import { StagingToolSession } from '../staging-tool/staging-tool-session.entity.js';
import { SandboxUser } from '../users/sandbox-user.entity.js';
import { SANDBOX_MIGRATIONS } from './migrations/index.js';

export const SANDBOX_ENTITIES = [
  SandboxUser,
  RegisteredApp,
  OAuthGrant,
  OAuthToken,
  AuthorizationCode,
  SigningKey,
  Measurement,
  UserPreferences,
  Notification,
  StagingToolSession,
];

/**
 * The sandbox's MikroORM configuration. Its tables live in the `omron_sandbox` schema, and so does its
 * migration table, so it can share a database with the platform without touching the platform's tables.
 */
export function sandboxOrmConfig(database: DatabaseSettings): Options {
  return ormConfig(database, {
    entities: SANDBOX_ENTITIES,
    migrationsList: SANDBOX_MIGRATIONS,
    migrationsFolder: 'apps/omron-sandbox/src/database/migrations',
    migrationsTable: 'omron_sandbox.mikro_orm_migrations',
    // The platform's tables live in `public`; the sandbox neither diffs nor drops them.
    foreignSchemas: ['public'],
  });
}

/** Brings the sandbox schema up to date; returns the names of the migrations applied now. */
export async function migrateSandboxDatabase(database: DatabaseSettings): Promise<string[]> {
  const orm = await MikroORM.init(sandboxOrmConfig(database));
  try {
    // The migration table lives in the sandbox schema, which must exist before the migrator looks for it.
    await orm.em.getConnection().execute('create schema if not exists "omron_sandbox"');
    return (await orm.migrator.up()).map((migration) => migration.name);
  } finally {
    await orm.close(true);
  }
}
