import { dictionary } from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

// zxcvbn-ts's list of about 50,000 passwords seen most often in breaches, lower-cased for lookup.
let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set((dictionary['passwords-common'] as string[]).map((word) => word.toLowerCase()));
  return common;
}

/**
 * Why a new password is refused, as a message key, or null when it is acceptable: at least 12 characters,
 * not one of the common breached passwords, and not the login ID itself.
 */
export function passwordProblem(password: string, loginId?: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return 'password.too_short';
  if (password.length > MAX_PASSWORD_LENGTH) return 'password.too_long';
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) return 'password.common';
  if (loginId && lower.includes(loginId.toLowerCase())) return 'password.contains_login';
  return null;
}
