import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ApiProblem, type FieldProblem } from './api-problem.exception.js';

/** `participants[2].internalCustomerId` from class-validator's nested errors. */
function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field =
      parent === '' ? error.property : /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`;
    const own = Object.entries(error.constraints ?? {}).map(([code, message]) => ({
      field,
      code: code === 'whitelistValidation' ? 'unknown_field' : code,
      message: code === 'whitelistValidation' ? `${field} is not a parameter of this operation` : message,
    }));
    return [...own.slice(0, 1), ...flatten(error.children ?? [], field)];
  });
}

/**
 * The API's validation: unknown fields are refused (a typo such as `sinse` must not silently mean "from
 * the start"), values are converted to their declared types, and every problem names its field.
 */
export function apiValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => ApiProblem.validation(flatten(errors)),
  });
}
