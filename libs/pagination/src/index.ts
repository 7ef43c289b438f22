export type { CursorForm } from './keyset-cursor.helpers.js';
export { ISO_MICROS, ISO_MILLIS, UUID, createdAtCursor, encodeCursor, parseCreatedAtCursor, parseCursor } from './keyset-cursor.helpers.js';
