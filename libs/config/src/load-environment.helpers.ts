import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';

/** Raised at boot when the environment is wrong; lists every bad variable at once. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

function messagesOf(error: ValidationError): string[] {
  const own = Object.values(error.constraints ?? {}).map((message) =>
    message.startsWith(`${error.property}:`) ? message : `${error.property}: ${message}`,
  );
  return [...own, ...(error.children ?? []).flatMap(messagesOf)];
}

/**
 * Turns raw environment variables into a validated instance of an environment class whose
 * properties are named exactly like the variables. Empty strings count as unset, so a blank
 * line in `.env` falls back to the default instead of failing validation.
 */
export function loadEnvironment<T extends object>(type: ClassConstructor<T>, env: Record<string, string | undefined>): T {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const instance = plainToInstance(type, present, { exposeDefaultValues: true });
  const errors = validateSync(instance, { validationError: { target: false, value: false }, stopAtFirstError: true });
  if (errors.length > 0) throw new ConfigValidationError(errors.flatMap(messagesOf));
  return instance;
}

/** The names of the variables an environment class reads, for documentation checks. */
export function environmentVariableNames(type: ClassConstructor<object>): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
  return [...new Set(metadata.map((entry) => entry.propertyName))].sort();
}
