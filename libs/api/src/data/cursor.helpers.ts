import { encodeCursor as encodeKeysetCursor, parseCursor } from '@opendsp/pagination';
import { ApiProblem } from '../problems/api-problem.exception.js';

/** An opaque page cursor: the keyset position, base64url-encoded so clients do not build or edit it. */
export function encodeCursor(parts: string[]): string {
  return encodeKeysetCursor(parts, 'opaque');
}

/**
 * The keyset position in a cursor, each part checked against its pattern; a cursor that is not one of
 * ours (edited, truncated, from another endpoint) is a 400 naming `cursor`, never a 500 or a silent restart.
 */
export function decodeCursor(value: string | undefined, patterns: RegExp[]): string[] | undefined {
  if (value === undefined) return undefined;
  const parts = parseCursor(value, patterns, 'opaque');
  if (!parts) {
    throw ApiProblem.validation([
      { field: 'cursor', code: 'invalid_cursor', message: 'cursor must be the nextCursor of a previous page of this list' },
    ]);
  }
  return parts;
}

export function isoOrNull(value: Date | string | null | undefined): string | null {
  return value === null || value === undefined ? null : new Date(value).toISOString();
}
