import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { catchError, from, throwError, type Observable } from 'rxjs';
import { InvalidRequestException } from '@opendsp/i18n';
import { INVALID_FORM_ANSWER, type InvalidFormAnswer } from './portal-form.decorator.js';
import type { PortalRequest } from './portal-request.types.js';

/**
 * Answers a request whose form failed the global ValidationPipe, for handlers marked `@OnInvalidForm`: the
 * form's page again with its errors, or a redirect.
 * An interceptor, because the pipes run inside it: it knows the handler, which an exception filter does not.
 */
@Injectable()
export class InvalidFormInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const answer = this.reflector.get<InvalidFormAnswer | undefined>(INVALID_FORM_ANSWER, context.getHandler());
    if (!answer) return next.handle();
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (!(error instanceof InvalidRequestException)) return throwError(() => error);
        const req = context.switchToHttp().getRequest<PortalRequest>();
        const res = context.switchToHttp().getResponse<Response>();
        const controller: unknown = this.moduleRef.get(context.getClass(), { strict: false });
        const values = (req.body ?? {}) as Record<string, unknown>;
        return from(Promise.resolve(answer(controller, req, { values, errors: error.fieldErrors() }, res)));
      }),
    );
  }
}
