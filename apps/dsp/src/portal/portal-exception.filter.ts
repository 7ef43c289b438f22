import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';
import { CsrfRejectedException, SignInRequiredException } from '@opendsp/admin-auth';
import { ApiProblemFilter } from '@opendsp/api';
import { DspConfig } from '@opendsp/config';

/** Paths whose errors stay JSON (the REST API and the probes); every other error is a friendly page. */
const JSON_PATHS = /^\/(api|health)(\/|$)/;
/** The REST API answers even unknown paths and unreadable bodies with problem details. */
const API_PATHS = /^\/api(\/|$)/;

const PAGES: Record<number, { heading: string; message: string }> = {
  400: { heading: 'error.400.heading', message: 'error.400.message' },
  403: { heading: 'error.403.heading', message: 'error.403.message' },
  404: { heading: 'error.404.heading', message: 'error.404.message' },
  413: { heading: 'error.400.heading', message: 'error.413.message' },
  500: { heading: 'error.500.heading', message: 'error.500.message' },
};

/**
 * The portal's one error filter: "sign in first" becomes a redirect to the sign-in page, a refused CSRF
 * token and other HTTP errors a page in the visitor's language with the right status, anything unexpected
 * a 500 page (and an error in the log). API and probe paths keep Nest's JSON answers.
 */
@Catch()
export class PortalExceptionFilter extends BaseExceptionFilter {
  private readonly logger = new Logger(PortalExceptionFilter.name);
  private readonly apiProblems = new ApiProblemFilter();

  constructor(private readonly config: DspConfig) {
    super();
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return super.catch(exception, host);
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (API_PATHS.test(req.path)) return this.apiProblems.catch(exception, host);
    if (JSON_PATHS.test(req.path) || res.headersSent) return super.catch(exception, host);

    if (exception instanceof SignInRequiredException) {
      // Only a page the browser asked for is worth returning to after signing in.
      const next = req.method === 'GET' ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
      return res.redirect(303, `/login${next}`);
    }
    let status = exception instanceof HttpException ? exception.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR;
    if (status >= 500)
      this.logger.error(exception instanceof Error ? { err: exception } : { exception }, 'unexpected error on a portal page');
    if (!(exception instanceof HttpException) && (exception as { type?: string })?.type === 'entity.too.large') status = 413;
    const page =
      exception instanceof CsrfRejectedException
        ? { heading: 'error.403.heading', message: 'error.csrf.message' }
        : exception instanceof HttpException && exception.message === 'link' && status === 404
          ? { heading: 'error.link.heading', message: 'error.link.message' }
          : (PAGES[status] ?? PAGES[status >= 500 ? 500 : 400]);
    if (!res.locals.environment) {
      // Errors before the session middleware ran (unknown routes are fine; body parsing errors are not).
      const { environment } = this.config;
      Object.assign(res.locals, {
        environment,
        countries: environment.countries.map((country) => country.name).join(', '),
        lang: environment.language,
        timezone: environment.timezone,
      });
    }
    res.status(status).render('error', { title: page.heading, ...page });
  }
}
