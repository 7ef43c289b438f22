import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { OmronApiError } from './omron-api-error.js';

/** Every failure of the measurement API in OMRON's envelope: a non-zero `status`, `reason` and `errorCode`; never a stack trace. */
@Catch()
export class MeasurementApiFilter implements ExceptionFilter {
  private readonly logger = new Logger(MeasurementApiFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    let error: OmronApiError;
    if (exception instanceof OmronApiError) {
      error = exception;
    } else if (exception instanceof HttpException && exception.getStatus() < 500) {
      error = new OmronApiError('INVALID_PARAMETER', exception.message);
    } else {
      this.logger.error({ err: exception }, 'measurement API failure');
      error = new OmronApiError('INTERNAL_ERROR');
    }
    if (response.headersSent) return;
    response.status(error.httpStatus).set(error.headers).json(error.body());
  }
}
