export { CSV_NEWLINE, UTF8_BOM, csvLine, csvText, escapeFormula } from './csv-line.rules.js';
