import type { ValidationError } from '@nestjs/common';

/** One problem with one input field; `field` is a path such as `since` or `participants[2].internalCustomerId`. */
export interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

/**
 * The API's validation problems from class-validator's errors (the global ValidationPipe refuses unknown
 * fields and converts values to their declared types): every problem names its field, nested ones as
 * `participants[2].internalCustomerId`.
 */
export function validationProblems(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field =
      parent === '' ? error.property : /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`;
    const own = Object.entries(error.constraints ?? {}).map(([code, message]) => ({
      field,
      code: code === 'whitelistValidation' ? 'unknown_field' : code,
      message: code === 'whitelistValidation' ? `${field} is not a parameter of this operation` : message,
    }));
    return [...own.slice(0, 1), ...validationProblems(error.children ?? [], field)];
  });
}
