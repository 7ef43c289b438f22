/** `{{t (concat "role." admin.role)}}`: joins its arguments (the trailing Handlebars options object is dropped). */
export function concat(...parts: unknown[]): string {
  return parts
    .slice(0, -1)
    .map((part) => String(part ?? ''))
    .join('');
}
