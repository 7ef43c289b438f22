import { SetMetadata } from '@nestjs/common';
import type { Response } from 'express';
import type { FieldErrors } from '@opendsp/i18n';
import { renderPage } from './portal-pages.helpers.js';
import type { PortalRequest } from './portal-request.types.js';

export const INVALID_FORM_ANSWER = 'opendsp:invalid-form-answer';

/** The form as submitted (the body before validation, so the page shows what was typed) and each field's message key. */
export interface SubmittedForm {
  values: Record<string, unknown>;
  errors: FieldErrors;
}

/** Answers a request whose form failed validation: renders a page or redirects, on `res`. */
export type InvalidFormAnswer<C = unknown> = (
  controller: C,
  req: PortalRequest,
  form: SubmittedForm,
  res: Response,
) => Promise<void> | void;

/**
 * On a handler that takes a form DTO: when the body fails validation the handler does not run, and
 * InvalidFormInterceptor answers instead. Either `view` is rendered again with status 422 and what `data`
 * returns for the form as submitted, or `answer` writes the response itself (a page that also sets headers,
 * or a redirect).
 */
export function OnInvalidForm<C>(answer: InvalidFormAnswer<C>): MethodDecorator;
export function OnInvalidForm<C>(
  view: string,
  data: (controller: C, req: PortalRequest, form: SubmittedForm) => Promise<Record<string, unknown>> | Record<string, unknown>,
): MethodDecorator;
export function OnInvalidForm<C>(
  viewOrAnswer: string | InvalidFormAnswer<C>,
  data?: (controller: C, req: PortalRequest, form: SubmittedForm) => Promise<Record<string, unknown>> | Record<string, unknown>,
): MethodDecorator {
  const answer: InvalidFormAnswer<C> =
    typeof viewOrAnswer === 'string'
      ? async (controller, req, form, res) => renderPage(res, viewOrAnswer, await data!(controller, req, form), 422)
      : viewOrAnswer;
  return SetMetadata(INVALID_FORM_ANSWER, answer);
}
