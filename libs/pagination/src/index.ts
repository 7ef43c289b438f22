export type { CursorForm } from './keyset-cursor.helpers.js';
export { ISO_MICROS, UUID, createdAtCursor, encodeCursor, parseCreatedAtCursor, parseCursor } from './keyset-cursor.helpers.js';
