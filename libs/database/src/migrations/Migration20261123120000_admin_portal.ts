import { Migration } from '@mikro-orm/migrations';

/**
 * The admin portal: sessions, one-time links, sign-in throttling, group admins, the append-only audit
 * log, the mail outbox, and admin account settings (language, TOTP).
 */
export class Migration20261123120000_admin_portal extends Migration {
  override up(): void {
    this.addSql(`alter table "admin_account"
      add column "language" text null,
      add column "totp_secret_ciphertext" text null,
      add column "totp_last_step" bigint null,
      add column "last_login_at" timestamptz null;`);

    this.addSql(`create index "program_group_created_at_id_index" on "program_group" ("created_at", "id");`);
    // At most one default redirect URL per group, whatever the application does.
    this.addSql(`create unique index "group_redirect_url_one_default" on "group_redirect_url" ("group_id") where "is_default";`);

    this.addSql(`create table "admin_session" (
      "token_hash" text not null primary key,
      "admin_id" uuid not null,
      "stage" text check ("stage" in ('second-factor', 'signed-in')) not null,
      "created_at" timestamptz not null,
      "last_seen_at" timestamptz not null,
      "expires_at" timestamptz not null,
      "ip" text null
    );`);
    this.addSql(`create index "admin_session_admin_id_index" on "admin_session" ("admin_id");`);
    this.addSql(
      `alter table "admin_session" add constraint "admin_session_admin_id_foreign" foreign key ("admin_id") references "admin_account" ("id") on delete cascade;`,
    );

    this.addSql(`create table "admin_token" (
      "token_hash" text not null primary key,
      "admin_id" uuid not null,
      "purpose" text check ("purpose" in ('setup', 'reset')) not null,
      "created_at" timestamptz not null,
      "expires_at" timestamptz not null,
      "used_at" timestamptz null
    );`);
    this.addSql(`create index "admin_token_admin_id_index" on "admin_token" ("admin_id");`);
    this.addSql(
      `alter table "admin_token" add constraint "admin_token_admin_id_foreign" foreign key ("admin_id") references "admin_account" ("id") on delete cascade;`,
    );

    this.addSql(`create table "login_throttle" (
      "key" text not null primary key,
      "failures" int not null default 0,
      "window_started_at" timestamptz not null,
      "locked_until" timestamptz null
    );`);

    this.addSql(`create table "group_admin_membership" (
      "admin_id" uuid not null,
      "group_id" uuid not null,
      "created_at" timestamptz not null,
      primary key ("admin_id", "group_id")
    );`);
    this.addSql(`create index "group_admin_membership_group_id_index" on "group_admin_membership" ("group_id");`);
    this.addSql(
      `alter table "group_admin_membership" add constraint "group_admin_membership_admin_id_foreign" foreign key ("admin_id") references "admin_account" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "group_admin_membership" add constraint "group_admin_membership_group_id_foreign" foreign key ("group_id") references "program_group" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(`create table "audit_event" (
      "id" bigserial primary key,
      "occurred_at" timestamptz not null,
      "actor_id" uuid null,
      "actor_login" text null,
      "action" text not null,
      "target_type" text null,
      "target_id" text null,
      "ip" text null,
      "detail" jsonb not null
    );`);
    this.addSql(`create index "audit_event_action_id_index" on "audit_event" ("action", "id");`);
    this.addSql(`create index "audit_event_actor_login_id_index" on "audit_event" ("actor_login", "id");`);
    this.addSql(`create index "audit_event_occurred_at_index" on "audit_event" ("occurred_at");`);
    // Append-only: the database itself refuses to change or remove history. The row trigger is declared on
    // the AuditEvent entity too (MikroORM names its function <table>_<trigger>_fn); TRUNCATE has its own.
    this.addSql(
      `create or replace function "audit_event_audit_event_append_only_fn"() returns trigger as $$ begin raise exception 'audit_event is append-only: % refused', tg_op using errcode = 'insufficient_privilege'; end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "audit_event_append_only" before update or delete on "audit_event" for each row execute function "audit_event_audit_event_append_only_fn"();`,
    );
    this.addSql(`create function "audit_event_refuse_truncate"() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_event is append-only: TRUNCATE refused' using errcode = 'insufficient_privilege';
      end;
    $$;`);
    this.addSql(
      `create trigger "audit_event_no_truncate" before truncate on "audit_event" for each statement execute function "audit_event_refuse_truncate"();`,
    );

    this.addSql(`create table "mail_outbox" (
      "id" bigserial primary key,
      "created_at" timestamptz not null,
      "to_address" text not null,
      "subject" text not null,
      "text_body" text not null
    );`);
  }

  override down(): void {
    this.addSql(`drop table if exists "mail_outbox" cascade;`);
    this.addSql(`drop table if exists "audit_event" cascade;`);
    this.addSql(`drop function if exists "audit_event_audit_event_append_only_fn"();`);
    this.addSql(`drop function if exists "audit_event_refuse_truncate"();`);
    this.addSql(`drop table if exists "group_admin_membership" cascade;`);
    this.addSql(`drop table if exists "login_throttle" cascade;`);
    this.addSql(`drop table if exists "admin_token" cascade;`);
    this.addSql(`drop table if exists "admin_session" cascade;`);
    this.addSql(`drop index if exists "group_redirect_url_one_default";`);
    this.addSql(`drop index if exists "program_group_created_at_id_index";`);
    this.addSql(`alter table "admin_account"
      drop column if exists "language",
      drop column if exists "totp_secret_ciphertext",
      drop column if exists "totp_last_step",
      drop column if exists "last_login_at";`);
  }
}
