import { Migration20261123090000_foundation } from './Migration20261123090000_foundation.js';
import { Migration20261123120000_admin_portal } from './Migration20261123120000_admin_portal.js';
import { Migration20261123130000_omron_connections } from './Migration20261123130000_omron_connections.js';
import { Migration20261123140000_participants_and_readings } from './Migration20261123140000_participants_and_readings.js';
import { Migration20261123154000_exports } from './Migration20261123154000_exports.js';

/** Every DSP migration in order. Listed explicitly so the same list runs from source, from dist and in tests. */
export const DSP_MIGRATIONS = [
  { name: 'Migration20261123090000_foundation', class: Migration20261123090000_foundation },
  { name: 'Migration20261123120000_admin_portal', class: Migration20261123120000_admin_portal },
  { name: 'Migration20261123130000_omron_connections', class: Migration20261123130000_omron_connections },
  { name: 'Migration20261123140000_participants_and_readings', class: Migration20261123140000_participants_and_readings },
  { name: 'Migration20261123154000_exports', class: Migration20261123154000_exports },
];
