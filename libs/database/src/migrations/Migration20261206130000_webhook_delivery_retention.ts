import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 20: delivered and failed webhook messages are pruned after WEBHOOK_DELIVERY_RETENTION_DAYS; this index
 * finds them by their last attempt without reading the waiting ones.
 */
export class Migration20261206130000_webhook_delivery_retention extends Migration {
  override up(): void {
    this.addSql(
      `create index "webhook_delivery_finished_last_attempt_at_index" on "webhook_delivery" ("last_attempt_at") where "status" <> 'pending';`,
    );
  }

  override down(): void {
    this.addSql(`drop index if exists "webhook_delivery_finished_last_attempt_at_index";`);
  }
}
