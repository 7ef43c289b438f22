import { Migration20261123090000_sandbox_users } from './Migration20261123090000_sandbox_users.js';

/** Every sandbox migration in order. */
export const SANDBOX_MIGRATIONS = [{ name: 'Migration20261123090000_sandbox_users', class: Migration20261123090000_sandbox_users }];
