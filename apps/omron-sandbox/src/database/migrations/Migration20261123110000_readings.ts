import { Migration } from '@mikro-orm/migrations';

/** Readings, the users' unit and time-zone preferences, the notification outbox and staging-tool sessions. */
export class Migration20261123110000_readings extends Migration {
  override up(): void {
    this.addSql(`create table "omron_sandbox"."measurement" (
      "id" bigserial primary key,
      "user_id" uuid not null,
      "type" text not null,
      "measured_at" timestamptz not null,
      "utc_offset_seconds" int not null,
      "device_type" text not null,
      "values" jsonb not null,
      "source" text not null,
      "uploaded_at" timestamptz not null
    );`);
    // Ids look like OMRON's, which are epoch-millisecond sized.
    this.addSql(`alter sequence "omron_sandbox"."measurement_id_seq" restart with 1700000000000;`);
    // Also the keyset index of every measurement page.
    this.addSql(
      `alter table "omron_sandbox"."measurement" add constraint "measurement_user_id_type_measured_at_unique" unique ("user_id", "type", "measured_at");`,
    );
    this.addSql(
      `alter table "omron_sandbox"."measurement" add constraint "measurement_user_id_foreign" foreign key ("user_id") references "omron_sandbox"."sandbox_user" ("id") on delete cascade;`,
    );

    this.addSql(`create table "omron_sandbox"."sandbox_user_preference" (
      "user_id" uuid not null primary key,
      "weight_unit" text not null default 'kg',
      "temperature_unit" text not null default 'C',
      "distance_unit" text not null default 'miles',
      "time_zone" text not null default 'UTC',
      "utc_offset_format" text not null default 'auto',
      "updated_at" timestamptz not null
    );`);
    this.addSql(
      `alter table "omron_sandbox"."sandbox_user_preference" add constraint "sandbox_user_preference_user_id_foreign" foreign key ("user_id") references "omron_sandbox"."sandbox_user" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(`create table "omron_sandbox"."notification" (
      "id" uuid not null primary key,
      "client_id" text not null,
      "user_id" uuid not null,
      "uri" text not null,
      "payload" jsonb not null,
      "attempts" int not null default 0,
      "next_attempt_at" timestamptz null,
      "delivered_at" timestamptz null,
      "gave_up_at" timestamptz null,
      "last_status" int null,
      "last_error" text null,
      "created_at" timestamptz not null
    );`);
    this.addSql(`create index "notification_next_attempt_at_index" on "omron_sandbox"."notification" ("next_attempt_at");`);
    this.addSql(
      `alter table "omron_sandbox"."notification" add constraint "notification_user_id_foreign" foreign key ("user_id") references "omron_sandbox"."sandbox_user" ("id") on delete cascade;`,
    );

    this.addSql(`create table "omron_sandbox"."staging_tool_session" (
      "id" uuid not null primary key,
      "token_hash" text not null,
      "user_id" uuid not null,
      "expires_at" timestamptz not null,
      "created_at" timestamptz not null
    );`);
    this.addSql(
      `alter table "omron_sandbox"."staging_tool_session" add constraint "staging_tool_session_token_hash_unique" unique ("token_hash");`,
    );
    this.addSql(`create index "staging_tool_session_user_id_index" on "omron_sandbox"."staging_tool_session" ("user_id");`);
    this.addSql(
      `alter table "omron_sandbox"."staging_tool_session" add constraint "staging_tool_session_user_id_foreign" foreign key ("user_id") references "omron_sandbox"."sandbox_user" ("id") on delete cascade;`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "omron_sandbox"."staging_tool_session" cascade;`);
    this.addSql(`drop table if exists "omron_sandbox"."notification" cascade;`);
    this.addSql(`drop table if exists "omron_sandbox"."sandbox_user_preference" cascade;`);
    this.addSql(`drop table if exists "omron_sandbox"."measurement" cascade;`);
  }
}
