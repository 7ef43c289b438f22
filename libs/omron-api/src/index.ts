export { jsonShape } from './json-shape.helpers.js';
export { MEASUREMENT_ERRORS } from './measurement-errors.catalogue.js';
export type { MeasurementErrorCode } from './measurement-errors.catalogue.js';
export {
  MeasurementParamError,
  formatSinceDate,
  measurementRequestBody,
  parseMeasurementParams,
  parseSinceDate,
} from './measurement-request.rules.js';
export type { MeasurementQuery, MeasurementRequestParams, SortOrder } from './measurement-request.rules.js';
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
} from './measurement-responses.types.js';
export {
  MEASUREMENT_TYPES,
  OMRON_MEASUREMENT_TYPES,
  PAGINATION_KEYS,
  RESULT_KEYS,
  isMeasurementType,
} from './measurement-types.catalogue.js';
export type { MeasurementType } from './measurement-types.catalogue.js';
export { SPEC_EXAMPLES, specExample } from './spec-examples.catalogue.js';
export type { SpecExampleName } from './spec-examples.catalogue.js';
