/**
 * The kinds of reading the platform stores, with the Partner API's `type` parameter, result key and
 * pagination key for each (`../shared/spec/omron-partner-api-us.txt`; `ecg` is the sandbox's extension).
 */
export const MEASUREMENT_KINDS = {
  blood_pressure: {
    upstreamType: 'bloodpressure',
    resultKey: 'bloodPressure',
    paginationKey: 'bloodpressurePaginationKey',
    table: 'blood_pressure_reading',
  },
  activity: { upstreamType: 'activity', resultKey: 'activity', paginationKey: 'activityPaginationKey', table: 'activity_reading' },
  weight: { upstreamType: 'weight', resultKey: 'weight', paginationKey: 'weightPaginationKey', table: 'weight_reading' },
  temperature: {
    upstreamType: 'temperature',
    resultKey: 'temperature',
    paginationKey: 'temperaturePaginationKey',
    table: 'temperature_reading',
  },
  oxygen: { upstreamType: 'oxygen', resultKey: 'oxygen', paginationKey: 'oxygenPaginationKey', table: 'oxygen_reading' },
  ecg: { upstreamType: 'ecg', resultKey: 'ecg', paginationKey: 'ecgPaginationKey', table: 'ecg_reading' },
} as const;

export type MeasurementKind = keyof typeof MEASUREMENT_KINDS;
export const MEASUREMENT_KIND_NAMES = Object.keys(MEASUREMENT_KINDS) as MeasurementKind[];

/** The single sequence every reading table draws `change_seq` from; see `change-sequence.ts`. */
export const CHANGE_SEQUENCE = 'measurement_change_seq';
