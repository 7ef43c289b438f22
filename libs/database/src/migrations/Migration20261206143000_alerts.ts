import { Migration } from '@mikro-orm/migrations';

/** Issue 21: alerts (libs/alerts): each group's rules, the alerts with their acknowledgements, and a cursor over connection changes. */
export class Migration20261206143000_alerts extends Migration {
  override up(): void {
    this.addSql(
      `create table "alert_rule_set" ("group_id" uuid not null, "bp_crisis_enabled" boolean not null default false, "systolic_at_least" int not null default 180, "diastolic_at_least" int not null default 120, "afib_enabled" boolean not null default false, "no_reading_enabled" boolean not null default false, "no_reading_days" int not null default 7, "no_reading_min_readings" int not null default 8, "reconnect_enabled" boolean not null default false, "updated_at" timestamptz not null, primary key ("group_id"));`,
    );
    this.addSql(
      `create table "alert" ("id" uuid not null, "group_id" uuid not null, "participant_id" uuid not null, "rule" text not null, "status" text not null default 'open', "raised_at" timestamptz not null, "reading_kind" text null, "reading_id" bigint null, "measured_at" timestamptz null, "detail" jsonb not null, "mailed_at" timestamptz null, "acknowledged_at" timestamptz null, "acknowledged_by" uuid null, "acknowledged_login" text null, "note" text null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "alert" add constraint "alert_rule_check" check ("rule" in ('bp_crisis', 'possible_afib', 'no_reading', 'reconnect_needed'));`,
    );
    this.addSql(`alter table "alert" add constraint "alert_status_check" check ("status" in ('open', 'acknowledged'));`);
    this.addSql(`create unique index "alert_open_unique" on "alert" ("group_id", "participant_id", "rule") where "status" = 'open';`);
    this.addSql(`create index "alert_group_id_raised_at_id_index" on "alert" ("group_id", "raised_at", "id");`);
    this.addSql(`create index "alert_raised_at_id_index" on "alert" ("raised_at", "id");`);
    this.addSql(`create index "alert_participant_id_rule_index" on "alert" ("participant_id", "rule");`);
    this.addSql(`create index "alert_unmailed_index" on "alert" ("raised_at") where "mailed_at" is null;`);
    this.addSql(`create table "alert_cursor" ("name" text not null, "through_id" bigint not null, primary key ("name"));`);
  }

  override down(): void {
    this.addSql(`drop table if exists "alert_cursor";`);
    this.addSql(`drop table if exists "alert";`);
    this.addSql(`drop table if exists "alert_rule_set";`);
  }
}
