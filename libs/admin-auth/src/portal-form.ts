import { SetMetadata } from '@nestjs/common';
import type { FieldErrors } from '@opendsp/i18n';
import type { PortalRequest } from './portal-request.js';

export const INVALID_FORM_PAGE = 'opendsp:invalid-form-page';

/** The form as submitted (the body before validation, so the page shows what was typed) and each field's message key. */
export interface SubmittedForm {
  values: Record<string, unknown>;
  errors: FieldErrors;
}

export interface InvalidFormPage<C = unknown> {
  view: string;
  data: (controller: C, req: PortalRequest, form: SubmittedForm) => Promise<Record<string, unknown>> | Record<string, unknown>;
}

/**
 * On a handler that takes a form DTO: when the body fails validation the handler does not run, and `view` is
 * rendered again with status 422 and what `data` returns for the form as submitted (InvalidFormInterceptor).
 */
export function OnInvalidForm<C>(view: string, data: InvalidFormPage<C>['data']): MethodDecorator {
  return SetMetadata(INVALID_FORM_PAGE, { view, data } satisfies InvalidFormPage<C>);
}
