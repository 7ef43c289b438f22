import { Migration20261123090000_foundation } from './Migration20261123090000_foundation.js';
import { Migration20261123120000_admin_portal } from './Migration20261123120000_admin_portal.js';
import { Migration20261123130000_omron_connections } from './Migration20261123130000_omron_connections.js';
import { Migration20261123140000_participants_and_readings } from './Migration20261123140000_participants_and_readings.js';
import { Migration20261123150000_consent } from './Migration20261123150000_consent.js';
import { Migration20261123151000_enrollment_admin } from './Migration20261123151000_enrollment_admin.js';
import { Migration20261123152000_sync } from './Migration20261123152000_sync.js';
import { Migration20261123153000_api } from './Migration20261123153000_api.js';
import { Migration20261123154000_exports } from './Migration20261123154000_exports.js';
import { Migration20261123155000_data_views } from './Migration20261123155000_data_views.js';
import { Migration20261206040000_omron_identity } from './Migration20261206040000_omron_identity.js';
import { Migration20261206041000_group_back_links } from './Migration20261206041000_group_back_links.js';
import { Migration20261206042000_notification_reader } from './Migration20261206042000_notification_reader.js';
import { Migration20261206043000_sync_tolerance } from './Migration20261206043000_sync_tolerance.js';
import { Migration20261206045000_group_data_types } from './Migration20261206045000_group_data_types.js';
import { Migration20261206046000_security_hardening } from './Migration20261206046000_security_hardening.js';
import { Migration20261206050000_operations_facts } from './Migration20261206050000_operations_facts.js';
import { Migration20261206060000_count_originals } from './Migration20261206060000_count_originals.js';
import { Migration20261206081500_failures_classified } from './Migration20261206081500_failures_classified.js';
import { Migration20261206110000_webhooks } from './Migration20261206110000_webhooks.js';
import { Migration20261206130000_webhook_delivery_retention } from './Migration20261206130000_webhook_delivery_retention.js';
import { Migration20261206141500_insights } from './Migration20261206141500_insights.js';

/** Every DSP migration in order. Listed explicitly so the same list runs from source, from dist and in tests. */
export const DSP_MIGRATIONS = [
  { name: 'Migration20261123090000_foundation', class: Migration20261123090000_foundation },
  { name: 'Migration20261123120000_admin_portal', class: Migration20261123120000_admin_portal },
  { name: 'Migration20261123130000_omron_connections', class: Migration20261123130000_omron_connections },
  { name: 'Migration20261123140000_participants_and_readings', class: Migration20261123140000_participants_and_readings },
  { name: 'Migration20261123150000_consent', class: Migration20261123150000_consent },
  { name: 'Migration20261123151000_enrollment_admin', class: Migration20261123151000_enrollment_admin },
  { name: 'Migration20261123152000_sync', class: Migration20261123152000_sync },
  { name: 'Migration20261123153000_api', class: Migration20261123153000_api },
  { name: 'Migration20261123154000_exports', class: Migration20261123154000_exports },
  { name: 'Migration20261123155000_data_views', class: Migration20261123155000_data_views },
  { name: 'Migration20261206040000_omron_identity', class: Migration20261206040000_omron_identity },
  { name: 'Migration20261206041000_group_back_links', class: Migration20261206041000_group_back_links },
  { name: 'Migration20261206042000_notification_reader', class: Migration20261206042000_notification_reader },
  { name: 'Migration20261206043000_sync_tolerance', class: Migration20261206043000_sync_tolerance },
  { name: 'Migration20261206045000_group_data_types', class: Migration20261206045000_group_data_types },
  { name: 'Migration20261206046000_security_hardening', class: Migration20261206046000_security_hardening },
  { name: 'Migration20261206050000_operations_facts', class: Migration20261206050000_operations_facts },
  { name: 'Migration20261206060000_count_originals', class: Migration20261206060000_count_originals },
  { name: 'Migration20261206081500_failures_classified', class: Migration20261206081500_failures_classified },
  { name: 'Migration20261206110000_webhooks', class: Migration20261206110000_webhooks },
  { name: 'Migration20261206130000_webhook_delivery_retention', class: Migration20261206130000_webhook_delivery_retention },
  { name: 'Migration20261206141500_insights', class: Migration20261206141500_insights },
];
