import { Migration } from '@mikro-orm/migrations';

/** The sandbox's own schema and its test users. */
export class Migration20261123090000_sandbox_users extends Migration {
  override up(): void {
    this.addSql(`create schema if not exists "omron_sandbox";`);
    this.addSql(`create table "omron_sandbox"."sandbox_user" (
      "id" uuid not null primary key,
      "sub" text not null,
      "email" text not null,
      "password_hash" text not null,
      "created_at" timestamptz not null
    );`);
    this.addSql(`alter table "omron_sandbox"."sandbox_user" add constraint "sandbox_user_sub_unique" unique ("sub");`);
    this.addSql(`alter table "omron_sandbox"."sandbox_user" add constraint "sandbox_user_email_unique" unique ("email");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "omron_sandbox"."sandbox_user" cascade;`);
  }
}
