import { Migration } from '@mikro-orm/migrations';

/** OMRON OAuth connections (tokens encrypted by the application) and their state history. */
export class Migration20261123130000_omron_connections extends Migration {
  override up(): void {
    this.addSql(`create table "omron_connection" (
      "id" uuid not null primary key,
      "omron_user_id" text not null,
      "scopes" text not null,
      "redirect_uri" text not null,
      "access_token_ciphertext" text null,
      "refresh_token_ciphertext" text null,
      "id_token_ciphertext" text null,
      "access_token_expires_at" timestamptz not null,
      "access_token_lifetime_seconds" int not null,
      "state" text check ("state" in ('active', 'refreshing', 'reconnect_needed', 'revoked', 'withdrawn')) not null,
      "state_changed_at" timestamptz not null,
      "state_reason" text null,
      "last_refreshed_at" timestamptz null,
      "transient_failures" int not null,
      "next_refresh_attempt_at" timestamptz null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null
    );`);
    this.addSql(`alter table "omron_connection" add constraint "omron_connection_omron_user_id_unique" unique ("omron_user_id");`);
    this.addSql(`create index "omron_connection_refresh_due_idx" on "omron_connection" ("state", "access_token_expires_at");`);

    this.addSql(`create table "omron_connection_event" (
      "id" bigserial primary key,
      "connection_id" uuid not null,
      "from_state" text null,
      "to_state" text not null,
      "reason" text null,
      "occurred_at" timestamptz not null
    );`);
    this.addSql(
      `create index "omron_connection_event_connection_id_occurred_at_index" on "omron_connection_event" ("connection_id", "occurred_at");`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "omron_connection_event" cascade;`);
    this.addSql(`drop table if exists "omron_connection" cascade;`);
  }
}
