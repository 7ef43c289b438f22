// What another app may use of the sandbox: `npm start` runs it in the same process as the platform.
// Everything else in this app is its own business (dependency-cruiser keeps other apps to this file).
export { startSandbox } from './bootstrap.js';
export { migrateSandboxDatabase, sandboxOrmConfig } from './database/sandbox-orm.config.js';
export { ensureSandboxUser } from './users/sandbox-users.js';
export { upsertRegisteredApp } from './registered-apps/index.js';
