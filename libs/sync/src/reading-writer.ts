import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { MEASUREMENT_KINDS, NEXT_CHANGE_SEQ, type MeasurementKind } from '@opendsp/measurements';
import type { ActivityRow, ReadingRow, ReadingRowsByKind } from './normalise.js';

type Column = readonly [name: string, sqlType: string];

const BASE_COLUMNS: Column[] = [
  ['upstream_id', 'bigint'],
  ['measured_at', 'timestamptz'],
  ['local_time', 'text'],
  ['utc_offset_seconds', 'int'],
  ['device_type', 'text'],
];

/** Each kind's value columns, as in libs/measurements' entities. */
const VALUE_COLUMNS: Record<MeasurementKind, Column[]> = {
  blood_pressure: [
    ['systolic_mmhg', 'int'],
    ['diastolic_mmhg', 'int'],
    ['pulse_bpm', 'int'],
    ['possible_afib', 'boolean'],
  ],
  activity: [
    ['steps', 'int'],
    ['aerobic_steps', 'int'],
    ['calories_kcal', 'int'],
    ['distance_km', 'double precision'],
    ['distance_original', 'double precision'],
    ['distance_unit', 'text'],
  ],
  weight: [
    ['upstream_id_ext', 'bigint'],
    ['weight_kg', 'double precision'],
    ['weight_original', 'double precision'],
    ['weight_unit', 'text'],
    ['bmi', 'double precision'],
    ['body_fat_percent', 'double precision'],
    ['skeletal_muscle_percent', 'double precision'],
    ['visceral_fat_level', 'double precision'],
    ['resting_metabolism_kcal', 'double precision'],
  ],
  temperature: [
    ['temperature_c', 'double precision'],
    ['temperature_original', 'double precision'],
    ['temperature_unit', 'text'],
  ],
  oxygen: [
    ['spo2_percent', 'double precision'],
    ['pulse_bpm', 'int'],
  ],
  ecg: [
    ['classification', 'text'],
    ['heart_rate_bpm', 'int'],
    ['sampling_rate_hz', 'int'],
    ['duration_seconds', 'double precision'],
    ['waveform_uv', 'jsonb'],
  ],
};

const quote = (name: string): string => `"${name}"`;

/** What one batch did to the kind's table. */
export interface WriteOutcome {
  inserted: number;
  updated: number;
}

interface UpsertedRow {
  id: string;
  upstream_id: string;
  inserted: boolean;
}

/**
 * Writes normalised readings of one participant into the typed tables, a page at a time, with a handful of
 * statements per page whatever its size (rows travel as one JSON document unpacked by `jsonb_to_recordset`).
 *
 * The upsert on (participant, upstream id) inserts new readings, updates a reading only when a value really
 * differs (`IS DISTINCT FROM`), and leaves identical ones untouched, so replaying a page changes nothing.
 * Every inserted or changed row gets a new `change_seq`. Activity days bring their hourly rows: when a day
 * is new or changed (hours included), its hours are replaced with the ones received. The participant's
 * devices and their enrollments' first/last reading times follow along.
 *
 * Must run inside the caller's transaction, after `lockChangeSequence(em)`.
 */
@Injectable()
export class ReadingWriter {
  async write<K extends MeasurementKind>(
    em: EntityManager,
    participantId: string,
    kind: K,
    rows: readonly ReadingRowsByKind[K][],
  ): Promise<WriteOutcome> {
    // Sequence numbers follow measurement time within a page (the subquery is sorted before they are drawn).
    // One row per upstream id (the last wins): ON CONFLICT cannot touch the same row twice in one statement.
    const unique = [...new Map(rows.map((row) => [row.upstream_id, row] as const)).values()];
    if (unique.length === 0) return { inserted: 0, updated: 0 };

    const hourlyChanged = kind === 'activity' ? await this.daysWithChangedHours(em, participantId, unique as ActivityRow[]) : [];
    const upserted = await this.upsert(em, participantId, kind, unique, hourlyChanged);
    if (kind === 'activity') await this.replaceHours(em, unique as ActivityRow[], upserted);
    await this.recordDevices(em, participantId, unique);
    await this.recordReadingTimes(em, participantId, unique);
    const inserted = upserted.filter((row) => row.inserted).length;
    return { inserted, updated: upserted.length - inserted };
  }

  private async upsert(
    em: EntityManager,
    participantId: string,
    kind: MeasurementKind,
    rows: readonly ReadingRow[],
    hourlyChanged: string[],
  ): Promise<UpsertedRow[]> {
    const table = MEASUREMENT_KINDS[kind].table;
    const columns = [...BASE_COLUMNS, ...VALUE_COLUMNS[kind]];
    const names = columns.map(([name]) => quote(name));
    const recordset = columns.map(([name, type]) => `${quote(name)} ${type}`).join(', ');
    const compared = names.filter((name) => name !== '"upstream_id"');
    const changed = `(${compared.map((name) => `t.${name}`).join(', ')}) is distinct from (${compared.map((name) => `excluded.${name}`).join(', ')})`;
    const hoursChanged =
      hourlyChanged.length > 0 ? ` or excluded."upstream_id" in (select value::bigint from jsonb_array_elements_text(?::jsonb))` : '';
    const sql = `insert into ${quote(table)} as t ("participant_id", ${names.join(', ')}, "change_seq", "created_at", "updated_at")
      select ?::uuid, ${names.map((name) => `i.${name}`).join(', ')}, ${NEXT_CHANGE_SEQ}, now(), now()
      from (select * from jsonb_to_recordset(?::jsonb) as r(${recordset}) order by r."measured_at", r."upstream_id") as i
      on conflict ("participant_id", "upstream_id") do update set
        ${compared.map((name) => `${name} = excluded.${name}`).join(', ')}, "change_seq" = excluded."change_seq", "updated_at" = now()
      where ${changed}${hoursChanged}
      returning t."id"::text as id, t."upstream_id"::text as upstream_id, (t.xmax = 0) as inserted`;
    const params: unknown[] = [participantId, JSON.stringify(rows)];
    if (hourlyChanged.length > 0) params.push(JSON.stringify(hourlyChanged));
    return em.execute<UpsertedRow[]>(sql, params);
  }

  /** Upstream ids of stored days whose hours differ from the ones received. */
  private async daysWithChangedHours(em: EntityManager, participantId: string, rows: readonly ActivityRow[]): Promise<string[]> {
    const withHours = rows.filter((row) => row.hourly !== null).map((row) => ({ upstream_id: row.upstream_id, hourly: row.hourly }));
    if (withHours.length === 0) return [];
    const changed = await em.execute<{ upstream_id: string }[]>(
      `select i."upstream_id"::text as upstream_id
       from jsonb_to_recordset(?::jsonb) as i("upstream_id" bigint, "hourly" jsonb)
       join "activity_reading" a on a."participant_id" = ?::uuid and a."upstream_id" = i."upstream_id"
       where i."hourly" is distinct from (
         select coalesce(jsonb_agg(jsonb_build_array(h."hour", h."steps", h."aerobic_steps", h."calories_kcal", h."distance_original") order by h."hour"), '[]'::jsonb)
         from "activity_hourly_reading" h where h."activity_id" = a."id")`,
      [JSON.stringify(withHours), participantId],
    );
    return changed.map((row) => row.upstream_id);
  }

  /** The hours of every day just inserted or changed are replaced with the ones received. */
  private async replaceHours(em: EntityManager, rows: readonly ActivityRow[], upserted: UpsertedRow[]): Promise<void> {
    const hoursById = new Map(rows.map((row) => [row.upstream_id, row.hourly]));
    const days = upserted
      .map((row) => ({ id: row.id, hourly: hoursById.get(row.upstream_id) ?? null }))
      .filter((day): day is { id: string; hourly: NonNullable<ActivityRow['hourly']> } => day.hourly !== null);
    if (days.length === 0) return;
    await em.execute(
      `delete from "activity_hourly_reading" where "activity_id" in (select value::bigint from jsonb_array_elements_text(?::jsonb))`,
      [JSON.stringify(days.map((day) => day.id))],
    );
    await em.execute(
      `insert into "activity_hourly_reading" ("activity_id", "hour", "steps", "aerobic_steps", "calories_kcal", "distance_original")
       select d."id", (h->>0)::smallint, (h->>1)::int, (h->>2)::int, (h->>3)::int, (h->>4)::double precision
       from jsonb_to_recordset(?::jsonb) as d("id" bigint, "hourly" jsonb), jsonb_array_elements(d."hourly") as h`,
      [JSON.stringify(days)],
    );
  }

  /** Device types seen, with the first and last measurement time of each. */
  private async recordDevices(em: EntityManager, participantId: string, rows: readonly ReadingRow[]): Promise<void> {
    const devices = new Map<string, { device_type: string; first: string; last: string }>();
    for (const row of rows) {
      if (!row.device_type) continue;
      const seen = devices.get(row.device_type);
      if (!seen) devices.set(row.device_type, { device_type: row.device_type, first: row.measured_at, last: row.measured_at });
      else {
        if (row.measured_at < seen.first) seen.first = row.measured_at;
        if (row.measured_at > seen.last) seen.last = row.measured_at;
      }
    }
    if (devices.size === 0) return;
    await em.execute(
      `insert into "participant_device" as d ("participant_id", "device_type", "first_seen_at", "last_seen_at")
       select ?::uuid, i."device_type", i."first", i."last" from jsonb_to_recordset(?::jsonb) as i("device_type" text, "first" timestamptz, "last" timestamptz)
       on conflict ("participant_id", "device_type") do update set
         "first_seen_at" = least(d."first_seen_at", excluded."first_seen_at"), "last_seen_at" = greatest(d."last_seen_at", excluded."last_seen_at")
       where excluded."first_seen_at" < d."first_seen_at" or excluded."last_seen_at" > d."last_seen_at"`,
      [participantId, JSON.stringify([...devices.values()])],
    );
  }

  /** The measurement times of the participant's first and last readings, on each group they consented to. */
  private async recordReadingTimes(em: EntityManager, participantId: string, rows: readonly ReadingRow[]): Promise<void> {
    let first = rows[0].measured_at;
    let last = rows[0].measured_at;
    for (const { measured_at } of rows) {
      if (measured_at < first) first = measured_at;
      if (measured_at > last) last = measured_at;
    }
    await em.execute(
      `update "enrollment" set "first_reading_at" = least("first_reading_at", ?::timestamptz), "last_reading_at" = greatest("last_reading_at", ?::timestamptz)
       where "participant_id" = ?::uuid and "status" = 'consented'
         and ("first_reading_at" is null or "first_reading_at" > ?::timestamptz or "last_reading_at" is null or "last_reading_at" < ?::timestamptz)`,
      [first, last, participantId, first, last],
    );
  }
}
