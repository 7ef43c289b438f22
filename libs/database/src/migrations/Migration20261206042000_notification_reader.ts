import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 15: notifications read tolerantly. The inbox keeps each body as received (capped), and bodies that cannot
 * be mapped to a user are kept in a table of their own instead of being refused.
 */
export class Migration20261206042000_notification_reader extends Migration {
  override up(): void {
    this.addSql(`alter table "sync_notification" add column "raw_body" text null;`);
    this.addSql(
      `create table "sync_unrecognised_notification" ("id" bigserial primary key, "raw_body" text not null, "reason" text not null, "received_at" timestamptz not null default now());`,
    );
    this.addSql(`create index "sync_unrecognised_notification_received_at_index" on "sync_unrecognised_notification" ("received_at");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "sync_unrecognised_notification";`);
    this.addSql(`alter table "sync_notification" drop column "raw_body";`);
  }
}
