import { Migration } from '@mikro-orm/migrations';

const READING_TABLES = [
  'blood_pressure_reading',
  'activity_reading',
  'weight_reading',
  'temperature_reading',
  'oxygen_reading',
  'ecg_reading',
] as const;

/**
 * The portal's data views: the dashboard's per-group snapshot, and the indexes that keep the participant
 * list fast at 100,000 participants (keyset orders with and without a group, prefix search on the three
 * IDs) and the count of readings received in the last week cheap at 10 million readings (BRIN on
 * `created_at`, which grows with the table's physical order, so the index stays a few pages).
 */
export class Migration20261123155000_data_views extends Migration {
  override up(): void {
    this.addSql(
      `create table "group_dashboard_snapshot" ("group_id" uuid not null, "invited" int not null, "consented" int not null, "first_reading" int not null, "active" int not null, "stale" int not null, "reconnect_needed" int not null, "withdrawn" int not null, "readings24h" int not null, "readings7d" int not null, "stale_after_days" int not null, "computed_at" timestamptz not null, primary key ("group_id"));`,
    );
    this.addSql(
      `alter table "group_dashboard_snapshot" add constraint "group_dashboard_snapshot_group_id_foreign" foreign key ("group_id") references "program_group" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(`create index "participant_ogsc_id_pattern_index" on "participant" ("ogsc_id" text_pattern_ops);`);
    this.addSql(`create index "participant_login_id_pattern_index" on "participant" ("login_id" text_pattern_ops);`);
    this.addSql(`create index "enrollment_internal_customer_id_pattern_index" on "enrollment" ("internal_customer_id" text_pattern_ops);`);
    this.addSql(`create index "enrollment_created_at_id_index" on "enrollment" ("created_at", "id");`);
    this.addSql(
      `create index "enrollment_last_reading_id_index" on "enrollment" ((coalesce("last_reading_at", '-infinity'::timestamptz)), "id");`,
    );
    this.addSql(
      `create index "enrollment_group_last_reading_id_index" on "enrollment" ("group_id", (coalesce("last_reading_at", '-infinity'::timestamptz)), "id");`,
    );
    for (const table of READING_TABLES) {
      this.addSql(`create index "${table}_created_at_brin" on "${table}" using brin ("created_at");`);
    }
  }

  override down(): void {
    for (const table of READING_TABLES) this.addSql(`drop index if exists "${table}_created_at_brin";`);
    for (const index of [
      'enrollment_group_last_reading_id_index',
      'enrollment_last_reading_id_index',
      'enrollment_created_at_id_index',
      'enrollment_internal_customer_id_pattern_index',
      'participant_login_id_pattern_index',
      'participant_ogsc_id_pattern_index',
    ]) {
      this.addSql(`drop index if exists "${index}";`);
    }
    this.addSql(`drop table if exists "group_dashboard_snapshot" cascade;`);
  }
}
