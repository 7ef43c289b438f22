import type {
  ActivityMeasurement,
  BloodPressureMeasurement,
  EcgMeasurement,
  MeasurementBase,
  MeasurementType,
  OxygenMeasurement,
  TemperatureMeasurement,
  WeightMeasurement,
} from '@opendsp/omron-api';
import type {
  ActivityValues,
  BloodPressureValues,
  EcgValues,
  MeasurementValuesByType,
  OxygenValues,
  TemperatureValues,
  WeightValues,
} from './measurement-values.js';
import type { Preferences } from './user-preferences.entity.js';

/** A stored reading as the formatter needs it. */
export interface StoredReading<T extends MeasurementType = MeasurementType> {
  id: number;
  type: T;
  measuredAt: Date;
  utcOffsetSeconds: number;
  deviceType: string;
  values: MeasurementValuesByType[T];
}

const METERS_PER_MILE = 1609.344;
const POUNDS_PER_KG = 2.2046226218;

/** `2022-02-03T16:44:13`: the API's date-time form, no zone designator, no fraction. */
export function apiDateTime(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19);
}

/** `+09:00` / `-06:00` / `+00:00`. */
export function offsetHhMm(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const minutes = Math.round(Math.abs(seconds) / 60);
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function offsetText(type: MeasurementType, seconds: number, preferences: Preferences): string {
  const format = preferences.utcOffsetFormat === 'auto' ? (type === 'weight' ? 'seconds' : 'hhmm') : preferences.utcOffsetFormat;
  return format === 'seconds' ? String(seconds) : offsetHhMm(seconds);
}

/** One decimal, or "-1.0" for a value the device did not measure. */
function decimal(value: number | null, digits = 1): string {
  return value === null ? '-1.0' : value.toFixed(digits);
}

/** Shortest decimal with at most two places: 0 → "0", 3.4 → "3.4". */
function shortDecimal(value: number): string {
  return String(Number(value.toFixed(2)));
}

function base(reading: StoredReading, preferences: Preferences): MeasurementBase {
  const ms = reading.measuredAt.getTime();
  return {
    id: reading.id,
    dateTime: apiDateTime(ms),
    dateTimeLocal: apiDateTime(ms + reading.utcOffsetSeconds * 1000),
    dateTimeUtcOffset: offsetText(reading.type, reading.utcOffsetSeconds, preferences),
    deviceType: reading.deviceType,
  };
}

function bloodPressure(reading: StoredReading, values: BloodPressureValues, preferences: Preferences): BloodPressureMeasurement {
  const { deviceType, ...common } = base(reading, preferences);
  // As OMRON does: an AFib reading carries the flag and zeroes instead of the pressures and pulse.
  const afib = values.possibleAfib;
  return {
    ...common,
    systolic: afib ? 0 : values.systolic,
    diastolic: afib ? 0 : values.diastolic,
    bloodPressureUnits: 'mmHg',
    pulse: afib ? 0 : values.pulse,
    pulseUnits: 'bpm',
    ...(afib ? { possibleAfib: true as const } : {}),
    deviceType,
  };
}

function activity(reading: StoredReading, values: ActivityValues, preferences: Preferences, includeHourly: boolean): ActivityMeasurement {
  const { deviceType, ...common } = base(reading, preferences);
  const distance = (meters: number) => (preferences.distanceUnit === 'miles' ? meters / METERS_PER_MILE : meters / 1000);
  return {
    ...common,
    steps: values.steps,
    aerobicSteps: values.aerobicSteps,
    calories: values.calories,
    caloriesUnits: 'kcal',
    dailyDistance: shortDecimal(distance(values.distanceMeters)),
    distanceUnits: preferences.distanceUnit,
    deviceType,
    ...(includeHourly
      ? {
          hourlyActivityData: (values.hourly ?? []).map((hour) => ({
            hour: `${String(hour.hour).padStart(2, '0')}:00`,
            distance: Number(distance(hour.distanceMeters).toFixed(3)),
            aerobicSteps: hour.aerobicSteps,
            calories: hour.calories,
            steps: hour.steps,
          })),
        }
      : {}),
  };
}

function weight(reading: StoredReading, values: WeightValues, preferences: Preferences): WeightMeasurement {
  const { id, dateTime, dateTimeLocal, dateTimeUtcOffset, deviceType } = base(reading, preferences);
  const shown = preferences.weightUnit === 'lb' ? values.weightKg * POUNDS_PER_KG : values.weightKg;
  // Key order follows the spec's example.
  return {
    id,
    idExt: id,
    dateTime,
    dateTimeLocal,
    dateTimeUtcOffset,
    weight: shown.toFixed(1),
    restingMetabolism: decimal(values.restingMetabolism),
    visceralFatLevel: decimal(values.visceralFatLevel),
    skeletalMusclePercentage: decimal(values.skeletalMusclePercentage),
    weightPref: preferences.weightUnit,
    bmiValue: values.bmi.toFixed(2),
    deviceType,
    bodyFatPercentage: decimal(values.bodyFatPercentage),
  };
}

function temperature(reading: StoredReading, values: TemperatureValues, preferences: Preferences): TemperatureMeasurement {
  const { deviceType, ...common } = base(reading, preferences);
  const fahrenheit = preferences.temperatureUnit === 'F';
  return {
    ...common,
    temperature: (fahrenheit ? (values.celsius * 9) / 5 + 32 : values.celsius).toFixed(1),
    temperaturePref: fahrenheit ? '°F' : '°C',
    deviceType,
  };
}

function oxygen(reading: StoredReading, values: OxygenValues, preferences: Preferences): OxygenMeasurement {
  const { deviceType, ...common } = base(reading, preferences);
  return { ...common, oxygenLevel: String(Math.round(values.spo2)), pulse: String(Math.round(values.pulse)), deviceType };
}

function ecg(reading: StoredReading, values: EcgValues, preferences: Preferences): EcgMeasurement {
  const { deviceType, ...common } = base(reading, preferences);
  return {
    ...common,
    classification: values.classification,
    heartRate: values.heartRate,
    heartRateUnits: 'bpm',
    samplingRate: values.samplingRate,
    samplingRateUnits: 'Hz',
    duration: values.durationSeconds,
    durationUnits: 's',
    waveform: values.waveform,
    waveformUnits: 'uV',
    deviceType,
  };
}

export type FormattedMeasurement =
  BloodPressureMeasurement | ActivityMeasurement | WeightMeasurement | TemperatureMeasurement | OxygenMeasurement | EcgMeasurement;

/** A stored reading in the API's shape, in the user's units and offset format. */
export function formatMeasurement(
  reading: StoredReading,
  preferences: Preferences,
  options: { includeHourly: boolean },
): FormattedMeasurement {
  switch (reading.type) {
    case 'bloodpressure':
      return bloodPressure(reading, reading.values as BloodPressureValues, preferences);
    case 'activity':
      return activity(reading, reading.values as ActivityValues, preferences, options.includeHourly);
    case 'weight':
      return weight(reading, reading.values as WeightValues, preferences);
    case 'temperature':
      return temperature(reading, reading.values as TemperatureValues, preferences);
    case 'oxygen':
      return oxygen(reading, reading.values as OxygenValues, preferences);
    case 'ecg':
      return ecg(reading, reading.values as EcgValues, preferences);
  }
}
