import { Migration } from '@mikro-orm/migrations';

/** Registered apps and the OAuth server's state: codes, grants (token families), tokens and the id_token signing key. */
export class Migration20261123100000_oauth extends Migration {
  override up(): void {
    this.addSql(`create table "omron_sandbox"."registered_app" (
      "client_id" text not null primary key,
      "client_secret_hash" text not null,
      "display_name" text not null,
      "info_uri" text null,
      "policy_uri" text null,
      "tos_uri" text null,
      "logo_uri" text null,
      "redirect_uris" text[] not null,
      "notification_uri" text null,
      "allowed_scopes" text[] not null,
      "company_name" text null,
      "company_address" text null,
      "company_logo_uri" text null,
      "contact_name" text null,
      "contact_email" text null,
      "contact_phone" text null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null
    );`);
    this.addSql(`create table "omron_sandbox"."oauth_grant" (
      "id" uuid not null primary key,
      "user_id" uuid not null,
      "app_client_id" text not null,
      "scopes" text[] not null,
      "redirect_uri" text null,
      "created_at" timestamptz not null,
      "revoked_at" timestamptz null
    );`);
    this.addSql(`create index "oauth_grant_user_id_revoked_at_index" on "omron_sandbox"."oauth_grant" ("user_id", "revoked_at");`);
    this.addSql(
      `alter table "omron_sandbox"."oauth_grant" add constraint "oauth_grant_user_id_foreign" foreign key ("user_id") references "omron_sandbox"."sandbox_user" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "omron_sandbox"."oauth_grant" add constraint "oauth_grant_app_client_id_foreign" foreign key ("app_client_id") references "omron_sandbox"."registered_app" ("client_id") on delete cascade;`,
    );
    this.addSql(`create table "omron_sandbox"."oauth_token" (
      "id" uuid not null primary key,
      "token_hash" text not null,
      "kind" text not null,
      "grant_id" uuid not null,
      "expires_at" timestamptz null,
      "used_at" timestamptz null,
      "revoked_at" timestamptz null,
      "created_at" timestamptz not null
    );`);
    this.addSql(`alter table "omron_sandbox"."oauth_token" add constraint "oauth_token_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "oauth_token_grant_id_index" on "omron_sandbox"."oauth_token" ("grant_id");`);
    this.addSql(
      `alter table "omron_sandbox"."oauth_token" add constraint "oauth_token_grant_id_foreign" foreign key ("grant_id") references "omron_sandbox"."oauth_grant" ("id") on delete cascade;`,
    );
    this.addSql(`create table "omron_sandbox"."oauth_authorization_code" (
      "id" uuid not null primary key,
      "code_hash" text not null,
      "user_id" uuid not null,
      "app_client_id" text not null,
      "scopes" text[] not null,
      "redirect_uri" text not null,
      "code_challenge" text null,
      "nonce" text null,
      "expires_at" timestamptz not null,
      "consumed_at" timestamptz null,
      "grant_id" uuid null,
      "created_at" timestamptz not null
    );`);
    this.addSql(
      `alter table "omron_sandbox"."oauth_authorization_code" add constraint "oauth_authorization_code_code_hash_unique" unique ("code_hash");`,
    );
    this.addSql(
      `alter table "omron_sandbox"."oauth_authorization_code" add constraint "oauth_authorization_code_user_id_foreign" foreign key ("user_id") references "omron_sandbox"."sandbox_user" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "omron_sandbox"."oauth_authorization_code" add constraint "oauth_authorization_code_app_client_id_foreign" foreign key ("app_client_id") references "omron_sandbox"."registered_app" ("client_id") on delete cascade;`,
    );
    this.addSql(
      `alter table "omron_sandbox"."oauth_authorization_code" add constraint "oauth_authorization_code_grant_id_foreign" foreign key ("grant_id") references "omron_sandbox"."oauth_grant" ("id") on delete set null;`,
    );
    this.addSql(`create table "omron_sandbox"."oauth_signing_key" (
      "kid" text not null primary key,
      "private_jwk" jsonb not null,
      "public_jwk" jsonb not null,
      "created_at" timestamptz not null
    );`);
  }

  override down(): void {
    this.addSql(`drop table if exists "omron_sandbox"."oauth_signing_key" cascade;`);
    this.addSql(`drop table if exists "omron_sandbox"."oauth_authorization_code" cascade;`);
    this.addSql(`drop table if exists "omron_sandbox"."oauth_token" cascade;`);
    this.addSql(`drop table if exists "omron_sandbox"."oauth_grant" cascade;`);
    this.addSql(`drop table if exists "omron_sandbox"."registered_app" cascade;`);
  }
}
