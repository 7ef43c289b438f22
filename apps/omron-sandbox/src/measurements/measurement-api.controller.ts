import { All, Body, Controller, HttpCode, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import { MeasurementParamError, parseMeasurementParams, type MeasurementSuccessResponse } from '@opendsp/omron-api';
import { MeasurementAccessGuard, type MeasurementRequest } from './measurement-access.guard.js';
import { MeasurementApiFilter } from './measurement-api.filter.js';
import { MEASUREMENT_PAGE_MAX, MeasurementApiService } from './measurement-api.service.js';
import { OmronApiError } from './omron-api-error.js';

const PATHS = ['stg/api/measurement', 'prd/api/measurement'];

/** OMRON's Data API: `POST /stg/api/measurement` (and `/prd/…`), bearer token, form-urlencoded parameters. */
@Controller()
@UseFilters(MeasurementApiFilter)
export class MeasurementApiController {
  constructor(private readonly measurements: MeasurementApiService) {}

  @Post(PATHS)
  @HttpCode(200)
  @UseGuards(MeasurementAccessGuard)
  query(@Req() request: MeasurementRequest, @Body() body: unknown): Promise<MeasurementSuccessResponse> {
    const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
    // Every parameter is optional, so a bare POST without a body (and so without a content type) is fine.
    if (hasBody && !request.is('application/x-www-form-urlencoded')) throw new OmronApiError('UNSUPPORTED_CONTENT_TYPE');
    try {
      const params = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
      return this.measurements.measurements(request.omronAccess!, parseMeasurementParams(params, { maxLimit: MEASUREMENT_PAGE_MAX }));
    } catch (error) {
      if (error instanceof MeasurementParamError) throw new OmronApiError('INVALID_PARAMETER', error.message);
      throw error;
    }
  }

  @All(PATHS)
  otherMethods(): never {
    throw new OmronApiError('METHOD_NOT_ALLOWED', undefined, { Allow: 'POST' });
  }
}
