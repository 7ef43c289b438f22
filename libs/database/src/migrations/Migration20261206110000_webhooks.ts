import { Migration } from '@mikro-orm/migrations';

/** Issue 20: signed webhooks (libs/webhooks): partner endpoints and the delivery log. */
export class Migration20261206110000_webhooks extends Migration {
  override up(): void {
    this.addSql(
      `create table "webhook_endpoint" ("id" uuid not null, "url" text not null, "description" text not null, "event_types" jsonb not null, "group_ids" jsonb not null, "secret_ciphertext" text not null, "previous_secret_ciphertext" text null, "previous_secret_until" timestamptz null, "enabled" boolean not null, "disabled_reason" text null, "disabled_at" timestamptz null, "readings_through_seq" bigint not null, "connection_events_through_id" bigint not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `create table "webhook_delivery" ("id" text not null, "endpoint_id" uuid not null, "event_type" text not null, "body" text not null, "status" text not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz null, "first_attempt_at" timestamptz not null, "last_attempt_at" timestamptz null, "last_status_code" int null, "last_error" text null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "webhook_delivery" add constraint "webhook_delivery_status_check" check ("status" in ('pending', 'succeeded', 'failed'));`,
    );
    this.addSql(`create index "webhook_delivery_status_next_attempt_at_index" on "webhook_delivery" ("status", "next_attempt_at");`);
    this.addSql(`create index "webhook_delivery_endpoint_id_created_at_index" on "webhook_delivery" ("endpoint_id", "created_at");`);
    this.addSql(
      `alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_id_foreign" foreign key ("endpoint_id") references "webhook_endpoint" ("id") on delete cascade;`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "webhook_delivery";`);
    this.addSql(`drop table if exists "webhook_endpoint";`);
  }
}
