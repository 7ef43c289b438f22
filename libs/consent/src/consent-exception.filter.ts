import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { CsrfRejectedException } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import { ConsentFlowElsewhereException, ConsentFlowMissingException } from './consent-flow.guard.js';
import { consentError } from './consent-pages.helpers.js';

/**
 * Errors on participant pages become a friendly page in the participant layout (never the portal's, which
 * points to the admin sign-in): a refused CSRF token asks for a reload, a flow at another stage goes to its
 * page, anything unexpected is logged.
 */
@Catch()
export class ConsentExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(ConsentExceptionFilter.name);

  constructor(private readonly config: DspConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    if (exception instanceof ConsentFlowElsewhereException) return res.redirect(303, exception.location);
    let status = exception instanceof HttpException ? exception.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR;
    if (!(exception instanceof HttpException) && (exception as { type?: string })?.type === 'entity.too.large') status = 413;
    if (status >= 500)
      this.logger.error(exception instanceof Error ? { err: exception } : { exception }, 'unexpected error on a participant page');
    res.locals.lang ??= this.config.environment.language;
    res.locals.environment ??= this.config.environment;
    const message =
      exception instanceof CsrfRejectedException
        ? 'consent_error.csrf'
        : exception instanceof ConsentFlowMissingException
          ? 'consent_error.flow_missing'
          : status === 404
            ? 'consent_error.not_found'
            : status >= 500
              ? 'consent_error.unexpected'
              : 'consent_error.bad_request';
    consentError(res, message, status);
  }
}
