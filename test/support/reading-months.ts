/**
 * libs/insights' month summary (`participant_reading_month`) seen as days, and the same days counted from the
 * reading tables, so a test compares the two without knowing the months' shape. `participant`: SQL for the
 * participant's ID (a placeholder).
 */

/** A local day as the summary or the readings have it: whether it counts, and its blood-pressure readings with values. */
export interface SummaryDay {
  day: string;
  counted: boolean;
  bp_readings: number;
  systolic_sum: number;
  diastolic_sum: number;
}

/**
 * The participant's days from their month rows: every day whose bit is set, and every day whose cumulative sums
 * step (there must be none without its bit: it would show as `counted: false`), with that day's own figures.
 */
export function summaryDaysSql(participant: string): string {
  const day = (column: string) => `(m.${column}[g.d] - coalesce(m.${column}[g.d - 1], 0))::int`;
  return `select to_char(m.month + g.d - 1, 'YYYY-MM-DD') as day, m.days & (1 << (g.d - 1)) <> 0 as counted,
                 ${day('bp_readings')} as bp_readings, ${day('systolic_sum')} as systolic_sum, ${day('diastolic_sum')} as diastolic_sum
            from participant_reading_month m cross join generate_series(1, 31) as g(d)
           where m.participant_id = ${participant}
             and (m.days & (1 << (g.d - 1)) <> 0 or ${day('bp_readings')} <> 0 or ${day('systolic_sum')} <> 0 or ${day('diastolic_sum')} <> 0)
           order by 1`;
}

/** The same days counted from the readings of the adherence-counting kinds (steps do not count). */
export function readingDaysSql(participant: string): string {
  return `select left(r.local_time, 10) as day, true as counted, count(r.systolic_mmhg + r.diastolic_mmhg)::int as bp_readings,
                 coalesce(sum(r.systolic_mmhg) filter (where r.diastolic_mmhg is not null), 0)::int as systolic_sum,
                 coalesce(sum(r.diastolic_mmhg) filter (where r.systolic_mmhg is not null), 0)::int as diastolic_sum
            from (select participant_id, local_time, systolic_mmhg, diastolic_mmhg from blood_pressure_reading
                  union all select participant_id, local_time, null, null from weight_reading
                  union all select participant_id, local_time, null, null from temperature_reading
                  union all select participant_id, local_time, null, null from oxygen_reading
                  union all select participant_id, local_time, null, null from ecg_reading) r
           where r.participant_id = ${participant}
           group by 1 order by 1`;
}

/** Every month row has 31 slots and its arrays never decrease (a malformed row would read wrong windows). */
export function malformedMonthsSql(participant: string): string {
  return `select m.month::text from participant_reading_month m
           where m.participant_id = ${participant}
             and (array_length(m.bp_readings, 1) <> 31 or array_length(m.systolic_sum, 1) <> 31 or array_length(m.diastolic_sum, 1) <> 31
                  or m.days = 0 or exists (select 1 from generate_series(2, 31) g(d) where m.bp_readings[g.d] < m.bp_readings[g.d - 1]))`;
}
