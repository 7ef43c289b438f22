import { Migration } from '@mikro-orm/migrations';

/** Dated facts for the readiness checklist: the last recorded backup, when each encryption key became active. */
export class Migration20261206050000_operations_facts extends Migration {
  override up(): void {
    this.addSql(
      `create table "operations_fact" ("name" text not null, "recorded_at" timestamptz not null, "recorded_by" text null, primary key ("name"));`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "operations_fact";`);
  }
}
