import { Migration } from '@mikro-orm/migrations';

/**
 * Exports: SFTP destinations (secrets as SecretBox ciphertext) and their groups, the per-kind-and-group cursors
 * that make deliveries incremental by change sequence, and the delivery history with every delivered file.
 */
export class Migration20261123154000_exports extends Migration {
  override up(): void {
    this.addSql(
      `create table "sftp_destination" ("id" uuid not null, "name" text not null, "host" text not null, "port" int not null, "username" text not null, "auth_method" text not null, "password_ciphertext" text null, "private_key_ciphertext" text null, "passphrase_ciphertext" text null, "host_key_fingerprint" text null, "remote_base_dir" text not null, "kinds" jsonb not null, "schedule" text not null, "enabled" boolean not null, "next_run_at" timestamptz null, "run_requested_at" timestamptz null, "delivery_lock_pid" int null, "delivery_lock_until" timestamptz null, "consecutive_failures" int not null, "last_run_at" timestamptz null, "last_outcome" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "sftp_destination" add constraint "sftp_destination_auth_method_check" check ("auth_method" in ('password', 'private_key'));`,
    );
    this.addSql(
      `alter table "sftp_destination" add constraint "sftp_destination_last_outcome_check" check ("last_outcome" in ('delivered', 'nothing_new', 'failed'));`,
    );
    this.addSql(
      `create table "sftp_destination_group" ("sftp_destination_id" uuid not null, "program_group_id" uuid not null, primary key ("sftp_destination_id", "program_group_id"));`,
    );
    this.addSql(
      `alter table "sftp_destination_group" add constraint "sftp_destination_group_sftp_destination_id_foreign" foreign key ("sftp_destination_id") references "sftp_destination" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "sftp_destination_group" add constraint "sftp_destination_group_program_group_id_foreign" foreign key ("program_group_id") references "program_group" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `create table "sftp_delivery_cursor" ("destination_id" uuid not null, "kind" text not null, "group_id" uuid not null, "delivered_through_seq" bigint not null, "updated_at" timestamptz not null, primary key ("destination_id", "kind", "group_id"));`,
    );
    this.addSql(
      `alter table "sftp_delivery_cursor" add constraint "sftp_delivery_cursor_destination_id_foreign" foreign key ("destination_id") references "sftp_destination" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "sftp_delivery_cursor" add constraint "sftp_delivery_cursor_group_id_foreign" foreign key ("group_id") references "program_group" ("id") on delete cascade;`,
    );
    this.addSql(
      `create table "sftp_delivery" ("id" uuid not null, "destination_id" uuid not null, "status" text not null, "trigger" text not null, "stamp" text not null, "up_to_seq" bigint not null, "units" jsonb not null, "attempts" int not null, "started_at" timestamptz not null, "last_attempt_at" timestamptz not null, "finished_at" timestamptz null, "error" text null, "file_count" int not null, "row_count" bigint not null, "byte_count" bigint not null, "manifest_path" text null, primary key ("id"));`,
    );
    this.addSql(`create index "sftp_delivery_destination_id_started_at_index" on "sftp_delivery" ("destination_id", "started_at");`);
    this.addSql(
      `alter table "sftp_delivery" add constraint "sftp_delivery_destination_id_foreign" foreign key ("destination_id") references "sftp_destination" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "sftp_delivery" add constraint "sftp_delivery_status_check" check ("status" in ('running', 'failed', 'succeeded'));`,
    );
    this.addSql(`alter table "sftp_delivery" add constraint "sftp_delivery_trigger_check" check ("trigger" in ('schedule', 'manual'));`);
    this.addSql(
      `create table "sftp_delivery_file" ("id" bigserial primary key, "delivery_id" uuid not null, "kind" text not null, "group_id" text not null, "file_number" int not null, "path" text not null, "row_count" int not null, "byte_count" bigint not null, "sha256" text not null, "first_seq" bigint not null, "last_seq" bigint not null, "created_at" timestamptz not null);`,
    );
    this.addSql(
      `alter table "sftp_delivery_file" add constraint "sftp_delivery_file_delivery_id_path_unique" unique ("delivery_id", "path");`,
    );
    this.addSql(
      `alter table "sftp_delivery_file" add constraint "sftp_delivery_file_delivery_id_foreign" foreign key ("delivery_id") references "sftp_delivery" ("id") on delete cascade;`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "sftp_delivery_file";`);
    this.addSql(`drop table if exists "sftp_delivery";`);
    this.addSql(`drop table if exists "sftp_delivery_cursor";`);
    this.addSql(`drop table if exists "sftp_destination_group";`);
    this.addSql(`drop table if exists "sftp_destination";`);
  }
}
