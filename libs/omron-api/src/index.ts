export { jsonShape } from './json-shape.js';
export { MEASUREMENT_ERRORS } from './measurement-errors.js';
export type { MeasurementErrorCode } from './measurement-errors.js';
export {
  MeasurementParamError,
  formatSinceDate,
  measurementRequestBody,
  parseMeasurementParams,
  parseSinceDate,
} from './measurement-request.js';
export type { MeasurementQuery, MeasurementRequestParams, SortOrder } from './measurement-request.js';
export type {
  ActivityMeasurement,
  BloodPressureMeasurement,
  EcgMeasurement,
  MeasurementBase,
  MeasurementErrorResponse,
  MeasurementResult,
  MeasurementSuccessResponse,
  OxygenMeasurement,
  TemperatureMeasurement,
  WeightMeasurement,
} from './measurement-responses.js';
export { MEASUREMENT_TYPES, OMRON_MEASUREMENT_TYPES, PAGINATION_KEYS, RESULT_KEYS, isMeasurementType } from './measurement-types.js';
export type { MeasurementType } from './measurement-types.js';
export { SPEC_EXAMPLES, specExample } from './spec-examples.js';
export type { SpecExampleName } from './spec-examples.js';
