import { ACTIVITY_HOUR_COLUMNS, READING_CATALOGUE, type MeasurementKind } from '@opendsp/measurements';
import type {
  ActivityHourRow,
  ActivityRow,
  BloodPressureRow,
  EcgRow,
  OxygenRow,
  TemperatureRow,
  WeightRow,
} from './reading-queries.service.js';

/** Fields every reading row has, and the activity row's day, which the page adds: not catalogue columns. */
type Common = 'id' | 'measuredAt' | 'localTime' | 'deviceType' | 'day';

/**
 * A row type's own fields, each marked by whether it may be null. The compiler refuses a literal of this type
 * that misses a field, adds one or marks one wrongly, so each literal below is the row type, spelled out.
 */
type Fields<T> = { [K in Exclude<keyof T, Common>]-?: null extends T[K] ? 'nullable' : 'required' };

const ROW_TYPES: Record<MeasurementKind, Record<string, 'nullable' | 'required'>> = {
  blood_pressure: {
    systolic: 'nullable',
    diastolic: 'nullable',
    pulse: 'nullable',
    possibleAfib: 'required',
  } satisfies Fields<BloodPressureRow>,
  activity: {
    steps: 'required',
    aerobicSteps: 'required',
    caloriesKcal: 'required',
    distanceKm: 'required',
    distanceOriginal: 'required',
    distanceUnit: 'required',
  } satisfies Fields<ActivityRow>,
  weight: {
    weightKg: 'nullable',
    weightOriginal: 'nullable',
    weightUnit: 'required',
    bmi: 'nullable',
    bodyFatPercent: 'nullable',
    skeletalMusclePercent: 'nullable',
    visceralFatLevel: 'nullable',
    restingMetabolismKcal: 'nullable',
  } satisfies Fields<WeightRow>,
  temperature: {
    temperatureC: 'required',
    temperatureOriginal: 'required',
    temperatureUnit: 'required',
  } satisfies Fields<TemperatureRow>,
  oxygen: { spo2Percent: 'required', pulse: 'nullable' } satisfies Fields<OxygenRow>,
  ecg: {
    classification: 'required',
    heartRateBpm: 'required',
    samplingRateHz: 'required',
    durationSeconds: 'required',
  } satisfies Fields<EcgRow>,
};

const HOUR_ROW: Record<string, 'nullable' | 'required'> = {
  hour: 'required',
  steps: 'required',
  aerobicSteps: 'required',
  caloriesKcal: 'required',
  distanceOriginal: 'required',
} satisfies Fields<ActivityHourRow>;

/** The catalogue's portal fields of some columns, with their nullability. */
function portalFields(columns: readonly { portalField: string | null; nullable: boolean }[]): Record<string, 'nullable' | 'required'> {
  return Object.fromEntries(
    columns
      .filter((column) => column.portalField !== null)
      .map((column) => [column.portalField, column.nullable ? 'nullable' : 'required'] as const),
  );
}

describe('ReadingQueries row types', () => {
  it("name exactly each kind's portal fields of the readings catalogue, nullable where the column is", () => {
    for (const kind of Object.keys(READING_CATALOGUE) as MeasurementKind[]) {
      expect([kind, ROW_TYPES[kind]]).toEqual([kind, portalFields(READING_CATALOGUE[kind])]);
    }
  });

  it("name exactly the portal fields of the catalogue's activity hour columns", () => {
    expect(HOUR_ROW).toEqual(portalFields(ACTIVITY_HOUR_COLUMNS));
  });
});
