/** Canonical values of each measurement type, as stored (metric units; null where a device did not measure). */
export interface BloodPressureValues {
  systolic: number;
  diastolic: number;
  pulse: number;
  possibleAfib: boolean;
}

export interface HourlyActivityValues {
  /** 0-23, local time. */
  hour: number;
  steps: number;
  aerobicSteps: number;
  calories: number;
  distanceMeters: number;
}

export interface ActivityValues {
  steps: number;
  aerobicSteps: number;
  calories: number;
  distanceMeters: number;
  hourly: HourlyActivityValues[] | null;
}

export interface WeightValues {
  weightKg: number;
  bmi: number;
  bodyFatPercentage: number | null;
  restingMetabolism: number | null;
  visceralFatLevel: number | null;
  skeletalMusclePercentage: number | null;
}

export interface TemperatureValues {
  celsius: number;
}

export interface OxygenValues {
  spo2: number;
  pulse: number;
}

export type EcgClassification = 'normal' | 'possibleAfib' | 'bradycardia' | 'tachycardia' | 'unclassified';

export interface EcgValues {
  classification: EcgClassification;
  heartRate: number;
  samplingRate: number;
  durationSeconds: number;
  /** Microvolts. */
  waveform: number[];
}

export interface MeasurementValuesByType {
  bloodpressure: BloodPressureValues;
  activity: ActivityValues;
  weight: WeightValues;
  temperature: TemperatureValues;
  oxygen: OxygenValues;
  ecg: EcgValues;
}

export type MeasurementValues = MeasurementValuesByType[keyof MeasurementValuesByType];
