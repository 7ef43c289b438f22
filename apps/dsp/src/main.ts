import 'reflect-metadata';
import { ConfigValidationError, loadDspConfig } from '@opendsp/config';
import { DatabaseUnavailableError, EnvironmentMismatchError, explainDatabaseError } from '@opendsp/database';
import { startDsp } from './bootstrap.js';

// Entry point of a deployed platform process (web, worker or all, by PROCESS_ROLE).
try {
  await startDsp(loadDspConfig(process.env));
} catch (error) {
  const explained = error instanceof DatabaseUnavailableError ? error : explainDatabaseError(error, process.env.DATABASE_URL ?? '');
  if (explained) {
    // One sentence naming the database and what to do, not the driver's error object.
    console.error(explained.message);
    process.exit(78);
  }
  if (error instanceof ConfigValidationError || error instanceof EnvironmentMismatchError) {
    console.error(error.message);
    process.exit(78); // EX_CONFIG: a configuration problem, not a crash
  }
  throw error;
}
