import 'reflect-metadata';
import { ConfigValidationError, loadDspConfig } from '@opendsp/config';
import { EnvironmentMismatchError } from '@opendsp/database';
import { startDsp } from './bootstrap.js';

// Entry point of a deployed platform process (web, worker or all, by PROCESS_ROLE).
try {
  await startDsp(loadDspConfig(process.env));
} catch (error) {
  if (error instanceof ConfigValidationError || error instanceof EnvironmentMismatchError) {
    console.error(error.message);
    process.exit(78); // EX_CONFIG: a configuration problem, not a crash
  }
  throw error;
}
