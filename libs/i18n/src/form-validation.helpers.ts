import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validate } from 'class-validator';

/** Field name → message key of the first problem with that field. */
export type FieldErrors = Record<string, string>;

export type FormResult<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

/**
 * Validates a submitted portal form against a DTO class whose constraint messages are message keys
 * (`{ message: 'form.required' }`). Unknown fields (such as `_csrf`) are dropped, not rejected: a browser
 * form is not an API request, and the page re-renders with field errors rather than failing.
 */
export async function validateForm<T extends object>(type: ClassConstructor<T>, body: unknown): Promise<FormResult<T>> {
  const plain = body && typeof body === 'object' ? body : {};
  // Defaults on the DTO stand in for fields a browser leaves out (an unticked checkbox, an empty select).
  const value = plainToInstance(type, plain, { exposeDefaultValues: true });
  const problems = await validate(value, { whitelist: true, forbidUnknownValues: false, stopAtFirstError: true });
  if (problems.length === 0) return { ok: true, value };
  const errors: FieldErrors = {};
  for (const problem of problems) errors[problem.property] = Object.values(problem.constraints ?? {})[0] ?? 'form.invalid';
  return { ok: false, errors };
}

/** Trims a submitted text field; anything that is not a string becomes an empty string. */
export function trimmed({ value }: { value: unknown }): string {
  return typeof value === 'string' ? value.trim() : '';
}
