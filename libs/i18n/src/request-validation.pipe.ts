import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';
import type { ValidatorOptions } from 'class-validator';
import type { FieldErrors } from './form-validation.helpers.js';

/**
 * A request's DTO failed validation. It carries class-validator's problems as they are: the REST API lists
 * them as problem details, a portal page shows each field's message key beside the field.
 */
export class InvalidRequestException extends BadRequestException {
  constructor(readonly problems: ValidationError[]) {
    super('The request is not valid.');
  }

  /** Field name → the message key of its first problem (a form DTO's constraints carry message keys). */
  fieldErrors(): FieldErrors {
    return Object.fromEntries(
      this.problems.map((problem) => [problem.property, Object.values(problem.constraints ?? {})[0] ?? 'form.invalid']),
    );
  }
}

/**
 * The base of a DTO that a browser form posts. Fields it does not declare (the CSRF token, a button's name)
 * are dropped rather than refused, as a page is not an API request; a mistake re-renders the page with field
 * errors (`@OnInvalidForm` in admin-auth).
 */
export abstract class BrowserForm {}

/** Refuses unknown fields, except in a BrowserForm, which drops them. */
class RequestValidationPipe extends ValidationPipe {
  protected override validate(object: object, options?: ValidatorOptions): ReturnType<ValidationPipe['validate']> {
    return super.validate(object, object instanceof BrowserForm ? { ...options, forbidNonWhitelisted: false } : options);
  }
}

/**
 * The platform's one ValidationPipe, registered globally by the app. Values are converted to their declared
 * types, a DTO's defaults stand in for fields a request leaves out (an unticked checkbox), unknown fields are
 * refused (a typo such as `sinse` must not silently mean "from the start"; a BrowserForm drops them), and
 * each field reports its first problem.
 */
export function requestValidationPipe(): ValidationPipe {
  return new RequestValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { exposeDefaultValues: true },
    forbidUnknownValues: true,
    stopAtFirstError: true,
    exceptionFactory: (problems) => new InvalidRequestException(problems),
  });
}
