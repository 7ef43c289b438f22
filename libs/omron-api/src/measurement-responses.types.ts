/**
 * The Partner API's measurement responses (`POST /{stg|prd}/api/measurement`), field for field as in the
 * spec's examples. Numbers the spec shows as strings (weight, temperature, oxygen, daily distance) are
 * strings here too; clients must parse them.
 */

/** Fields every measurement carries. */
export interface MeasurementBase {
  /** Unique per measurement within OMRON. */
  id: number;
  /** UTC, `YYYY-MM-DDTHH:mm:ss` without a zone designator. */
  dateTime: string;
  /** The user's local time, same format. */
  dateTimeLocal: string;
  /** Either `±HH:MM` ("+00:00") or a signed number of seconds ("-21600"); both occur. */
  dateTimeUtcOffset: string;
  deviceType: string;
}

export interface BloodPressureMeasurement extends MeasurementBase {
  /** 0 when `possibleAfib` is true. */
  systolic: number;
  diastolic: number;
  bloodPressureUnits: 'mmHg';
  pulse: number;
  pulseUnits: 'bpm';
  /** Present (and true) only for readings in which the monitor detected possible atrial fibrillation. */
  possibleAfib?: true;
}

export interface HourlyActivity {
  /** `HH:00` */
  hour: string;
  distance: number;
  aerobicSteps: number;
  calories: number;
  steps: number;
}

export interface ActivityMeasurement extends MeasurementBase {
  steps: number;
  aerobicSteps: number;
  calories: number;
  caloriesUnits: 'kcal';
  /** Decimal string in `distanceUnits`. */
  dailyDistance: string;
  distanceUnits: 'miles' | 'km';
  /** Only when the request had `includeHourlyActivity=true`. */
  hourlyActivityData?: HourlyActivity[];
}

export interface WeightMeasurement extends MeasurementBase {
  idExt: number;
  /** Decimal strings; "-1.0" where the scale did not measure the value. */
  weight: string;
  restingMetabolism: string;
  visceralFatLevel: string;
  skeletalMusclePercentage: string;
  /** The user's unit preference, which `weight` is expressed in. */
  weightPref: 'kg' | 'lb';
  bmiValue: string;
  bodyFatPercentage: string;
}

export interface TemperatureMeasurement extends MeasurementBase {
  temperature: string;
  temperaturePref: '°C' | '°F';
}

export interface OxygenMeasurement extends MeasurementBase {
  oxygenLevel: string;
  pulse: string;
}

/** Sandbox extension: a single-lead ECG recording. */
export interface EcgMeasurement extends MeasurementBase {
  classification: 'normal' | 'possibleAfib' | 'bradycardia' | 'tachycardia' | 'unclassified';
  heartRate: number;
  heartRateUnits: 'bpm';
  samplingRate: number;
  samplingRateUnits: 'Hz';
  duration: number;
  durationUnits: 's';
  /** Lead I samples in microvolts, `samplingRate` per second. */
  waveform: number[];
  waveformUnits: 'uV';
}

/** Epoch milliseconds to pass back for the next page, or null when there is no more data of that type. */
export type PaginationKeyValue = number | null;

export interface MeasurementResult {
  bloodPressure?: BloodPressureMeasurement[];
  activity?: ActivityMeasurement[];
  weight?: WeightMeasurement[];
  temperature?: TemperatureMeasurement[];
  oxygen?: OxygenMeasurement[];
  ecg?: EcgMeasurement[];
  /** One entry per type requested. */
  paginationKey: {
    bloodpressurePaginationKey?: PaginationKeyValue;
    activityPaginationKey?: PaginationKeyValue;
    weightPaginationKey?: PaginationKeyValue;
    temperaturePaginationKey?: PaginationKeyValue;
    oxygenPaginationKey?: PaginationKeyValue;
    ecgPaginationKey?: PaginationKeyValue;
  };
  /** Legacy: true when the server's own maximum cut the result short. */
  truncated: boolean;
  measurementCount: number;
}

export interface MeasurementSuccessResponse {
  status: 0;
  result: MeasurementResult;
}

/** A failure: `status` is never 0. */
export interface MeasurementErrorResponse {
  status: number;
  reason: string;
  errorCode: string;
}

export type MeasurementResponse = MeasurementSuccessResponse | MeasurementErrorResponse;

export function isMeasurementError(response: MeasurementResponse): response is MeasurementErrorResponse {
  return response.status !== 0;
}
