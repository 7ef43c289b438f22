import { MEASUREMENT_ERRORS, type MeasurementErrorCode, type MeasurementErrorResponse } from '@opendsp/omron-api';

/** A measurement-API failure, answered as `{status, reason, errorCode}` with the matching HTTP status. */
export class OmronApiError extends Error {
  readonly httpStatus: number;

  constructor(
    readonly errorCode: MeasurementErrorCode,
    readonly reason: string = MEASUREMENT_ERRORS[errorCode].reason,
    readonly headers: Record<string, string> = {},
  ) {
    super(reason);
    this.name = 'OmronApiError';
    this.httpStatus = MEASUREMENT_ERRORS[errorCode].httpStatus;
  }

  body(): MeasurementErrorResponse {
    return { status: this.httpStatus, reason: this.reason, errorCode: this.errorCode };
  }
}
