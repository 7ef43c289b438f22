import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 21 item 4: libs/insights' summary keeps one row per participant and local month instead of one per day, so
 * a backfill page of 1,000 readings over 500 days writes about 17 summary rows instead of about 500 and can count
 * them in its own round trip (no recount at the pull's end any more):
 * - `days`: bit d-1 set when local day d of the month has an adherence-counting reading (presence is all adherence
 *   reads; the per-day reading count had no other reader);
 * - `bp_readings`, `systolic_sum`, `diastolic_sum`: 31 elements, CUMULATIVE (element i is the sum over days 1..i),
 *   so a window's sum within a month is two subscripts.
 * Filled from `participant_reading_day` in one set-based statement, then the day table and the recount notes go.
 */
export class Migration20261206223000_reading_months extends Migration {
  override up(): void {
    this.addSql(
      `create table "participant_reading_month" ("participant_id" uuid not null, "month" date not null, "days" int not null, "bp_readings" int[] not null, "systolic_sum" bigint[] not null, "diastolic_sum" bigint[] not null, primary key ("participant_id", "month")) with (fillfactor = 70);`,
    );
    this.addSql(
      `insert into "participant_reading_month" ("participant_id", "month", "days", "bp_readings", "systolic_sum", "diastolic_sum")
       ${monthsOf(`select "participant_id", "day", "readings", "bp_readings", "systolic_sum", "diastolic_sum" from "participant_reading_day"`)};`,
    );
    this.addSql(`drop table if exists "participant_reading_day_recount";`);
    this.addSql(`drop table if exists "participant_reading_day";`);
    // Statistics at once: the group pages' plans should not wait for autovacuum to find a million new rows.
    this.addSql(`analyze "participant_reading_month";`);
  }

  override down(): void {
    this.addSql(
      `create table "participant_reading_day" ("participant_id" uuid not null, "day" date not null, "readings" int not null, "bp_readings" int not null, "systolic_sum" bigint not null, "diastolic_sum" bigint not null, primary key ("participant_id", "day")) with (fillfactor = 70);`,
    );
    this.addSql(
      `create table "participant_reading_day_recount" ("participant_id" uuid not null, "noted_at" timestamptz not null default now(), primary key ("participant_id"));`,
    );
    // The per-day reading count is not kept by months: a counted day comes back with one reading.
    this.addSql(
      `insert into "participant_reading_day" ("participant_id", "day", "readings", "bp_readings", "systolic_sum", "diastolic_sum")
       select m."participant_id", m."month" + g.d - 1, 1,
              m."bp_readings"[g.d] - coalesce(m."bp_readings"[g.d - 1], 0),
              m."systolic_sum"[g.d] - coalesce(m."systolic_sum"[g.d - 1], 0),
              m."diastolic_sum"[g.d] - coalesce(m."diastolic_sum"[g.d - 1], 0)
         from "participant_reading_month" m cross join generate_series(1, 31) as g(d)
        where m."days" & (1 << (g.d - 1)) <> 0;`,
    );
    this.addSql(`drop table if exists "participant_reading_month";`);
  }
}

/**
 * Month rows from day rows `(participant_id, day, readings, bp_readings, systolic_sum, diastolic_sum)`: the days'
 * presence bits, and running sums over the month's 31 slots (a day without readings repeats the sum before it).
 * The same construction as libs/insights' `ReadingDays` (a migration keeps its own copy).
 */
function monthsOf(days: string): string {
  return `with x as (select s."participant_id", date_trunc('month', s."day"::timestamp)::date as month, s."day" - date_trunc('month', s."day"::timestamp)::date + 1 as d,
                           s."readings", s."bp_readings", s."systolic_sum", s."diastolic_sum" from (${days}) s),
          mo as (select x."participant_id", x.month, bit_or(case when x."readings" > 0 then 1 << (x.d - 1) else 0 end) as days
                   from x group by 1, 2),
          slot as (select mo."participant_id", mo.month, mo.days, g.d,
                          sum(coalesce(x."bp_readings", 0)) over w as bp, sum(coalesce(x."systolic_sum", 0)) over w as sys,
                          sum(coalesce(x."diastolic_sum", 0)) over w as dia
                     from mo cross join generate_series(1, 31) as g(d)
                     left join x on x."participant_id" = mo."participant_id" and x.month = mo.month and x.d = g.d
                   window w as (partition by mo."participant_id", mo.month order by g.d))
     select "participant_id", month, days, array_agg(bp::int order by d), array_agg(sys::bigint order by d), array_agg(dia::bigint order by d)
       from slot group by "participant_id", month, days`;
}
