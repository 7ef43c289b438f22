import { MEASUREMENT_KIND_NAMES, MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';

/** A piece of SQL with `?` placeholders and its parameters, in order. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/** ISO 8601 UTC with milliseconds, the API's one timestamp format (`2026-11-23T10:00:05.000Z`). */
export function isoUtcSql(column: string): string {
  return `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** `+09:00` / `-05:30` from an offset in seconds. */
function offsetSql(seconds: string): string {
  return `(case when ${seconds} < 0 then '-' else '+' end || lpad((abs(${seconds}) / 3600)::text, 2, '0') || ':' || lpad((abs(${seconds}) % 3600 / 60)::text, 2, '0'))`;
}

/** Kind-specific fields: JSON name → SQL expression on the reading `r`. Units are in the names. */
const KIND_FIELDS: Record<MeasurementKind, [string, string][]> = {
  blood_pressure: [
    ['systolicMmhg', 'r.systolic_mmhg'],
    ['diastolicMmhg', 'r.diastolic_mmhg'],
    ['pulseBpm', 'r.pulse_bpm'],
    ['possibleAfib', 'r.possible_afib'],
  ],
  activity: [
    ['steps', 'r.steps'],
    ['aerobicSteps', 'r.aerobic_steps'],
    ['caloriesKcal', 'r.calories_kcal'],
    ['distanceKm', 'r.distance_km'],
    ['distanceOriginal', 'r.distance_original'],
    ['distanceUnit', 'r.distance_unit'],
    [
      'hourly',
      `(select coalesce(json_agg(json_build_object('hour', h.hour, 'steps', h.steps, 'aerobicSteps', h.aerobic_steps,
          'caloriesKcal', h.calories_kcal, 'distanceOriginal', h.distance_original) order by h.hour), '[]'::json)
        from activity_hourly_reading h where h.activity_id = r.id)`,
    ],
  ],
  weight: [
    ['upstreamIdExt', 'r.upstream_id_ext::text'],
    ['weightKg', 'r.weight_kg'],
    ['weightOriginal', 'r.weight_original'],
    ['weightUnit', 'r.weight_unit'],
    ['bmi', 'r.bmi'],
    ['bodyFatPercent', 'r.body_fat_percent'],
    ['skeletalMusclePercent', 'r.skeletal_muscle_percent'],
    ['visceralFatLevel', 'r.visceral_fat_level'],
    ['restingMetabolismKcal', 'r.resting_metabolism_kcal'],
  ],
  temperature: [
    ['temperatureC', 'r.temperature_c'],
    ['temperatureOriginal', 'r.temperature_original'],
    ['temperatureUnit', 'r.temperature_unit'],
  ],
  oxygen: [
    ['spo2Percent', 'r.spo2_percent'],
    ['pulseBpm', 'r.pulse_bpm'],
  ],
  ecg: [
    ['classification', 'r.classification'],
    ['heartRateBpm', 'r.heart_rate_bpm'],
    ['samplingRateHz', 'r.sampling_rate_hz'],
    ['durationSeconds', 'r.duration_seconds'],
    ['waveformUv', 'r.waveform_uv'],
  ],
};

/**
 * The API's JSON of one reading, built by PostgreSQL (`r` the reading, `p` its participant): the instant in
 * UTC, the participant's local time with its offset, the change sequence, and the kind's typed values.
 */
export function readingJsonSql(kind: MeasurementKind): string {
  const fields: [string, string][] = [
    ['kind', `'${kind}'`],
    ['ogscId', 'p.ogsc_id'],
    ['upstreamId', 'r.upstream_id::text'],
    ['changeSeq', 'r.change_seq'],
    ['measuredAt', isoUtcSql('r.measured_at')],
    ['measuredAtLocal', `r.local_time || ${offsetSql('r.utc_offset_seconds')}`],
    ['utcOffsetSeconds', 'r.utc_offset_seconds'],
    ['deviceType', 'r.device_type'],
    ['createdAt', isoUtcSql('r.created_at')],
    ['updatedAt', isoUtcSql('r.updated_at')],
    ...KIND_FIELDS[kind],
  ];
  return `json_build_object(${fields.map(([name, expression]) => `'${name}', ${expression}`).join(', ')})`;
}

export function tableOf(kind: MeasurementKind): string {
  return MEASUREMENT_KINDS[kind].table;
}

/**
 * Which participants' readings a client may see: those with a consented enrollment in one of its groups
 * (`groups` is the condition on `e.group_id`). Withdrawn, invited and other groups' participants: none.
 */
export function readableParticipantSql(participantColumn: string, groups: SqlFragment): SqlFragment {
  return {
    sql: `exists (select 1 from enrollment e where e.participant_id = ${participantColumn} and e.status = 'consented' and ${groups.sql})`,
    params: groups.params,
  };
}

/**
 * One page of the change feed as one statement, so all kinds are read in one snapshot. Writers hold
 * `lockChangeSequence` from their first `nextval` to their commit, so within a snapshot every visible row
 * has a smaller `change_seq` than every row still in flight: "after N, in order" never skips a row.
 *
 * Each kind contributes at most `limit` candidates through its unique `change_seq` index; only the first
 * `limit` overall are turned into JSON.
 */
export function changeFeedSql(input: {
  since: number;
  limit: number;
  kinds: readonly MeasurementKind[];
  groups: SqlFragment;
}): SqlFragment {
  const kinds = input.kinds.length ? input.kinds : MEASUREMENT_KIND_NAMES;
  const params: unknown[] = [];
  const candidates = kinds.map((kind) => {
    const readable = readableParticipantSql('r.participant_id', input.groups);
    params.push(input.since, ...readable.params, input.limit);
    return `(select r.change_seq, '${kind}'::text as kind, r.id from ${tableOf(kind)} r
              where r.change_seq > ? and ${readable.sql} order by r.change_seq limit ?)`;
  });
  params.push(input.limit);
  const rendered = kinds.map(
    (kind) => `select c.change_seq, ${readingJsonSql(kind)} as reading
                 from picked c join ${tableOf(kind)} r on r.id = c.id join participant p on p.id = r.participant_id
                where c.kind = '${kind}'`,
  );
  return {
    sql: `with picked as materialized (
            select change_seq, kind, id from (${candidates.join(' union all ')}) candidates order by change_seq limit ?)
          ${rendered.join(' union all ')}
          order by change_seq`,
    params,
  };
}

/** One page of a participant's readings of one kind in `[from, to)`, ordered by (measured_at, id) after the cursor. */
export function measurementsPageSql(input: {
  kind: MeasurementKind;
  participantId: string;
  from?: Date;
  to?: Date;
  after?: { measuredAt: string; id: string };
  limit: number;
}): SqlFragment {
  const conditions = ['r.participant_id = ?'];
  const params: unknown[] = [input.participantId];
  const where = (condition: string, ...values: unknown[]) => {
    conditions.push(condition);
    params.push(...values);
  };
  if (input.from) where('r.measured_at >= ?::timestamptz', input.from.toISOString());
  if (input.to) where('r.measured_at < ?::timestamptz', input.to.toISOString());
  if (input.after) where('(r.measured_at, r.id) > (?::timestamptz, ?::bigint)', input.after.measuredAt, input.after.id);
  params.push(input.limit);
  return {
    sql: `select r.id, to_char(r.measured_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_time, ${readingJsonSql(input.kind)} as reading
            from ${tableOf(input.kind)} r join participant p on p.id = r.participant_id
           where ${conditions.join(' and ')}
           order by r.measured_at, r.id limit ?`,
    params,
  };
}
