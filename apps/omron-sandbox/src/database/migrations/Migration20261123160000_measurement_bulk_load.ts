import { Migration } from '@mikro-orm/migrations';

/**
 * Bulk loads: the readings table loses its foreign key to sandbox_user, whose per-row check cost a third
 * of a million-reading COPY. Ingestion checks and locks the user once per load instead, and a trigger
 * keeps the cascade: deleting a user deletes the user's readings.
 */
export class Migration20261123160000_measurement_bulk_load extends Migration {
  override up(): void {
    this.addSql(`alter table "omron_sandbox"."measurement" drop constraint "measurement_user_id_foreign";`);
    this.addSql(
      `create or replace function "omron_sandbox"."sandbox_user_delete_measurements_fn"() returns trigger as $$ begin delete from "omron_sandbox"."measurement" where "user_id" = old."id"; return old; end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "delete_measurements" AFTER DELETE on "omron_sandbox"."sandbox_user" for each ROW execute function "omron_sandbox"."sandbox_user_delete_measurements_fn"();`,
    );
  }

  override down(): void {
    this.addSql(`drop trigger if exists "delete_measurements" on "omron_sandbox"."sandbox_user";`);
    this.addSql(`drop function if exists "omron_sandbox"."sandbox_user_delete_measurements_fn"();`);
    // Readings of users deleted meanwhile are gone with them, so the key validates.
    this.addSql(
      `alter table "omron_sandbox"."measurement" add constraint "measurement_user_id_foreign" foreign key ("user_id") references "omron_sandbox"."sandbox_user" ("id") on delete cascade;`,
    );
  }
}
