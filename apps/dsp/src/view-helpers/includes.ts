/** `{{#if (includes environment.dataTransferMethods "api")}}`: whether a list holds a value. */
export function includes(list: unknown, value: unknown): boolean {
  return Array.isArray(list) && list.includes(value);
}
