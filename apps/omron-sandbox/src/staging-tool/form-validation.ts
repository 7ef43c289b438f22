import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';

function messages(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => [...Object.values(error.constraints ?? {}), ...messages(error.children ?? [])]);
}

/** Validates a form body against a DTO class the way the JSON API's ValidationPipe does, returning messages instead of throwing. */
export async function validateForm<T extends object>(type: ClassConstructor<T>, body: unknown): Promise<{ value: T; errors: string[] }> {
  const plain = Object.fromEntries(
    Object.entries((body ?? {}) as Record<string, unknown>).filter(([key, value]) => key !== '_csrf' && value !== ''),
  );
  const value = plainToInstance(type, plain);
  const errors = messages(await validate(value, { whitelist: true, forbidNonWhitelisted: true }));
  return { value, errors };
}
