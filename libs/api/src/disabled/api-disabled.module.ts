import { All, Controller, Module, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { SkipCsrf } from '@opendsp/admin-auth';

/**
 * Stands in for the REST API when `DSP_DATA_TRANSFER_METHODS` leaves out `api` (DSP onboarding document: the data
 * transfer methods are chosen per environment): every `/api/v1` path answers an RFC 9457 problem, 404.
 */
@ApiExcludeController()
@Controller('api/v1')
@SkipCsrf()
class ApiDisabledController {
  @All(['', '*path'])
  notServed(@Res() res: Response): void {
    res.status(404).type('application/problem+json').json({
      type: 'urn:opendsp:problem:api_not_enabled',
      title: 'The REST API is not a data transfer method of this environment',
      status: 404,
      code: 'api_not_enabled',
      detail: 'DSP_DATA_TRANSFER_METHODS does not include api.',
    });
  }
}

@Module({ controllers: [ApiDisabledController] })
export class ApiDisabledModule {}
