import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The write benchmarks' realistic alert setup: every rule on in every group (crisis at 180/120, possible AFib,
 * silence, reconnect) and one webhook endpoint subscribed to `alert.raised` for all of them, so a raised alert
 * also queues its deliveries. Run after the groups are flushed.
 */
export async function enableEveryAlertRule(em: EntityManager): Promise<void> {
  await em.getConnection().execute(
    `insert into alert_rule_set (group_id, bp_crisis_enabled, systolic_at_least, diastolic_at_least, afib_enabled, no_reading_enabled,
       no_reading_days, no_reading_min_readings, reconnect_enabled, updated_at)
     select id, true, 180, 120, true, true, 7, 8, true, now() from program_group`,
  );
  await em.getConnection().execute(
    `insert into webhook_endpoint (id, url, description, event_types, group_ids, secret_ciphertext, enabled, readings_through_seq,
       connection_events_through_id, created_at, updated_at)
     select gen_random_uuid(), 'https://partner.example/hooks', 'bench', '["alert.raised"]', jsonb_agg(id), 'unused', true, 0, 0, now(), now()
       from program_group`,
  );
}
