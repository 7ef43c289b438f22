import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { MEASUREMENT_KIND_NAMES, MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';
import { toDate } from './participant-list.service.js';

/** The period a participant page shows: whole days of the environment's time zone, `from` inclusive, `to` exclusive. */
export interface ReadingWindow {
  days: number;
  firstDay: string;
  lastDay: string;
  from: Date;
  to: Date;
}

interface ReadingBase {
  id: string;
  measuredAt: Date;
  /** The participant's wall-clock time as OMRON sent it. */
  localTime: string;
  deviceType: string;
}

export interface BloodPressureRow extends ReadingBase {
  systolic: number | null;
  diastolic: number | null;
  pulse: number | null;
  possibleAfib: boolean;
}

export interface WeightRow extends ReadingBase {
  weightKg: number | null;
  weightOriginal: number | null;
  weightUnit: string;
  bmi: number | null;
  bodyFatPercent: number | null;
  skeletalMusclePercent: number | null;
  visceralFatLevel: number | null;
  restingMetabolismKcal: number | null;
}

export interface ActivityRow extends ReadingBase {
  /** The participant's day (`YYYY-MM-DD` of `localTime`). */
  day: string;
  steps: number;
  aerobicSteps: number;
  caloriesKcal: number;
  distanceKm: number;
  distanceOriginal: number;
  distanceUnit: string;
}

export interface ActivityHourRow {
  hour: number;
  steps: number;
  aerobicSteps: number;
  caloriesKcal: number;
  distanceOriginal: number;
}

export interface TemperatureRow extends ReadingBase {
  temperatureC: number;
  temperatureOriginal: number;
  temperatureUnit: string;
}

export interface OxygenRow extends ReadingBase {
  spo2Percent: number;
  pulse: number | null;
}

export interface EcgRow extends ReadingBase {
  classification: string;
  heartRateBpm: number;
  samplingRateHz: number;
  durationSeconds: number;
}

/** At most this many readings of a kind per page; the newest are kept and the page says so. */
export const READINGS_PER_KIND = 1000;

const BASE = 'id, measured_at, local_time, device_type';
const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

/**
 * Reads a participant's readings of one period, kind by kind, through each table's (participant_id,
 * measured_at) index; ECG waveforms only for the one recording shown.
 */
@Injectable()
export class ReadingQueries {
  constructor(private readonly em: EntityManager) {}

  /** The newest reading's time per kind (null: none ever). */
  async latest(participantId: string): Promise<Record<MeasurementKind, Date | null>> {
    const [row] = await this.execute(
      `select ${MEASUREMENT_KIND_NAMES.map(
        (kind) => `(select max(measured_at) from ${MEASUREMENT_KINDS[kind].table} where participant_id = ?) as ${kind}`,
      ).join(', ')}`,
      MEASUREMENT_KIND_NAMES.map(() => participantId),
    );
    return Object.fromEntries(MEASUREMENT_KIND_NAMES.map((kind) => [kind, toDate(row[kind])])) as Record<MeasurementKind, Date | null>;
  }

  async bloodPressure(participantId: string, window: ReadingWindow): Promise<{ rows: BloodPressureRow[]; truncated: boolean }> {
    return this.period(
      participantId,
      window,
      'blood_pressure_reading',
      'systolic_mmhg, diastolic_mmhg, pulse_bpm, possible_afib',
      (row) => ({
        systolic: numberOrNull(row.systolic_mmhg),
        diastolic: numberOrNull(row.diastolic_mmhg),
        pulse: numberOrNull(row.pulse_bpm),
        possibleAfib: Boolean(row.possible_afib),
      }),
    );
  }

  async weight(participantId: string, window: ReadingWindow): Promise<{ rows: WeightRow[]; truncated: boolean }> {
    return this.period(
      participantId,
      window,
      'weight_reading',
      'weight_kg, weight_original, weight_unit, bmi, body_fat_percent, skeletal_muscle_percent, visceral_fat_level, resting_metabolism_kcal',
      (row) => ({
        weightKg: numberOrNull(row.weight_kg),
        weightOriginal: numberOrNull(row.weight_original),
        weightUnit: String(row.weight_unit),
        bmi: numberOrNull(row.bmi),
        bodyFatPercent: numberOrNull(row.body_fat_percent),
        skeletalMusclePercent: numberOrNull(row.skeletal_muscle_percent),
        visceralFatLevel: numberOrNull(row.visceral_fat_level),
        restingMetabolismKcal: numberOrNull(row.resting_metabolism_kcal),
      }),
    );
  }

  /** Daily activity whose local day falls in the window's days (a day is the participant's, not the environment's). */
  async activity(participantId: string, window: ReadingWindow): Promise<{ rows: ActivityRow[]; truncated: boolean }> {
    // Local midnights lie within ±14 hours of the environment's; widen the instant range, then keep by local day.
    const widened = {
      ...window,
      from: new Date(window.from.getTime() - 14 * 3_600_000),
      to: new Date(window.to.getTime() + 14 * 3_600_000),
    };
    const result = await this.period(
      participantId,
      widened,
      'activity_reading',
      'steps, aerobic_steps, calories_kcal, distance_km, distance_original, distance_unit',
      (row) => ({
        day: String(row.local_time).slice(0, 10),
        steps: Number(row.steps),
        aerobicSteps: Number(row.aerobic_steps),
        caloriesKcal: Number(row.calories_kcal),
        distanceKm: Number(row.distance_km),
        distanceOriginal: Number(row.distance_original),
        distanceUnit: String(row.distance_unit),
      }),
    );
    return { ...result, rows: result.rows.filter((row) => row.day >= window.firstDay && row.day <= window.lastDay) };
  }

  async activityHours(participantId: string, activityId: string): Promise<ActivityHourRow[]> {
    const rows = await this.execute(
      `select h.hour, h.steps, h.aerobic_steps, h.calories_kcal, h.distance_original
         from activity_hourly_reading h join activity_reading a on a.id = h.activity_id
        where h.activity_id = ? and a.participant_id = ?
        order by h.hour`,
      [activityId, participantId],
    );
    return rows.map((row) => ({
      hour: Number(row.hour),
      steps: Number(row.steps),
      aerobicSteps: Number(row.aerobic_steps),
      caloriesKcal: Number(row.calories_kcal),
      distanceOriginal: Number(row.distance_original),
    }));
  }

  async temperature(participantId: string, window: ReadingWindow): Promise<{ rows: TemperatureRow[]; truncated: boolean }> {
    return this.period(participantId, window, 'temperature_reading', 'temperature_c, temperature_original, temperature_unit', (row) => ({
      temperatureC: Number(row.temperature_c),
      temperatureOriginal: Number(row.temperature_original),
      temperatureUnit: String(row.temperature_unit),
    }));
  }

  async oxygen(participantId: string, window: ReadingWindow): Promise<{ rows: OxygenRow[]; truncated: boolean }> {
    return this.period(participantId, window, 'oxygen_reading', 'spo2_percent, pulse_bpm', (row) => ({
      spo2Percent: Number(row.spo2_percent),
      pulse: numberOrNull(row.pulse_bpm),
    }));
  }

  /** ECG recordings without their waveforms. */
  async ecg(participantId: string, window: ReadingWindow): Promise<{ rows: EcgRow[]; truncated: boolean }> {
    return this.period(
      participantId,
      window,
      'ecg_reading',
      'classification, heart_rate_bpm, sampling_rate_hz, duration_seconds',
      (row) => ({
        classification: String(row.classification),
        heartRateBpm: Number(row.heart_rate_bpm),
        samplingRateHz: Number(row.sampling_rate_hz),
        durationSeconds: Number(row.duration_seconds),
      }),
    );
  }

  async ecgWaveform(participantId: string, id: string): Promise<number[] | null> {
    if (!/^\d{1,19}$/.test(id)) return null;
    const [row] = await this.execute(`select waveform_uv from ecg_reading where id = ? and participant_id = ?`, [id, participantId]);
    return row ? (row.waveform_uv as number[]) : null;
  }

  /** The newest READINGS_PER_KIND readings of the period, oldest first. */
  private async period<T>(
    participantId: string,
    window: Pick<ReadingWindow, 'from' | 'to'>,
    table: string,
    columns: string,
    map: (row: Record<string, unknown>) => T,
  ): Promise<{ rows: (ReadingBase & T)[]; truncated: boolean }> {
    const rows = await this.execute(
      `select ${BASE}, ${columns} from ${table}
        where participant_id = ? and measured_at >= ?::timestamptz and measured_at < ?::timestamptz
        order by measured_at desc, id desc limit ?`,
      [participantId, window.from.toISOString(), window.to.toISOString(), READINGS_PER_KIND + 1],
    );
    const kept = rows.slice(0, READINGS_PER_KIND).reverse();
    return {
      truncated: rows.length > READINGS_PER_KIND,
      rows: kept.map((row) => ({
        id: String(row.id),
        measuredAt: toDate(row.measured_at)!,
        localTime: String(row.local_time),
        deviceType: String(row.device_type),
        ...map(row),
      })),
    };
  }

  private execute(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    return this.em.fork().getConnection().execute<Record<string, unknown>[]>(sql, params);
  }
}
