/**
 * The shape of a JSON value: for objects, the sorted keys with the shape of each value; for arrays, the
 * shape of their first element; otherwise the JSON type (`string`, `number`, `boolean`, `null`). Two
 * documents with equal shapes have the same keys and the same value type at every key.
 */
export type JsonShape = string | { [key: string]: JsonShape } | JsonShape[];

export function jsonShape(value: unknown): JsonShape {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? [] : [jsonShape(value[0])];
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((key) => [key, jsonShape((value as Record<string, unknown>)[key])]),
    );
  }
  return typeof value;
}
