import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { MEASUREMENT_KIND_NAMES, ReadingsRepository, type DeviceSeen, type MeasurementKind } from '@opendsp/measurements';
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

/** What `ReadingQueries.page` reads for the participant page, kind by kind. */
export interface ParticipantReadings {
  latest: Record<MeasurementKind, Date | null>;
  bloodPressure: { rows: BloodPressureRow[]; truncated: boolean };
  weight: { rows: WeightRow[]; truncated: boolean };
  activity: { rows: ActivityRow[]; truncated: boolean };
  temperature: { rows: TemperatureRow[]; truncated: boolean };
  oxygen: { rows: OxygenRow[]; truncated: boolean };
  ecg: { rows: EcgRow[]; truncated: boolean };
  /** The devices the participant's readings came from, newest sighting first. */
  devices: DeviceSeen[];
}

/** Local midnights lie within ±14 hours of the environment's: activity's instant range is widened, then kept by local day. */
function widenedForLocalDays(window: Pick<ReadingWindow, 'from' | 'to'>): { from: Date; to: Date } {
  return { from: new Date(window.from.getTime() - 14 * 3_600_000), to: new Date(window.to.getTime() + 14 * 3_600_000) };
}

/** Activity rows with their local day, only the window's days. */
function activityDays(
  result: { rows: Omit<ActivityRow, 'day'>[]; truncated: boolean },
  window: Pick<ReadingWindow, 'firstDay' | 'lastDay'>,
): { rows: ActivityRow[]; truncated: boolean } {
  const rows = result.rows.map((row) => ({ ...row, day: row.localTime.slice(0, 10) }));
  return { ...result, rows: rows.filter((row) => row.day >= window.firstDay && row.day <= window.lastDay) };
}

/** At most this many readings of a kind per page; the newest are kept and the page says so. */
export const READINGS_PER_KIND = 1000;

/**
 * A participant's readings of one period, kind by kind, typed for the page and its charts. The queries are
 * `ReadingsRepository`'s (through each table's (participant_id, measured_at) index); ECG waveforms only for
 * the one recording shown.
 */
@Injectable()
export class ReadingQueries {
  constructor(
    private readonly em: EntityManager,
    private readonly readings: ReadingsRepository,
  ) {}

  /**
   * Everything the participant page reads from the reading tables for its period, in one statement: the newest
   * reading's time per kind, and each kind's rows as `bloodPressure`, `weight`, … give them (the same limit, order
   * and activity's widened window).
   */
  async page(participantId: string, window: ReadingWindow): Promise<ParticipantReadings> {
    const period = { from: window.from, to: window.to, limit: READINGS_PER_KIND + 1 };
    const { latest, rows, devices } = await this.readings.portalPeriods(this.em.fork(), participantId, {
      blood_pressure: period,
      weight: period,
      activity: { ...period, ...widenedForLocalDays(window) },
      temperature: period,
      oxygen: period,
      ecg: period,
    });
    const newest = <T>(found: unknown[]) => ({
      truncated: found.length > READINGS_PER_KIND,
      rows: found.slice(0, READINGS_PER_KIND).reverse() as unknown as T[],
    });
    return {
      latest,
      bloodPressure: newest<BloodPressureRow>(rows.blood_pressure),
      weight: newest<WeightRow>(rows.weight),
      activity: activityDays(newest<Omit<ActivityRow, 'day'>>(rows.activity), window),
      temperature: newest<TemperatureRow>(rows.temperature),
      oxygen: newest<OxygenRow>(rows.oxygen),
      ecg: newest<EcgRow>(rows.ecg),
      devices,
    };
  }

  /** The newest reading's time per kind (null: none ever). */
  async latest(participantId: string): Promise<Record<MeasurementKind, Date | null>> {
    const row = await this.readings.latestTimes(this.em.fork(), participantId);
    return Object.fromEntries(MEASUREMENT_KIND_NAMES.map((kind) => [kind, toDate(row[kind])])) as Record<MeasurementKind, Date | null>;
  }

  async bloodPressure(participantId: string, window: ReadingWindow): Promise<{ rows: BloodPressureRow[]; truncated: boolean }> {
    return this.period('blood_pressure', participantId, window);
  }

  async weight(participantId: string, window: ReadingWindow): Promise<{ rows: WeightRow[]; truncated: boolean }> {
    return this.period('weight', participantId, window);
  }

  /** Daily activity whose local day falls in the window's days (a day is the participant's, not the environment's). */
  async activity(participantId: string, window: ReadingWindow): Promise<{ rows: ActivityRow[]; truncated: boolean }> {
    const result = await this.period<Omit<ActivityRow, 'day'>>('activity', participantId, { ...window, ...widenedForLocalDays(window) });
    return activityDays(result, window);
  }

  async temperature(participantId: string, window: ReadingWindow): Promise<{ rows: TemperatureRow[]; truncated: boolean }> {
    return this.period('temperature', participantId, window);
  }

  async oxygen(participantId: string, window: ReadingWindow): Promise<{ rows: OxygenRow[]; truncated: boolean }> {
    return this.period('oxygen', participantId, window);
  }

  /** ECG recordings without their waveforms. */
  async ecg(participantId: string, window: ReadingWindow): Promise<{ rows: EcgRow[]; truncated: boolean }> {
    return this.period('ecg', participantId, window);
  }

  /** One activity day's hours and one ECG recording's waveform, in one statement; null asks for neither. */
  async detail(
    participantId: string,
    activityId: string | null,
    ecgId: string | null,
  ): Promise<{ hours: ActivityHourRow[]; waveform: number[] | null }> {
    const ecg = ecgId !== null && /^\d{1,19}$/.test(ecgId) ? ecgId : null;
    if (activityId === null && ecg === null) return { hours: [], waveform: null };
    const found = await this.readings.portalDetail(this.em.fork(), participantId, { activityId, ecgId: ecg });
    return { hours: found.hours as unknown as ActivityHourRow[], waveform: found.waveform };
  }

  /**
   * The newest READINGS_PER_KIND readings of the period, oldest first. The row types above name the
   * catalogue's `portalField`s of each kind (`READING_CATALOGUE`).
   */
  private async period<T extends ReadingBase>(
    kind: MeasurementKind,
    participantId: string,
    window: Pick<ReadingWindow, 'from' | 'to'>,
  ): Promise<{ rows: T[]; truncated: boolean }> {
    const rows = await this.readings.portalPeriod(this.em.fork(), kind, participantId, {
      from: window.from,
      to: window.to,
      limit: READINGS_PER_KIND + 1,
    });
    return { truncated: rows.length > READINGS_PER_KIND, rows: rows.slice(0, READINGS_PER_KIND).reverse() as unknown as T[] };
  }
}
