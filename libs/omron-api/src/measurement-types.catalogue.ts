/** The measurement types of the Partner API's `type` parameter and scopes. */
export const OMRON_MEASUREMENT_TYPES = ['bloodpressure', 'activity', 'weight', 'temperature', 'oxygen'] as const;

/**
 * `ecg` is not in the Partner API document; the DSP onboarding document says ECG can be shared, so the
 * sandbox serves it as an extension with the same envelope, scope and pagination conventions.
 */
export const SANDBOX_EXTENSION_TYPES = ['ecg'] as const;

export const MEASUREMENT_TYPES = [...OMRON_MEASUREMENT_TYPES, ...SANDBOX_EXTENSION_TYPES] as const;

export type MeasurementType = (typeof MEASUREMENT_TYPES)[number];

export function isMeasurementType(value: unknown): value is MeasurementType {
  return typeof value === 'string' && (MEASUREMENT_TYPES as readonly string[]).includes(value);
}

/** Each type's array name in `result` (note `bloodPressure`, camel-cased unlike the type). */
export const RESULT_KEYS = {
  bloodpressure: 'bloodPressure',
  activity: 'activity',
  weight: 'weight',
  temperature: 'temperature',
  oxygen: 'oxygen',
  ecg: 'ecg',
} as const satisfies Record<MeasurementType, string>;

/** Each type's pagination key, the same name in the request parameters and in `result.paginationKey`. */
export const PAGINATION_KEYS = {
  bloodpressure: 'bloodpressurePaginationKey',
  activity: 'activityPaginationKey',
  weight: 'weightPaginationKey',
  temperature: 'temperaturePaginationKey',
  oxygen: 'oxygenPaginationKey',
  ecg: 'ecgPaginationKey',
} as const satisfies Record<MeasurementType, string>;

export type ResultKey = (typeof RESULT_KEYS)[MeasurementType];
export type PaginationKeyName = (typeof PAGINATION_KEYS)[MeasurementType];
