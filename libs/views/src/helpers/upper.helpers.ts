/** `{{upper environment.type}}` → `STAGING`. */
export function upper(value: unknown): string {
  return String(value ?? '').toUpperCase();
}
