/**
 * Keyset cursors: the sort key of the last row of a page, which the next page starts after. Portal pages
 * carry them `plain` (parts joined by `~`, readable in the URL); the API `opaque` (a base64url JSON array, so
 * clients do not build or edit them). Either way a cursor is parsed here, each part against its pattern.
 */
export type CursorForm = 'plain' | 'opaque';

/** An instant as `Date.toISOString()` writes it (milliseconds). */
export const ISO_MILLIS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** An instant as PostgreSQL's `to_char(… 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` writes it (microseconds). */
export const ISO_MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const SEPARATOR = '~';

export function encodeCursor(parts: string[], form: CursorForm = 'plain'): string {
  return form === 'plain' ? parts.join(SEPARATOR) : Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

/**
 * The parts of a cursor, one per pattern, or null when it is not a cursor of that shape (edited, truncated,
 * from another list). A plain cursor's first part may itself contain `~` (a group's name): the parts after it
 * are split off from the right. An instant part must also be a real date.
 */
export function parseCursor(value: unknown, patterns: readonly RegExp[], form: CursorForm = 'plain'): string[] | null {
  if (typeof value !== 'string' || value === '' || patterns.length === 0) return null;
  const parts = form === 'plain' ? splitPlain(value, patterns.length) : decodeOpaque(value);
  const valid =
    parts !== null &&
    parts.length === patterns.length &&
    parts.every(
      (part, index) =>
        typeof part === 'string' &&
        patterns[index].test(part) &&
        (!INSTANT_PATTERNS.has(patterns[index]) || !Number.isNaN(Date.parse(part))),
    );
  return valid ? (parts as string[]) : null;
}

/** The `<created_at>~<uuid>` cursor of lists ordered newest first by (created_at, id). */
export function createdAtCursor(row: { createdAt: Date; id: string }): string {
  return encodeCursor([row.createdAt.toISOString(), row.id]);
}

export function parseCreatedAtCursor(value: unknown): { createdAt: Date; id: string } | null {
  const parts = parseCursor(value, [ISO_MILLIS, UUID]);
  return parts ? { createdAt: new Date(parts[0]), id: parts[1] } : null;
}

const INSTANT_PATTERNS = new Set<RegExp>([ISO_MILLIS, ISO_MICROS]);

function splitPlain(value: string, count: number): string[] | null {
  const parts: string[] = [];
  let rest = value;
  for (let index = 1; index < count; index++) {
    const at = rest.lastIndexOf(SEPARATOR);
    if (at < 0) return null;
    parts.unshift(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  parts.unshift(rest);
  return parts;
}

function decodeOpaque(value: string): unknown[] | null {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) return null;
  try {
    const parts: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    return Array.isArray(parts) ? parts : null;
  } catch {
    return null;
  }
}
