import 'reflect-metadata';
import { ConfigValidationError, DatabaseEnvironment, ENVIRONMENT_TYPES, loadEnvironment } from '@opendsp/config';
import { migrateDspDatabase } from '@opendsp/database';
import { IsIn, Matches } from 'class-validator';
import { exitOnSetupProblem } from '../exit-on-setup-problem.js';

/** What `npm run migrate` needs: the database and the environment to stamp it with. */
class MigrateEnvironment extends DatabaseEnvironment {
  @IsIn(ENVIRONMENT_TYPES, { message: 'DSP_ENVIRONMENT_TYPE: must be one of staging, production' })
  DSP_ENVIRONMENT_TYPE!: string;

  @Matches(/^[a-z0-9][a-z0-9-]{1,62}$/, { message: 'DSP_ENVIRONMENT_ID: 2-63 lower-case letters, digits and dashes' })
  DSP_ENVIRONMENT_ID!: string;
}

try {
  const env = loadEnvironment(MigrateEnvironment, process.env);
  if (!env.DATABASE_URL) throw new ConfigValidationError(['DATABASE_URL: required (the database to migrate)']);
  const applied = await migrateDspDatabase(
    { url: env.DATABASE_URL, poolMax: 2 },
    { type: env.DSP_ENVIRONMENT_TYPE, id: env.DSP_ENVIRONMENT_ID },
  );
  console.log(applied.length > 0 ? `Applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}` : 'Database is up to date.');
} catch (error) {
  exitOnSetupProblem(error, process.env.DATABASE_URL ?? '');
  throw error;
}
