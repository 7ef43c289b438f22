import { readFileSync } from 'node:fs';
import { EXPORT_KIND_NAMES, exportColumns } from './export-columns.catalogue.js';

const DOCS = readFileSync(new URL('../../../docs/exports.md', import.meta.url), 'utf8');

/** `name:type` of every table row of a docs section (from its heading to the next one). */
function documented(heading: string): string[] {
  const start = DOCS.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/exports.md has no section "${heading}"`);
  const end = DOCS.indexOf('\n#', start + heading.length + 2);
  return [...DOCS.slice(start, end < 0 ? undefined : end).matchAll(/^\| (`\w+`|_kind columns_) *\| (\w*) *\|/gm)].map(([, name, type]) =>
    name.startsWith('_') ? '*' : `${name.slice(1, -1)}:${type}`,
  );
}

describe('export columns', () => {
  it('are documented in docs/exports.md exactly, kind by kind, with their types', () => {
    const common = documented('### Columns every kind starts and ends with');
    const split = common.indexOf('*');
    for (const kind of EXPORT_KIND_NAMES) {
      const expected = [...common.slice(0, split), ...documented(`### ${kind}`), ...common.slice(split + 1)];
      expect([kind, exportColumns(kind).map((column) => `${column.name}:${column.type}`)]).toEqual([kind, expected]);
    }
  });
});
