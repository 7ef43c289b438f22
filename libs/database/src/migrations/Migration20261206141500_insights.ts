import { Migration } from '@mikro-orm/migrations';

const DAY = `left(r."local_time", 10)::date`;

/** The readings of the adherence-counting kinds, and blood pressure's values, per participant and local day. */
function backfill(): string {
  const counted = ['weight_reading', 'temperature_reading', 'oxygen_reading', 'ecg_reading']
    .map(
      (table) =>
        `select r."participant_id", ${DAY} as day, count(*) as readings, 0 as bp, 0 as sys, 0 as dia from "${table}" r group by 1, 2`,
    )
    .join(' union all ');
  return `insert into "participant_reading_day" ("participant_id", "day", "readings", "bp_readings", "systolic_sum", "diastolic_sum")
    select d.participant_id, d.day, sum(d.readings)::int, sum(d.bp)::int, sum(d.sys)::bigint, sum(d.dia)::bigint
    from (
      select r."participant_id", ${DAY} as day, count(*) as readings, count(r."systolic_mmhg" + r."diastolic_mmhg") as bp,
             coalesce(sum(r."systolic_mmhg") filter (where r."diastolic_mmhg" is not null), 0) as sys,
             coalesce(sum(r."diastolic_mmhg") filter (where r."systolic_mmhg" is not null), 0) as dia
        from "blood_pressure_reading" r group by 1, 2
      union all ${counted}
    ) d group by d.participant_id, d.day;`;
}

/**
 * Issue 21: program insights (libs/insights): the per-participant-day summary adherence and blood-pressure
 * control read, filled once from the readings already stored (the sync keeps it from then on), and the groups'
 * blood-pressure thresholds and their last computed monthly trend.
 */
export class Migration20261206141500_insights extends Migration {
  override up(): void {
    this.addSql(
      `create table "participant_reading_day" ("participant_id" uuid not null, "day" date not null, "readings" int not null, "bp_readings" int not null, "systolic_sum" bigint not null, "diastolic_sum" bigint not null, primary key ("participant_id", "day"));`,
    );
    this.addSql(
      `create table "group_bp_targets" ("group_id" uuid not null, "target_systolic" int not null, "target_diastolic" int not null, "hedis_systolic" int not null, "hedis_diastolic" int not null, "updated_at" timestamptz not null default now(), primary key ("group_id"));`,
    );
    this.addSql(
      `create table "group_bp_trend" ("group_id" uuid not null, "computed_at" timestamptz not null, "today" text not null, "thresholds" jsonb not null, "months" jsonb not null, primary key ("group_id"));`,
    );
    this.addSql(backfill());
  }

  override down(): void {
    this.addSql(`drop table if exists "group_bp_trend";`);
    this.addSql(`drop table if exists "group_bp_targets";`);
    this.addSql(`drop table if exists "participant_reading_day";`);
  }
}
