import 'reflect-metadata';
import { ConfigValidationError, loadSandboxConfig } from '@opendsp/config';
import { startSandbox } from './bootstrap.js';
import { migrateSandboxDatabase } from './database/sandbox-orm.config.js';

// Entry point of a standalone sandbox process. An emulator has no data worth protecting from a
// schema change, so it migrates its own schema on every start.
try {
  const config = loadSandboxConfig(process.env);
  await migrateSandboxDatabase(config.database);
  await startSandbox(config);
} catch (error) {
  if (error instanceof ConfigValidationError) {
    console.error(error.message);
    process.exit(78);
  }
  throw error;
}
