import { ConfigValidationError } from '@opendsp/config';
import { DatabaseUnavailableError, EnvironmentMismatchError, explainDatabaseError } from '@opendsp/database';

/**
 * For a process's top-level catch (the platform's start, `npm run migrate`, `npm run sync:renormalise`): a
 * configuration or database problem (a missing, unreachable or unmigrated database, one of another environment)
 * ends the process with one sentence and EX_CONFIG (78), not a crash's stack. Returns for any other error, for the
 * caller to rethrow. `databaseUrl`: the DATABASE_URL the process was given, which the sentence names.
 */
export function exitOnSetupProblem(error: unknown, databaseUrl: string): void {
  const explained = error instanceof DatabaseUnavailableError ? error : explainDatabaseError(error, databaseUrl);
  if (explained) {
    // One sentence naming the database and what to do, not the driver's error object.
    console.error(explained.message);
    process.exit(78);
  }
  if (error instanceof ConfigValidationError || error instanceof EnvironmentMismatchError) {
    console.error(error.message);
    process.exit(78);
  }
}
