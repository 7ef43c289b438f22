export const MAX_INTERNAL_CUSTOMER_ID_LENGTH = 100;

/**
 * A partner's customer ID as submitted, in the stored form: trimmed, and null when empty (no ID). The value
 * is otherwise the partner's own: any printable text up to 100 characters.
 */
export function normaliseInternalCustomerId(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** Why an (already normalised) internal customer ID cannot be stored, as a message key, or null when it can. */
export function internalCustomerIdProblem(value: string | null): string | null {
  if (value === null) return null;
  if (value.length > MAX_INTERNAL_CUSTOMER_ID_LENGTH) return 'participants.customer_id_too_long';
  // Control characters (line breaks, tabs, NUL) break CSV files and exports downstream.
  if (/\p{Cc}/u.test(value)) return 'participants.customer_id_invalid';
  return null;
}
