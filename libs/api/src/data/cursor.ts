import { ApiProblem } from '../problems/problem-details.js';

/** An opaque page cursor: the keyset position, base64url-encoded so clients do not build or edit it. */
export function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

/**
 * The keyset position in a cursor, each part checked against its pattern; a cursor that is not one of
 * ours (edited, truncated, from another endpoint) is a 400 naming `cursor`, never a 500 or a silent restart.
 */
export function decodeCursor(value: string | undefined, patterns: RegExp[]): string[] | undefined {
  if (value === undefined) return undefined;
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    parts = undefined;
  }
  const valid =
    /^[A-Za-z0-9_-]+$/.test(value) &&
    Array.isArray(parts) &&
    parts.length === patterns.length &&
    parts.every((part, index) => typeof part === 'string' && patterns[index].test(part));
  if (!valid) {
    throw ApiProblem.validation([
      { field: 'cursor', code: 'invalid_cursor', message: 'cursor must be the nextCursor of a previous page of this list' },
    ]);
  }
  return parts as string[];
}

export function isoOrNull(value: Date | string | null | undefined): string | null {
  return value === null || value === undefined ? null : new Date(value).toISOString();
}
