import { Migration20261123090000_sandbox_users } from './Migration20261123090000_sandbox_users.js';
import { Migration20261123100000_oauth } from './Migration20261123100000_oauth.js';
import { Migration20261123110000_readings } from './Migration20261123110000_readings.js';
import { Migration20261123160000_measurement_bulk_load } from './Migration20261123160000_measurement_bulk_load.js';
import { Migration20261206044000_grant_environment } from './Migration20261206044000_grant_environment.js';

/** Every sandbox migration in order. */
export const SANDBOX_MIGRATIONS = [
  { name: 'Migration20261123090000_sandbox_users', class: Migration20261123090000_sandbox_users },
  { name: 'Migration20261123100000_oauth', class: Migration20261123100000_oauth },
  { name: 'Migration20261123110000_readings', class: Migration20261123110000_readings },
  { name: 'Migration20261123160000_measurement_bulk_load', class: Migration20261123160000_measurement_bulk_load },
  { name: 'Migration20261206044000_grant_environment', class: Migration20261206044000_grant_environment },
];
