/** `{{#if (eq status "active")}}`. */
export function eq(left: unknown, right: unknown): boolean {
  return left === right;
}
