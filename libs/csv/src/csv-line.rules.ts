/** Lines end in CRLF (RFC 4180), which every spreadsheet and CSV reader accepts. */
export const CSV_NEWLINE = '\r\n';

/** The byte order mark that makes Excel read a CSV file as UTF-8 (Japanese text is garbled without it). */
export const UTF8_BOM = '\uFEFF';

/**
 * A text cell a spreadsheet would run as a formula: `=`, `+`, `-` and `@` start formulas, and a leading tab or
 * carriage return is dropped by some spreadsheets, uncovering a formula character behind it (OWASP "CSV
 * Injection").
 */
const FORMULA_START = /^[=+\-@\t\r]/;

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * Makes a text cell inert in spreadsheets by putting a single quote in front of it, which spreadsheets
 * show as text and do not evaluate. Only for text cells: a negative number in a numeric column is a number,
 * and prefixing it would turn it into text.
 */
export function escapeFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** One cell, quoted (with inner quotes doubled) only when it holds a quote, a comma or a line break. */
export function csvCell(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One line of cells, without its line ending. */
export function csvLine(cells: readonly string[]): string {
  return cells.map(csvCell).join(',');
}

/**
 * A whole file's text: one line per row, each ending in CRLF. Numbers are written as JavaScript prints them;
 * text cells are written as they are, so a caller escapes formulas in the cells that hold someone's text.
 */
export function csvText(rows: readonly (readonly (string | number)[])[]): string {
  return rows.map((row) => csvLine(row.map(String)) + CSV_NEWLINE).join('');
}
