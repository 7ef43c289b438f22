import { Migration } from '@mikro-orm/migrations';

/**
 * The REST API: API clients (secret stored as SHA-256, the previous one during a rotation's overlap), the
 * groups a restricted client may see, issued bearer tokens (SHA-256 only), and the shared store of the
 * per-client rate limiter (rate-limiter-flexible's layout: key, points, expire, in that order).
 */
export class Migration20261123153000_api extends Migration {
  override up(): void {
    this.addSql(
      `create table "api_client" ("id" uuid not null, "client_id" text not null, "name" text not null, "scopes" text not null, "all_groups" boolean not null, "secret_hash" text not null, "secret_issued_at" timestamptz not null, "previous_secret_hash" text null, "previous_secret_expires_at" timestamptz null, "disabled_at" timestamptz null, "created_by" text null, "last_token_issued_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "api_client" add constraint "api_client_client_id_unique" unique ("client_id");`);
    this.addSql(`create index "api_client_created_at_id_index" on "api_client" ("created_at", "id");`);

    this.addSql(
      `create table "api_client_group" ("client_id" uuid not null, "group_id" uuid not null, "created_at" timestamptz not null, primary key ("client_id", "group_id"));`,
    );
    this.addSql(`create index "api_client_group_group_id_index" on "api_client_group" ("group_id");`);
    this.addSql(
      `alter table "api_client_group" add constraint "api_client_group_client_id_foreign" foreign key ("client_id") references "api_client" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "api_client_group" add constraint "api_client_group_group_id_foreign" foreign key ("group_id") references "program_group" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `create table "api_access_token" ("token_hash" text not null, "client_id" uuid not null, "scopes" text not null, "expires_at" timestamptz not null, "created_at" timestamptz not null, primary key ("token_hash"));`,
    );
    this.addSql(`create index "api_access_token_client_id_index" on "api_access_token" ("client_id");`);
    this.addSql(`create index "api_access_token_expires_at_index" on "api_access_token" ("expires_at");`);
    this.addSql(
      `alter table "api_access_token" add constraint "api_access_token_client_id_foreign" foreign key ("client_id") references "api_client" ("id") on delete cascade;`,
    );

    this.addSql(
      `create table "api_rate_limit" ("key" varchar(255) not null, "points" int not null default 0, "expire" bigint null, primary key ("key"));`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "api_rate_limit" cascade;`);
    this.addSql(`drop table if exists "api_access_token" cascade;`);
    this.addSql(`drop table if exists "api_client_group" cascade;`);
    this.addSql(`drop table if exists "api_client" cascade;`);
  }
}
