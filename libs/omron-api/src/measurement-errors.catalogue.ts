/**
 * Failure answers of the measurement API. The spec promises a non-zero `status` with a code list in an
 * appendix it does not include; real clients only rely on `status !== 0`, the HTTP status and `reason`.
 * The sandbox therefore uses the HTTP status as `status` and a stable `errorCode` string.
 */
export const MEASUREMENT_ERRORS = {
  INVALID_TOKEN: { httpStatus: 401, reason: 'The access token is missing, invalid, expired or revoked' },
  INVALID_PARAMETER: { httpStatus: 400, reason: 'A request parameter is not valid' },
  SCOPE_NOT_GRANTED: { httpStatus: 403, reason: 'The user did not authorise this measurement type for your application' },
  METHOD_NOT_ALLOWED: { httpStatus: 405, reason: 'The API only accepts the POST method' },
  UNSUPPORTED_CONTENT_TYPE: { httpStatus: 415, reason: 'The request body must be application/x-www-form-urlencoded' },
  RATE_LIMIT_EXCEEDED: { httpStatus: 429, reason: 'Too many requests; retry after the number of seconds in Retry-After' },
  INTERNAL_ERROR: { httpStatus: 500, reason: 'Internal server error' },
  SERVICE_UNAVAILABLE: { httpStatus: 503, reason: 'Service temporarily unavailable' },
} as const;

export type MeasurementErrorCode = keyof typeof MEASUREMENT_ERRORS;
