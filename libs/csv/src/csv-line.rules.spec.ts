import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { csvCell, csvLine, csvText, CSV_NEWLINE, escapeFormula } from './csv-line.rules.js';

describe('CSV lines', () => {
  it('round-trips any text through csv-parse, quotes, commas, line breaks and all', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ unit: 'binary' }), { minLength: 2, maxLength: 6 }), { minLength: 1, maxLength: 10 }),
        (rows) => {
          const width = rows[0].length;
          const table = rows.map((row) => Array.from({ length: width }, (_, i) => row[i] ?? ''));
          const text = table.map((row) => csvLine(row)).join(CSV_NEWLINE) + CSV_NEWLINE;
          expect(parse(text, { relax_column_count: false })).toEqual(table);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('quotes only the cells that need it', () => {
    expect(csvCell('plain text 日本語')).toBe('plain text 日本語');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvLine(['1', '', 'x'])).toBe('1,,x');
  });

  it('writes a whole file of text and number cells, each line ending in CRLF', () => {
    expect(
      csvText([
        ['ogsc_id', 'days'],
        ['OG-1', 16],
        ['a,b', 0],
      ]),
    ).toBe('ogsc_id,days\r\nOG-1,16\r\n"a,b",0\r\n');
    expect(csvText([])).toBe('');
  });

  it('puts an apostrophe in front of text a spreadsheet would run as a formula, and nothing else', () => {
    for (const dangerous of ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\t=1', '\r=1', '=HYPERLINK("http://evil.example")']) {
      expect(escapeFormula(dangerous)).toBe(`'${dangerous}`);
    }
    for (const harmless of ['', 'A-1', '1=1', ' =1', "'=1", '山田', 'OG-7K2M9QX4TR1B5ZW8HD3NCAE6']) {
      expect(escapeFormula(harmless)).toBe(harmless);
    }
  });
});
