import { Migration } from '@mikro-orm/migrations';

/** Environment stamp, partner admins and groups with their redirect URLs. */
export class Migration20261123090000_foundation extends Migration {
  override up(): void {
    this.addSql(`create table "environment_stamp" (
      "id" smallint not null default 1 primary key,
      "environment_type" text not null,
      "environment_id" text not null,
      "stamped_at" timestamptz not null,
      constraint "environment_stamp_id_check" check ("id" = 1)
    );`);

    this.addSql(`create table "admin_account" (
      "id" uuid not null primary key,
      "login_id" text not null,
      "display_name" text not null,
      "email" text not null,
      "role" text check ("role" in ('partner-admin', 'group-admin', 'viewer')) not null,
      "password_hash" text null,
      "created_at" timestamptz not null,
      "disabled_at" timestamptz null
    );`);
    this.addSql(`alter table "admin_account" add constraint "admin_account_login_id_unique" unique ("login_id");`);

    this.addSql(`create table "program_group" (
      "id" uuid not null primary key,
      "group_id" text not null,
      "display_name" text not null,
      "description" text not null default '',
      "created_at" timestamptz not null,
      "archived_at" timestamptz null
    );`);
    this.addSql(`alter table "program_group" add constraint "program_group_group_id_unique" unique ("group_id");`);

    this.addSql(`create table "group_redirect_url" (
      "id" uuid not null primary key,
      "group_id" uuid not null,
      "url" text not null,
      "is_default" boolean not null default false,
      "created_at" timestamptz not null
    );`);
    this.addSql(`alter table "group_redirect_url" add constraint "group_redirect_url_group_id_url_unique" unique ("group_id", "url");`);
    this.addSql(
      `alter table "group_redirect_url" add constraint "group_redirect_url_group_id_foreign" foreign key ("group_id") references "program_group" ("id") on delete cascade;`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "group_redirect_url" cascade;`);
    this.addSql(`drop table if exists "program_group" cascade;`);
    this.addSql(`drop table if exists "admin_account" cascade;`);
    this.addSql(`drop table if exists "environment_stamp" cascade;`);
  }
}
