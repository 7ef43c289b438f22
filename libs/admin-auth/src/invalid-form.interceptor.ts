import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { catchError, from, throwError, type Observable } from 'rxjs';
import { InvalidRequestException } from '@opendsp/i18n';
import { INVALID_FORM_PAGE, type InvalidFormPage } from './portal-form.js';
import { renderPage } from './portal-pages.js';
import type { PortalRequest } from './portal-request.js';

/**
 * Re-renders a form page whose body failed the global ValidationPipe, for handlers marked `@OnInvalidForm`.
 * An interceptor, because the pipes run inside it: it knows the handler, which an exception filter does not.
 */
@Injectable()
export class InvalidFormInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const page = this.reflector.get<InvalidFormPage | undefined>(INVALID_FORM_PAGE, context.getHandler());
    if (!page) return next.handle();
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (!(error instanceof InvalidRequestException)) return throwError(() => error);
        const req = context.switchToHttp().getRequest<PortalRequest>();
        const res = context.switchToHttp().getResponse<Response>();
        const controller: unknown = this.moduleRef.get(context.getClass(), { strict: false });
        const values = (req.body ?? {}) as Record<string, unknown>;
        return from(
          Promise.resolve(page.data(controller, req, { values, errors: error.fieldErrors() })).then((data) =>
            renderPage(res, page.view, data, 422),
          ),
        );
      }),
    );
  }
}
